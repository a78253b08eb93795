//! `canned-server --addr HOST:PORT [--driver epoll|io_uring]`: the ceiling of the end-to-end
//! benchmark (PERF.md, "End to end"). monoio + httparse; every request (head parsed, body
//! skipped by `content-length`) is answered with the same precomputed bytes the Connect echo
//! server sends for the benchmark's request. No routing, no protocol rules, no codec.

use std::rc::Rc;

use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{TcpListener, TcpStream};

/// What `perf-server` answers to `benches/e2e/unary.lua`'s request.
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length:        14\r\n\r\n\n\x0chello, world";

async fn serve(mut stream: TcpStream) {
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(16 * 1024);
    loop {
        // Answer every complete request in the buffer.
        let mut consumed = 0;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf[consumed..]) {
                Ok(httparse::Status::Complete(head)) => {
                    let body = req
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| {
                            std::str::from_utf8(h.value)
                                .ok()?
                                .trim()
                                .parse::<usize>()
                                .ok()
                        })
                        .unwrap_or(0);
                    if buf.len() - consumed < head + body {
                        break;
                    }
                    consumed += head + body;
                    out.extend_from_slice(RESPONSE);
                }
                Ok(httparse::Status::Partial) => break,
                Err(_) => return,
            }
        }
        buf.drain(..consumed);
        if !out.is_empty() {
            let (res, o) = stream.write_all(out).await;
            out = o;
            out.clear();
            if res.is_err() {
                return;
            }
        }
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity());
        }
        let len = buf.len();
        let (res, slice) = stream
            .read(monoio::buf::IoBufMut::slice_mut(buf, len..))
            .await;
        buf = slice.into_inner();
        match res {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

fn main() -> std::io::Result<()> {
    let args = connect_bench::e2e::Args::parse();
    let listener = std::net::TcpListener::bind(args.addr)?;
    listener.set_nonblocking(true)?;
    let stop = Rc::new(());
    connect_engine::runtime::block_on(args.driver(), async move {
        let listener = TcpListener::from_std(listener).expect("listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let _keep = stop.clone();
            monoio::spawn(serve(stream));
        }
    })
}
