//! Rust code generation from the resolved [`Model`](crate::model::Model).
//!
//! One file per protobuf package. Inside it, each message `Foo` becomes a struct `Foo<'a>`
//! and, when it has nested types or oneofs, a module `foo` holding them. Generated code
//! reaches the runtime only through the alias `__rt` (the configured runtime path).

mod enumeration;
mod json;
mod message;
mod service;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::Config;
use crate::model::{Model, Package, Scalar, ValueType};
use crate::names::ident;

/// Where the code being generated sits: which package, how many modules deep.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'m> {
    pub(crate) model: &'m Model,
    pub(crate) config: &'m Config,
    pub(crate) package: &'m str,
    pub(crate) depth: usize,
}

impl<'m> Ctx<'m> {
    fn nested(self) -> Ctx<'m> {
        Ctx {
            depth: self.depth + 1,
            ..self
        }
    }

    /// `super::` repeated to reach the package module from the current module.
    fn to_package_root(self) -> TokenStream {
        let supers = (0..self.depth).map(|_| quote!(super::));
        quote!(#(#supers)*)
    }

    /// The Rust path of a message or enum (full name with leading dot), without generics.
    pub(crate) fn type_path(self, full: &str) -> TokenStream {
        let Some(loc) = self.model.types.get(full) else {
            // Unresolvable names cannot come out of a checked descriptor set.
            let name = format_ident!("UnresolvedType");
            return quote!(#name);
        };
        let segments: Vec<_> = loc.path.iter().map(|s| ident(s)).collect();
        for (proto_package, rust_path) in &self.config.extern_paths {
            if loc.package == *proto_package {
                let base: syn::Path =
                    syn::parse_str(rust_path).expect("extern path is a Rust path");
                return quote!(#base #(::#segments)*);
            }
        }
        let root = self.to_package_root();
        if loc.package == self.package {
            return quote!(#root #(#segments)::*);
        }
        // Up from this package to the root of the package tree, then down.
        let ups = self
            .package
            .split('.')
            .filter(|s| !s.is_empty())
            .map(|_| quote!(super::));
        let downs = loc.package.split('.').filter(|s| !s.is_empty()).map(ident);
        quote!(#root #(#ups)* #(#downs::)* #(#segments)::*)
    }

    /// The Rust type of a value (message types get `<'a>`).
    pub(crate) fn value_type(self, ty: &ValueType) -> TokenStream {
        match ty {
            ValueType::Scalar(s) => scalar_type(*s),
            ValueType::Enum(n) => self.type_path(n),
            ValueType::Message(n) => {
                let p = self.type_path(n);
                quote!(#p<'a>)
            }
        }
    }
}

pub(crate) fn scalar_type(s: Scalar) -> TokenStream {
    match s {
        Scalar::Double => quote!(f64),
        Scalar::Float => quote!(f32),
        Scalar::Int64 | Scalar::Sint64 | Scalar::Sfixed64 => quote!(i64),
        Scalar::Uint64 | Scalar::Fixed64 => quote!(u64),
        Scalar::Int32 | Scalar::Sint32 | Scalar::Sfixed32 => quote!(i32),
        Scalar::Uint32 | Scalar::Fixed32 => quote!(u32),
        Scalar::Bool => quote!(bool),
        Scalar::String => quote!(__rt::Cow<'a, str>),
        Scalar::Bytes => quote!(__rt::Cow<'a, [u8]>),
    }
}

/// The `Decoder` / `Encoder` method name for a scalar.
pub(crate) fn scalar_method(s: Scalar) -> proc_macro2::Ident {
    format_ident!(
        "{}",
        match s {
            Scalar::Double => "double",
            Scalar::Float => "float",
            Scalar::Int64 => "int64",
            Scalar::Uint64 => "uint64",
            Scalar::Int32 => "int32",
            Scalar::Fixed64 => "fixed64",
            Scalar::Fixed32 => "fixed32",
            Scalar::Bool => "bool",
            Scalar::String => "string",
            Scalar::Bytes => "bytes",
            Scalar::Uint32 => "uint32",
            Scalar::Sfixed32 => "sfixed32",
            Scalar::Sfixed64 => "sfixed64",
            Scalar::Sint32 => "sint32",
            Scalar::Sint64 => "sint64",
        }
    )
}

/// An unsuffixed integer literal, with `_` separators when long (clippy's
/// `unreadable_literal`).
pub(crate) fn int_lit(n: i128) -> TokenStream {
    let digits = n.unsigned_abs().to_string();
    let grouped = if digits.len() > 4 {
        let mut g = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                g.push('_');
            }
            g.push(c);
        }
        g
    } else {
        digits
    };
    let lit = syn::LitInt::new(&grouped, proc_macro2::Span::call_site());
    if n < 0 { quote!(-#lit) } else { quote!(#lit) }
}

/// Doc attributes from a proto comment, or a fallback sentence.
pub(crate) fn doc(comment: Option<&String>, fallback: &str) -> TokenStream {
    if let Some(c) = comment {
        // Dedent by the comment's common indentation (usually the space after `//`); lines
        // continuing a list item are aligned under its text, as markdown requires.
        let common = c
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        let mut item_indent: Option<usize> = None;
        let lines = c.lines().map(move |l| {
            let l = l.get(common..).unwrap_or("");
            let body = l.trim_start();
            let l = if body.is_empty() {
                item_indent = None;
                String::new()
            } else if let Some(marker) = ["- ", "* ", "+ "].iter().find(|m| body.starts_with(**m)) {
                item_indent = Some(l.len() - body.len() + marker.len());
                l.to_owned()
            } else if let Some(indent) = item_indent {
                format!("{}{body}", " ".repeat(indent))
            } else {
                l.to_owned()
            };
            let l = format!(" {}", escape_doc(&l));
            quote!(#[doc = #l])
        });
        // Proto comments are free text, not Rust doc markdown.
        quote!(#(#lines)* #[allow(clippy::doc_markdown)])
    } else {
        let l = format!(" {fallback}");
        quote!(#[doc = #l])
    }
}

/// Neutralises text that rustdoc would read as markup it cannot resolve: indentation (which
/// would make code blocks, compiled as doctests), code fences, link brackets, HTML angle
/// brackets; bare URLs become autolinks.
fn escape_doc(line: &str) -> String {
    // Keep up to 3 spaces of indentation (list continuations) but never 4, which would start
    // a code block.
    let body = line.trim_start();
    let indent = (line.len() - body.len()).min(3);
    let line = format!("{}{body}", " ".repeat(indent));
    let line = line.as_str();
    let line = if line.trim_start().starts_with("```") {
        line.replacen("```", "\\`\\`\\`", 1)
    } else {
        line.to_owned()
    };
    let escaped = line
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    escaped
        .split(' ')
        .map(|word| {
            if word.starts_with("http://") || word.starts_with("https://") {
                let url = word.trim_end_matches(['.', ',', ';', ':', ')']);
                format!("<{url}>{}", &word[url.len()..])
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Generates one package's file.
pub(crate) fn package_file(model: &Model, config: &Config, package: &Package) -> String {
    let ctx = Ctx {
        model,
        config,
        package: &package.name,
        depth: 0,
    };
    let rt: syn::Path = syn::parse_str(&config.runtime_path).expect("runtime path is a Rust path");
    let mut items = Vec::new();
    for m in &package.messages {
        items.push(message::message(ctx, m));
    }
    for e in &package.enums {
        items.push(enumeration::enumeration(e));
    }
    for s in &package.services {
        items.push(service::service(ctx, s));
    }
    let registry = message::registry(ctx, package);
    let header = format!(
        " Generated by connect-codegen from protobuf package `{}`. Do not edit.",
        if package.name.is_empty() {
            "(none)"
        } else {
            &package.name
        }
    );
    let file = quote! {
        #![doc = #header]
        #[allow(unused_imports)]
        use #rt as __rt;
        #(#items)*
        #registry
    };
    render(&file)
}

/// Formats tokens as a Rust file. The header doc becomes a `//` comment: generated files are
/// `include!`d, where inner attributes are not allowed.
fn render(tokens: &TokenStream) -> String {
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(f) => f,
        Err(e) => panic!("generated code does not parse: {e}\n{tokens}"),
    };
    let text = prettyplease::unparse(&file);
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("//!") {
            out.push_str("//");
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The tokens of a nested module: imports `__rt` from the parent.
pub(crate) fn nested_module(name: &str, doc_line: &str, items: &[TokenStream]) -> TokenStream {
    let m = ident(name);
    let d = format!(" {doc_line}");
    quote! {
        #[doc = #d]
        pub mod #m {
            #[allow(unused_imports)]
            use super::__rt;
            #(#items)*
        }
    }
}
#[cfg(test)]
mod doc_tests {
    #[test]
    fn list_continuations_are_indented() {
        let c = " If:\n - the handler should\n   then alternate.\n\n - second\n   item".to_owned();
        let out = super::doc(Some(&c), "").to_string();
        assert!(out.contains(r#""   then alternate.""#), "{out}");
        assert!(out.contains(r#""   item""#), "{out}");
    }
}
