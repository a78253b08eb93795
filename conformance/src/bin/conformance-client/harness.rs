//! Client under test for the Connect conformance runner (`connectconformance --mode client`).
//!
//! Protocol: the runner writes `ClientCompatRequest`s on stdin (each a 4-byte big-endian
//! length, then the binary message) without waiting for answers, and reads one
//! `ClientCompatResponse` per request (same framing, same `test_name`, any order) from
//! stdout. Cases run concurrently on one monoio thread; stdin is copied by a helper thread
//! into a socket pair the runtime reads. When stdin closes, in-flight cases finish, then the
//! process exits. Logs go to stderr.
//!
//! `CONNECT_DRIVER` picks the monoio driver (`io_uring`, `epoll`, `auto`), `RUST_LOG` the
//! log filter (default `warn`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use connect_conformance::connect_service::json_options;
use connect_conformance::connectrpc::conformance::v1::client_compat_request::cancel::CancelTiming;
use connect_conformance::connectrpc::conformance::v1::client_compat_response::ResultOneof;
use connect_conformance::connectrpc::conformance::v1::{
    self as pb, BidiStreamRequest, BidiStreamResponse, ClientCompatRequest, ClientCompatResponse,
    ClientErrorResult, ClientResponseResult, ClientStreamRequest, ClientStreamResponse,
    ConformancePayload, IdempotentUnaryRequest, IdempotentUnaryResponse, ServerStreamRequest,
    ServerStreamResponse, UnaryRequest, UnaryResponse, UnimplementedRequest, UnimplementedResponse,
    conformance_service,
};
use connect_engine::Compression;
use connect_engine::blocking::{BlockingClient, BlockingStream};
use connect_engine::client::{CallOptions, CancelToken, Client, ClientConfig, UnaryOutput};
use connect_engine::runtime::Driver;
use connect_engine::wire::service::MethodDescriptor;
use connect_engine::wkt::Any;
use connect_engine::{Codec, ConnectError, Message, OwnedMessage};
use http::{HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connect conformance client (speaks the runner's client protocol on stdin/stdout).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The monoio driver.
    #[arg(long, env = "CONNECT_DRIVER", default_value = "auto", value_parser = ["auto", "io_uring", "epoll"])]
    driver: String,
    /// Run every case on the blocking client (one thread per case) instead of the async one.
    #[arg(long)]
    blocking: bool,
}

pub(crate) fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    let args = Args::parse();
    let driver = match args.driver.as_str() {
        "io_uring" => Driver::IoUring,
        "epoll" => Driver::Epoll,
        _ => Driver::Auto,
    };
    let result = if args.blocking {
        run_blocking()
    } else {
        run(driver)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(driver: Driver) -> Result<(), BoxError> {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    std::thread::spawn(move || {
        let mut theirs = theirs;
        let _ = io::copy(&mut io::stdin().lock(), &mut theirs);
        let _ = theirs.shutdown(std::net::Shutdown::Write);
    });
    connect_engine::runtime::block_on(driver, async move {
        let mut input = monoio::net::UnixStream::from_std(ours)?;
        let in_flight = Rc::new(Cell::new(0usize));
        let clients = Rc::new(Clients::default());
        while let Some(frame) = read_frame(&mut input).await? {
            let in_flight = in_flight.clone();
            let clients = clients.clone();
            in_flight.set(in_flight.get() + 1);
            monoio::spawn(async move {
                let response = handle(&frame, &clients).await;
                let mut out = Vec::with_capacity(256);
                response.encode(&mut out);
                write_frame(&out);
                in_flight.set(in_flight.get() - 1);
            });
        }
        while in_flight.get() > 0 {
            monoio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok::<(), BoxError>(())
    })?
}

async fn read_frame(input: &mut monoio::net::UnixStream) -> io::Result<Option<Vec<u8>>> {
    use monoio::io::AsyncReadRentExt;
    let (res, len) = input.read_exact(vec![0u8; 4]).await;
    match res {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if n > 64 << 20 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "request frame over 64 MiB",
        ));
    }
    let (res, body) = input.read_exact(vec![0u8; n]).await;
    res?;
    Ok(Some(body))
}

/// Writes one response frame to stdout (whole frames only: never interleaved).
fn write_frame(body: &[u8]) {
    let mut out = io::stdout().lock();
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes();
    let ok = out
        .write_all(&len)
        .and_then(|()| out.write_all(body))
        .and_then(|()| out.flush());
    if let Err(e) = ok {
        eprintln!("conformance client: writing a response: {e}");
    }
}

async fn handle(frame: &[u8], clients: &Clients) -> ClientCompatResponse<'static> {
    match ClientCompatRequest::decode(frame) {
        Ok(request) => answer(&request, run_case(&request, clients).await),
        Err(e) => bad_request(e),
    }
}

/// The answer to a request the runner sent that does not decode.
fn bad_request(e: connect_engine::DecodeError) -> ClientCompatResponse<'static> {
    ClientCompatResponse {
        result: Some(ResultOneof::Error(ClientErrorResult {
            message: format!("bad ClientCompatRequest: {e}").into(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// The answer to a case: the call's result, or the reason it could not be made.
fn answer(
    request: &ClientCompatRequest<'_>,
    result: Result<ClientResponseResult<'static>, BoxError>,
) -> ClientCompatResponse<'static> {
    let result = match result {
        Ok(r) => ResultOneof::Response(r),
        Err(e) => ResultOneof::Error(ClientErrorResult {
            message: e.to_string().into(),
            ..Default::default()
        }),
    };
    ClientCompatResponse {
        test_name: request.test_name.clone().into_owned().into(),
        result: Some(result),
        ..Default::default()
    }
}

/// Clients by what distinguishes them, so cases share pooled connections.
#[derive(Default)]
struct Clients {
    by_key: RefCell<HashMap<ClientKey, Client>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    url: String,
    codec: Codec,
    compression: Compression,
    get: bool,
    limit: u32,
    cert: Vec<u8>,
    client_cert: Vec<u8>,
}

impl Clients {
    fn get(&self, req: &ClientCompatRequest<'_>) -> Result<Client, BoxError> {
        let (key, config) = client_config(req)?;
        if let Some(c) = self.by_key.borrow().get(&key) {
            return Ok(c.clone());
        }
        let client = Client::new(&key.url, config)?;
        self.by_key.borrow_mut().insert(key, client.clone());
        Ok(client)
    }
}

/// Blocking clients by what distinguishes them (shared by the case threads).
#[derive(Default)]
struct BlockingClients {
    by_key: std::sync::Mutex<HashMap<ClientKey, BlockingClient>>,
}

impl BlockingClients {
    fn get(&self, req: &ClientCompatRequest<'_>) -> Result<BlockingClient, BoxError> {
        let (key, config) = client_config(req)?;
        let mut map = self.by_key.lock().map_err(|_| "client cache poisoned")?;
        if let Some(c) = map.get(&key) {
            return Ok(c.clone());
        }
        let client = BlockingClient::new(&key.url, config)?;
        map.insert(key, client.clone());
        Ok(client)
    }
}

/// What a case asks of its client, and the configuration that gives it.
fn client_config(req: &ClientCompatRequest<'_>) -> Result<(ClientKey, ClientConfig), BoxError> {
    let codec = match req.codec {
        pb::Codec::CODEC_JSON => Codec::Json,
        pb::Codec::CODEC_PROTO | pb::Codec::CODEC_UNSPECIFIED => Codec::Proto,
        other => return Err(format!("unsupported codec {other:?}").into()),
    };
    let compression = match req.compression {
        pb::Compression::COMPRESSION_UNSPECIFIED | pb::Compression::COMPRESSION_IDENTITY => {
            Compression::Identity
        }
        pb::Compression::COMPRESSION_GZIP => Compression::Gzip,
        pb::Compression::COMPRESSION_BR => Compression::Br,
        pb::Compression::COMPRESSION_ZSTD => Compression::Zstd,
        other => return Err(format!("unsupported compression {other:?}").into()),
    };
    let tls = !req.server_tls_cert.is_empty();
    let host = if req.host.contains(':') {
        format!("[{}]", req.host)
    } else {
        req.host.to_string()
    };
    let url = format!(
        "{}://{host}:{}",
        if tls { "https" } else { "http" },
        req.port
    );
    let client_cert = req
        .client_tls_creds
        .as_ref()
        .map(|c| [&c.cert[..], &c.key[..]].concat())
        .unwrap_or_default();
    let key = ClientKey {
        url,
        codec,
        compression,
        get: req.use_get_http_method,
        limit: req.message_receive_limit,
        cert: req.server_tls_cert.to_vec(),
        client_cert,
    };
    let mut config = ClientConfig::new()
        .with_codec(codec)
        .with_send_compression(compression)
        .with_get(req.use_get_http_method)
        .with_json(json_options());
    if req.message_receive_limit > 0 {
        config = config.with_max_message_size(req.message_receive_limit as usize);
    }
    if tls {
        config = config.with_tls(tls_config(req)?);
    }
    Ok((key, config))
}

fn tls_config(req: &ClientCompatRequest<'_>) -> Result<rustls::ClientConfig, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&req.server_tls_cert) {
        roots.add(cert?)?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots);
    Ok(match &req.client_tls_creds {
        Some(creds) => {
            let certs =
                CertificateDer::pem_slice_iter(&creds.cert).collect::<Result<Vec<_>, _>>()?;
            let key = PrivateKeyDer::from_pem_slice(&creds.key)?;
            builder.with_client_auth_cert(certs, key)?
        }
        None => builder.with_no_client_auth(),
    })
}

/// What every case needs before its call, whichever client runs it.
struct Prepared<'r> {
    options: CallOptions,
    cancel: CancelToken,
    plan: CancelPlan,
    method: &'r str,
}

/// Checks the case's target and builds its call options (headers, timeout, cancellation).
fn prepare<'r>(req: &'r ClientCompatRequest<'_>) -> Result<Prepared<'r>, BoxError> {
    if req.raw_request.is_some() {
        return Err("raw_request is only for the reference client".into());
    }
    let service = req
        .service
        .as_deref()
        .unwrap_or("connectrpc.conformance.v1.ConformanceService");
    if service != conformance_service::SERVICE.name {
        return Err(format!("unknown service {service}").into());
    }
    let cancel = CancelToken::new();
    let mut options = CallOptions::new().with_cancel(cancel.clone());
    options.headers = headers_of(req)?;
    options.timeout = req
        .timeout_ms
        .map(|ms| Duration::from_millis(u64::from(ms)));
    Ok(Prepared {
        options,
        cancel,
        plan: cancel_plan(req),
        method: req.method.as_deref().unwrap_or_default(),
    })
}

/// How and when a case cancels its call.
enum CancelPlan {
    None,
    /// Cancel before the request is complete (client and bidi streams).
    BeforeCloseSend,
    /// Cancel this long after the request went out (for unary and server streams: after
    /// the call was invoked).
    AfterMs(u32),
    /// Cancel after receiving this many responses.
    AfterResponses(u32),
}

fn cancel_plan(req: &ClientCompatRequest<'_>) -> CancelPlan {
    let Some(cancel) = &req.cancel else {
        return CancelPlan::None;
    };
    match &cancel.cancel_timing {
        Some(CancelTiming::BeforeCloseSend(_)) => CancelPlan::BeforeCloseSend,
        Some(CancelTiming::AfterCloseSendMs(ms)) => CancelPlan::AfterMs(*ms),
        Some(CancelTiming::AfterNumResponses(n)) => CancelPlan::AfterResponses(*n),
        None => CancelPlan::AfterMs(0),
    }
}

fn headers_of(req: &ClientCompatRequest<'_>) -> Result<HeaderMap, BoxError> {
    let mut map = HeaderMap::new();
    for h in &req.request_headers {
        let name = HeaderName::from_bytes(h.name.as_bytes())?;
        for v in &h.value {
            map.append(name.clone(), HeaderValue::from_str(v)?);
        }
    }
    Ok(map)
}

fn decode_requests<'a, M: Message<'a>>(anys: &'a [Any<'a>]) -> Result<Vec<M>, BoxError> {
    anys.iter()
        .map(|a| {
            let want = M::FULL_NAME;
            if !a.type_url.ends_with(&format!("/{want}")) {
                return Err(format!("request message is {}, expected {want}", a.type_url).into());
            }
            M::decode(&a.value).map_err(|e| format!("bad {want}: {e}").into())
        })
        .collect()
}

/// Response messages that carry a conformance payload.
trait HasPayload {
    fn payload(self) -> Option<ConformancePayload<'static>>;
}

macro_rules! has_payload {
    ($($t:ident),*) => {$(
        impl HasPayload for $t<'static> {
            fn payload(self) -> Option<ConformancePayload<'static>> {
                self.payload
            }
        }
    )*};
}
has_payload!(
    UnaryResponse,
    IdempotentUnaryResponse,
    ServerStreamResponse,
    ClientStreamResponse,
    BidiStreamResponse
);

impl HasPayload for UnimplementedResponse<'static> {
    fn payload(self) -> Option<ConformancePayload<'static>> {
        None
    }
}

async fn run_case(
    req: &ClientCompatRequest<'_>,
    clients: &Clients,
) -> Result<ClientResponseResult<'static>, BoxError> {
    let Prepared {
        options,
        cancel,
        plan,
        method,
    } = prepare(req)?;
    let client = clients.get(req)?;
    let anys = &req.request_messages;
    match method {
        "Unary" => {
            unary::<UnaryRequest<'_>, UnaryResponse<'static>>(
                &client,
                &conformance_service::UNARY,
                anys,
                options,
                &cancel,
                &plan,
            )
            .await
        }
        "IdempotentUnary" => {
            unary::<IdempotentUnaryRequest<'_>, IdempotentUnaryResponse<'static>>(
                &client,
                &conformance_service::IDEMPOTENT_UNARY,
                anys,
                options,
                &cancel,
                &plan,
            )
            .await
        }
        "Unimplemented" => {
            unary::<UnimplementedRequest<'_>, UnimplementedResponse<'static>>(
                &client,
                &conformance_service::UNIMPLEMENTED,
                anys,
                options,
                &cancel,
                &plan,
            )
            .await
        }
        "ClientStream" => {
            let requests: Vec<ClientStreamRequest<'_>> = decode_requests(anys)?;
            arm_timer(&cancel, &plan);
            if matches!(plan, CancelPlan::BeforeCloseSend) {
                cancel.cancel();
            }
            let out = client
                .client_stream::<ClientStreamRequest<'_>, ClientStreamResponse<'static>, _>(
                    &conformance_service::CLIENT_STREAM,
                    &requests,
                    options,
                )
                .await;
            Ok(unary_result(out))
        }
        "ServerStream" | "BidiStream" => {
            let stream = if method == "ServerStream" {
                let requests: Vec<ServerStreamRequest<'_>> = decode_requests(anys)?;
                if requests.len() != 1 {
                    return Err("server-stream calls take exactly one request message".into());
                }
                arm_timer(&cancel, &plan);
                let s = client
                    .server_stream::<ServerStreamRequest<'_>, ServerStreamResponse<'static>>(
                        &conformance_service::SERVER_STREAM,
                        &requests[0],
                        options,
                    )
                    .await;
                collect(s, &plan, HasPayload::payload).await
            } else {
                let requests: Vec<BidiStreamRequest<'_>> = decode_requests(anys)?;
                if matches!(plan, CancelPlan::BeforeCloseSend) {
                    cancel.cancel();
                }
                arm_timer(&cancel, &plan);
                let s = client
                    .bidi_stream::<BidiStreamRequest<'_>, BidiStreamResponse<'static>, _>(
                        &conformance_service::BIDI_STREAM,
                        &requests,
                        options,
                    )
                    .await;
                collect(s, &plan, HasPayload::payload).await
            };
            Ok(stream)
        }
        other => Err(format!("unknown method {other:?}").into()),
    }
}

/// Starts the after-close-send timer (the request goes out right after the call starts).
fn arm_timer(cancel: &CancelToken, plan: &CancelPlan) {
    if let CancelPlan::AfterMs(ms) = *plan {
        let cancel = cancel.clone();
        monoio::spawn(async move {
            monoio::time::sleep(Duration::from_millis(u64::from(ms))).await;
            cancel.cancel();
        });
    }
}

async fn unary<'a, Req, Resp>(
    client: &Client,
    method: &'static MethodDescriptor,
    anys: &'a [Any<'a>],
    options: CallOptions,
    cancel: &CancelToken,
    plan: &CancelPlan,
) -> Result<ClientResponseResult<'static>, BoxError>
where
    Req: Message<'a>,
    Resp: OwnedMessage + HasPayload,
{
    let requests: Vec<Req> = decode_requests(anys)?;
    let [request] = &requests[..] else {
        return Err("unary calls take exactly one request message".into());
    };
    arm_timer(cancel, plan);
    let out = client.unary::<Req, Resp>(method, request, options).await;
    Ok(unary_result(out))
}

fn unary_result<M: HasPayload>(out: UnaryOutput<M>) -> ClientResponseResult<'static> {
    let (payloads, error) = match out.result {
        // An empty response message has no payload: report an empty one, as the
        // reference client does.
        Ok(m) => (vec![m.payload().unwrap_or_default()], None),
        Err(e) => (Vec::new(), Some(error_of(&e))),
    };
    ClientResponseResult {
        response_headers: headers_pb(&out.headers),
        payloads,
        error,
        response_trailers: headers_pb(&out.trailers),
        ..Default::default()
    }
}

async fn collect<M: OwnedMessage>(
    mut stream: connect_engine::client::StreamOutput<M>,
    plan: &CancelPlan,
    payload: impl Fn(M) -> Option<ConformancePayload<'static>>,
) -> ClientResponseResult<'static> {
    let mut payloads = Vec::new();
    let mut error = None;
    let mut received = 0u32;
    while let Some(r) = stream.next().await {
        match r {
            Ok(m) => {
                received += 1;
                payloads.push(payload(m).unwrap_or_default());
                if matches!(plan, CancelPlan::AfterResponses(n) if *n == received) {
                    stream.cancel();
                }
            }
            Err(e) => {
                error = Some(error_of(&e));
                break;
            }
        }
    }
    ClientResponseResult {
        response_headers: headers_pb(stream.headers()),
        payloads,
        error,
        response_trailers: headers_pb(stream.trailers()),
        ..Default::default()
    }
}

fn error_of(e: &ConnectError) -> pb::Error<'static> {
    pb::Error {
        code: pb::Code(i32::from(e.code().number())),
        message: (!e.message().is_empty()).then(|| e.message().to_owned().into()),
        details: e
            .details()
            .iter()
            .map(|d| Any {
                type_url: format!("type.googleapis.com/{}", d.type_name).into(),
                value: d.value.clone().into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn headers_pb(map: &HeaderMap) -> Vec<pb::Header<'static>> {
    let mut out: Vec<pb::Header<'static>> = Vec::new();
    for (name, value) in map {
        let value = String::from_utf8_lossy(value.as_bytes())
            .into_owned()
            .into();
        match out.iter_mut().find(|h| h.name == name.as_str()) {
            Some(h) => h.value.push(value),
            None => out.push(pb::Header {
                name: name.as_str().to_owned().into(),
                value: vec![value],
                ..Default::default()
            }),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The blocking client: one thread per case.

fn run_blocking() -> Result<(), BoxError> {
    let clients = Arc::new(BlockingClients::default());
    let mut input = io::stdin().lock();
    let mut threads = Vec::new();
    loop {
        let mut len = [0u8; 4];
        match input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.into()),
        }
        let n = u32::from_be_bytes(len) as usize;
        if n > 64 << 20 {
            return Err("request frame over 64 MiB".into());
        }
        let mut frame = vec![0u8; n];
        input.read_exact(&mut frame)?;
        let clients = clients.clone();
        threads.push(std::thread::spawn(move || {
            let response = handle_blocking(&frame, &clients);
            let mut out = Vec::with_capacity(256);
            response.encode(&mut out);
            write_frame(&out);
        }));
        threads.retain(|t| !t.is_finished());
    }
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

fn handle_blocking(frame: &[u8], clients: &BlockingClients) -> ClientCompatResponse<'static> {
    match ClientCompatRequest::decode(frame) {
        Ok(request) => answer(&request, run_case_blocking(&request, clients)),
        Err(e) => bad_request(e),
    }
}

/// Cancels `token` after `ms` milliseconds, from a timer thread.
fn arm_timer_thread(cancel: &CancelToken, plan: &CancelPlan) {
    if let CancelPlan::AfterMs(ms) = *plan {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(u64::from(ms)));
            cancel.cancel();
        });
    }
}

fn run_case_blocking(
    req: &ClientCompatRequest<'_>,
    clients: &BlockingClients,
) -> Result<ClientResponseResult<'static>, BoxError> {
    let Prepared {
        options,
        cancel,
        plan,
        method,
    } = prepare(req)?;
    let client = clients.get(req)?;
    let anys = &req.request_messages;
    match method {
        "Unary" => unary_blocking::<UnaryRequest<'_>, UnaryResponse<'static>>(
            &client,
            &conformance_service::UNARY,
            anys,
            options,
            &cancel,
            &plan,
        ),
        "IdempotentUnary" => {
            unary_blocking::<IdempotentUnaryRequest<'_>, IdempotentUnaryResponse<'static>>(
                &client,
                &conformance_service::IDEMPOTENT_UNARY,
                anys,
                options,
                &cancel,
                &plan,
            )
        }
        "Unimplemented" => {
            unary_blocking::<UnimplementedRequest<'_>, UnimplementedResponse<'static>>(
                &client,
                &conformance_service::UNIMPLEMENTED,
                anys,
                options,
                &cancel,
                &plan,
            )
        }
        "ClientStream" => {
            let requests: Vec<ClientStreamRequest<'_>> = decode_requests(anys)?;
            arm_timer_thread(&cancel, &plan);
            if matches!(plan, CancelPlan::BeforeCloseSend) {
                cancel.cancel();
            }
            let out = client
                .client_stream::<ClientStreamRequest<'_>, ClientStreamResponse<'static>, _>(
                    &conformance_service::CLIENT_STREAM,
                    &requests,
                    options,
                );
            Ok(unary_result(out))
        }
        "ServerStream" => {
            let requests: Vec<ServerStreamRequest<'_>> = decode_requests(anys)?;
            let [request] = &requests[..] else {
                return Err("server-stream calls take exactly one request message".into());
            };
            arm_timer_thread(&cancel, &plan);
            let s = client.server_stream::<ServerStreamRequest<'_>, ServerStreamResponse<'static>>(
                &conformance_service::SERVER_STREAM,
                request,
                options,
            );
            Ok(collect_blocking(s, &plan, HasPayload::payload))
        }
        "BidiStream" => {
            let requests: Vec<BidiStreamRequest<'_>> = decode_requests(anys)?;
            if matches!(plan, CancelPlan::BeforeCloseSend) {
                cancel.cancel();
            }
            arm_timer_thread(&cancel, &plan);
            let s = client.bidi_stream::<BidiStreamRequest<'_>, BidiStreamResponse<'static>, _>(
                &conformance_service::BIDI_STREAM,
                &requests,
                options,
            );
            Ok(collect_blocking(s, &plan, HasPayload::payload))
        }
        other => Err(format!("unknown method {other:?}").into()),
    }
}

fn unary_blocking<'a, Req, Resp>(
    client: &BlockingClient,
    method: &'static MethodDescriptor,
    anys: &'a [Any<'a>],
    options: CallOptions,
    cancel: &CancelToken,
    plan: &CancelPlan,
) -> Result<ClientResponseResult<'static>, BoxError>
where
    Req: Message<'a>,
    Resp: OwnedMessage + HasPayload,
{
    let requests: Vec<Req> = decode_requests(anys)?;
    let [request] = &requests[..] else {
        return Err("unary calls take exactly one request message".into());
    };
    arm_timer_thread(cancel, plan);
    Ok(unary_result(
        client.unary::<Req, Resp>(method, request, options),
    ))
}

fn collect_blocking<M: OwnedMessage>(
    mut stream: BlockingStream<M>,
    plan: &CancelPlan,
    payload: impl Fn(M) -> Option<ConformancePayload<'static>>,
) -> ClientResponseResult<'static> {
    let mut payloads = Vec::new();
    let mut error = None;
    let mut received = 0u32;
    while let Some(r) = stream.next() {
        match r {
            Ok(m) => {
                received += 1;
                payloads.push(payload(m).unwrap_or_default());
                if matches!(plan, CancelPlan::AfterResponses(n) if *n == received) {
                    stream.cancel();
                }
            }
            Err(e) => {
                error = Some(error_of(&e));
                break;
            }
        }
    }
    ClientResponseResult {
        response_headers: headers_pb(stream.headers()),
        payloads,
        error,
        response_trailers: headers_pb(stream.trailers()),
        ..Default::default()
    }
}
