//! The hello server: serves [`hello::Greeter`] until SIGINT or SIGTERM.
//!
//! ```sh
//! cargo run --example hello-server                      # on 127.0.0.1:8080
//! cargo run --example hello-server -- 127.0.0.1:0       # on a free port (printed)
//! curl -X POST http://127.0.0.1:8080/hello.v1.GreetService/Greet \
//!   -H 'content-type: application/json' -d '{"name": "Ada"}'
//! ```

use connect_engine::server::{Router, Server, ServerConfig};
use hello::Greeter;
use hello::hello::v1::GreetServiceServer;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let addr = addr
        .parse()
        .map_err(|e| std::io::Error::other(format!("{addr}: {e}")))?;
    let server = Server::bind(addr, ServerConfig::new())?;
    // Stop accepting on SIGINT/SIGTERM, finish the calls in flight, then return.
    server.shutdown_handle().on_signals()?;
    println!("listening on http://{}", server.local_addr());
    // The closure runs once per server thread: each thread has its own services.
    server.serve(|| Router::new().add(GreetServiceServer::new(Greeter)))
}
