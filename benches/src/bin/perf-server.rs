//! `perf-server --addr HOST:PORT [--driver epoll|io_uring] [--threads N] [--tls-cert PEM
//! --tls-key PEM]`: the end-to-end
//! benchmark's Connect server (PERF.md, "End to end"). A unary echo method whose response
//! borrows the request (what the measurement sees is the engine, not the handler) and a
//! server stream repeating a text.

use std::net::SocketAddr;

use connect_bench::echo::{EchoService, EchoServiceServer, RepeatRequest, Text};
use connect_engine::ConnectError;
use connect_engine::runtime::Driver;
use connect_engine::server::{
    Interceptor, Request, Response, ResponseStream, Router, Server, ServerConfig,
};

struct Echo;

/// An interceptor with nothing to do: what running one costs.
struct Noop;

impl Interceptor for Noop {}

impl EchoService for Echo {
    async fn echo<'a>(
        &self,
        request: Request<'a, Text<'a>>,
    ) -> Result<Response<Text<'a>>, ConnectError> {
        Ok(Response::new(request.message))
    }

    async fn repeat<'a>(
        &self,
        request: Request<'a, RepeatRequest<'a>>,
        responses: &mut ResponseStream<'_, Text<'static>>,
    ) -> Result<(), ConnectError> {
        let text = Text {
            text: request.message.text.clone(),
            ..Default::default()
        };
        for _ in 0..request.message.count {
            responses.feed(&text).await?;
        }
        responses.flush().await
    }
}

fn main() -> std::io::Result<()> {
    let args = connect_bench::e2e::Args::parse();
    let mut config = ServerConfig::new()
        .with_threads(args.threads)
        .with_driver(args.driver());
    if let Some(tls) = args.tls()? {
        config = config.with_tls(tls);
    }
    let server = Server::bind(args.addr, config)?;
    server.shutdown_handle().on_signals()?;
    let _: (SocketAddr, Driver) = (server.local_addr(), args.driver());
    if args.noop_interceptor {
        server.serve(|| {
            Router::new()
                .add(EchoServiceServer::new(Echo))
                .with_interceptor(Noop)
        })
    } else {
        server.serve(|| Router::new().add(EchoServiceServer::new(Echo)))
    }
}
