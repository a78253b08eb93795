// What the guide's examples share, kept out of their text (`# include!("support.rs");`):
// the guide's `Greeter` and a server running a service in the background for the length of
// one example. Doctests have no build script, so the generated code they use is the checked-in
// `hello/` (`scripts/test.sh` checks it against the generator: codegen/tests/golden.rs).

#[allow(dead_code, unreachable_pub)]
mod support {
    use std::borrow::Cow;

    use connect_engine::ConnectError;
    use connect_engine::server::{
        Request, RequestStream, Response, ResponseStream, Router, Server, ServerConfig,
        ShutdownHandle,
    };

    use super::hello::v1::{GreetRequest, GreetResponse, GreetService, GreetServiceServer};

    /// The guide's `Greeter` ("Implementing the service").
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Greeter;

    pub fn greeting(name: &str) -> Result<GreetResponse<'static>, ConnectError> {
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
                names.push(request?.name.into_owned());
            }
            Ok(Response::new(greeting(&names.join(" and "))?))
        }

        async fn greet_in_languages<'a>(
            &self,
            request: Request<'a, GreetRequest<'a>>,
            responses: &mut ResponseStream<'_, GreetResponse<'static>>,
        ) -> Result<(), ConnectError> {
            for hello in ["Hello", "Bonjour", "Hallo"] {
                let greeting = format!("{hello}, {}!", request.message.name);
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

    /// A server on a free port of 127.0.0.1 (one thread), stopped when dropped.
    pub struct Running {
        /// `http://127.0.0.1:<port>`, or `https://localhost:<port>` with TLS.
        pub url: String,
        shutdown: ShutdownHandle,
        thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    }

    impl Drop for Running {
        fn drop(&mut self) {
            self.shutdown.shutdown();
            if let Some(t) = self.thread.take() {
                t.join().unwrap().unwrap();
            }
        }
    }

    /// Serves `service` in the background.
    pub fn serve<S: GreetService + Clone + Send + Sync>(service: S) -> Running {
        serve_with(ServerConfig::new(), service)
    }

    /// Serves `service` in the background with `config` (on one thread).
    pub fn serve_with<S: GreetService + Clone + Send + Sync>(
        config: ServerConfig,
        service: S,
    ) -> Running {
        let tls = config.tls.is_some();
        let mut config = config.with_threads(1);
        // Calls an example left running (a slow handler it canceled) do not hold it up.
        config.shutdown_grace = std::time::Duration::from_millis(500);
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
        let port = server.local_addr().port();
        let url = if tls {
            format!("https://localhost:{port}")
        } else {
            format!("http://127.0.0.1:{port}")
        };
        let shutdown = server.shutdown_handle();
        let thread = std::thread::spawn(move || {
            server.serve(move || Router::new().add(GreetServiceServer::new(service.clone())))
        });
        Running {
            url,
            shutdown,
            thread: Some(thread),
        }
    }
}
