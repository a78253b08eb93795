//! `connect-rust-server --addr 127.0.0.1:PORT [--compress-min-bytes N] [--raw-http1]`: the
//! connect-rust (`connectrpc` crate) peer of the end-to-end benchmarks, on a tokio
//! current-thread runtime.
//!
//! By default it runs connectrpc's own standalone server (hyper, HTTP/1.1 with keep-alive;
//! that server would also take h2c, which the benchmark clients never send). `--raw-http1`
//! instead drives hyper's HTTP/1.1-only connection loop directly with the same
//! `ConnectRpcService`. Both codecs (proto, JSON) and gzip/zstd are on, as the crate
//! defaults; responses are compressed whenever the client accepts it and the message has at
//! least `--compress-min-bytes` bytes (default 0, connect-go's default; connectrpc's own
//! default is 1024, which would never compress these 12-byte messages). Nothing is logged.

// The handlers name their concrete return types, as connectrpc's own examples do.
#![allow(refining_impl_trait)]

use connect_rust_peer::{Args, EchoService, EchoServiceServer, RepeatRequest, Text, die};
use connectrpc::{
    CompressionPolicy, ConnectRpcService, RequestContext, Response, ServiceRequest, ServiceResult,
    ServiceStream,
};

struct Echo;

impl EchoService for Echo {
    async fn echo(
        &self,
        _ctx: RequestContext,
        request: ServiceRequest<'_, Text>,
    ) -> ServiceResult<Text> {
        Response::ok(request.to_owned_message())
    }

    async fn repeat(
        &self,
        _ctx: RequestContext,
        request: ServiceRequest<'_, RepeatRequest>,
    ) -> ServiceResult<ServiceStream<Text>> {
        let text = Text {
            text: request.text.to_owned(),
            ..Default::default()
        };
        let count = request.count;
        Response::stream_ok(futures::stream::iter(
            (0..count).map(move |_| Ok(text.clone())),
        ))
    }
}

fn main() {
    let mut args = Args::from_env();
    let addr: std::net::SocketAddr = args.value("--addr", "127.0.0.1:8080".parse().unwrap());
    let min_bytes: usize = args.value("--compress-min-bytes", 0);
    let raw = args.switch("--raw-http1");
    args.finish();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(&format!("runtime: {e}")));
    runtime.block_on(async move {
        tokio::spawn(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            std::process::exit(0);
        });
        let service = ConnectRpcService::new(EchoServiceServer::new(Echo))
            .with_compression_policy(CompressionPolicy::default().with_min_size(min_bytes));
        let result = if raw {
            serve_raw(addr, service).await
        } else {
            serve(addr, service).await
        };
        if let Err(e) = result {
            die(&format!("serve: {e}"));
        }
    });
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// connectrpc's standalone server.
async fn serve(
    addr: std::net::SocketAddr,
    service: ConnectRpcService<EchoServiceServer<Echo>>,
) -> Result<(), Error> {
    connectrpc::Server::bind(addr)
        .await?
        .serve_with_service(service)
        .await
}

/// hyper's HTTP/1.1 connection loop, one task per connection.
async fn serve_raw(
    addr: std::net::SocketAddr,
    service: ConnectRpcService<EchoServiceServer<Echo>>,
) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) if is_transient(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted)
        || matches!(
            e.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
        )
}
