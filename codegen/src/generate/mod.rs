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
        // Up from this package to the root of the package tree, then down. The package
        // without a name sits one module down too (`ROOT_PACKAGE_MODULE` in `_include.rs`).
        let depth = self
            .package
            .split('.')
            .filter(|s| !s.is_empty())
            .count()
            .max(1);
        let ups = (0..depth).map(|_| quote!(super::));
        let downs = self
            .model
            .package_modules
            .get(&loc.package)
            .into_iter()
            .flatten()
            .map(|m| ident(m));
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

/// The lints generated code allows, with the reason for each. `_include.rs` puts them on the
/// module around each package's file, once (a file that is `include!`d cannot carry inner
/// attributes of its own).
pub(crate) const ALLOWED_LINTS: &[(&str, &str)] = &[
    (
        "unused_imports",
        "a package need not use every runtime import",
    ),
    (
        "async_fn_in_trait",
        "thread-per-core: handler futures are deliberately not `Send`",
    ),
    (
        "clippy::doc_markdown",
        "proto comments are free text, not Rust doc markdown",
    ),
    (
        "clippy::too_many_lines",
        "codecs and dispatch are one match arm per field or method",
    ),
    (
        "clippy::missing_errors_doc",
        "every client method's error is the call's `ConnectError`",
    ),
    (
        "clippy::large_enum_variant",
        "oneof variants hold messages by value, not boxed",
    ),
    (
        "clippy::enum_variant_names",
        "oneof variants are named after their proto fields",
    ),
    (
        "clippy::redundant_closure",
        "the closures in `TYPES` make lifetimes higher-ranked",
    ),
    (
        "clippy::struct_field_names",
        "field names come from the proto",
    ),
    (
        "clippy::struct_excessive_bools",
        "messages have as many bool fields as the proto has",
    ),
    (
        "clippy::upper_case_acronyms",
        "type names come from the proto (`HTTP`)",
    ),
    (
        "clippy::wrong_self_convention",
        "method names come from the proto (`ToJson` takes `&self`)",
    ),
];

/// Doc attributes from a proto comment, or a fallback sentence.
pub(crate) fn doc(comment: Option<&String>, fallback: &str) -> TokenStream {
    doc_with_note(comment, fallback, None)
}

/// [`doc`] followed by a paragraph of text (rendered like a comment).
pub(crate) fn doc_with_note(
    comment: Option<&String>,
    fallback: &str,
    note: Option<&str>,
) -> TokenStream {
    let mut lines = comment.map(|c| comment_lines(c)).unwrap_or_default();
    if let Some(note) = note {
        if lines.is_empty() {
            lines.push(fallback.to_owned());
        }
        lines.push(String::new());
        lines.extend(comment_lines(note));
    }
    if lines.is_empty() {
        let l = format!(" {fallback}");
        return quote!(#[doc = #l]);
    }
    let lines = lines.iter().map(|l| {
        let l = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

/// Renders a proto comment as rustdoc Markdown that shows its text as written.
///
/// Proto comments are plain text (some use Markdown, most do not), so nothing in them is
/// taken as Markdown syntax except `code spans`: lines keep their breaks (a trailing `\`),
/// characters that Markdown would read as lists, headings, emphasis, links, tables or HTML
/// are escaped, bare URLs become autolinks (`<https://..>`), and indented or fenced blocks
/// are shown verbatim in `text` code blocks (never compiled as doctests). Line endings are
/// normalised (a lone CR is a line break, which rustc would refuse in a doc comment), tabs
/// expanded, and control or text-direction characters spelled `U+XXXX`.
pub(crate) fn comment_lines(comment: &str) -> Vec<String> {
    let text = comment.replace("\r\n", "\n").replace('\r', "\n");
    let raw: Vec<String> = text.lines().map(clean_line).collect();
    let common = raw
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| indentation(l))
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = raw.iter().map(|l| l.get(common..).unwrap_or("")).collect();
    let mut out: Vec<String> = Vec::new();
    // Whether the last line written is text of an open paragraph.
    let mut in_paragraph = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let indent = indentation(line);
        let body = &line[indent..];
        if body.is_empty() {
            out.push(String::new());
            in_paragraph = false;
            i += 1;
        } else if let Some(fence) = fence(body) {
            // A fenced block (``` or ~~~, at any indentation, in a list item or not).
            let mut block = Vec::new();
            i += 1;
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                let b = l.trim_start();
                if b.starts_with(fence)
                    && b.trim_start_matches(fence.chars().next().unwrap_or('`'))
                        .trim()
                        .is_empty()
                {
                    break;
                }
                block.push(l.get(indent.min(indentation(l))..).unwrap_or(""));
            }
            code_block(&block, &mut out);
            in_paragraph = false;
        } else if indent >= 4 && !in_paragraph {
            // An indented block: up to the next line indented less (blank lines included).
            let start = i;
            while i < lines.len() && (lines[i].is_empty() || indentation(lines[i]) >= 4) {
                i += 1;
            }
            let mut end = i;
            while end > start && lines[end - 1].is_empty() {
                end -= 1;
            }
            let block: Vec<&str> = lines[start..end]
                .iter()
                .map(|l| l.get(4..).unwrap_or(""))
                .collect();
            code_block(&block, &mut out);
            in_paragraph = false;
            i = end;
        } else {
            // Lines of a paragraph stay lines in the source and flow together in rustdoc.
            out.push(escape_text(body));
            in_paragraph = true;
            i += 1;
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    let first = out.iter().position(|l| !l.is_empty()).unwrap_or(out.len());
    out.drain(..first);
    out
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Tabs expanded (to multiples of 4 columns), trailing white space removed, and characters
/// that do not belong in a doc comment spelled out.
fn clean_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut column = 0;
    for c in line.chars() {
        match c {
            '\t' => {
                let n = 4 - column % 4;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            // Control characters and the text-direction overrides that rustc refuses
            // (`text_direction_codepoint_in_comment`).
            c if c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                use std::fmt::Write as _;
                let _ = write!(out, "U+{:04X}", u32::from(c));
                column += 6;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// The opening fence of a fenced code block (```` ``` ```` or `~~~`, 3 or more).
fn fence(body: &str) -> Option<&str> {
    for c in ['`', '~'] {
        let n = body.len() - body.trim_start_matches(c).len();
        if n >= 3 {
            return Some(&body[..n]);
        }
    }
    None
}

/// A `text` code block holding `lines` verbatim, fenced with more backticks than it holds.
fn code_block(lines: &[&str], out: &mut Vec<String>) {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    out.push(format!("{fence}text"));
    out.extend(lines.iter().map(|l| (*l).to_owned()));
    out.push(fence);
}

/// Escapes one line of text so that Markdown shows it as written; keeps code spans and
/// turns bare URLs into autolinks.
fn escape_text(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            // The closing run of the same length, if any, makes a code span.
            let close = (i + run..chars.len()).find(|&j| {
                chars[j] == '`'
                    && chars[j - 1] != '`'
                    && chars[j..].iter().take_while(|&&c| c == '`').count() == run
            });
            if let Some(j) = close {
                out.extend(&chars[i..j + run]);
                i = j + run;
            } else {
                for _ in 0..run {
                    out.push_str("\\`");
                }
                i += run;
            }
            continue;
        }
        if let Some(len) = url_at(&chars, i) {
            out.push('<');
            out.extend(&chars[i..i + len]);
            out.push('>');
            i += len;
            continue;
        }
        let alnum = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let escape = match c {
            '\\' | '*' | '[' | ']' | '<' | '>' | '&' | '~' | '|' | '{' | '}' => true,
            // Intraword underscores (`snake_case`) are not emphasis.
            '_' => !(alnum(i.checked_sub(1)) && alnum(Some(i + 1))),
            // Markers that start a block at the beginning of a line.
            '#' | '-' | '+' | '=' => i == 0,
            // `1.` or `1)` starting a line is an ordered list item.
            '.' | ')' => chars[..i].iter().all(char::is_ascii_digit) && i > 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The length of a bare `http://` or `https://` URL starting at `i`, if one does: up to
/// white space or a character URLs do not hold unescaped, without trailing punctuation and
/// without a `)` that closes a parenthesis opened before the URL.
fn url_at(chars: &[char], i: usize) -> Option<usize> {
    let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
    let scheme = if rest.starts_with("https://") {
        8
    } else if rest.starts_with("http://") {
        7
    } else {
        return None;
    };
    if i > 0 && chars[i - 1].is_alphanumeric() {
        return None;
    }
    let mut len = scheme;
    let mut depth = 0i32;
    while let Some(&c) = chars.get(i + len) {
        if c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`' | '\'' | '\\') {
            break;
        }
        if c == '(' {
            depth += 1;
        } else if c == ')' {
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        len += 1;
    }
    while len > scheme
        && matches!(
            chars[i + len - 1],
            '.' | ',' | ';' | ':' | '!' | '?' | '*' | '_' | '~' | ']' | '['
        )
    {
        len -= 1;
    }
    (len > scheme).then_some(len)
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
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut previous: Option<&str> = None;
    let mut in_fence = false;
    for line in text.lines() {
        if previous.is_some_and(|p| item_boundary(p, line)) {
            out.push('\n');
        }
        if let Some(rest) = line.strip_prefix("//!") {
            out.push_str("//");
            out.push_str(rest);
            out.push('\n');
        } else if let Some(text) = line.trim_start().strip_prefix("///") {
            if text.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            let pad = &line[..line.len() - line.trim_start().len()];
            if in_fence {
                out.push_str(line);
                out.push('\n');
            } else {
                wrap_doc(pad, text, &mut out);
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
        previous = Some(line);
    }
    out
}

/// Writes a doc line, broken at spaces to fit rustfmt's 100 columns where it can (Markdown
/// joins the pieces back into one paragraph).
fn wrap_doc(pad: &str, text: &str, out: &mut String) {
    const WIDTH: usize = 100;
    let lead = pad.len() + 3;
    let indent = text.len() - text.trim_start().len();
    let mut rest = text;
    while lead + rest.len() > WIDTH {
        let room = WIDTH - lead;
        // The last space that fits, past the line's own indentation.
        let Some(cut) = rest
            .char_indices()
            .rev()
            .find(|&(i, c)| c == ' ' && i > indent && i <= room)
            .map(|(i, _)| i)
        else {
            break;
        };
        out.push_str(pad);
        out.push_str("///");
        out.push_str(&rest[..cut]);
        out.push('\n');
        rest = &text[text.len() - rest.len() + cut..];
        // The continuation keeps one space after `///`, as the first piece has.
        rest = &rest[rest.len() - rest.trim_start().len() - 1..];
    }
    out.push_str(pad);
    out.push_str("///");
    out.push_str(rest);
    out.push('\n');
}

/// Whether a blank line goes between `previous` and `line` (prettyplease writes none): between
/// items at the same depth, as hand-written code has, but not between one-line items in a run
/// (associated constants), nor inside function bodies.
fn item_boundary(previous: &str, line: &str) -> bool {
    const ITEM_STARTS: &[&str] = &[
        "///",
        "#[",
        "pub ",
        "pub(",
        "fn ",
        "async fn ",
        "impl",
        "const ",
        "type ",
        "struct ",
        "enum ",
        "mod ",
        "use ",
        "trait ",
        "unsafe ",
    ];
    let depth = |l: &str| l.len() - l.trim_start().len();
    if previous.starts_with("//!") {
        return true;
    }
    if depth(previous) != depth(line) {
        return false;
    }
    let (p, l) = (previous.trim_start(), line.trim_start());
    if !ITEM_STARTS.iter().any(|s| l.starts_with(s)) {
        return false;
    }
    let one_line_item =
        |t: &str| t.ends_with(';') && ITEM_STARTS.iter().any(|s| t.starts_with(s) && *s != "///");
    p == "}" || p == "};" || (one_line_item(p) && !one_line_item(l))
}

/// The tokens of a nested module: imports `__rt` from the parent.
pub(crate) fn nested_module(name: &str, doc_line: &str, items: &[TokenStream]) -> TokenStream {
    let m = ident(name);
    let d = format!(" {doc_line}");
    quote! {
        #[doc = #d]
        pub mod #m {
            use super::__rt;
            #(#items)*
        }
    }
}
#[cfg(test)]
mod doc_tests {
    use super::comment_lines;

    fn render(c: &str) -> Vec<String> {
        comment_lines(c)
    }

    #[test]
    fn lines_stay_lines_and_lists_are_text() {
        let out = render(" If:\n - the handler should\n   then alternate.\n\n 1. second\n   item");
        assert_eq!(
            out,
            [
                "If:",
                "\\- the handler should",
                "then alternate.",
                "",
                "1\\. second",
                "item"
            ]
        );
    }

    #[test]
    fn markdown_syntax_is_escaped_but_code_spans_are_kept() {
        let out = render(" # Title *a* _b_ [c](d) <e> & | x ~~y~~ `[ok]` foo_bar `unclosed");
        assert_eq!(
            out,
            [r"\# Title \*a\* \_b\_ \[c\](d) \<e\> \& \| x \~\~y\~\~ `[ok]` foo_bar \`unclosed"]
        );
    }

    #[test]
    fn bare_urls_become_autolinks() {
        let out = render(
            r#" See https://a.example/x, (https://b.example/y) "http://c.example" https://w.example/A_(b)."#,
        );
        assert_eq!(
            out,
            [
                r#"See <https://a.example/x>, (<https://b.example/y>) "<http://c.example>" <https://w.example/A_(b)>."#
            ]
        );
    }

    #[test]
    fn blocks_become_text_code_blocks() {
        let out = render(
            " Example:\n\n     let x = 1;\n       y\n\n - item\n   ~~~\n   fn f() {}\n   ~~~\n ```rust\n a ``` b\n ```\n after",
        );
        assert_eq!(
            out,
            [
                "Example:",
                "",
                "```text",
                "let x = 1;",
                "  y",
                "```",
                "",
                "\\- item",
                "```text",
                "fn f() {}",
                "```",
                "````text",
                "a ``` b",
                "````",
                "after",
            ]
        );
    }

    #[test]
    fn the_well_known_types_allow_the_same_lints() {
        let wkt = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../engine/connect-wire/src/wkt/mod.rs"
        ))
        .expect("connect-wire's wkt/mod.rs");
        for (lint, _) in super::ALLOWED_LINTS {
            assert!(
                wkt.contains(&format!("    {lint},")) || wkt.contains(&format!("    {lint}\n")),
                "{lint}"
            );
        }
    }

    #[test]
    fn carriage_returns_tabs_and_controls_are_normalised() {
        let out = render(" a\rb\r\nc\td \u{202E}e\u{7} ");
        assert_eq!(out, ["a", "b", "c   d U+202EeU+0007"]);
    }
}
