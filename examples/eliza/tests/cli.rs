//! The `eliza` command line against a scripted server over a real socket: text the server
//! controls (a reply, an error message) reaches the terminal with its control characters
//! escaped, on the async and the blocking client.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

/// Reads one request (head and content-length body).
fn read_request(s: &mut TcpStream) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = s.read_exact(&mut body);
}

/// A server answering every connection's one request with `response`.
fn serve(response: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            read_request(&mut s);
            let _ = s.write_all(&response);
        }
    });
    url
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Runs `eliza say` against `url` (async, then blocking); returns (stdout, stderr) of each.
fn say(url: &str) -> Vec<(String, String)> {
    [&[][..], &["--blocking"][..]]
        .iter()
        .map(|extra| {
            let out = Command::new(env!("CARGO_BIN_EXE_eliza"))
                .args(["say", "--url", url])
                .args(*extra)
                .arg("hello")
                .output()
                .unwrap();
            (
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            )
        })
        .collect()
}

#[test]
fn server_controlled_text_is_escaped_on_the_terminal() {
    // An error whose message would colour the terminal and forge a second line.
    let url = serve(response(
        "400 Bad Request",
        "application/json",
        br#"{"code":"invalid_argument","message":"\u001b[31mred\nerror: forged"}"#,
    ));
    for (stdout, stderr) in say(&url) {
        assert_eq!(stdout, "");
        assert_eq!(
            stderr,
            "error: invalid_argument: \\u{1b}[31mred\\nerror: forged\n"
        );
    }
    // A reply (SayResponse.sentence, field 1) with an escape sequence and a carriage return.
    let sentence = b"\x1b[2Jhi\rthere";
    let mut body = vec![0x0a, u8::try_from(sentence.len()).unwrap()];
    body.extend_from_slice(sentence);
    let url = serve(response("200 OK", "application/proto", &body));
    for (stdout, stderr) in say(&url) {
        assert_eq!(stdout, "\\u{1b}[2Jhi\\rthere\n", "stderr: {stderr}");
    }
}
