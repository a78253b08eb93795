//! Protobuf names to Rust names.

/// Rust keywords that can be written as raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];

/// Keywords that cannot be raw identifiers; an underscore is appended instead.
const RESERVED: &[&str] = &["self", "super", "crate", "Self", "_"];

/// Turns `fooBar_baz`, `FooBar` or `foo_bar` into `foo_bar`.
#[must_use]
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(char::is_ascii_lowercase),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    let trimmed = out.trim_matches('_');
    let mut collapsed = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        if c == '_' && collapsed.ends_with('_') {
            continue;
        }
        collapsed.push(c);
    }
    if collapsed.is_empty() {
        "field".to_owned()
    } else {
        collapsed
    }
}

/// Turns `foo_bar`, `fooBar` or `FOO_BAR` into `FooBar`.
#[must_use]
pub(crate) fn upper_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let all_upper = !name.chars().any(|c| c.is_ascii_lowercase());
    let mut upper_next = true;
    for c in name.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            out.push(c.to_ascii_uppercase());
            upper_next = false;
        } else if all_upper {
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
        if c.is_ascii_digit() {
            upper_next = true;
        }
    }
    if out.is_empty() {
        "Unnamed".to_owned()
    } else {
        out
    }
}

/// Turns `fooBar` or `foo_bar` into `FOO_BAR`.
#[must_use]
pub(crate) fn screaming_snake(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return name.to_owned();
    }
    snake_case(name).to_ascii_uppercase()
}

/// Names that generated code uses unqualified in the scopes where generated names live: the
/// primitive types (a module `str` would shadow `str`) and the runtime alias.
pub(crate) const UNQUALIFIED_LOWER: &[&str] = &[
    "bool", "char", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "str", "u8", "u16",
    "u32", "u64", "u128", "usize", "__rt",
];

/// The spelling a name gets as a Rust identifier (before deduplication, so that two names
/// that end up spelled alike are told apart): `_`-suffixed for the keywords that cannot be
/// raw identifiers, `_`-prefixed when it starts with a digit. Other keywords keep their
/// spelling and become raw identifiers in [`ident`].
#[must_use]
pub(crate) fn escape(name: &str) -> String {
    if RESERVED.contains(&name) {
        format!("{name}_")
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name.to_owned()
    }
}

/// Makes `name` usable as a Rust identifier: [`escape`]d, and raw for keywords.
#[must_use]
pub(crate) fn ident(name: &str) -> proc_macro2::Ident {
    let span = proc_macro2::Span::call_site();
    let name = escape(name);
    if RAW_KEYWORDS.contains(&name.as_str()) {
        proc_macro2::Ident::new_raw(&name, span)
    } else {
        proc_macro2::Ident::new(&name, span)
    }
}

/// The lowerCamelCase JSON name protoc derives when `json_name` is not set.
#[must_use]
pub(crate) fn json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper_next = false;
    for c in name.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            out.push(c.to_ascii_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_table() {
        for (input, want) in [
            ("foo_bar", "foo_bar"),
            ("fooBar", "foo_bar"),
            ("FooBar", "foo_bar"),
            ("field_name1", "field_name1"),
            ("fieldName2", "field_name2"),
            ("_field_name3", "field_name3"),
            ("field__name4_", "field_name4"),
            ("field0name5", "field0name5"),
            ("FIELD_NAME11", "field_name11"),
            ("HTTPServer", "http_server"),
            ("TestAllTypesProto3", "test_all_types_proto3"),
        ] {
            assert_eq!(snake_case(input), want, "{input}");
        }
    }

    #[test]
    fn upper_camel_table() {
        for (input, want) in [
            ("foo_bar", "FooBar"),
            ("oneof_uint32", "OneofUint32"),
            ("FOO_BAR", "FooBar"),
            ("fooBar", "FooBar"),
            ("v1", "V1"),
        ] {
            assert_eq!(upper_camel(input), want, "{input}");
        }
    }

    #[test]
    fn json_name_matches_protoc() {
        assert_eq!(json_name("foo_bar_baz"), "fooBarBaz");
        assert_eq!(json_name("field__name4_"), "fieldName4");
        assert_eq!(json_name("FIELD_NAME11"), "FIELDNAME11");
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("name").to_string(), "name");
    }
}
