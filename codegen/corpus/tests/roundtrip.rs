//! Binary and JSON round trips of the corpus messages.
//!
//! * Every message of every corpus file, through both front doors: a binary encoding with
//!   every field set (built here from protoc's descriptor set, decoded with the runtime's own
//!   `google.protobuf.FileDescriptorSet`) is decoded, written as JSON inside an `Any`, read
//!   back and re-encoded; the bytes must come back unchanged, and the JSON too.
//! * protoc's descriptor sets themselves (descriptor.proto, proto2) round-trip through the
//!   runtime's descriptor types in binary and JSON.
//! * A few googleapis messages by hand: `google.rpc.Status` with `Any` details and
//!   `google.api.Service` with the `Api`, `Type` and `Enum` well-known types.

// This harness (not generated code) writes wire integers of every width by hand.
#![allow(
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation,
    clippy::too_many_lines
)]

use std::borrow::Cow;
use std::collections::HashMap;

use codegen_corpus::registries;
use connect_engine::codegen::wkt::field_descriptor_proto::{Label, Type};
use connect_engine::codegen::wkt::{
    self, DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorSet,
};
use connect_engine::codegen::{Message, TypeEntry};
use connect_engine::wire::json::{JsonOptions, TypeRegistry};

fn descriptor_set(corpus: &str) -> Vec<u8> {
    let path = format!("{}/{corpus}.pb", env!("CORPUS_OUT"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn options(types: &[&[TypeEntry]]) -> JsonOptions {
    let mut registry = TypeRegistry::new();
    for t in types {
        registry.add(t);
    }
    JsonOptions {
        ignore_unknown_fields: false,
        registry: Some(Box::leak(Box::new(registry))),
    }
}

/// Messages and enums of a descriptor set by full name (leading dot), with their syntax.
struct Schema<'s> {
    messages: HashMap<String, (&'s DescriptorProto<'s>, bool)>,
    enums: HashMap<String, &'s EnumDescriptorProto<'s>>,
}

impl<'s> Schema<'s> {
    fn new(set: &'s FileDescriptorSet<'s>) -> Self {
        fn index<'s>(
            schema: &mut Schema<'s>,
            prefix: &str,
            m: &'s DescriptorProto<'s>,
            proto3: bool,
        ) {
            let full = format!("{prefix}.{}", m.name.as_deref().unwrap_or_default());
            for n in &m.nested_type {
                index(schema, &full, n, proto3);
            }
            for e in &m.enum_type {
                let name = format!("{full}.{}", e.name.as_deref().unwrap_or_default());
                schema.enums.insert(name, e);
            }
            schema.messages.insert(full, (m, proto3));
        }
        let mut schema = Schema {
            messages: HashMap::new(),
            enums: HashMap::new(),
        };
        for f in &set.file {
            let prefix = match f.package.as_deref() {
                None | Some("") => String::new(),
                Some(p) => format!(".{p}"),
            };
            let proto3 = f.syntax.as_deref() == Some("proto3");
            for m in &f.message_type {
                index(&mut schema, &prefix, m, proto3);
            }
            for e in &f.enum_type {
                let name = format!("{prefix}.{}", e.name.as_deref().unwrap_or_default());
                schema.enums.insert(name, e);
            }
        }
        schema
    }

    /// The binary encoding of message `full` with every field set (one member per oneof),
    /// in field-number order, as the generated encoder writes it. Message fields stop at
    /// `depth` 3.
    fn populate(&self, full: &str, depth: usize) -> Vec<u8> {
        let mut out = Vec::new();
        // Well-known types whose JSON form constrains their values.
        match full {
            ".google.protobuf.Any" => {
                field(
                    &mut out,
                    1,
                    &Wire::Len(b"type.googleapis.com/google.protobuf.Duration".to_vec()),
                );
                field(&mut out, 2, &Wire::Len(vec![8, 3]));
                return out;
            }
            ".google.protobuf.Timestamp" => {
                field(&mut out, 1, &Wire::Varint(1_700_000_000));
                field(&mut out, 2, &Wire::Varint(5_000_000));
                return out;
            }
            ".google.protobuf.Duration" => {
                field(&mut out, 1, &Wire::Varint(3));
                field(&mut out, 2, &Wire::Varint(500_000_000));
                return out;
            }
            ".google.protobuf.FieldMask" => {
                field(&mut out, 1, &Wire::Len(b"a.b_c".to_vec()));
                field(&mut out, 1, &Wire::Len(b"d".to_vec()));
                return out;
            }
            ".google.protobuf.Value" => {
                field(&mut out, 3, &Wire::Len(b"v".to_vec()));
                return out;
            }
            ".google.protobuf.ListValue" => {
                let v = self.populate(".google.protobuf.Value", depth + 1);
                field(&mut out, 1, &Wire::Len(v.clone()));
                field(&mut out, 1, &Wire::Len(v));
                return out;
            }
            ".google.protobuf.Struct" => {
                let mut entry = Vec::new();
                field(&mut entry, 1, &Wire::Len(b"k".to_vec()));
                field(
                    &mut entry,
                    2,
                    &Wire::Len(self.populate(".google.protobuf.Value", depth + 1)),
                );
                field(&mut out, 1, &Wire::Len(entry));
                return out;
            }
            _ => {}
        }
        let (m, proto3) = self.messages[full];
        let mut fields: Vec<&FieldDescriptorProto<'_>> = m.field.iter().collect();
        fields.sort_by_key(|f| f.number);
        // The lowest-numbered member of each real oneof.
        let mut chosen: HashMap<i32, i32> = HashMap::new();
        for f in &fields {
            if let Some(o) = f.oneof_index
                && f.proto3_optional != Some(true)
            {
                chosen.entry(o).or_insert(f.number.unwrap_or_default());
            }
        }
        for f in fields {
            let number = f.number.unwrap_or_default() as u32;
            let in_oneof = f.oneof_index.is_some() && f.proto3_optional != Some(true);
            if in_oneof && chosen[&f.oneof_index.unwrap_or_default()] != number as i32 {
                continue;
            }
            let ty = f.r#type.unwrap_or_default();
            let explicit =
                in_oneof || f.proto3_optional == Some(true) || !proto3 || ty == Type::TYPE_MESSAGE;
            if f.label == Some(Label::LABEL_REPEATED) {
                let entry = (ty == Type::TYPE_MESSAGE)
                    .then(|| &self.messages[f.type_name.as_deref().unwrap_or_default()])
                    .filter(|(e, _)| e.options.as_ref().and_then(|o| o.map_entry) == Some(true));
                if let Some((entry, _)) = entry {
                    // A map: one entry, key and value both written.
                    let mut bytes = Vec::new();
                    let mut kv: Vec<_> = entry.field.iter().collect();
                    kv.sort_by_key(|f| f.number);
                    for f in kv {
                        let Some(v) = self.value(f, depth, true) else {
                            bytes.clear();
                            break;
                        };
                        field(&mut bytes, f.number.unwrap_or_default() as u32, &v);
                    }
                    if !bytes.is_empty() {
                        field(&mut out, number, &Wire::Len(bytes));
                    }
                    continue;
                }
                let Some(v) = self.value(f, depth, true) else {
                    continue;
                };
                let packable = !matches!(v, Wire::Len(_));
                let packed = f.options.as_ref().and_then(|o| o.packed).unwrap_or(proto3);
                if packable && packed {
                    let mut payload = Vec::new();
                    v.raw(&mut payload);
                    v.raw(&mut payload);
                    field(&mut out, number, &Wire::Len(payload));
                } else {
                    field(&mut out, number, &v);
                    field(&mut out, number, &v);
                }
            } else if let Some(v) = self.value(f, depth, explicit) {
                field(&mut out, number, &v);
            }
        }
        out
    }

    /// A value of field `f` that is not its type's default (unless `explicit` presence
    /// allows a default), or `None` to leave the field out.
    fn value(&self, f: &FieldDescriptorProto<'_>, depth: usize, explicit: bool) -> Option<Wire> {
        let zigzag = |n: i64| ((n << 1) ^ (n >> 63)) as u64;
        Some(match f.r#type.unwrap_or_default() {
            Type::TYPE_DOUBLE => Wire::Fixed64(1.5f64.to_bits()),
            Type::TYPE_FLOAT => Wire::Fixed32(2.5f32.to_bits()),
            Type::TYPE_INT64 => Wire::Varint((-8_000_000_000i64) as u64),
            Type::TYPE_UINT64 => Wire::Varint(9_000_000_000),
            Type::TYPE_INT32 => Wire::Varint((-7i64) as u64),
            Type::TYPE_FIXED64 => Wire::Fixed64(12),
            Type::TYPE_FIXED32 => Wire::Fixed32(11),
            Type::TYPE_BOOL => Wire::Varint(1),
            Type::TYPE_STRING => Wire::Len("s é ✓".as_bytes().to_vec()),
            Type::TYPE_BYTES => Wire::Len(vec![0, 255, 1]),
            Type::TYPE_UINT32 => Wire::Varint(7),
            Type::TYPE_SFIXED32 => Wire::Fixed32((-13i32) as u32),
            Type::TYPE_SFIXED64 => Wire::Fixed64((-14i64) as u64),
            Type::TYPE_SINT32 => Wire::Varint(zigzag(-9)),
            Type::TYPE_SINT64 => Wire::Varint(zigzag(-10)),
            Type::TYPE_ENUM => {
                let e = self.enums[f.type_name.as_deref().unwrap_or_default()];
                let numbers = e.value.iter().filter_map(|v| v.number);
                match numbers.clone().find(|&n| n != 0) {
                    Some(n) => Wire::Varint(i64::from(n) as u64),
                    None if explicit => Wire::Varint(0),
                    None => return None,
                }
            }
            Type::TYPE_MESSAGE if depth < 3 => {
                Wire::Len(self.populate(f.type_name.as_deref().unwrap_or_default(), depth + 1))
            }
            Type::TYPE_MESSAGE => return None,
            other => panic!("field {:?}: unsupported type {other:?}", f.name),
        })
    }
}

enum Wire {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Len(Vec<u8>),
}

impl Wire {
    fn wire_type(&self) -> u32 {
        match self {
            Wire::Varint(_) => 0,
            Wire::Fixed64(_) => 1,
            Wire::Len(_) => 2,
            Wire::Fixed32(_) => 5,
        }
    }

    /// The value without a tag.
    fn raw(&self, out: &mut Vec<u8>) {
        match self {
            Wire::Varint(v) => varint(out, *v),
            Wire::Fixed64(v) => out.extend_from_slice(&v.to_le_bytes()),
            Wire::Fixed32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Wire::Len(b) => {
                varint(out, b.len() as u64);
                out.extend_from_slice(b);
            }
        }
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(out: &mut Vec<u8>, number: u32, v: &Wire) {
    varint(out, u64::from((number << 3) | v.wire_type()));
    v.raw(out);
}

/// Round-trips every message of `corpus` (those of its own files, and the well-known types
/// they use) through the registry of one front door; returns how many.
fn round_trip_all(corpus: &str, types: &[&[TypeEntry]]) -> usize {
    let bytes = descriptor_set(corpus);
    let set = FileDescriptorSet::decode(&bytes).expect("descriptor set");
    let schema = Schema::new(&set);
    let opts = options(types);
    let mut names: Vec<&String> = schema
        .messages
        .iter()
        .filter(|(_, (m, _))| m.options.as_ref().and_then(|o| o.map_entry) != Some(true))
        .map(|(n, _)| n)
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut json_bytes = 0;
    for name in &names {
        let full = name.trim_start_matches('.');
        let value = schema.populate(name, 0);
        let any = wkt::Any {
            type_url: Cow::Owned(format!("type.googleapis.com/{full}")),
            value: Cow::Borrowed(&value),
            ..Default::default()
        };
        let mut json = Vec::new();
        let (m, _) = schema.messages[name.as_str()];
        if m.field
            .iter()
            .any(|f| f.json_name.as_deref() == Some("@type"))
        {
            // Its field would be written next to the Any's own `@type`: refused, not lost.
            assert!(
                any.encode_json(&mut json, &opts).is_err(),
                "{full}: a field named `@type` in JSON was written inside an Any"
            );
            continue;
        }
        if let Err(e) = any.encode_json(&mut json, &opts) {
            failures.push(format!("{full}: encode_json: {e}"));
            continue;
        }
        let mut buf = json.clone();
        let back = match wkt::Any::decode_json(&mut buf, &opts) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!(
                    "{full}: decode_json: {e}\n  {}",
                    String::from_utf8_lossy(&json)
                ));
                continue;
            }
        };
        if back.value != value || back.type_url != any.type_url {
            failures.push(format!(
                "{full}: the binary encoding changed\n  json: {}\n  want: {value:?}\n  got:  {:?}",
                String::from_utf8_lossy(&json),
                back.value
            ));
            continue;
        }
        json_bytes += json.len();
        let mut again = Vec::new();
        back.encode_json(&mut again, &opts).unwrap();
        if again != json {
            failures.push(format!("{full}: the JSON changed"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} messages failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
    eprintln!(
        "{corpus}: {} messages round-tripped, {json_bytes} bytes of JSON",
        names.len()
    );
    names.len()
}

#[test]
fn googleapis_messages_round_trip_build_rs() {
    let n = round_trip_all("googleapis", registries::GOOGLEAPIS_BUILD_RS);
    assert!(n > 150, "only {n} messages");
}

#[test]
fn googleapis_messages_round_trip_plugin() {
    let n = round_trip_all("googleapis", registries::GOOGLEAPIS_PLUGIN);
    assert!(n > 150, "only {n} messages");
}

#[test]
fn adversarial_messages_round_trip_build_rs() {
    round_trip_all("adversarial", registries::ADVERSARIAL_BUILD_RS);
}

#[test]
fn adversarial_messages_round_trip_plugin() {
    round_trip_all("adversarial", registries::ADVERSARIAL_PLUGIN);
}

/// protoc's descriptor sets (proto2 `descriptor.proto` messages, with source info and, for
/// googleapis, custom options) decode and re-encode byte for byte, and round-trip through
/// JSON.
#[test]
fn descriptor_sets_round_trip() {
    for corpus in ["googleapis", "adversarial"] {
        let bytes = descriptor_set(corpus);
        let set = FileDescriptorSet::decode(&bytes).unwrap();
        assert!(set.file.len() > 3, "{corpus}");
        assert_eq!(set.encode_to_vec(), bytes, "{corpus}: binary");
        let opts = JsonOptions::default();
        let mut json = Vec::new();
        set.encode_json(&mut json, &opts).unwrap();
        let mut buf = json.clone();
        let back = FileDescriptorSet::decode_json(&mut buf, &opts).unwrap();
        let mut again = Vec::new();
        back.encode_json(&mut again, &opts).unwrap();
        assert_eq!(again, json, "{corpus}: JSON");
        if corpus == "adversarial" {
            // No custom options, so no unknown fields that JSON would drop.
            assert_eq!(back, set, "{corpus}: JSON");
            assert_eq!(back.encode_to_vec(), bytes, "{corpus}: JSON then binary");
        }
    }
}

mod googleapis {
    use std::borrow::Cow;

    use codegen_corpus::googleapis_build_rs::google::{api, rpc};
    use codegen_corpus::registries;
    use connect_engine::codegen::{Message, MessageType, wkt};

    fn any<'a, M: Message<'a>>(m: &M) -> wkt::Any<'static> {
        wkt::Any {
            type_url: Cow::Owned(format!("type.googleapis.com/{}", M::FULL_NAME)),
            value: Cow::Owned(m.encode_to_vec()),
            ..Default::default()
        }
    }

    /// Binary and JSON round trips of `m`, whose JSON must be `want_json`.
    fn round_trip<T: MessageType>(m: &T::Msg<'_>, want_json: &str) {
        let bytes = m.encode_to_vec();
        let back = <T::Msg<'_> as Message<'_>>::decode(&bytes).unwrap();
        assert_eq!(format!("{back:?}"), format!("{m:?}"));
        assert_eq!(back.encode_to_vec(), bytes);
        let opts = super::options(registries::GOOGLEAPIS_BUILD_RS);
        let mut json = Vec::new();
        m.encode_json(&mut json, &opts).unwrap();
        assert_eq!(String::from_utf8_lossy(&json), want_json);
        let back = <T::Msg<'_> as Message<'_>>::decode_json(&mut json, &opts).unwrap();
        assert_eq!(back.encode_to_vec(), bytes);
    }

    #[test]
    fn status_with_any_details() {
        let info = rpc::ErrorInfo {
            reason: "QUOTA_EXCEEDED".into(),
            domain: "example.com".into(),
            metadata: [("service".into(), "pubsub".into())].into(),
            ..Default::default()
        };
        let retry = rpc::RetryInfo {
            retry_delay: Some(wkt::Duration {
                seconds: 2,
                nanos: 500_000_000,
                ..Default::default()
            }),
            ..Default::default()
        };
        let status = rpc::Status {
            code: 8,
            message: "out of quota".into(),
            details: vec![
                any(&info),
                any(&retry),
                any(&wkt::Duration {
                    seconds: 1,
                    ..Default::default()
                }),
            ],
            ..Default::default()
        };
        round_trip::<rpc::Status<'static>>(
            &status,
            r#"{"code":8,"message":"out of quota","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXCEEDED","domain":"example.com","metadata":{"service":"pubsub"}},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2.500s"},{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1s"}]}"#,
        );
        let bytes = status.encode_to_vec();
        let back = rpc::Status::decode(&bytes).unwrap();
        assert_eq!(back, status);
        assert_eq!(
            rpc::ErrorInfo::decode(&back.details[0].value).unwrap(),
            info
        );
    }

    #[test]
    fn service_with_api_type_and_enum() {
        let service = api::Service {
            name: "library.example.com".into(),
            title: "Library".into(),
            apis: vec![wkt::Api {
                name: "example.library.v1.Library".into(),
                methods: vec![wkt::Method {
                    name: "GetBook".into(),
                    request_type_url: "type.googleapis.com/example.library.v1.GetBookRequest"
                        .into(),
                    response_type_url: "type.googleapis.com/example.library.v1.Book".into(),
                    ..Default::default()
                }],
                version: "v1".into(),
                syntax: wkt::Syntax::SYNTAX_PROTO3,
                ..Default::default()
            }],
            types: vec![wkt::Type {
                name: "example.library.v1.Book".into(),
                fields: vec![wkt::Field {
                    kind: wkt::field::Kind::TYPE_STRING,
                    cardinality: wkt::field::Cardinality::CARDINALITY_OPTIONAL,
                    number: 1,
                    name: "title".into(),
                    json_name: "title".into(),
                    ..Default::default()
                }],
                source_context: Some(wkt::SourceContext {
                    file_name: "library.proto".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            enums: vec![wkt::Enum {
                name: "example.library.v1.Genre".into(),
                enumvalue: vec![wkt::EnumValue {
                    name: "GENRE_FICTION".into(),
                    number: 1,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            http: Some(api::Http {
                rules: vec![api::HttpRule {
                    selector: "example.library.v1.Library.GetBook".into(),
                    pattern: Some(api::http_rule::Pattern::Get("/v1/{name=books/*}".into())),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            config_version: Some(wkt::UInt32Value {
                value: 3,
                ..Default::default()
            }),
            ..Default::default()
        };
        round_trip::<api::Service<'static>>(
            &service,
            r#"{"name":"library.example.com","title":"Library","apis":[{"name":"example.library.v1.Library","methods":[{"name":"GetBook","requestTypeUrl":"type.googleapis.com/example.library.v1.GetBookRequest","responseTypeUrl":"type.googleapis.com/example.library.v1.Book"}],"version":"v1","syntax":"SYNTAX_PROTO3"}],"types":[{"name":"example.library.v1.Book","fields":[{"kind":"TYPE_STRING","cardinality":"CARDINALITY_OPTIONAL","number":1,"name":"title","jsonName":"title"}],"sourceContext":{"fileName":"library.proto"}}],"enums":[{"name":"example.library.v1.Genre","enumvalue":[{"name":"GENRE_FICTION","number":1}]}],"http":{"rules":[{"selector":"example.library.v1.Library.GetBook","get":"/v1/{name=books/*}"}]},"configVersion":3}"#,
        );
    }
}
