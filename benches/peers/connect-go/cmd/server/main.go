// Command server is the connect-go peer of the end-to-end benchmarks: the EchoService of
// benches/proto/echo.proto on a plain net/http server (HTTP/1.1, keep-alive on, no h2c).
//
//	server --addr 127.0.0.1:PORT
//
// It runs on one OS thread for Go code (GOMAXPROCS=1 unless the GOMAXPROCS environment
// variable says otherwise), accepts the proto and JSON codecs and gzip (connect-go's
// defaults), and logs nothing per request.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"connectrpc.com/connect"

	echov1 "connectengine.local/bench/peers/echov1"
	"connectengine.local/bench/peers/echov1/echov1connect"
)

type echoServer struct{}

func (echoServer) Echo(_ context.Context, req *connect.Request[echov1.Text]) (*connect.Response[echov1.Text], error) {
	return connect.NewResponse(req.Msg), nil
}

func (echoServer) Repeat(_ context.Context, req *connect.Request[echov1.RepeatRequest], stream *connect.ServerStream[echov1.Text]) error {
	msg := &echov1.Text{Text: req.Msg.GetText()}
	for i := uint32(0); i < req.Msg.GetCount(); i++ {
		if err := stream.Send(msg); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}

	mux := http.NewServeMux()
	mux.Handle(echov1connect.NewEchoServiceHandler(echoServer{}))
	srv := &http.Server{Handler: mux, ErrorLog: log.New(discard{}, "", 0)}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// discard drops net/http's per-connection error log lines (e.g. a client resetting a
// keep-alive connection), so the server logs nothing per request.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
