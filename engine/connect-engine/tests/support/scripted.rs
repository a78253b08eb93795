//! A scripted HTTP/1.1 server for client tests: it answers each connection with whatever
//! bytes a test wants.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A scripted HTTP/1.1 server: for each accepted connection it reads one request head
/// (and its content-length body) and writes the next canned answer; `None` closes without
/// answering, a `Stall` answer never answers. Returns the address and the raw requests.
pub enum Answer {
    Bytes(Vec<u8>),
    /// Write this, then keep the connection open and silent.
    Stall(Vec<u8>),
    /// Answer this, keep the connection alive, then close it after a pause (a server
    /// closing an idle pooled connection).
    ThenClose(Vec<u8>),
}

pub fn scripted(answers: Vec<Answer>) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for answer in answers {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let request = read_request(&mut s);
            log.lock().unwrap().push(request);
            match answer {
                Answer::Bytes(b) => {
                    let _ = s.write_all(&b);
                }
                Answer::Stall(b) => {
                    let _ = s.write_all(&b);
                    held.push(s);
                }
                Answer::ThenClose(b) => {
                    let _ = s.write_all(&b);
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        std::thread::sleep(Duration::from_secs(5));
        drop(held);
    });
    (format!("http://{addr}"), seen)
}

pub fn read_request(s: &mut std::net::TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return buf,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    if let Some(cl) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        let mut body = vec![0; cl];
        let _ = s.read_exact(&mut body);
        buf.extend_from_slice(&body);
    } else if head.contains("transfer-encoding: chunked") {
        while !buf.ends_with(b"\r\n0\r\n\r\n") {
            match s.read(&mut byte) {
                Ok(1) => buf.push(byte[0]),
                _ => break,
            }
        }
    }
    buf
}

pub fn unary_response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A chunked response of 5 MiB of one unending message: its envelope never completes.
pub fn endless_chunked() -> Vec<u8> {
    let mut r =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    for _ in 0..5 {
        r.extend_from_slice(b"100000\r\n");
        r.extend_from_slice(&vec![b'z'; 1 << 20]);
        r.extend_from_slice(b"\r\n");
    }
    r
}

pub fn clone_answer(a: &Answer) -> Answer {
    match a {
        Answer::Bytes(b) => Answer::Bytes(b.clone()),
        Answer::Stall(b) => Answer::Stall(b.clone()),
        Answer::ThenClose(b) => Answer::ThenClose(b.clone()),
    }
}
