//! The hello examples' service: the code generated from `proto/hello/v1/hello.proto` (by
//! `build.rs`) and [`Greeter`], its implementation.
//!
//! Run the server and a client (from the repository root):
//!
//! ```sh
//! cargo run --example hello-server               # serves on 127.0.0.1:8080
//! cargo run --example hello-client -- Ada        # Hello, Ada! …
//! cargo run --example hello-tls                  # both sides over TLS, in one process
//! ```

include!(concat!(env!("OUT_DIR"), "/_include.rs"));

use std::borrow::Cow;

use crate::hello::v1::{GreetRequest, GreetResponse, GreetService};
use connect_engine::ConnectError;
use connect_engine::server::{Request, RequestStream, Response, ResponseStream};

/// Greets people, in every stream kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct Greeter;

/// `Hello, {name}!`, or `invalid_argument` for an empty name.
fn greeting(name: &str) -> Result<GreetResponse<'static>, ConnectError> {
    if name.is_empty() {
        return Err(ConnectError::invalid_argument("name is empty"));
    }
    Ok(GreetResponse {
        greeting: Cow::Owned(format!("Hello, {name}!")),
        ..Default::default()
    })
}

impl GreetService for Greeter {
    async fn greet<'a>(
        &self,
        request: Request<'a, GreetRequest<'a>>,
    ) -> Result<Response<GreetResponse<'a>>, ConnectError> {
        Ok(Response::new(greeting(&request.message.name)?))
    }

    async fn greet_all(
        &self,
        mut requests: RequestStream<'_, GreetRequest<'static>>,
    ) -> Result<Response<GreetResponse<'static>>, ConnectError> {
        let mut names = Vec::new();
        while let Some(request) = requests.next().await {
            // Each message borrows the read buffer until the next one: keep what you need.
            names.push(request?.name.into_owned());
        }
        Ok(Response::new(greeting(&names.join(" and "))?))
    }

    async fn greet_in_languages<'a>(
        &self,
        request: Request<'a, GreetRequest<'a>>,
        responses: &mut ResponseStream<'_, GreetResponse<'static>>,
    ) -> Result<(), ConnectError> {
        let name = &request.message.name;
        for hello in ["Hello", "Bonjour", "Hallo"] {
            let greeting = format!("{hello}, {name}!");
            responses
                .send(&GreetResponse {
                    greeting: Cow::Borrowed(&greeting),
                    ..Default::default()
                })
                .await?;
        }
        Ok(())
    }

    async fn greet_each(
        &self,
        mut requests: RequestStream<'_, GreetRequest<'static>>,
        responses: &mut ResponseStream<'_, GreetResponse<'static>>,
    ) -> Result<(), ConnectError> {
        while let Some(request) = requests.next().await {
            responses.send(&greeting(&request?.name)?).await?;
        }
        Ok(())
    }
}
