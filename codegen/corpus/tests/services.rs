//! Service traits generated from adversarial names are implementable and register with a
//! router.

use codegen_corpus::adversarial_build_rs::adversarial::collisions as c;
use connect_engine::codegen::ConnectError;
use connect_engine::codegen::server::{Request, Response, Service};
use connect_engine::server::Router;

struct Echo;

// A trait named `S`: the adapter's type parameter must not shadow it.
impl c::S for Echo {
    async fn call<'a>(
        &self,
        request: Request<'a, c::Plain<'a>>,
    ) -> Result<Response<c::Plain<'a>>, ConnectError> {
        Ok(Response::new(request.into_message()))
    }
}

#[test]
fn a_trait_named_s_registers() {
    let server = c::SServer::new(Echo);
    let descriptor = server.descriptor();
    assert_eq!(descriptor.name, "adversarial.collisions.S");
    assert_eq!(descriptor.methods[0].path, "/adversarial.collisions.S/Call");
    let _router = Router::new().add(server);
}

#[test]
fn rpcs_named_alike_get_distinct_constants() {
    // `message game` took the module `game`, so the service model is `game_`.
    let paths: Vec<&str> = c::game_::SERVICE.methods.iter().map(|m| m.path).collect();
    assert_eq!(
        paths,
        [
            "/adversarial.collisions.Game/self",
            "/adversarial.collisions.Game/Self",
            "/adversarial.collisions.Game/into",
            "/adversarial.collisions.Game/IntoThing",
            "/adversarial.collisions.Game/FromThing",
            "/adversarial.collisions.Game/AsThing",
            "/adversarial.collisions.Game/type",
            "/adversarial.collisions.Game/Type",
            "/adversarial.collisions.Game/call",
            "/adversarial.collisions.Game/descriptor",
            "/adversarial.collisions.Game/new",
            "/adversarial.collisions.Game/Stream",
            "/adversarial.collisions.Game/Upload",
            "/adversarial.collisions.Game/Download",
        ]
    );
    assert_eq!(c::game_::SELF.name, "self");
    assert_eq!(c::game_::SELF_.name, "Self");
}
