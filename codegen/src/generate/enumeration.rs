//! Open enums: a newtype over `i32` with an associated constant per value.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc, int_lit};
use crate::model::Enum;
use crate::names::ident;

pub(crate) fn enumeration(e: &Enum) -> TokenStream {
    let name = ident(&e.rust_name);
    let full = &e.full_name;
    let d = doc(e.doc.as_ref(), &format!("The `{full}` enum."));
    let consts = e.values.iter().map(|v| {
        let c = ident(&v.const_name);
        let n = int_lit(i128::from(v.number));
        let vd = doc(
            v.doc.as_ref(),
            &format!("`{}` ({}).", v.proto_name, v.number),
        );
        quote!(#vd pub const #c: Self = Self(#n);)
    });
    // The first name declared for a number is its canonical name.
    let mut seen = std::collections::HashSet::new();
    let name_arms: Vec<_> = e
        .values
        .iter()
        .filter(|v| seen.insert(v.number))
        .map(|v| {
            let n = int_lit(i128::from(v.number));
            let s = &v.proto_name;
            quote!(#n => Some(#s),)
        })
        .collect();
    let from_arms = e.values.iter().map(|v| {
        let c = ident(&v.const_name);
        let s = &v.proto_name;
        quote!(#s => Some(Self::#c),)
    });
    quote! {
        #d
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct #name(pub i32);

        impl #name {
            #(#consts)*
        }

        impl __rt::Enumeration for #name {
            const FULL_NAME: &'static str = #full;

            fn number(self) -> i32 {
                self.0
            }

            fn from_number(n: i32) -> Self {
                Self(n)
            }

            fn name(self) -> Option<&'static str> {
                match self.0 {
                    #(#name_arms)*
                    _ => None,
                }
            }

            fn from_name(name: &str) -> Option<Self> {
                match name {
                    #(#from_arms)*
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match __rt::Enumeration::name(*self) {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}", self.0),
                }
            }
        }
    }
}
