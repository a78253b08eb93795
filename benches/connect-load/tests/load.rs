//! connect-load against the Eliza server, in process: every stream kind and codec; a closed
//! loop of `-n 1000` makes exactly 1000 calls; an open loop against a slow handler reports
//! the queueing it causes.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use connect_engine::client::ClientConfig;
use connect_engine::runtime::Driver;
use connect_engine::server::{
    Request, RequestStream, Response, ResponseStream, Router, Server, ServerConfig,
};
use connect_engine::{Codec, ConnectError};
use connect_load::load::{self, Plan, Progress, Until};
use connect_load::report::Summary;
use connect_load::schema::{self, Source};
use eliza::connectrpc::eliza::v1::{
    ConverseRequest, ConverseResponse, ElizaService, ElizaServiceServer, IntroduceRequest,
    IntroduceResponse, SayRequest, SayResponse,
};

fn eliza_schema() -> Source {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    Source::Protos {
        files: vec![root.join("connectrpc/eliza/v1/eliza.proto")],
        includes: vec![root],
    }
}

/// Eliza, or a slow one whose `Say` takes 20 ms.
#[derive(Clone, Copy)]
struct Maybe(bool);

impl ElizaService for Maybe {
    async fn say<'a>(
        &self,
        request: Request<'a, SayRequest<'a>>,
    ) -> Result<Response<SayResponse<'a>>, ConnectError> {
        if self.0 {
            monoio::time::sleep(Duration::from_millis(20)).await;
        }
        eliza::Eliza.say(request).await
    }

    async fn converse(
        &self,
        requests: RequestStream<'_, ConverseRequest<'static>>,
        responses: &mut ResponseStream<'_, ConverseResponse<'static>>,
    ) -> Result<(), ConnectError> {
        eliza::Eliza.converse(requests, responses).await
    }

    async fn introduce<'a>(
        &self,
        request: Request<'a, IntroduceRequest<'a>>,
        responses: &mut ResponseStream<'_, IntroduceResponse<'static>>,
    ) -> Result<(), ConnectError> {
        eliza::Eliza.introduce(request, responses).await
    }
}

fn serve(slow: bool) -> (String, connect_engine::server::ShutdownHandle) {
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::new()
            .with_threads(1)
            .with_driver(Driver::Epoll),
    )
    .unwrap();
    let url = format!("http://{}", server.local_addr());
    let handle = server.shutdown_handle();
    std::thread::spawn(move || {
        server.serve(move || Router::new().add(ElizaServiceServer::new(Maybe(slow))))
    });
    (url, handle)
}

fn plan(url: &str, codec: Codec, until: Until) -> Plan {
    Plan {
        url: url.to_owned(),
        config: ClientConfig::new().with_codec(codec),
        timeout: None,
        threads: 1,
        concurrency: 4,
        connections: 4,
        until,
        rate: None,
        warmup: Duration::ZERO,
        driver: Driver::Epoll,
    }
}

fn run(plan: &Plan, method: &str, data: &str) -> Summary {
    let codec = plan.config.codec;
    let target: &'static schema::Target = Box::leak(Box::new(
        schema::load(&eliza_schema(), method, data, codec).unwrap(),
    ));
    let (tally, elapsed) = load::run(plan, target, &Arc::new(Progress::default())).unwrap();
    Summary::new(&tally, elapsed)
}

#[test]
fn every_stream_kind_and_codec() {
    let (url, handle) = serve(false);
    for codec in [Codec::Proto, Codec::Json] {
        let p = plan(&url, codec, Until::Calls(200));
        let s = run(
            &p,
            "connectrpc.eliza.v1.ElizaService/Say",
            r#"{"sentence":"I feel fine"}"#,
        );
        assert_eq!(
            (s.calls, s.errors, s.messages_received),
            (200, 0, 200),
            "{codec:?}"
        );
        let s = run(
            &p,
            "connectrpc.eliza.v1.ElizaService/Introduce",
            r#"{"name":"Ada"}"#,
        );
        assert_eq!(
            (s.calls, s.errors, s.messages_received),
            (200, 0, 800),
            "{codec:?}"
        );
        let s = run(
            &p,
            "connectrpc.eliza.v1.ElizaService/Converse",
            r#"[{"sentence":"a"},{"sentence":"b"},{"sentence":"c"}]"#,
        );
        assert_eq!(
            (s.calls, s.errors, s.messages_received),
            (200, 0, 600),
            "{codec:?}"
        );
        assert!(s.bytes_received > 0 && s.bytes_sent > 0);
    }
    handle.shutdown();
}

#[test]
fn closed_loop_makes_exactly_the_calls_asked_for() {
    let (url, handle) = serve(false);
    for (threads, concurrency) in [(1, 1), (1, 7), (2, 16)] {
        let mut p = plan(&url, Codec::Proto, Until::Calls(1000));
        p.threads = threads;
        p.concurrency = concurrency;
        p.connections = concurrency;
        let s = run(
            &p,
            "connectrpc.eliza.v1.ElizaService/Say",
            r#"{"sentence":"hi"}"#,
        );
        assert_eq!(
            s.calls, 1000,
            "threads {threads}, concurrency {concurrency}"
        );
        assert_eq!(s.errors, 0);
        assert_eq!(s.messages_received, 1000);
    }
    handle.shutdown();
}

#[test]
fn open_loop_latency_includes_queueing() {
    let (url, handle) = serve(true);
    // 200 calls/s due, one at a time, against a handler that takes 20 ms: the server can
    // do 50/s, so calls queue and the last ones wait about a second and a half.
    let mut p = plan(&url, Codec::Proto, Until::Calls(100));
    p.concurrency = 1;
    p.connections = 1;
    p.rate = Some(200.0);
    let open = run(
        &p,
        "connectrpc.eliza.v1.ElizaService/Say",
        r#"{"sentence":"hi"}"#,
    );
    assert_eq!(open.calls, 100);
    // A closed loop measures the service time alone.
    p.rate = None;
    let closed = run(
        &p,
        "connectrpc.eliza.v1.ElizaService/Say",
        r#"{"sentence":"hi"}"#,
    );
    assert!(closed.latency_us.p50 >= 20_000, "{:?}", closed.latency_us);
    assert!(
        open.latency_us.p50 > 10 * 20_000 && open.latency_us.max > 1_000_000,
        "open loop hid the queue: {:?}",
        open.latency_us
    );
    handle.shutdown();
}

/// Eliza's messages are what they say (the library's `Cow` fields are used, not copied).
#[test]
fn schema_round_trip_matches_generated_code() {
    let t = schema::load(
        &eliza_schema(),
        "connectrpc.eliza.v1.ElizaService/Say",
        r#"{"sentence":"héllo"}"#,
        Codec::Proto,
    )
    .unwrap();
    let ours = connect_engine::Message::encode_to_vec(&SayRequest {
        sentence: Cow::Borrowed("héllo"),
        ..Default::default()
    });
    assert_eq!(t.requests[0], ours);
}
