//! `connectrpc.conformance.v1.ConformanceService` for the Connect conformance runner in
//! server mode, following the reference server (`internal/app/referenceserver/impl.go` of
//! `connectrpc.com/conformance` v1.0.5).
//!
//! Every call echoes what the server saw ([`RequestInfo`]: request headers, the timeout, the
//! requests as `google.protobuf.Any`, GET query parameters) and answers as the request's
//! response definition says: headers, trailers, data, delays, or an error. Errors of unary
//! and client-stream calls (and of streams that sent no message) carry the request info as
//! an extra detail.
//!
//! `raw_response` is ignored: only client-mode test cases use it.

use std::borrow::Cow;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use connect_engine::Code;
use connect_engine::ErrorDetail;
use connect_engine::server::{CallInfo, Request, RequestStream, Response, ResponseStream};
use connect_engine::wire::get;
use connect_engine::wire::protocol::Protocol;
use connect_engine::wkt::Any;
use connect_engine::{ConnectError, JsonOptions, Message, TypeRegistry};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::connectrpc::conformance::v1::conformance_payload::{ConnectGetInfo, RequestInfo};
use crate::connectrpc::conformance::v1::unary_response_definition::Response as UnaryOutcome;
use crate::connectrpc::conformance::v1::{
    self as pb, BidiStreamRequest, BidiStreamResponse, ClientStreamRequest, ClientStreamResponse,
    ConformancePayload, ConformanceService, Header, IdempotentUnaryRequest,
    IdempotentUnaryResponse, ServerStreamRequest, ServerStreamResponse, StreamResponseDefinition,
    UnaryRequest, UnaryResponse, UnaryResponseDefinition, UnimplementedRequest,
    UnimplementedResponse,
};

/// The conformance messages, for `google.protobuf.Any` in JSON.
static REGISTRY: LazyLock<TypeRegistry> = LazyLock::new(|| TypeRegistry::new().with(pb::TYPES));

/// JSON options that know the conformance messages (for `Any` in request info and details).
#[must_use]
pub fn json_options() -> JsonOptions {
    JsonOptions {
        ignore_unknown_fields: false,
        registry: Some(&REGISTRY),
    }
}

/// The conformance service.
#[derive(Clone, Copy, Debug, Default)]
pub struct Conformance;

/// Prefix of the type URLs of `Any` values we create.
const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

/// Packs a message into an `Any`.
fn to_any<'m, M: Message<'m>>(message: &M) -> Any<'static> {
    Any {
        type_url: Cow::Owned(format!("{TYPE_URL_PREFIX}{}", M::FULL_NAME)),
        value: Cow::Owned(message.encode_to_vec()),
        ..Default::default()
    }
}

/// Groups `(name, value)` pairs into headers with every value of a name, in order of first
/// appearance (names compared case-insensitively, kept lowercase).
fn group<'v>(pairs: impl IntoIterator<Item = (&'v str, Cow<'v, str>)>) -> Vec<Header<'static>> {
    let mut out: Vec<Header<'static>> = Vec::new();
    for (name, value) in pairs {
        let value = Cow::Owned(value.into_owned());
        match out.iter_mut().find(|h| h.name.eq_ignore_ascii_case(name)) {
            Some(h) => h.value.push(value),
            None => out.push(Header {
                name: Cow::Owned(name.to_ascii_lowercase()),
                value: vec![value],
                ..Default::default()
            }),
        }
    }
    out
}

/// What the server observed about a call.
fn request_info(info: &CallInfo<'_>, requests: Vec<Any<'static>>) -> RequestInfo<'static> {
    let headers = info.headers;
    let request_headers = group(
        headers
            .iter()
            .map(|(name, value)| (name, String::from_utf8_lossy(value))),
    );
    let timeout_ms = info.deadline.map(|d| {
        let left = d.saturating_duration_since(Instant::now());
        i64::try_from(left.as_millis()).unwrap_or(i64::MAX)
    });
    let query: Vec<_> = headers
        .query()
        .map(|q| get::query_pairs(q).collect())
        .unwrap_or_default();
    let connect_get_info = (!query.is_empty()).then(|| ConnectGetInfo {
        query_params: group(
            query
                .iter()
                .map(|(k, v)| (k.as_ref(), Cow::Borrowed(v.as_ref()))),
        ),
        ..Default::default()
    });
    RequestInfo {
        request_headers,
        timeout_ms,
        requests,
        connect_get_info,
        ..Default::default()
    }
}

/// Adds response definition headers to `map`, each name prefixed with `prefix`.
fn add_headers(
    headers: &[Header<'_>],
    prefix: &str,
    map: &mut HeaderMap,
) -> Result<(), ConnectError> {
    for h in headers {
        let name =
            HeaderName::from_bytes(format!("{prefix}{}", h.name).as_bytes()).map_err(|_| {
                ConnectError::invalid_argument(format!("invalid header name {:?}", h.name))
            })?;
        for v in &h.value {
            let value = HeaderValue::from_str(v).map_err(|_| {
                ConnectError::invalid_argument(format!("invalid value for header {:?}", h.name))
            })?;
            map.append(name.clone(), value);
        }
    }
    Ok(())
}

/// The error a response definition asks for, with `request_info` appended to its details
/// when given.
fn definition_error(e: &pb::Error<'_>, request_info: Option<&RequestInfo<'_>>) -> ConnectError {
    let code = u32::try_from(e.code.0)
        .ok()
        .and_then(Code::from_number)
        .unwrap_or(Code::Unknown);
    let mut err = ConnectError::new(code, e.message.as_deref().unwrap_or_default().to_owned());
    for d in &e.details {
        let type_name = d
            .type_url
            .rsplit_once('/')
            .map_or(&*d.type_url, |(_, name)| name);
        err.add_detail(ErrorDetail::new(type_name, d.value.to_vec()));
    }
    if let Some(info) = request_info {
        err.add_detail(ErrorDetail::new(
            RequestInfo::FULL_NAME,
            info.encode_to_vec(),
        ));
    }
    err
}

/// How a unary-response call sends metadata when it fails.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrorMetadata {
    /// Unary: error metadata becomes response headers, so trailers get the `trailer-`
    /// prefix a successful unary response would give them.
    Unary,
    /// Client stream: error metadata becomes end-stream metadata (trailers).
    Stream,
}

/// Answers a unary or client-stream call from its response definition.
async fn unary_outcome<'a>(
    info: &CallInfo<'_>,
    def: Option<&UnaryResponseDefinition<'a>>,
    requests: Vec<Any<'static>>,
    metadata: ErrorMetadata,
) -> Result<Response<ConformancePayload<'a>>, ConnectError> {
    let request_info = request_info(info, requests);
    let Some(def) = def else {
        return Ok(Response::new(ConformancePayload {
            request_info: Some(request_info),
            ..Default::default()
        }));
    };
    let data = match &def.response {
        Some(UnaryOutcome::Error(e)) => {
            let mut err = definition_error(e, Some(&request_info));
            // Connect sends a failed unary call's error metadata as headers; there, trailers
            // need the `trailer-` prefix a successful response would give them. gRPC-web
            // sends it all as trailers.
            let trailer_prefix =
                if metadata == ErrorMetadata::Unary && info.protocol == Protocol::Connect {
                    "trailer-"
                } else {
                    ""
                };
            add_headers(&def.response_headers, "", err.metadata_mut())?;
            add_headers(&def.response_trailers, trailer_prefix, err.metadata_mut())?;
            return Err(err);
        }
        Some(UnaryOutcome::ResponseData(data)) => data.clone(),
        None => Cow::Borrowed(&[][..]),
    };
    let mut response = Response::new(ConformancePayload {
        data,
        request_info: Some(request_info),
        ..Default::default()
    });
    add_headers(&def.response_headers, "", &mut response.headers)?;
    add_headers(&def.response_trailers, "", &mut response.trailers)?;
    sleep_ms(def.response_delay_ms).await;
    Ok(response)
}

async fn sleep_ms(ms: u32) {
    if ms > 0 {
        monoio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

/// Sets a stream response definition's headers and trailers on `responses`.
fn stream_metadata<T>(
    def: &StreamResponseDefinition<'_>,
    responses: &mut ResponseStream<'_, T>,
) -> Result<(), ConnectError> {
    add_headers(&def.response_headers, "", responses.headers_mut())?;
    add_headers(&def.response_trailers, "", responses.trailers_mut())
}

impl ConformanceService for Conformance {
    async fn unary<'a>(
        &self,
        request: Request<'a, UnaryRequest<'a>>,
    ) -> Result<Response<UnaryResponse<'a>>, ConnectError> {
        let any = to_any(request.message());
        let info = *request.info();
        let message = request.into_message();
        let r = unary_outcome(
            &info,
            message.response_definition.as_ref(),
            vec![any],
            ErrorMetadata::Unary,
        )
        .await?;
        Ok(Response {
            message: UnaryResponse {
                payload: Some(r.message),
                ..Default::default()
            },
            headers: r.headers,
            trailers: r.trailers,
        })
    }

    async fn idempotent_unary<'a>(
        &self,
        request: Request<'a, IdempotentUnaryRequest<'a>>,
    ) -> Result<Response<IdempotentUnaryResponse<'a>>, ConnectError> {
        let any = to_any(request.message());
        let info = *request.info();
        let message = request.into_message();
        let r = unary_outcome(
            &info,
            message.response_definition.as_ref(),
            vec![any],
            ErrorMetadata::Unary,
        )
        .await?;
        Ok(Response {
            message: IdempotentUnaryResponse {
                payload: Some(r.message),
                ..Default::default()
            },
            headers: r.headers,
            trailers: r.trailers,
        })
    }

    async fn server_stream<'a>(
        &self,
        request: Request<'a, ServerStreamRequest<'a>>,
        responses: &mut ResponseStream<'_, ServerStreamResponse<'static>>,
    ) -> Result<(), ConnectError> {
        let any = to_any(request.message());
        let info = *request.info();
        let Some(def) = &request.message.response_definition else {
            return Ok(());
        };
        stream_metadata(def, responses)?;
        if !def.response_data.is_empty() {
            // Headers go out before any delay, so the client sees them at once.
            responses.flush().await?;
        }
        let mut any = Some(any);
        for data in &def.response_data {
            // Only the first response describes the request: it cannot change afterwards.
            let request_info = any.take().map(|a| request_info(&info, vec![a]));
            sleep_ms(def.response_delay_ms).await;
            let payload = ConformancePayload {
                data: Cow::Borrowed(data),
                request_info,
                ..Default::default()
            };
            responses
                .send(&ServerStreamResponse {
                    payload: Some(payload),
                    ..Default::default()
                })
                .await?;
        }
        match &def.error {
            Some(e) => {
                // No response described the request: the error does.
                let request_info = any.map(|a| request_info(&info, vec![a]));
                Err(definition_error(e, request_info.as_ref()))
            }
            None => Ok(()),
        }
    }

    async fn client_stream(
        &self,
        mut requests: RequestStream<'_, ClientStreamRequest<'static>>,
    ) -> Result<Response<ClientStreamResponse<'static>>, ConnectError> {
        let mut def: Option<UnaryResponseDefinition<'static>> = None;
        let mut received = Vec::new();
        while let Some(message) = requests.next().await {
            let message = message?;
            if received.is_empty() {
                // Only the first message's definition counts.
                def = message.response_definition.clone().map(Message::into_owned);
            }
            received.push(to_any(&message));
        }
        let info = *requests.info();
        let r = unary_outcome(&info, def.as_ref(), received, ErrorMetadata::Stream).await?;
        Ok(Response {
            message: ClientStreamResponse {
                payload: Some(r.message),
                ..Default::default()
            },
            headers: r.headers,
            trailers: r.trailers,
        })
    }

    async fn bidi_stream(
        &self,
        mut requests: RequestStream<'_, BidiStreamRequest<'static>>,
        responses: &mut ResponseStream<'_, BidiStreamResponse<'static>>,
    ) -> Result<(), ConnectError> {
        let info = *requests.info();
        let mut def: Option<StreamResponseDefinition<'static>> = None;
        let mut full_duplex = false;
        let mut first = true;
        let mut sent = 0usize;
        let mut received = Vec::new();
        while let Some(message) = requests.next().await {
            let message = message?;
            received.push(to_any(&message));
            if first {
                first = false;
                full_duplex = message.full_duplex;
                def = message.response_definition.clone().map(Message::into_owned);
                if let Some(def) = &def {
                    stream_metadata(def, responses)?;
                    if full_duplex && !def.response_data.is_empty() {
                        responses.flush().await?;
                    }
                }
            }
            if full_duplex {
                // One response per request (only possible where the transport is full duplex).
                let Some(data) = def.as_ref().and_then(|d| d.response_data.get(sent)) else {
                    break;
                };
                let request_info = if sent == 0 {
                    request_info(&info, std::mem::take(&mut received))
                } else {
                    RequestInfo {
                        requests: std::mem::take(&mut received),
                        ..Default::default()
                    }
                };
                sleep_ms(def.as_ref().map_or(0, |d| d.response_delay_ms)).await;
                let payload = ConformancePayload {
                    data: Cow::Borrowed(data),
                    request_info: Some(request_info),
                    ..Default::default()
                };
                responses
                    .send(&BidiStreamResponse {
                        payload: Some(payload),
                        ..Default::default()
                    })
                    .await?;
                sent += 1;
            }
        }
        let Some(def) = def else {
            return Ok(());
        };
        if !full_duplex && !def.response_data.is_empty() {
            // The upload is complete: the headers may go out now.
            responses.flush().await?;
        }
        for data in &def.response_data[sent.min(def.response_data.len())..] {
            let request_info =
                (sent == 0).then(|| request_info(&info, std::mem::take(&mut received)));
            sleep_ms(def.response_delay_ms).await;
            let payload = ConformancePayload {
                data: Cow::Borrowed(data),
                request_info,
                ..Default::default()
            };
            responses
                .send(&BidiStreamResponse {
                    payload: Some(payload),
                    ..Default::default()
                })
                .await?;
            sent += 1;
        }
        match &def.error {
            Some(e) => {
                let request_info = (sent == 0).then(|| request_info(&info, received));
                Err(definition_error(e, request_info.as_ref()))
            }
            None => Ok(()),
        }
    }

    async fn unimplemented<'a>(
        &self,
        _request: Request<'a, UnimplementedRequest<'a>>,
    ) -> Result<Response<UnimplementedResponse<'a>>, ConnectError> {
        Err(ConnectError::unimplemented(
            "connectrpc.conformance.v1.ConformanceService.Unimplemented is not implemented",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_headers_case_insensitively() {
        let pairs = [("X-A", "1"), ("b", "2"), ("x-a", "3")].map(|(k, v)| (k, Cow::Borrowed(v)));
        let headers = group(pairs);
        let got: Vec<_> = headers
            .iter()
            .map(|h| {
                (
                    h.name.as_ref(),
                    h.value.iter().map(AsRef::as_ref).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(got, [("x-a", vec!["1", "3"]), ("b", vec!["2"])]);
    }

    #[test]
    fn definition_errors_keep_details_and_add_request_info() {
        let detail = Any {
            type_url: "type.googleapis.com/x.y.Z".into(),
            value: Cow::Borrowed(b"\x08\x01"),
            ..Default::default()
        };
        let e = pb::Error {
            code: pb::Code::CODE_RESOURCE_EXHAUSTED,
            message: Some("full".into()),
            details: vec![detail],
            ..Default::default()
        };
        let info = RequestInfo {
            timeout_ms: Some(5),
            ..Default::default()
        };
        let err = definition_error(&e, Some(&info));
        assert_eq!(err.code(), Code::ResourceExhausted);
        assert_eq!(err.message(), "full");
        assert_eq!(
            err.details()[0],
            ErrorDetail::new("x.y.Z", b"\x08\x01".to_vec())
        );
        assert_eq!(
            err.details()[1].type_name,
            "connectrpc.conformance.v1.ConformancePayload.RequestInfo"
        );
        assert_eq!(err.details().len(), 2);
    }

    #[test]
    fn unary_error_trailers_are_prefixed() {
        let h = |n: &'static str, v: &'static str| Header {
            name: n.into(),
            value: vec![v.into()],
            ..Default::default()
        };
        let mut map = HeaderMap::new();
        add_headers(&[h("x-t", "1")], "trailer-", &mut map).unwrap();
        add_headers(&[h("X-H", "2")], "", &mut map).unwrap();
        assert_eq!(map.get("trailer-x-t").unwrap(), "1");
        assert_eq!(map.get("x-h").unwrap(), "2");
    }
}
