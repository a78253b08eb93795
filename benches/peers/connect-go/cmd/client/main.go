// Command client is the connect-go load client of the end-to-end benchmarks.
//
//	client --url http://127.0.0.1:PORT --calls N --concurrency C [--json] [--gzip] [--stream-count K]
//
// It makes N unary Echo calls with Text{text: "hello, world"} (or, with --stream-count K, N
// server-streaming Repeat{text: "hello, world", count: K} calls, reading every message),
// C calls in flight at once over keep-alive HTTP/1.1 connections, after a warm-up of
// min(1000, N/10) calls that are not counted. It prints one line of JSON,
//
//	{"calls":N,"errors":E,"elapsed_s":X,"user_s":U,"sys_s":S}
//
// (plus "messages" in --stream-count mode), where user_s and sys_s are this process's own CPU
// times over the counted calls, and exits non-zero if any call failed. Go code runs on one OS
// thread (GOMAXPROCS=1) unless the GOMAXPROCS environment variable says otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"connectrpc.com/connect"

	echov1 "connectengine.local/bench/peers/echov1"
	"connectengine.local/bench/peers/echov1/echov1connect"
)

const text = "hello, world"

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "base URL of the server")
	calls := flag.Int("calls", 10000, "number of counted calls")
	concurrency := flag.Int("concurrency", 1, "calls in flight at once")
	useJSON := flag.Bool("json", false, "use the JSON codec instead of binary proto")
	useGzip := flag.Bool("gzip", false, "gzip requests and accept gzipped responses")
	streamCount := flag.Int("stream-count", 0, "if > 0, call Repeat with this count instead of Echo")
	flag.Parse()
	if *calls < 0 || *concurrency < 1 || *streamCount < 0 {
		fmt.Fprintln(os.Stderr, "client: --calls must be >= 0, --concurrency >= 1, --stream-count >= 0")
		os.Exit(2)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = max(*concurrency, http.DefaultMaxIdleConnsPerHost)
	transport.MaxIdleConns = max(*concurrency, transport.MaxIdleConns)
	// Compression is connect's business: without this, net/http would ask for gzip on its own
	// whenever connect sends no Accept-Encoding, and a server would then gzip the response.
	transport.DisableCompression = true
	httpClient := &http.Client{Transport: transport}

	var opts []connect.ClientOption
	if *useJSON {
		opts = append(opts, connect.WithProtoJSON())
	}
	if *useGzip {
		opts = append(opts, connect.WithSendGzip())
	} else {
		// connect-go accepts gzipped responses by default; unregister gzip so that no
		// compression happens in either direction.
		opts = append(opts, connect.WithAcceptCompression("gzip", nil, nil))
	}
	client := echov1connect.NewEchoServiceClient(httpClient, *url, opts...)

	var call func(ctx context.Context) (int, error)
	if *streamCount == 0 {
		msg := &echov1.Text{Text: text}
		call = func(ctx context.Context) (int, error) {
			res, err := client.Echo(ctx, connect.NewRequest(msg))
			if err != nil {
				return 0, err
			}
			if res.Msg.GetText() != text {
				return 0, fmt.Errorf("echo returned %q", res.Msg.GetText())
			}
			return 1, nil
		}
	} else {
		msg := &echov1.RepeatRequest{Text: text, Count: uint32(*streamCount)}
		want := *streamCount
		call = func(ctx context.Context) (int, error) {
			stream, err := client.Repeat(ctx, connect.NewRequest(msg))
			if err != nil {
				return 0, err
			}
			n := 0
			for stream.Receive() {
				if got := stream.Msg().GetText(); got != text {
					_ = stream.Close()
					return n, fmt.Errorf("repeat sent %q", got)
				}
				n++
			}
			err = stream.Err()
			if cerr := stream.Close(); err == nil {
				err = cerr
			}
			if err == nil && n != want {
				err = fmt.Errorf("repeat sent %d messages, want %d", n, want)
			}
			return n, err
		}
	}

	warm := min(1000, *calls/10)
	if w := run(call, warm, *concurrency); w.errors > 0 {
		fmt.Fprintf(os.Stderr, "client: %d of %d warm-up calls failed; first: %v\n", w.errors, warm, w.first)
		os.Exit(1)
	}

	ru0 := rusage()
	start := time.Now()
	r := run(call, *calls, *concurrency)
	elapsed := time.Since(start)
	ru1 := rusage()

	line := fmt.Sprintf(`{"calls":%d,"errors":%d,"elapsed_s":%.6f,"user_s":%.6f,"sys_s":%.6f`,
		*calls, r.errors, elapsed.Seconds(),
		tv(ru1.Utime)-tv(ru0.Utime), tv(ru1.Stime)-tv(ru0.Stime))
	if *streamCount > 0 {
		line += fmt.Sprintf(`,"messages":%d`, r.messages)
	}
	fmt.Println(line + "}")
	if r.errors > 0 {
		fmt.Fprintf(os.Stderr, "client: %d of %d calls failed; first: %v\n", r.errors, *calls, r.first)
		os.Exit(1)
	}
}

type result struct {
	errors   int64
	messages int64
	first    error
}

// run makes n calls, at most c in flight at once.
func run(call func(context.Context) (int, error), n, c int) result {
	var (
		next, errs, msgs atomic.Int64
		firstOnce        sync.Once
		first            error
		wg               sync.WaitGroup
	)
	ctx := context.Background()
	for range min(c, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				m, err := call(ctx)
				msgs.Add(int64(m))
				if err != nil {
					errs.Add(1)
					firstOnce.Do(func() { first = err })
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && errs.Load() > 0 {
		first = errors.New("unknown")
	}
	return result{errors: errs.Load(), messages: msgs.Load(), first: first}
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, "client: getrusage:", err)
		os.Exit(1)
	}
	return ru
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
