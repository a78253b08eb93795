//! Service model: procedure paths, stream kinds, idempotency.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, doc};
use crate::model::Service;
use crate::names::{ident, screaming_snake, snake_case};

pub(crate) fn service(ctx: Ctx<'_>, s: &Service) -> TokenStream {
    let module = ident(&snake_case(&s.name));
    let full = &s.full_name;
    let d = doc(s.doc.as_ref(), &format!("The `{full}` service."));
    let mut consts = Vec::new();
    let mut names = Vec::new();
    for m in &s.methods {
        let c = ident(&screaming_snake(&m.rust_name));
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
        let md = doc(m.doc.as_ref(), &format!("The `{name}` method."));
        let _ = ctx;
        consts.push(quote! {
            #md
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
        #d
        pub mod #module {
            #[allow(unused_imports)]
            use super::__rt;

            /// The service's description: its full name and methods.
            pub const SERVICE: __rt::ServiceDescriptor = __rt::ServiceDescriptor {
                name: #full,
                methods: &[#(#names),*],
            };

            #(#consts)*
        }
    }
}
