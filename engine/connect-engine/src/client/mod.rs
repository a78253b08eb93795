//! Connect clients.
//!
//! [`Client`] is the async client on monoio (thread-per-core: build one per thread from a
//! shared [`ClientConfig`]); the blocking client shares its configuration, options and
//! outputs. Generated service clients (`ElizaServiceClient`) wrap a [`Client`] and give each
//! RPC a high-level method (`say(&req) -> Result<SayResponse, ConnectError>`) and a
//! low-level one (`call_say(&req, CallOptions) -> UnaryOutput<SayResponse>` with response
//! headers and trailers).
//!
//! ```no_run
//! # async fn run() -> Result<(), connect_engine::ConnectError> {
//! use connect_engine::client::{CallOptions, Client, ClientConfig};
//! let client = Client::new("http://127.0.0.1:8080", ClientConfig::new())?;
//! // let eliza = ElizaServiceClient::new(client);
//! // let reply = eliza.say(&SayRequest { sentence: "hi".into(), ..Default::default() }).await?;
//! # let _ = (client, CallOptions::new());
//! # Ok(()) }
//! ```
//!
//! ## What a call does
//!
//! It takes an idle keep-alive connection of this client on this thread (checking that the
//! server has not closed it meanwhile) or opens one, writes the request (framed by
//! [`connect_wire::client`]), reads the response into a pooled buffer, decodes the message
//! from there and returns it owned. The connection goes back to the pool only when the
//! response was read to its end; a call that fails, times out, is canceled or is dropped
//! closes it. Calls are never retried.
//!
//! Deadlines: the call's timeout (or the client's default) bounds the whole call locally and
//! is sent as `connect-timeout-ms`; expiry gives `deadline_exceeded`. Cancellation: a
//! [`CancelToken`] in [`CallOptions`] ends the call with `canceled`; dropping the call's
//! future (or a response stream) ends it too.

mod call_state;
mod config;
mod interceptor;
mod options;
mod origin;
mod stream_core;

#[cfg(feature = "runtime")]
mod asynchronous;
#[cfg(feature = "runtime")]
mod conn;
#[cfg(feature = "runtime")]
mod connector;
#[cfg(feature = "runtime")]
mod pool;
#[cfg(feature = "runtime")]
mod stream;

#[cfg(feature = "runtime")]
pub use asynchronous::Client;
pub use config::ClientConfig;
pub use connect_wire::client::UnaryOutput;
#[cfg(feature = "runtime")]
pub use connector::{Connector, DefaultConnector};
pub use interceptor::{Interceptor, RequestInfo, ResponseInfo, TracingInterceptor};
pub use options::{CallOptions, CancelToken, Cancelled, HookGuard};
pub use origin::{Origin, Scheme};
#[cfg(feature = "runtime")]
pub use stream::StreamOutput;

pub(crate) use call_state::{Bounds, CallState, Stop, Target, stopped};
pub(crate) use stream_core::{
    BODY, OneMessage, Step, StreamCore, gone, stream_accessors, unary_outcome,
};
