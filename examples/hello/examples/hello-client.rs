//! The hello client: calls a hello server with the async client (on a monoio runtime).
//!
//! ```sh
//! cargo run --example hello-client -- Ada                          # http://127.0.0.1:8080
//! cargo run --example hello-client -- Ada http://127.0.0.1:9000    # another server
//! ```

use connect_engine::ConnectError;
use connect_engine::client::{Client, ClientConfig};
use connect_engine::runtime::{self, Driver};
use hello::hello::v1::{GreetRequest, GreetServiceClient};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "world".to_owned());
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    // The async client runs on this thread's monoio runtime (io_uring, or epoll).
    runtime::block_on(Driver::Auto, call(&url, &name))??;
    Ok(())
}

async fn call(url: &str, name: &str) -> Result<(), ConnectError> {
    let client = GreetServiceClient::new(Client::new(url, ClientConfig::new())?);
    let request = GreetRequest {
        name: name.into(),
        ..Default::default()
    };

    // Unary: one request, one response.
    let reply = client.greet(&request).await?;
    println!("{}", reply.greeting);

    // Server stream: one request, the responses as they arrive.
    let mut greetings = client.greet_in_languages(&request).await?;
    while let Some(reply) = greetings.next().await {
        println!("{}", reply?.greeting);
    }

    // Errors carry a code and a message: the server refuses an empty name.
    let err = client.greet(&GreetRequest::default()).await.unwrap_err();
    println!("{}: {}", err.code(), err.message());
    Ok(())
}
