//! Services: the model (procedure paths, stream kinds, idempotency) and, when enabled, the
//! server trait and its router adapter.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, doc};
use crate::model::{Method, Service};
use crate::names::{ident, screaming_snake};

pub(crate) fn service(ctx: Ctx<'_>, s: &Service) -> TokenStream {
    let model = model(s);
    let server = if ctx.config.server {
        server(ctx, s)
    } else {
        TokenStream::new()
    };
    let client = if ctx.config.client {
        client(ctx, s)
    } else {
        TokenStream::new()
    };
    let blocking = if ctx.config.blocking_client {
        blocking_client(ctx, s)
    } else {
        TokenStream::new()
    };
    quote!(#model #server #client #blocking)
}

fn model(s: &Service) -> TokenStream {
    let module = ident(&s.module);
    let full = &s.full_name;
    let d = format!(
        " The model of the `{full}` service: its procedures, stream kinds and idempotency."
    );
    let mut consts = Vec::new();
    let mut names = Vec::new();
    let mut indexes = Vec::new();
    for (i, (m, c)) in s.methods.iter().zip(descriptor_names(s)).enumerate() {
        let id = format!(
            " `{}`'s position in [`SERVICE`](super::SERVICE)`.methods`.",
            m.name
        );
        let i = proc_macro2::Literal::usize_unsuffixed(i);
        indexes.push(quote! {
            #[doc = #id]
            pub const #c: usize = #i;
        });
        let name = &m.name;
        let path = format!("/{full}/{}", m.name);
        let input = m.input.trim_start_matches('.');
        let output = m.output.trim_start_matches('.');
        let kind = match (m.client_streaming, m.server_streaming) {
            (false, false) => quote!(Unary),
            (true, false) => quote!(ClientStream),
            (false, true) => quote!(ServerStream),
            (true, true) => quote!(BidiStream),
        };
        let idem = match m.idempotency {
            1 => quote!(NoSideEffects),
            2 => quote!(Idempotent),
            _ => quote!(Unknown),
        };
        let md = format!(" The `{name}` procedure.");
        consts.push(quote! {
            #[doc = #md]
            pub const #c: __rt::MethodDescriptor = __rt::MethodDescriptor {
                name: #name,
                path: #path,
                input_type: #input,
                output_type: #output,
                kind: __rt::StreamKind::#kind,
                idempotency: __rt::Idempotency::#idem,
            };
        });
        names.push(c);
    }
    quote! {
        #[doc = #d]
        pub mod #module {
            use super::__rt;

            /// The service's full name and methods, in declaration order.
            pub const SERVICE: __rt::ServiceDescriptor = __rt::ServiceDescriptor {
                name: #full,
                methods: &[#(#names),*],
            };

            #(#consts)*

            /// Each method's position in [`SERVICE`]`.methods`: what the server dispatches on.
            pub mod index {
                #(#indexes)*
            }
        }
    }
}

fn message_type(ctx: Ctx<'_>, full: &str, lifetime: &TokenStream) -> TokenStream {
    let p = ctx.type_path(full);
    quote!(#p<#lifetime>)
}

fn trait_method(ctx: Ctx<'_>, m: &Method) -> TokenStream {
    let name = ident(&m.rust_name);
    let d = doc(m.doc.as_ref(), &format!("Handles `{}`.", m.name));
    let a = quote!('a);
    let st = quote!('static);
    match (m.client_streaming, m.server_streaming) {
        (false, false) => {
            let req = message_type(ctx, &m.input, &a);
            let resp = message_type(ctx, &m.output, &a);
            quote! {
                #d
                async fn #name<'a>(
                    &self,
                    request: __rt::server::Request<'a, #req>,
                ) -> Result<__rt::server::Response<#resp>, __rt::ConnectError>;
            }
        }
        (true, false) => {
            let req = message_type(ctx, &m.input, &st);
            let resp = message_type(ctx, &m.output, &st);
            quote! {
                #d
                async fn #name(
                    &self,
                    requests: __rt::server::RequestStream<'_, #req>,
                ) -> Result<__rt::server::Response<#resp>, __rt::ConnectError>;
            }
        }
        (false, true) => {
            let req = message_type(ctx, &m.input, &a);
            let resp = message_type(ctx, &m.output, &st);
            quote! {
                #d
                async fn #name<'a>(
                    &self,
                    request: __rt::server::Request<'a, #req>,
                    responses: &mut __rt::server::ResponseStream<'_, #resp>,
                ) -> Result<(), __rt::ConnectError>;
            }
        }
        (true, true) => {
            let req = message_type(ctx, &m.input, &st);
            let resp = message_type(ctx, &m.output, &st);
            quote! {
                #d
                async fn #name(
                    &self,
                    requests: __rt::server::RequestStream<'_, #req>,
                    responses: &mut __rt::server::ResponseStream<'_, #resp>,
                ) -> Result<(), __rt::ConnectError>;
            }
        }
    }
}

fn dispatch_arm(index: &TokenStream, trait_name: &proc_macro2::Ident, m: &Method) -> TokenStream {
    // Called through the trait: a method named like a blanket trait's (`into`) would
    // resolve to that one.
    let name = ident(&m.rust_name);
    let name = quote!(#trait_name::#name);
    let i = index;
    match (m.client_streaming, m.server_streaming) {
        (false, false) => quote! {
            #i => {
                let procedure = call.method();
                let Some((request, reply)) = call.unary().await else { return };
                let result = __rt::server::run_handler(procedure, reply.deadline(), #name(&self.0, request)).await;
                reply.send(result);
            }
        },
        (true, false) => quote! {
            #i => {
                let procedure = call.method();
                let (requests, reply) = call.client_stream();
                let result = __rt::server::run_handler(procedure, reply.deadline(), #name(&self.0, requests)).await;
                reply.send(result).await;
            }
        },
        (false, true) => quote! {
            #i => {
                let procedure = call.method();
                let Some((request, mut responses)) = call.server_stream().await else { return };
                let result = __rt::server::run_handler(procedure, responses.deadline(), #name(&self.0, request, &mut responses)).await;
                responses.finish(result).await;
            }
        },
        (true, true) => quote! {
            #i => {
                let procedure = call.method();
                let (requests, mut responses) = call.bidi_stream();
                let result = __rt::server::run_handler(procedure, responses.deadline(), #name(&self.0, requests, &mut responses)).await;
                responses.finish(result).await;
            }
        },
    }
}

/// The names of a service's client methods: the high-level `say` and the low-level
/// `call_say` of every RPC, kept clear of each other and of the client's own `new`/`inner`.
fn client_method_names(s: &Service) -> Vec<(proc_macro2::Ident, proc_macro2::Ident)> {
    let mut taken: std::collections::HashSet<String> = ["new", "inner", "into_inner"]
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    let mut high = Vec::new();
    for m in &s.methods {
        let mut n = m.rust_name.clone();
        while !taken.insert(n.clone()) {
            n.push('_');
        }
        high.push(n);
    }
    let mut out = Vec::new();
    for h in high {
        let mut low = format!("call_{}", h.trim_start_matches("r#"));
        while !taken.insert(low.clone()) {
            low.push('_');
        }
        out.push((ident(&h), ident(&low)));
    }
    out
}

/// Which client a method is generated for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Async,
    Blocking,
}

fn client_method(
    ctx: Ctx<'_>,
    flavor: Flavor,
    module: &proc_macro2::Ident,
    m: &Method,
    names: (&proc_macro2::Ident, &proc_macro2::Ident),
    descriptor: &proc_macro2::Ident,
) -> TokenStream {
    let (high, low) = names;
    // Not named like a message of the package, which the signatures name unqualified.
    let it = type_param(ctx, &["I", "Iter", "Requests"]);
    let r = quote!('r);
    let st = quote!('static);
    let anon = quote!('_);
    let req = message_type(ctx, &m.input, &r);
    let req_ref = message_type(ctx, &m.input, &anon);
    let resp = message_type(ctx, &m.output, &st);
    let d = doc(m.doc.as_ref(), &format!("Calls `{}`.", m.name));
    let low_doc = format!(
        " Calls `{}` with call options, giving the response headers and trailers too.",
        m.name
    );
    let (asyncness, wait, stream, what_ends) = match flavor {
        Flavor::Async => (
            quote!(async),
            quote!(.await),
            quote!(__rt::client::StreamOutput),
            "stream",
        ),
        Flavor::Blocking => (
            quote!(),
            quote!(),
            quote!(__rt::blocking::BlockingStream),
            "iterator",
        ),
    };
    let started_doc = format!(
        " The error is the call's if it failed before any response arrived; later errors end the {what_ends}."
    );
    let requests = quote! {
        #it: IntoIterator,
        #it::Item: __rt::Borrow<#req>,
    };
    match (m.client_streaming, m.server_streaming) {
        (false, false) => quote! {
            #d
            pub #asyncness fn #high(&self, request: &#req_ref) -> Result<#resp, __rt::ConnectError> {
                self.#low(request, __rt::client::CallOptions::default()) #wait .into_result()
            }

            #[doc = #low_doc]
            pub #asyncness fn #low(&self, request: &#req_ref, options: __rt::client::CallOptions) -> __rt::client::UnaryOutput<#resp> {
                self.inner.unary(&#module::#descriptor, request, options) #wait
            }
        },
        (true, false) => quote! {
            #d
            pub #asyncness fn #high<'r, #it>(&self, requests: #it) -> Result<#resp, __rt::ConnectError>
            where
                #requests
            {
                self.#low(requests, __rt::client::CallOptions::default()) #wait .into_result()
            }

            #[doc = #low_doc]
            pub #asyncness fn #low<'r, #it>(&self, requests: #it, options: __rt::client::CallOptions) -> __rt::client::UnaryOutput<#resp>
            where
                #requests
            {
                self.inner.client_stream::<#req, #resp, #it>(&#module::#descriptor, requests, options) #wait
            }
        },
        (false, true) => quote! {
            #d
            ///
            #[doc = #started_doc]
            pub #asyncness fn #high(&self, request: &#req_ref) -> Result<#stream<#resp>, __rt::ConnectError> {
                self.#low(request, __rt::client::CallOptions::default()) #wait .into_started()
            }

            #[doc = #low_doc]
            pub #asyncness fn #low(&self, request: &#req_ref, options: __rt::client::CallOptions) -> #stream<#resp> {
                self.inner.server_stream(&#module::#descriptor, request, options) #wait
            }
        },
        (true, true) => quote! {
            #d
            ///
            /// Half-duplex: every request is sent, then the responses arrive.
            #[doc = #started_doc]
            pub #asyncness fn #high<'r, #it>(&self, requests: #it) -> Result<#stream<#resp>, __rt::ConnectError>
            where
                #requests
            {
                self.#low(requests, __rt::client::CallOptions::default()) #wait .into_started()
            }

            #[doc = #low_doc]
            pub #asyncness fn #low<'r, #it>(&self, requests: #it, options: __rt::client::CallOptions) -> #stream<#resp>
            where
                #requests
            {
                self.inner.bidi_stream::<#req, #resp, #it>(&#module::#descriptor, requests, options) #wait
            }
        },
    }
}

fn client_methods(ctx: Ctx<'_>, flavor: Flavor, s: &Service) -> Vec<TokenStream> {
    let module = ident(&s.module);
    let names = client_method_names(s);
    let descriptors = descriptor_names(s);
    s.methods
        .iter()
        .zip(names.iter().zip(&descriptors))
        .map(|(m, ((high, low), desc))| client_method(ctx, flavor, &module, m, (high, low), desc))
        .collect()
}

fn blocking_client(ctx: Ctx<'_>, s: &Service) -> TokenStream {
    let name = ident(&s.blocking_client_name);
    let full = &s.full_name;
    let d = format!(
        " A blocking client for `{full}` (on a `connect_engine::blocking::BlockingClient`; `Send + Sync`): a high-level and a low-level method per RPC."
    );
    let methods = client_methods(ctx, Flavor::Blocking, s);
    quote! {
        #[doc = #d]
        #[derive(Clone, Debug)]
        pub struct #name {
            inner: __rt::blocking::BlockingClient,
        }

        impl #name {
            /// Wraps a blocking client for the server's base URL.
            #[must_use]
            pub fn new(client: __rt::blocking::BlockingClient) -> Self {
                Self { inner: client }
            }

            /// The underlying client.
            #[must_use]
            pub fn inner(&self) -> &__rt::blocking::BlockingClient {
                &self.inner
            }

            #(#methods)*
        }
    }
}

/// The constant names of a service's method descriptors, as `model` names them.
fn descriptor_names(s: &Service) -> Vec<proc_macro2::Ident> {
    let mut taken = std::collections::HashSet::new();
    taken.insert("SERVICE".to_owned());
    s.methods
        .iter()
        .map(|m| {
            let mut c = screaming_snake(&m.rust_name);
            while !taken.insert(c.clone()) {
                c.push('_');
            }
            ident(&c)
        })
        .collect()
}

fn client(ctx: Ctx<'_>, s: &Service) -> TokenStream {
    let conn = type_param(ctx, &["C", "Conn", "Connector"]);
    let client_name = ident(&s.client_name);
    let full = &s.full_name;
    let d = format!(
        " An async client for `{full}` (on a `connect_engine::client::Client`): a high-level and a low-level method per RPC."
    );
    let methods = client_methods(ctx, Flavor::Async, s);
    quote! {
        #[doc = #d]
        pub struct #client_name<#conn: __rt::client::Connector = __rt::client::DefaultConnector> {
            inner: __rt::client::Client<#conn>,
        }

        impl<#conn: __rt::client::Connector> Clone for #client_name<#conn> {
            fn clone(&self) -> Self {
                Self { inner: self.inner.clone() }
            }
        }

        impl<#conn: __rt::client::Connector> ::core::fmt::Debug for #client_name<#conn> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple(stringify!(#client_name)).field(&self.inner).finish()
            }
        }

        impl<#conn: __rt::client::Connector> #client_name<#conn> {
            /// Wraps a client for the server's base URL.
            #[must_use]
            pub fn new(client: __rt::client::Client<#conn>) -> Self {
                Self { inner: client }
            }

            /// The underlying client.
            #[must_use]
            pub fn inner(&self) -> &__rt::client::Client<#conn> {
                &self.inner
            }

            #(#methods)*
        }
    }
}

fn server(ctx: Ctx<'_>, s: &Service) -> TokenStream {
    let trait_name = ident(&s.trait_name);
    let server_name = ident(&s.server_name);
    let module = ident(&s.module);
    let full = &s.full_name;
    let d = doc(
        s.doc.as_ref(),
        &format!(
            "The server side of `{full}`: implement it and register `{server_name}::new(..)` with a router."
        ),
    );
    let methods = s.methods.iter().map(|m| trait_method(ctx, m));
    let arms = s.methods.iter().zip(descriptor_names(s)).map(|(m, c)| {
        let index = quote!(#module::index::#c);
        dispatch_arm(&index, &trait_name, m)
    });
    let arms: Vec<_> = arms.collect();
    let dispatch = if arms.is_empty() {
        // No methods: a `match` of the wildcard alone is `clippy::match_single_binding`.
        quote! {
            let _ = method;
            call.unimplemented().await;
        }
    } else {
        quote! {
            match method {
                #(#arms)*
                _ => call.unimplemented().await,
            }
        }
    };
    // The implementation's type parameter, not named like the trait.
    let imp = type_param(ctx, &["S", "Svc", "Service"]);
    // Methods are named after the rpcs, whatever their prefix (`into_`, `from_`).
    let sd = format!(
        " Serves a [`{}`] implementation: add it to a `Router`.",
        s.trait_name
    );
    quote! {
        #d
        pub trait #trait_name: 'static {
            #(#methods)*
        }

        #[doc = #sd]
        #[derive(Clone, Debug, Default)]
        pub struct #server_name<#imp>(pub #imp);

        impl<#imp> #server_name<#imp> {
            /// Wraps a service implementation.
            pub fn new(service: #imp) -> Self {
                Self(service)
            }
        }

        impl<#imp: #trait_name> __rt::server::Service for #server_name<#imp> {
            fn descriptor(&self) -> &'static __rt::ServiceDescriptor {
                &#module::SERVICE
            }

            async fn call(&self, method: usize, call: __rt::server::Call<'_>) {
                #dispatch
            }
        }
    }
}

/// The first of `candidates` that names no type of the package (its types are named
/// unqualified in generated signatures, where a type parameter would shadow them).
fn type_param(ctx: Ctx<'_>, candidates: &[&str]) -> proc_macro2::Ident {
    let name = candidates
        .iter()
        .find(|c| !ctx.model.is_taken(ctx.package, c))
        .unwrap_or(&"__T");
    proc_macro2::Ident::new(name, proc_macro2::Span::call_site())
}
