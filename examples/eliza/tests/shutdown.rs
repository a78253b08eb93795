//! Graceful shutdown under load, black-box: a real `eliza serve` process (both drivers),
//! real sockets, SIGTERM.
//!
//! * Thousands of calls are in flight when the signal arrives: unary (JSON and proto),
//!   server-streaming and bidi calls each on its own connection, every one of them known to
//!   be accepted because the server answered its `Expect: 100-continue` (it routed the call
//!   and is waiting for the body), plus large bidi calls whose response the server is in the
//!   middle of sending, plus keep-alive connections calling back to back. Every accepted call
//!   completes with its whole response (counted: none lost), and the server then closes its
//!   connection.
//! * New connections after the signal are refused once the listeners are closed; until then
//!   (the signal is noticed within 50 ms) a new connection is either served in full or closed
//!   without a byte of response, never cut mid-response.
//! * The process exits as soon as the last call is done, well within the grace period; with
//!   a call that never finishes, it exits when the grace period ends.
//!
//! Waits are bounded (so a hang fails instead of blocking), but nothing is timed for speed.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_engine::runtime::Driver;

const SAY: &str = "/connectrpc.eliza.v1.ElizaService/Say";
const INTRODUCE: &str = "/connectrpc.eliza.v1.ElizaService/Introduce";
const CONVERSE: &str = "/connectrpc.eliza.v1.ElizaService/Converse";

/// Calls held in flight, one connection each, when the signal arrives.
const HELD: usize = 2000;
/// Large bidi calls whose response is being sent when the signal arrives.
const LARGE: usize = 4;
/// Sentences of each large call (each answer is a ~40-byte envelope: ~8 MB of response).
const LARGE_SENTENCES: usize = 200_000;
/// Keep-alive connections calling back to back around the signal.
const LOADERS: usize = 16;

fn drivers() -> Vec<&'static str> {
    let mut d = vec!["epoll"];
    if Driver::Auto.resolve() == Driver::IoUring {
        d.push("io_uring");
    }
    d
}

/// A running `eliza serve`, its address and what it logged.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(driver: &str, grace: Duration) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eliza"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--threads",
                "2",
                "--driver",
                driver,
            ])
            .arg("--shutdown-grace-ms")
            .arg(grace.as_millis().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start eliza");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let addr = first
            .trim()
            .strip_prefix("eliza listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
            .parse()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Server { child, addr, log }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_nodelay(true).unwrap();
        s
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill: {status}");
    }

    /// Waits for the process to exit, at most until `deadline`.
    fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn assert_clean_log(&self) {
        let log = self.log.lock().unwrap();
        assert!(
            !log.contains("panicked") && !log.contains("ERROR"),
            "server log:\n{log}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------------ requests

/// What a call sends and what its response must hold.
#[derive(Clone)]
enum Kind {
    SayJson,
    SayProto,
    Introduce,
    /// A bidi call saying the same sentence this many times (one answer each).
    Converse {
        sentences: usize,
    },
}

impl Kind {
    fn of(i: usize) -> Kind {
        match i % 4 {
            0 => Kind::SayJson,
            1 => Kind::SayProto,
            2 => Kind::Introduce,
            _ => Kind::Converse { sentences: 5 },
        }
    }

    fn body(&self, i: usize) -> Vec<u8> {
        match self {
            Kind::SayJson => format!(r#"{{"sentence": "I feel happy {i}"}}"#).into_bytes(),
            Kind::SayProto => {
                let text = format!("I need a break {i}");
                let mut b = vec![0x0a, u8::try_from(text.len()).unwrap()];
                b.extend_from_slice(text.as_bytes());
                b
            }
            Kind::Introduce => envelope(format!(r#"{{"name": "Ada {i}"}}"#).as_bytes()),
            Kind::Converse { sentences } => {
                let one = envelope(br#"{"sentence": "I feel happy"}"#);
                one.repeat(*sentences)
            }
        }
    }

    fn head(&self, body_len: usize, expect_continue: bool) -> Vec<u8> {
        let (path, content_type) = match self {
            Kind::SayJson => (SAY, "application/json"),
            Kind::SayProto => (SAY, "application/proto"),
            Kind::Introduce => (INTRODUCE, "application/connect+json"),
            Kind::Converse { .. } => (CONVERSE, "application/connect+json"),
        };
        let expect = if expect_continue {
            "expect: 100-continue\r\n"
        } else {
            ""
        };
        format!(
            "POST {path} HTTP/1.1\r\nhost: eliza\r\ncontent-type: {content_type}\r\n\
             connect-protocol-version: 1\r\ncontent-length: {body_len}\r\n{expect}\r\n"
        )
        .into_bytes()
    }

    /// Checks a complete response; returns what is wrong with it.
    fn check(&self, r: &Response) -> Result<(), String> {
        if r.status != 200 {
            return Err(format!(
                "status {}: {:?}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
        }
        let stream_of = |n: usize| -> Result<(), String> {
            let envs = envelopes(&r.body)?;
            let Some(((flags, end), messages)) = envs.split_last() else {
                return Err("empty stream".to_owned());
            };
            if *flags != 2 || end.as_slice() != b"{}" {
                return Err(format!(
                    "stream ended with {flags} {:?}",
                    String::from_utf8_lossy(end)
                ));
            }
            if messages.len() != n || messages.iter().any(|(f, _)| *f != 0) {
                return Err(format!("{} messages, wanted {n}", messages.len()));
            }
            Ok(())
        };
        match self {
            Kind::SayJson if r.body.starts_with(br#"{"sentence":""#) => Ok(()),
            Kind::SayProto if r.body.first() == Some(&0x0a) => Ok(()),
            Kind::SayJson | Kind::SayProto => Err(format!("body {:?}", r.body)),
            Kind::Introduce => stream_of(4),
            Kind::Converse { sentences } => stream_of(*sentences),
        }
    }
}

fn envelope(payload: &[u8]) -> Vec<u8> {
    let mut e = vec![0];
    e.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    e.extend_from_slice(payload);
    e
}

fn envelopes(mut body: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, String> {
    let mut out = Vec::new();
    while body.len() >= 5 {
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        let Some(payload) = body.get(5..5 + len) else {
            return Err("envelope cut short".to_owned());
        };
        out.push((body[0], payload.to_vec()));
        body = &body[5 + len..];
    }
    if body.is_empty() {
        Ok(out)
    } else {
        Err("trailing bytes after the last envelope".to_owned())
    }
}

// ------------------------------------------------------------------ responses

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Why no complete response was read.
#[derive(Debug)]
enum Failed {
    /// Not one byte of a response: the connection was closed or reset first.
    Nothing(String),
    /// The response was cut or malformed.
    Broken(String),
}

/// Reads HTTP/1.1 responses off a connection.
struct Reader {
    buf: Vec<u8>,
    /// Bytes of the current response consumed so far (0: none arrived yet).
    got: usize,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            buf: Vec::new(),
            got: 0,
        }
    }

    /// Reads more; `Ok(false)` at end of stream.
    fn fill(&mut self, s: &mut TcpStream) -> Result<bool, Failed> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match s.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    self.got += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if self.got == 0 && e.kind() != ErrorKind::WouldBlock => {
                    return Err(Failed::Nothing(e.to_string()));
                }
                Err(e) => return Err(Failed::Broken(format!("read: {e}"))),
            }
        }
    }

    fn need(&mut self, s: &mut TcpStream, n: usize) -> Result<(), Failed> {
        while self.buf.len() < n {
            if !self.fill(s)? {
                return Err(if self.got == 0 {
                    Failed::Nothing("closed".to_owned())
                } else {
                    Failed::Broken(format!("closed after {} bytes", self.got))
                });
            }
        }
        Ok(())
    }

    fn find(&mut self, s: &mut TcpStream, pat: &[u8]) -> Result<usize, Failed> {
        loop {
            if let Some(i) = self.buf.windows(pat.len()).position(|w| w == pat) {
                return Ok(i);
            }
            let len = self.buf.len();
            self.need(s, len + 1)?;
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        self.buf.drain(..n).collect()
    }

    fn response(&mut self, s: &mut TcpStream) -> Result<Response, Failed> {
        self.got = self.buf.len();
        let end = self.find(s, b"\r\n\r\n")?;
        let head = String::from_utf8(self.take(end + 4))
            .map_err(|_| Failed::Broken("head is not UTF-8".to_owned()))?;
        let mut lines = head.trim_end().split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| Failed::Broken(format!("status line of {head:?}")))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let mut body = Vec::new();
        if let Some(len) = get("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| Failed::Broken("content-length".to_owned()))?;
            self.need(s, len)?;
            body = self.take(len);
        } else if get("transfer-encoding").as_deref() == Some("chunked") {
            loop {
                let eol = self.find(s, b"\r\n")?;
                let line = self.take(eol + 2);
                let size = std::str::from_utf8(&line[..eol])
                    .ok()
                    .and_then(|l| usize::from_str_radix(l.split(';').next()?.trim(), 16).ok())
                    .ok_or_else(|| Failed::Broken("chunk size".to_owned()))?;
                self.need(s, size + 2)?;
                let chunk = self.take(size + 2);
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            return Err(Failed::Broken(format!("no body framing: {head:?}")));
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// After a response the server must close the connection (it is shutting down).
    fn expect_close(&mut self, s: &mut TcpStream) -> Result<(), String> {
        if !self.buf.is_empty() {
            return Err(format!("{} bytes after the response", self.buf.len()));
        }
        match self.fill(s) {
            Ok(false) | Err(Failed::Nothing(_)) => Ok(()),
            Ok(true) => Err("more bytes after the response".to_owned()),
            Err(Failed::Broken(e)) => Err(e),
        }
    }
}

// ------------------------------------------------------------------ load around the signal

/// What the back-to-back callers saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    ok_after_signal: u64,
    /// Calls written in full before the signal that got no byte of response.
    unanswered_sent_before: Vec<String>,
    /// Calls written (or attempted) after the signal that got no byte of response.
    unanswered_after: u64,
    refused: u64,
    broken: Vec<String>,
}

/// Calls back to back on keep-alive connections (reconnecting when the server closes one)
/// until `stop`, or until a connection is refused after the signal.
fn caller(server_addr: SocketAddr, id: usize, signalled: &AtomicBool, stop: &AtomicBool) -> Tally {
    let mut t = Tally::default();
    let mut conn: Option<(TcpStream, Reader)> = None;
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let kind = Kind::of(id + i);
        if conn.is_none() {
            match TcpStream::connect(server_addr) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    conn = Some((s, Reader::new()));
                }
                // A handshake in progress when a listener closes is reset rather than
                // refused: the same answer.
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
                    ) =>
                {
                    if signalled.load(Ordering::SeqCst) {
                        t.refused += 1;
                        break;
                    }
                    t.broken.push(format!("refused before the signal: {e}"));
                    break;
                }
                Err(e) => {
                    t.broken.push(format!("connect: {e}"));
                    break;
                }
            }
        }
        let (s, reader) = conn.as_mut().unwrap();
        let body = kind.body(i);
        let mut request = kind.head(body.len(), false);
        request.extend_from_slice(&body);
        let written = s.write_all(&request);
        let sent_before = written.is_ok() && !signalled.load(Ordering::SeqCst);
        let outcome = match written {
            Ok(()) => reader.response(s),
            Err(e) => Err(Failed::Nothing(format!("write: {e}"))),
        };
        match outcome {
            Ok(r) => {
                if let Err(e) = kind.check(&r) {
                    t.broken.push(e);
                    break;
                }
                t.ok += 1;
                if signalled.load(Ordering::SeqCst) {
                    t.ok_after_signal += 1;
                }
                let close = r
                    .headers
                    .iter()
                    .any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close"));
                if close {
                    conn = None;
                }
            }
            Err(Failed::Nothing(why)) => {
                if sent_before {
                    t.unanswered_sent_before.push(why);
                } else {
                    t.unanswered_after += 1;
                }
                conn = None;
            }
            Err(Failed::Broken(why)) => {
                t.broken.push(why);
                break;
            }
        }
    }
    t
}

/// A call whose head the server has routed (it sent `100 Continue`) and whose body is not
/// sent yet.
struct Held {
    kind: Kind,
    index: usize,
    stream: TcpStream,
    body: Vec<u8>,
}

fn hold(server: &Server, kind: Kind, index: usize) -> Held {
    let mut stream = server.connect();
    let body = kind.body(index);
    stream.write_all(&kind.head(body.len(), true)).unwrap();
    let mut cont = [0u8; 25];
    stream.read_exact(&mut cont).unwrap();
    assert_eq!(&cont, b"HTTP/1.1 100 Continue\r\n\r\n");
    Held {
        kind,
        index,
        stream,
        body,
    }
}

/// A large bidi call whose response has started arriving (the server is sending it).
fn large(server: &Server) -> (TcpStream, Kind) {
    let kind = Kind::Converse {
        sentences: LARGE_SENTENCES,
    };
    let mut stream = server.connect();
    let body = kind.body(0);
    stream.write_all(&kind.head(body.len(), false)).unwrap();
    stream.write_all(&body).unwrap();
    let mut first = [0u8; 1];
    assert_eq!(stream.peek(&mut first).unwrap(), 1);
    (stream, kind)
}

#[test]
fn sigterm_under_load_finishes_every_accepted_call() {
    for driver in drivers() {
        let grace = Duration::from_secs(30);
        let mut server = Server::start(driver, grace);

        let held: Vec<Held> = (0..HELD).map(|i| hold(&server, Kind::of(i), i)).collect();
        let large: Vec<_> = (0..LARGE).map(|_| large(&server)).collect();

        let signalled = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let callers: Vec<_> = (0..LOADERS)
            .map(|id| {
                let (addr, signalled, stop) = (server.addr, signalled.clone(), stop.clone());
                std::thread::spawn(move || caller(addr, id, &signalled, &stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));

        signalled.store(true, Ordering::SeqCst);
        server.sigterm();
        let signal_at = Instant::now();

        // New connections: served in full or closed without a response until the listeners
        // close (within the relay's 50 ms poll), refused from then on.
        let mut early = 0;
        loop {
            assert!(
                signal_at.elapsed() < Duration::from_secs(10),
                "{driver}: still accepting 10 s after SIGTERM"
            );
            match TcpStream::connect(server.addr) {
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => break,
                Err(e) => panic!("{driver}: connect after SIGTERM: {e}"),
                Ok(mut s) => {
                    early += 1;
                    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    let kind = Kind::SayJson;
                    let body = kind.body(early);
                    let mut request = kind.head(body.len(), false);
                    request.extend_from_slice(&body);
                    let mut reader = Reader::new();
                    let outcome = match s.write_all(&request) {
                        Ok(()) => reader.response(&mut s),
                        Err(e) => Err(Failed::Nothing(e.to_string())),
                    };
                    match outcome {
                        Ok(r) => kind.check(&r).unwrap(),
                        Err(Failed::Nothing(_)) => {}
                        Err(Failed::Broken(e)) => panic!("{driver}: new connection: {e}"),
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        for _ in 0..20 {
            let e = TcpStream::connect(server.addr).expect_err("connection after refusal");
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{driver}");
        }
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "{driver}: exited with calls in flight"
        );

        // Every held call completes, then its connection closes.
        let mut completed = 0;
        for mut h in held {
            h.stream.write_all(&h.body).unwrap();
            let mut reader = Reader::new();
            let r = reader
                .response(&mut h.stream)
                .unwrap_or_else(|e| panic!("{driver}: held call {} lost: {e:?}", h.index));
            h.kind
                .check(&r)
                .unwrap_or_else(|e| panic!("{driver}: held call {}: {e}", h.index));
            reader
                .expect_close(&mut h.stream)
                .unwrap_or_else(|e| panic!("{driver}: held call {}: {e}", h.index));
            completed += 1;
        }
        for (mut s, kind) in large {
            let mut reader = Reader::new();
            let r = reader
                .response(&mut s)
                .unwrap_or_else(|e| panic!("{driver}: large call lost: {e:?}"));
            kind.check(&r).unwrap();
            reader.expect_close(&mut s).unwrap();
            completed += 1;
        }
        assert_eq!(completed, HELD + LARGE);

        stop.store(true, Ordering::Relaxed);
        let mut total = Tally::default();
        for c in callers {
            let t = c.join().unwrap();
            total.ok += t.ok;
            total.ok_after_signal += t.ok_after_signal;
            total
                .unanswered_sent_before
                .extend(t.unanswered_sent_before);
            total.unanswered_after += t.unanswered_after;
            total.refused += t.refused;
            total.broken.extend(t.broken);
        }
        eprintln!(
            "{driver}: {completed} held calls completed; callers: {} ok ({} after the signal), \
             {} unanswered after the signal, {} sent before it and unanswered, {} refused; \
             {early} new connections before the listeners closed",
            total.ok,
            total.ok_after_signal,
            total.unanswered_after,
            total.unanswered_sent_before.len(),
            total.refused
        );
        assert!(total.broken.is_empty(), "{driver}: {:?}", total.broken);
        assert!(total.ok > 0, "{driver}: the callers made no calls");
        assert!(
            total.unanswered_sent_before.is_empty(),
            "{driver}: calls sent before the signal got no response: {:?}",
            total.unanswered_sent_before
        );

        let status = server
            .wait_until(signal_at + grace)
            .unwrap_or_else(|| panic!("{driver}: still running at the end of the grace period"));
        assert!(status.success(), "{driver}: {status}");
        server.assert_clean_log();
    }
}

/// A call that never finishes does not keep the process past the grace period; idle
/// keep-alive connections are closed at once.
#[test]
fn the_grace_period_bounds_a_call_that_never_finishes() {
    for driver in drivers() {
        let grace = Duration::from_millis(1500);
        let mut server = Server::start(driver, grace);
        let mut stuck = hold(&server, Kind::SayJson, 0);
        let mut idle = server.connect();
        let kind = Kind::SayJson;
        let body = kind.body(1);
        let mut request = kind.head(body.len(), false);
        request.extend_from_slice(&body);
        idle.write_all(&request).unwrap();
        let mut idle_reader = Reader::new();
        kind.check(&idle_reader.response(&mut idle).unwrap())
            .unwrap();

        server.sigterm();
        let signal_at = Instant::now();
        // The idle connection is closed (well before the grace period ends).
        idle_reader.expect_close(&mut idle).unwrap();
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "{driver}: exited before the grace period with a call in flight"
        );
        let status = server
            .wait_until(signal_at + grace + Duration::from_secs(5))
            .unwrap_or_else(|| panic!("{driver}: still running long after the grace period"));
        assert!(status.success(), "{driver}: {status}");
        assert!(
            signal_at.elapsed() >= grace,
            "{driver}: exited after {:?}, before the grace period",
            signal_at.elapsed()
        );
        // The unfinished call's connection is gone with the process.
        let mut rest = Vec::new();
        let _ = stuck.stream.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{driver}: {rest:?}");
        server.assert_clean_log();
    }
}
