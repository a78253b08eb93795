//! Test support: a hand-written message and service (no code generator needed) and a
//! server running on a background thread.

#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use connect_engine::codegen::server::{Call, Service, run_handler, with_deadline};
use connect_engine::codegen::{
    ConnectError, DecodeError, Decoder, Encoder, JsonDecoder, JsonError, JsonValue, JsonWriter,
    Message, MessageType, ServiceDescriptor, SizeCache, UnknownFields, json, read,
};
use connect_engine::runtime::Driver;
use connect_engine::server::{Request, Response, Router, Server, ServerConfig, ShutdownHandle};
use connect_engine::wire::service::{Idempotency, MethodDescriptor, StreamKind};

/// `message Text { string text = 1; }`, written by hand.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text<'a> {
    pub text: Cow<'a, str>,
    pub unknown_fields: UnknownFields<'a>,
}

impl<'a> Message<'a> for Text<'a> {
    const FULL_NAME: &'static str = "test.Text";
    type Owned = Text<'static>;

    fn into_owned(self) -> Text<'static> {
        Text {
            text: Cow::Owned(self.text.into_owned()),
            unknown_fields: self.unknown_fields.into_owned(),
        }
    }

    fn merge_field(&mut self, tag: u32, d: &mut Decoder<'a>) -> Result<(), DecodeError> {
        match tag {
            10 => self.text = d.string()?,
            _ => d.unknown(tag, &mut self.unknown_fields)?,
        }
        Ok(())
    }

    fn compute_size(&self, _sizes: &mut SizeCache) -> usize {
        let mut len = 0;
        if !self.text.is_empty() {
            len += 1 + connect_engine::wire::proto::len_delimited_len(self.text.len());
        }
        len + self.unknown_fields.as_bytes().len()
    }

    fn write_to(&self, e: &mut Encoder<'_>) {
        // Lets tests make an encoder panic half-way through a message.
        assert!(self.text != PANIC_IN_ENCODE, "encoder told to panic");
        if !self.text.is_empty() {
            e.tag(10);
            e.string(&self.text);
        }
        e.raw(self.unknown_fields.as_bytes());
    }

    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        w.begin_object();
        if !self.text.is_empty() {
            w.key("text");
            w.string(&self.text);
        }
        w.end_object();
        Ok(())
    }

    fn merge_json<'t>(
        &mut self,
        v: JsonValue<'t, 'a>,
        d: &mut JsonDecoder<'_>,
    ) -> Result<(), JsonError> {
        use json::Locate as _;
        let (object, _) = d.object(v, Self::FULL_NAME)?;
        for (key, value) in &object {
            match key {
                "text" => self.text = read::string(value).at(Self::FULL_NAME, "text")?,
                _ => d.unknown_field(Self::FULL_NAME, key)?,
            }
        }
        Ok(())
    }
}

impl MessageType for Text<'static> {
    type Msg<'b> = Text<'b>;
}

const fn method(
    name: &'static str,
    path: &'static str,
    kind: StreamKind,
    idempotency: Idempotency,
) -> MethodDescriptor {
    MethodDescriptor {
        name,
        path,
        input_type: "test.Text",
        output_type: "test.Text",
        kind,
        idempotency,
    }
}

pub const ECHO: MethodDescriptor = method(
    "Echo",
    "/test.Test/Echo",
    StreamKind::Unary,
    Idempotency::NoSideEffects,
);
pub const SLEEP: MethodDescriptor = method(
    "Sleep",
    "/test.Test/Sleep",
    StreamKind::Unary,
    Idempotency::Unknown,
);
pub const REPEAT: MethodDescriptor = method(
    "Repeat",
    "/test.Test/Repeat",
    StreamKind::ServerStream,
    Idempotency::Unknown,
);
pub const CONCAT: MethodDescriptor = method(
    "Concat",
    "/test.Test/Concat",
    StreamKind::ClientStream,
    Idempotency::Unknown,
);
pub const CHAT: MethodDescriptor = method(
    "Chat",
    "/test.Test/Chat",
    StreamKind::BidiStream,
    Idempotency::Unknown,
);
pub const FAIL: MethodDescriptor = method(
    "Fail",
    "/test.Test/Fail",
    StreamKind::Unary,
    Idempotency::Unknown,
);

pub const PANIC: MethodDescriptor = method(
    "Panic",
    "/test.Test/Panic",
    StreamKind::Unary,
    Idempotency::Unknown,
);
pub const PANIC_STREAM: MethodDescriptor = method(
    "PanicStream",
    "/test.Test/PanicStream",
    StreamKind::ServerStream,
    Idempotency::Unknown,
);

pub const BLOCK: MethodDescriptor = method(
    "Block",
    "/test.Test/Block",
    StreamKind::Unary,
    Idempotency::Unknown,
);

/// A `Text` whose encoding panics (see `write_to`).
pub const PANIC_IN_ENCODE: &str = "panic in encode";

pub const SERVICE: ServiceDescriptor = ServiceDescriptor {
    name: "test.Test",
    methods: &[
        ECHO,
        SLEEP,
        REPEAT,
        CONCAT,
        CHAT,
        FAIL,
        PANIC,
        PANIC_STREAM,
        BLOCK,
    ],
};

/// Echo returns its request (borrowing it: no copy); Sleep waits for the number of
/// milliseconds in `text`; Repeat sends `text` three times; Concat joins all requests; Chat
/// answers each request; Fail returns `not_found` with metadata; Panic panics (slicing a
/// string in the middle of a char, as a buggy handler would); PanicStream sends its request
/// once, then sends `text` again (an encoder panic if it is [`PANIC_IN_ENCODE`]) and panics;
/// Block holds its thread for the number of milliseconds in `text` (as CPU-bound work would:
/// nothing else runs on that thread meanwhile).
pub struct TestService;

impl Service for TestService {
    fn descriptor(&self) -> &'static ServiceDescriptor {
        &SERVICE
    }

    async fn call(&self, method: usize, call: Call<'_>) {
        match method {
            0 => {
                let Some((req, reply)) = call.unary::<Text<'_>>().await else {
                    return;
                };
                let result =
                    with_deadline(reply.deadline(), async { Ok(Response::new(req.message)) }).await;
                reply.send(result);
            }
            1 => {
                let Some((req, reply)) = call.unary::<Text<'_>>().await else {
                    return;
                };
                let ms: u64 = req.message.text.parse().unwrap_or(0);
                let result = with_deadline(reply.deadline(), async {
                    monoio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(Response::new(Text::default()))
                })
                .await;
                reply.send(result);
            }
            2 => {
                let Some((req, mut out)) = call.server_stream::<Text<'_>, Text<'static>>().await
                else {
                    return;
                };
                let result = async {
                    for _ in 0..3 {
                        out.send(&req.message).await?;
                    }
                    Ok(())
                }
                .await;
                out.finish(result).await;
            }
            3 => {
                let (mut reqs, reply) = call.client_stream::<Text<'static>>();
                let mut all = String::new();
                // As generated code does: the handler runs under the call's deadline.
                let result = with_deadline(reply.deadline(), async {
                    while let Some(m) = reqs.next().await {
                        all.push_str(&m?.text);
                    }
                    Ok(Response::new(Text {
                        text: Cow::Owned(all),
                        ..Default::default()
                    }))
                })
                .await;
                reply.send(result).await;
            }
            4 => {
                let (mut reqs, mut out) = call.bidi_stream::<Text<'static>, Text<'static>>();
                let result = async {
                    while let Some(m) = reqs.next().await {
                        let m = m?;
                        out.feed(&Text {
                            text: Cow::Owned(format!("re: {}", m.text)),
                            ..Default::default()
                        })
                        .await?;
                    }
                    Ok(())
                }
                .await;
                out.finish(result).await;
            }
            6 => {
                let Some((req, reply)) = call.unary::<Text<'_>>().await else {
                    return;
                };
                let result = run_handler(&PANIC, reply.deadline(), async {
                    let text = &req.message.text;
                    // Byte 1 of a multi-byte first char is not a char boundary.
                    let cut = &text[1..];
                    Ok(Response::new(Text {
                        text: Cow::Borrowed(cut),
                        ..Default::default()
                    }))
                })
                .await;
                reply.send(result);
            }
            7 => {
                let Some((req, mut out)) = call.server_stream::<Text<'_>, Text<'static>>().await
                else {
                    return;
                };
                let result = run_handler(&PANIC_STREAM, out.deadline(), async {
                    out.send(&Text::default()).await?;
                    out.send(&req.message).await?;
                    panic!("handler gave up");
                })
                .await;
                out.finish(result).await;
            }
            8 => {
                let Some((req, reply)) = call.unary::<Text<'_>>().await else {
                    return;
                };
                let ms: u64 = req.message.text.parse().unwrap_or(0);
                std::thread::sleep(Duration::from_millis(ms));
                reply.send(Ok(Response::new(Text::default())));
            }
            _ => {
                let Some((_req, reply)) = call.unary::<Text<'_>>().await else {
                    return;
                };
                let mut err = ConnectError::new(connect_engine::Code::NotFound, "no such thing");
                err.metadata_mut()
                    .insert("x-why", http::HeaderValue::from_static("test"));
                reply.send::<Text<'_>>(Err(err));
            }
        }
    }
}

/// Unused import guard for `Request`.
pub type Req<'c> = Request<'c, Text<'c>>;

/// A server on a background thread, stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    handle: ShutdownHandle,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn start(config: ServerConfig) -> TestServer {
        Self::with_router(config, || Router::new().add(TestService))
    }

    /// A server whose (one) thread serves the router `make` builds.
    #[allow(dead_code)]
    pub fn with_router<L, F>(config: ServerConfig, make: F) -> TestServer
    where
        L: connect_engine::server::Services,
        F: Fn() -> Router<L> + Send + Sync + 'static,
    {
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), config.with_threads(1)).unwrap();
        let addr = server.local_addr();
        let handle = server.shutdown_handle();
        let thread = std::thread::spawn(move || server.serve(make));
        TestServer {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    pub fn with_driver(driver: Driver) -> TestServer {
        Self::start(ServerConfig::new().with_driver(driver))
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// Sends raw bytes on a new connection and reads until the server closes it.
    pub fn roundtrip_close(&self, request: &[u8]) -> Vec<u8> {
        let mut s = self.connect();
        s.write_all(request).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    }

    /// Requests shutdown without waiting for it.
    pub fn request_shutdown(&self) {
        self.handle.shutdown();
    }

    pub fn shutdown(mut self) -> std::io::Result<()> {
        self.handle.shutdown();
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one HTTP/1.1 response (content-length or chunked body) from a stream.
pub fn read_response(s: &mut TcpStream) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = loop {
            match s.read(&mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                r => break r.unwrap(),
            }
        };
        assert!(
            n == 1,
            "connection closed inside a response head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let text = String::from_utf8(buf).unwrap();
    let mut lines = text.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if let Some(cl) = get("content-length") {
        body.resize(cl.parse().unwrap(), 0);
        s.read_exact(&mut body).unwrap();
    } else if get("transfer-encoding").as_deref() == Some("chunked") {
        loop {
            let mut line = Vec::new();
            while !line.ends_with(b"\r\n") {
                s.read_exact(&mut byte).unwrap();
                line.push(byte[0]);
            }
            let size =
                usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).unwrap(), 16)
                    .unwrap();
            let mut chunk = vec![0; size + 2];
            s.read_exact(&mut chunk).unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    (status, headers, body)
}

/// A unary proto POST for `path` with `body`.
pub fn post(path: &str, content_type: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nhost: test\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// The binary encoding of `Text { text }`.
pub fn text(t: &str) -> Vec<u8> {
    Text {
        text: Cow::Borrowed(t),
        ..Default::default()
    }
    .encode_to_vec()
}

/// An envelope.
pub fn envelope(flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut e = vec![flags];
    e.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    e.extend_from_slice(payload);
    e
}

/// Splits a stream body into envelopes: (flags, payload).
pub fn envelopes(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while body.len() >= 5 {
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        out.push((body[0], body[5..5 + len].to_vec()));
        body = &body[5 + len..];
    }
    assert!(body.is_empty(), "trailing bytes in stream body");
    out
}
