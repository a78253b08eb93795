//! Services: the model (procedure paths, stream kinds, idempotency) and, when enabled, the
//! server trait and its router adapter.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, doc};
use crate::model::{Method, Service};
use crate::names::{ident, screaming_snake};

pub(crate) fn service(ctx: Ctx<'_>, s: &Service) -> TokenStream {
    let model = model(s);
    if ctx.config.server {
        let server = server(ctx, s);
        quote!(#model #server)
    } else {
        model
    }
}

fn model(s: &Service) -> TokenStream {
    let module = ident(&s.module);
    let full = &s.full_name;
    let d = format!(
        " The model of the `{full}` service: its procedures, stream kinds and idempotency."
    );
    let mut consts = Vec::new();
    let mut names = Vec::new();
    let mut taken = std::collections::HashSet::new();
    taken.insert("SERVICE".to_owned());
    for m in &s.methods {
        let mut c = screaming_snake(&m.rust_name);
        while !taken.insert(c.clone()) {
            c.push('_');
        }
        let c = ident(&c);
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
            #[allow(unused_imports)]
            use super::__rt;

            /// The service's full name and methods, in declaration order.
            pub const SERVICE: __rt::ServiceDescriptor = __rt::ServiceDescriptor {
                name: #full,
                methods: &[#(#names),*],
            };

            #(#consts)*
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
                    request: __rt::Request<'a, #req>,
                ) -> Result<__rt::Response<#resp>, __rt::ConnectError>;
            }
        }
        (true, false) => {
            let req = message_type(ctx, &m.input, &st);
            let resp = message_type(ctx, &m.output, &st);
            quote! {
                #d
                async fn #name(
                    &self,
                    requests: __rt::RequestStream<'_, #req>,
                ) -> Result<__rt::Response<#resp>, __rt::ConnectError>;
            }
        }
        (false, true) => {
            let req = message_type(ctx, &m.input, &a);
            let resp = message_type(ctx, &m.output, &st);
            quote! {
                #d
                async fn #name<'a>(
                    &self,
                    request: __rt::Request<'a, #req>,
                    responses: &mut __rt::ResponseStream<'_, #resp>,
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
                    requests: __rt::RequestStream<'_, #req>,
                    responses: &mut __rt::ResponseStream<'_, #resp>,
                ) -> Result<(), __rt::ConnectError>;
            }
        }
    }
}

fn dispatch_arm(index: usize, trait_name: &proc_macro2::Ident, m: &Method) -> TokenStream {
    // Called through the trait: a method named like a blanket trait's (`into`) would
    // resolve to that one.
    let name = ident(&m.rust_name);
    let name = quote!(#trait_name::#name);
    let i = proc_macro2::Literal::usize_unsuffixed(index);
    match (m.client_streaming, m.server_streaming) {
        (false, false) => quote! {
            #i => {
                let Some((request, reply)) = call.unary().await else { return };
                let result = __rt::with_deadline(reply.deadline(), #name(&self.0, request)).await;
                reply.send(result);
            }
        },
        (true, false) => quote! {
            #i => {
                let (requests, reply) = call.client_stream();
                let result = __rt::with_deadline(reply.deadline(), #name(&self.0, requests)).await;
                reply.send(result).await;
            }
        },
        (false, true) => quote! {
            #i => {
                let Some((request, mut responses)) = call.server_stream().await else { return };
                let result = __rt::with_deadline(responses.deadline(), #name(&self.0, request, &mut responses)).await;
                responses.finish(result).await;
            }
        },
        (true, true) => quote! {
            #i => {
                let (requests, mut responses) = call.bidi_stream();
                let result = __rt::with_deadline(responses.deadline(), #name(&self.0, requests, &mut responses)).await;
                responses.finish(result).await;
            }
        },
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
    let arms = s
        .methods
        .iter()
        .enumerate()
        .map(|(i, m)| dispatch_arm(i, &trait_name, m));
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
    let imp = if s.trait_name == "S" {
        quote!(Svc)
    } else {
        quote!(S)
    };
    // Methods are named after the rpcs, whatever their prefix (`into_`, `from_`).
    let self_convention = s
        .methods
        .iter()
        .any(|m| {
            ["into_", "from_", "to_", "as_", "is_"]
                .iter()
                .any(|p| m.rust_name.starts_with(p))
        })
        .then(|| quote!(#[allow(clippy::wrong_self_convention)]));
    let caps =
        super::all_caps(&s.trait_name).then(|| quote!(#[allow(clippy::upper_case_acronyms)]));
    let sd = format!(
        " Serves a [`{}`] implementation: add it to a `Router`.",
        s.trait_name
    );
    quote! {
        #d
        // Thread-per-core: handler futures are deliberately not `Send`.
        #[allow(async_fn_in_trait)]
        #self_convention
        #caps
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

        // One match arm per method, however many methods.
        #[allow(clippy::too_many_lines)]
        impl<#imp: #trait_name> __rt::Service for #server_name<#imp> {
            fn descriptor(&self) -> &'static __rt::ServiceDescriptor {
                &#module::SERVICE
            }

            async fn call(&self, method: usize, call: __rt::Call<'_>) {
                #dispatch
            }
        }
    }
}
