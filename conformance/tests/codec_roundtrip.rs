//! Property tests of the generated codecs over `connectengine.test.v1.KitchenSink`.
//!
//! A strategy builds arbitrary owned messages that touch every field kind (scalars with their
//! extremes, NaN and infinities, unicode strings, optional fields, nested and recursive messages,
//! repeated fields, maps, each oneof member, open enums with unknown numbers, and well-known
//! types with values the JSON mapping can represent). The properties:
//!
//! * binary: `decode(encode(m)) == m`, and `encoded_len()` is the length actually written;
//! * JSON: `decode_json(encode_json(m)) == m`, and re-encoding gives the same text;
//! * binary → JSON → binary gives the same bytes;
//! * `into_owned` keeps equality, including of values borrowed from a buffer;
//! * unknown fields survive a binary round trip byte for byte and are left out of JSON;
//! * and the strategy itself reaches every feature (`strategy_covers_every_field`).
//!
//! Not `-0.0`: JSON writes it as `-0`, which reads back as `+0.0` (a known bug, pinned by an
//! ignored test in `codec_edge.rs`).
//!
//! Floats make `==` partial (NaN), so values are compared with [`same`], which falls back to
//! comparing `Debug` forms: those print NaN as `NaN` and keep the sign of zero.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::LazyLock;

use connect_conformance::connectengine::test::common::v1::{Point, Status};
use connect_conformance::connectengine::test::v1::kitchen_sink::{Choice, Inner, Mode};
use connect_conformance::connectengine::test::v1::{Color, KitchenSink, Small, TYPES};
use connect_engine::wire::proto::UnknownFields;
use connect_engine::wkt::{
    Any, BytesValue, Duration, Empty, FieldMask, Int32Value, ListValue, NullValue, StringValue,
    Struct, Timestamp, Value, value::Kind,
};
use connect_engine::{JsonOptions, Message, TypeRegistry};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

/// The registry `Any` values need: this package's types (well-known types are always found).
static REGISTRY: LazyLock<TypeRegistry> = LazyLock::new(|| TypeRegistry::new().with(TYPES));

/// `0001-01-01T00:00:00Z` and `9999-12-31T23:59:59Z` in seconds since the epoch.
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;
/// The largest magnitude of a Duration's seconds that JSON can carry.
const MAX_DURATION_SECONDS: i64 = 315_576_000_000;
/// How many levels of nested `KitchenSink` the strategy builds below the top one.
const DEPTH: u32 = 3;

fn json_options() -> JsonOptions {
    JsonOptions {
        registry: Some(&REGISTRY),
        ..JsonOptions::default()
    }
}

/// Equality that treats NaN as equal to NaN and tells `0.0` from `-0.0`.
fn same<T: Debug + PartialEq>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// Where the pretty `Debug` forms of `a` and `b` first differ, with a few lines of context,
/// for failure messages that stay readable when the messages are large.
fn difference<T: Debug>(a: &T, b: &T) -> String {
    let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
    let (a, b): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let from = at.saturating_sub(8);
    format!(
        "first difference at line {at}:\n--- left\n{}\n--- right\n{}",
        a[from..(at + 4).min(a.len())].join("\n"),
        b[from..(at + 4).min(b.len())].join("\n"),
    )
}

fn json_of<'a, M: Message<'a>>(m: &M) -> Vec<u8> {
    let mut out = Vec::new();
    m.encode_json(&mut out, &json_options())
        .unwrap_or_else(|e| panic!("encode_json failed: {e} for {m:#?}"));
    out
}

// ---------------------------------------------------------------------------------------
// Scalars.

/// A double: anything (NaN only as the canonical quiet NaN, which is what JSON's `"NaN"`
/// reads back as), with extremes weighted up.
///
/// Not `-0.0`: JSON writes it as `-0`, which reads back as `+0.0` (`codec_edge.rs`,
/// `negative_zero_json_round_trip`, ignored until that is fixed).
fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>().prop_map(|x| if x.is_nan() { f64::NAN } else { x + 0.0 }),
        1 => prop::sample::select(vec![
            0.0,
            1.0,
            -1.5,
            0.1,
            1e21,
            1e-7,
            f64::MIN,
            f64::MAX,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            f64::EPSILON,
            9_007_199_254_740_993.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ]),
    ]
}

/// A finite double (the only kind a `google.protobuf.Value` may hold in JSON).
fn finite_double() -> impl Strategy<Value = f64> {
    double().prop_map(|x| if x.is_finite() { x } else { 0.5 })
}

/// A float, like [`double`] (and not `-0.0` either).
fn float() -> impl Strategy<Value = f32> {
    prop_oneof![
        3 => any::<f32>().prop_map(|x| if x.is_nan() { f32::NAN } else { x + 0.0 }),
        1 => prop::sample::select(vec![
            0.0,
            1.0,
            0.1,
            f32::MIN,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            f32::EPSILON,
            16_777_217.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ]),
    ]
}

/// An integer strategy with `0`, `±1` and the type's bounds weighted up.
macro_rules! int {
    ($t:ty) => {
        prop_oneof![
            3 => any::<$t>(),
            1 => prop::sample::select(vec![0 as $t, 1 as $t, <$t>::MIN, <$t>::MAX, <$t>::MAX / 2 + 1]),
        ]
    };
}

fn int32() -> impl Strategy<Value = i32> {
    prop_oneof![4 => int!(i32), 1 => Just(-1)]
}

fn int64() -> impl Strategy<Value = i64> {
    prop_oneof![4 => int!(i64), 1 => Just(-1)]
}

fn uint32() -> impl Strategy<Value = u32> {
    int!(u32)
}

fn uint64() -> impl Strategy<Value = u64> {
    int!(u64)
}

/// A string: printable unicode, or characters JSON has to escape, plus a few awkward ones.
fn text() -> impl Strategy<Value = Cow<'static, str>> {
    prop_oneof![
        3 => "\\PC{0,12}",
        1 => "[\"\\\\/\\x00-\\x1f\\x7f\\u{80}-\\u{ff}\\u{2028}\\u{2029}\\u{fffd}\\u{10000}-\\u{10ffff}a-z ]{0,8}",
    ]
    .prop_map(Cow::Owned)
}

fn bytes() -> impl Strategy<Value = Cow<'static, [u8]>> {
    vec(any::<u8>(), 0..12).prop_map(Cow::Owned)
}

/// Known values and unknown numbers (the enums are open).
fn color() -> impl Strategy<Value = Color> {
    prop_oneof![
        3 => prop::sample::select(vec![
            Color::COLOR_UNSPECIFIED,
            Color::COLOR_RED,
            Color::COLOR_GREEN,
            Color::COLOR_NEGATIVE,
        ]),
        1 => int32().prop_map(Color),
    ]
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        3 => prop::sample::select(vec![Mode::MODE_UNSPECIFIED, Mode::MODE_FAST, Mode::MODE_QUICK]),
        1 => int32().prop_map(Mode),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![3 => (0..3).prop_map(Status), 1 => int32().prop_map(Status)]
}

// ---------------------------------------------------------------------------------------
// Messages.

fn point() -> impl Strategy<Value = Point<'static>> {
    (int32(), int32(), text()).prop_map(|(x, y, label)| Point {
        x,
        y,
        label,
        ..Point::default()
    })
}

fn small() -> impl Strategy<Value = Small<'static>> {
    (text(), int32(), any::<bool>()).prop_map(|(name, id, active)| Small {
        name,
        id,
        active,
        ..Small::default()
    })
}

/// Recursion below this level: `None`, or occasionally a nested `KitchenSink`.
type Child = Option<BoxedStrategy<KitchenSink<'static>>>;

fn back(child: &Child, p: f64) -> BoxedStrategy<Option<Box<KitchenSink<'static>>>> {
    match child {
        Some(c) => option::weighted(p, c.clone().prop_map(Box::new)).boxed(),
        None => Just(None).boxed(),
    }
}

fn inner(child: &Child) -> impl Strategy<Value = Inner<'static>> + use<> {
    (int32(), text(), back(child, 0.15)).prop_map(|(a, b, back)| Inner {
        a,
        b,
        back,
        ..Inner::default()
    })
}

fn choice(child: &Child) -> impl Strategy<Value = Option<Choice<'static>>> + use<> {
    let recursive = match child {
        Some(c) => c
            .clone()
            .prop_map(|k| Choice::CRecursive(Box::new(k)))
            .boxed(),
        // At the bottom a recursive member is present but empty.
        None => Just(Choice::CRecursive(Box::default())).boxed(),
    };
    option::weighted(
        0.8,
        prop_oneof![
            uint32().prop_map(Choice::CUint32),
            text().prop_map(Choice::CString),
            inner(child).prop_map(|i| Choice::CInner(Box::new(i))),
            color().prop_map(Choice::CColor),
            bytes().prop_map(Choice::CBytes),
            recursive,
        ],
    )
}

// ---------------------------------------------------------------------------------------
// Well-known types, restricted to values with a JSON form.

fn nanos() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0),
        (0..1_000).prop_map(|n| n * 1_000_000),
        (0..1_000_000).prop_map(|n| n * 1_000),
        0..1_000_000_000,
        Just(999_999_999),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp<'static>> {
    let seconds = prop_oneof![
        4 => TIMESTAMP_SECONDS,
        1 => prop::sample::select(vec![*TIMESTAMP_SECONDS.start(), *TIMESTAMP_SECONDS.end(), 0, -1]),
    ];
    (seconds, nanos()).prop_map(|(seconds, nanos)| Timestamp {
        seconds,
        nanos,
        ..Timestamp::default()
    })
}

/// A duration within ±10,000 years whose nanos have the sign of its seconds.
fn duration() -> impl Strategy<Value = Duration<'static>> {
    let seconds = prop_oneof![
        3 => -MAX_DURATION_SECONDS..=MAX_DURATION_SECONDS,
        1 => prop::sample::select(vec![-MAX_DURATION_SECONDS, MAX_DURATION_SECONDS, 0, 1, -1]),
    ];
    (seconds, nanos(), any::<bool>()).prop_map(|(seconds, nanos, negative)| {
        let nanos = if seconds < 0 || (seconds == 0 && negative) {
            -nanos
        } else {
            nanos
        };
        Duration {
            seconds,
            nanos,
            ..Duration::default()
        }
    })
}

/// Lowercase snake_case paths (each `_` before a letter), which survive camelCase and back.
fn field_mask() -> impl Strategy<Value = FieldMask<'static>> {
    let ident = "[a-z][a-z0-9]{0,4}(_[a-z][a-z0-9]{0,3}){0,2}";
    let path = format!("{ident}(\\.{ident}){{0,2}}");
    let path = proptest::string::string_regex(&path).expect("a valid regex");
    vec(path.prop_map(Cow::Owned), 0..4).prop_map(|paths| FieldMask {
        paths,
        ..FieldMask::default()
    })
}

fn value_of(kind: Kind<'static>) -> Value<'static> {
    Value {
        kind: Some(kind),
        ..Value::default()
    }
}

fn struct_of(fields: BTreeMap<Cow<'static, str>, Value<'static>>) -> Struct<'static> {
    Struct {
        fields,
        ..Struct::default()
    }
}

fn list_of(values: Vec<Value<'static>>) -> ListValue<'static> {
    ListValue {
        values,
        ..ListValue::default()
    }
}

/// A `Value` tree with finite numbers (JSON has no other kind) and a set kind.
fn value() -> impl Strategy<Value = Value<'static>> {
    let leaf = prop_oneof![
        Just(Kind::NullValue(NullValue::NULL_VALUE)),
        finite_double().prop_map(Kind::NumberValue),
        text().prop_map(Kind::StringValue),
        any::<bool>().prop_map(Kind::BoolValue),
    ]
    .prop_map(value_of);
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|v| value_of(Kind::ListValue(list_of(v)))),
            btree_map(text(), inner, 0..4).prop_map(|f| value_of(Kind::StructValue(struct_of(f)))),
        ]
    })
}

fn json_struct() -> impl Strategy<Value = Struct<'static>> {
    btree_map(text(), value(), 0..4).prop_map(struct_of)
}

fn list() -> impl Strategy<Value = ListValue<'static>> {
    vec(value(), 0..4).prop_map(list_of)
}

fn any_of(type_url: impl Into<String>, value: Vec<u8>) -> Any<'static> {
    Any {
        type_url: Cow::Owned(type_url.into()),
        value: Cow::Owned(value),
        ..Any::default()
    }
}

/// An `Any` holding a registered message or a well-known type (or nothing).
fn any_message() -> impl Strategy<Value = Any<'static>> {
    let prefix = prop::sample::select(vec!["type.googleapis.com/", "example.com/a/b/", ""]);
    let leaf = prop_oneof![
        Just(Any::default()),
        (prefix, small()).prop_map(|(prefix, s)| {
            any_of(
                format!("{prefix}connectengine.test.v1.Small"),
                s.encode_to_vec(),
            )
        }),
        timestamp().prop_map(|t| {
            any_of(
                "type.googleapis.com/google.protobuf.Timestamp",
                t.encode_to_vec(),
            )
        }),
        duration().prop_map(|d| any_of(
            "type.googleapis.com/google.protobuf.Duration",
            d.encode_to_vec()
        )),
        field_mask().prop_map(|m| {
            any_of(
                "type.googleapis.com/google.protobuf.FieldMask",
                m.encode_to_vec(),
            )
        }),
        value().prop_map(|v| any_of(
            "type.googleapis.com/google.protobuf.Value",
            v.encode_to_vec()
        )),
        int32().prop_map(|value| {
            let w = Int32Value {
                value,
                ..Int32Value::default()
            };
            any_of(
                "type.googleapis.com/google.protobuf.Int32Value",
                w.encode_to_vec(),
            )
        }),
        Just(any_of(
            "type.googleapis.com/google.protobuf.Empty",
            Empty::default().encode_to_vec()
        )),
    ];
    // An Any inside an Any.
    leaf.prop_recursive(1, 2, 1, |inner| {
        inner.prop_map(|a| any_of("type.googleapis.com/google.protobuf.Any", a.encode_to_vec()))
    })
}

// ---------------------------------------------------------------------------------------
// KitchenSink.

/// Arbitrary messages valid for JSON, with `depth` levels of recursion below this one.
fn kitchen_sink(depth: u32) -> BoxedStrategy<KitchenSink<'static>> {
    let child: Child = (depth > 0).then(|| kitchen_sink(depth - 1));
    let scalars = (
        double(),
        float(),
        int64(),
        uint64(),
        int32(),
        uint64(),
        uint32(),
        any::<bool>(),
        text(),
        bytes(),
        uint32(),
        int32(),
    )
        .boxed();
    let scalars2 = (
        int64(),
        int32(),
        int64(),
        color(),
        mode(),
        status(),
        text(),
        int32(),
        text(),
        int32(),
    )
        .boxed();
    let optionals = (
        option::of(int32()),
        option::of(text()),
        option::of(bytes()),
        option::of(color()),
        option::of(double()),
        option::of(any::<bool>()),
    )
        .boxed();
    let nested = (
        option::of(inner(&child).prop_map(Box::new)),
        back(&child, 0.25),
        option::of(point()),
    )
        .boxed();
    let repeated = (
        vec(int32(), 0..4),
        vec(int64(), 0..4),
        vec(uint32(), 0..4),
        vec(double(), 0..4),
        vec(any::<bool>(), 0..4),
        vec(color(), 0..4),
    )
        .boxed();
    let repeated2 = (
        vec(text(), 0..4),
        vec(bytes(), 0..4),
        vec(inner(&child), 0..3),
        vec(uint64(), 0..4),
        vec(float(), 0..4),
    )
        .boxed();
    let maps = (
        btree_map(text(), text(), 0..3),
        btree_map(int32(), int64(), 0..3),
        btree_map(uint64(), inner(&child), 0..3),
        btree_map(any::<bool>(), color(), 0..3),
        btree_map(int32(), bytes(), 0..3),
        btree_map(uint64(), double(), 0..3),
    )
        .boxed();
    let wkts = (
        option::of(timestamp()),
        option::of(duration()),
        option::of(field_mask()),
        option::of(json_struct()),
        option::of(value()),
        option::of(list()),
    )
        .boxed();
    let wkts2 = (
        option::of(any_message()),
        option::of(int32().prop_map(|value| Int32Value {
            value,
            ..Int32Value::default()
        })),
        option::of(text().prop_map(|value| StringValue {
            value,
            ..StringValue::default()
        })),
        option::of(bytes().prop_map(|value| BytesValue {
            value,
            ..BytesValue::default()
        })),
        vec(any_message(), 0..3),
    )
        .boxed();
    (
        scalars,
        scalars2,
        optionals,
        nested,
        repeated,
        repeated2,
        maps,
        choice(&child).boxed(),
        wkts,
        wkts2,
    )
        .prop_map(|(s, s2, o, n, r, r2, m, choice, w, w2)| KitchenSink {
            f_double: s.0,
            f_float: s.1,
            f_int64: s.2,
            f_uint64: s.3,
            f_int32: s.4,
            f_fixed64: s.5,
            f_fixed32: s.6,
            f_bool: s.7,
            f_string: s.8,
            f_bytes: s.9,
            f_uint32: s.10,
            f_sfixed32: s.11,
            f_sfixed64: s2.0,
            f_sint32: s2.1,
            f_sint64: s2.2,
            f_color: s2.3,
            f_mode: s2.4,
            status: s2.5,
            custom_json: s2.6,
            r#type: s2.7,
            self_: s2.8,
            large_number: s2.9,
            o_int32: o.0,
            o_string: o.1,
            o_bytes: o.2,
            o_color: o.3,
            o_double: o.4,
            o_bool: o.5,
            inner: n.0,
            // The recursive child again, as a repeated element (when there is one).
            r_recursive: n.1.as_deref().cloned().into_iter().collect(),
            recursive: n.1,
            point: n.2,
            r_int32: r.0,
            r_sint64: r.1,
            r_fixed32: r.2,
            r_double: r.3,
            r_bool: r.4,
            r_color: r.5,
            r_string: r2.0,
            r_bytes: r2.1,
            r_inner: r2.2,
            r_uint64_unpacked: r2.3,
            r_float_unpacked: r2.4,
            m_string_string: m.0,
            m_int32_int64: m.1,
            m_uint64_inner: m.2,
            m_bool_color: m.3,
            m_sint32_bytes: m.4,
            m_fixed64_double: m.5,
            choice,
            t_timestamp: w.0,
            t_duration: w.1,
            t_field_mask: w.2,
            t_struct: w.3,
            t_value: w.4,
            t_list: w.5,
            t_any: w2.0,
            t_int32_wrapper: w2.1,
            t_string_wrapper: w2.2,
            t_bytes_wrapper: w2.3,
            r_any: w2.4,
            // `NullValue` is written as `null`, which reads back as 0 whatever the number.
            t_null: NullValue::NULL_VALUE,
            unknown_fields: UnknownFields::new(),
        })
        .boxed()
}

fn message() -> BoxedStrategy<KitchenSink<'static>> {
    kitchen_sink(DEPTH)
}

// ---------------------------------------------------------------------------------------
// Unknown fields.

/// Field numbers no message here declares.
fn unknown_number() -> impl Strategy<Value = u64> {
    prop_oneof![200u64..1000, 1000u64..536_870_911]
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One raw unknown field of any wire type (groups hold a varint and a nested group).
#[derive(Clone, Debug)]
enum Raw {
    Varint(u64, u64),
    Fixed64(u64, u64),
    Len(u64, Vec<u8>),
    Group(u64, Vec<Raw>),
    Fixed32(u64, u32),
}

impl Raw {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Raw::Varint(n, v) => {
                push_varint(out, n << 3);
                push_varint(out, *v);
            }
            Raw::Fixed64(n, v) => {
                push_varint(out, n << 3 | 1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Raw::Len(n, v) => {
                push_varint(out, n << 3 | 2);
                push_varint(out, v.len() as u64);
                out.extend_from_slice(v);
            }
            Raw::Group(n, fields) => {
                push_varint(out, n << 3 | 3);
                for f in fields {
                    f.write(out);
                }
                push_varint(out, n << 3 | 4);
            }
            Raw::Fixed32(n, v) => {
                push_varint(out, n << 3 | 5);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

fn raw_field() -> impl Strategy<Value = Raw> {
    let leaf = prop_oneof![
        (unknown_number(), uint64()).prop_map(|(n, v)| Raw::Varint(n, v)),
        (unknown_number(), uint64()).prop_map(|(n, v)| Raw::Fixed64(n, v)),
        (unknown_number(), vec(any::<u8>(), 0..8)).prop_map(|(n, v)| Raw::Len(n, v)),
        (unknown_number(), uint32()).prop_map(|(n, v)| Raw::Fixed32(n, v)),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        // Groups may also use field numbers of known fields: inside a group nothing is known.
        (prop_oneof![unknown_number(), 1u64..200], vec(inner, 0..3))
            .prop_map(|(n, fields)| Raw::Group(n, fields))
    })
}

fn raw_fields() -> impl Strategy<Value = Vec<u8>> {
    vec(raw_field(), 1..5).prop_map(|fields| {
        let mut out = Vec::new();
        for f in &fields {
            f.write(&mut out);
        }
        out
    })
}

// ---------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The binary encoding has the announced length, is the same when appended to a buffer,
    /// decodes to the same message, and is deterministic.
    #[test]
    fn binary_round_trip(m in message()) {
        let bytes = m.encode_to_vec();
        prop_assert_eq!(m.encoded_len(), bytes.len());
        let mut appended = vec![0xAA];
        m.encode(&mut appended);
        prop_assert_eq!(&appended[1..], &bytes[..]);
        let decoded = KitchenSink::decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(same(&decoded, &m), "{}", difference(&decoded, &m));
        // Encoding is deterministic: the decoded message writes the same bytes.
        prop_assert_eq!(decoded.encode_to_vec(), bytes);
    }

    /// Canonical JSON reads back as the same message (also with `ignore_unknown_fields`), and
    /// writing that again gives the same text.
    #[test]
    fn json_round_trip(m in message()) {
        let opts = json_options();
        let json = json_of(&m);
        let mut buf = json.clone();
        let decoded = KitchenSink::decode_json(&mut buf, &opts)
            .map_err(|e| TestCaseError::fail(format!("{e} in {}", String::from_utf8_lossy(&json))))?;
        prop_assert!(same(&decoded, &m), "{}\njson {}", difference(&decoded, &m), String::from_utf8_lossy(&json));
        let again = json_of(&decoded);
        prop_assert_eq!(String::from_utf8_lossy(&again), String::from_utf8_lossy(&json));

        let lenient = JsonOptions { ignore_unknown_fields: true, ..opts };
        let mut buf = json.clone();
        let decoded = KitchenSink::decode_json(&mut buf, &lenient)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(same(&decoded, &m), "{}", difference(&decoded, &m));
    }

    /// binary → message → JSON → message → binary gives the bytes back.
    #[test]
    fn binary_json_binary(m in message()) {
        let bytes = m.encode_to_vec();
        let from_binary = KitchenSink::decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut json = json_of(&from_binary);
        let from_json = KitchenSink::decode_json(&mut json, &json_options())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(from_json.encode_to_vec() == bytes, "{}", difference(&from_json, &from_binary));
    }

    /// `into_owned` keeps equality, for owned values and for values borrowing a buffer
    /// (binary or JSON).
    #[test]
    fn into_owned_preserves_equality(m in message()) {
        prop_assert!(same(&m.clone().into_owned(), &m));
        let bytes = m.encode_to_vec();
        let borrowed = KitchenSink::decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let owned: KitchenSink<'static> = borrowed.clone().into_owned();
        prop_assert!(same(&owned, &borrowed));
        drop(bytes);
        prop_assert!(same(&owned, &m), "{}", difference(&owned, &m));

        let mut json = json_of(&m);
        let borrowed = KitchenSink::decode_json(&mut json, &json_options())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let owned: KitchenSink<'static> = borrowed.clone().into_owned();
        drop(json);
        prop_assert!(same(&owned, &m), "{}", difference(&owned, &m));
    }

    /// Unknown fields (every wire type, groups nested) survive a binary round trip byte for
    /// byte, at top level and in a nested message; JSON leaves them out. A `NullValue` field
    /// holding a number JSON cannot keep (it writes `null`) round-trips in binary.
    #[test]
    fn unknown_fields_round_trip(
        m in kitchen_sink(1),
        raw in raw_fields(),
        nested_raw in raw_fields(),
        null in int32(),
    ) {
        let mut m = m;
        let inner = m.inner.take().map_or_else(Inner::default, |b| *b);
        m.inner = Some(Box::new(inner));
        let plain_json = json_of(&m);
        m.unknown_fields.extend_from_slice(&raw);
        if let Some(i) = m.inner.as_mut() {
            i.unknown_fields.extend_from_slice(&nested_raw);
        }
        prop_assert_eq!(json_of(&m), plain_json, "JSON leaves unknown fields out");
        m.t_null = NullValue(null);

        let bytes = m.encode_to_vec();
        prop_assert_eq!(m.encoded_len(), bytes.len());
        prop_assert!(bytes.ends_with(&raw), "unknown fields are written last, as read");
        let decoded = KitchenSink::decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded.unknown_fields.as_bytes(), &raw[..]);
        prop_assert_eq!(
            decoded.inner.as_ref().map(|i| i.unknown_fields.as_bytes()),
            Some(&nested_raw[..])
        );
        prop_assert!(same(&decoded, &m), "{}", difference(&decoded, &m));
        prop_assert_eq!(decoded.encode_to_vec(), bytes);
    }
}

/// The greatest nesting depth of `KitchenSink` in `m`, over every recursive path.
fn depth(m: &KitchenSink<'_>) -> usize {
    let inner = |i: &Inner<'_>| i.back.as_deref().map_or(0, depth);
    let below = [
        m.recursive.as_deref().map_or(0, depth),
        m.inner.as_deref().map_or(0, inner),
        m.r_inner.iter().map(inner).max().unwrap_or(0),
        m.m_uint64_inner.values().map(inner).max().unwrap_or(0),
        match &m.choice {
            Some(Choice::CRecursive(k)) => depth(k),
            Some(Choice::CInner(i)) => inner(i),
            _ => 0,
        },
    ];
    1 + below.into_iter().max().unwrap_or(0)
}

/// The strategy reaches every field kind: over a fixed sample, each feature shows up.
#[test]
fn strategy_covers_every_field() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    type Feature = (&'static str, fn(&KitchenSink<'_>) -> bool);
    let any_type = |m: &KitchenSink<'_>, name: &str| {
        m.t_any
            .iter()
            .chain(&m.r_any)
            .any(|a| a.type_url.ends_with(name))
    };
    let features: &[Feature] = &[
        ("NaN double", |m| m.f_double.is_nan()),
        ("infinite double", |m| m.f_double.is_infinite()),
        ("NaN float", |m| m.f_float.is_nan()),
        ("subnormal float", |m| m.f_float.is_subnormal()),
        ("i64::MIN", |m| m.f_int64 == i64::MIN),
        ("u64::MAX", |m| m.f_uint64 == u64::MAX),
        ("negative int32", |m| m.f_int32 < 0),
        ("non-ASCII string", |m| !m.f_string.is_ascii()),
        ("control character", |m| {
            m.f_string.chars().any(char::is_control)
        }),
        ("bytes", |m| !m.f_bytes.is_empty()),
        ("unknown enum number", |m| m.f_color.0 > 2),
        ("enum alias", |m| m.f_mode == Mode::MODE_QUICK),
        ("optional zero", |m| m.o_int32 == Some(0)),
        ("optional empty string", |m| {
            m.o_string.as_deref() == Some("")
        }),
        ("optional unset", |m| m.o_bool.is_none()),
        ("inner", |m| m.inner.is_some()),
        ("inner.back", |m| {
            m.inner.as_ref().is_some_and(|i| i.back.is_some())
        }),
        ("recursive", |m| m.recursive.is_some()),
        ("three levels", |m| depth(m) >= 3),
        ("point", |m| m.point.is_some()),
        ("repeated", |m| {
            m.r_int32.len() > 1 && m.r_string.len() > 1 && !m.r_inner.is_empty()
        }),
        ("unpacked", |m| {
            !m.r_uint64_unpacked.is_empty() && !m.r_float_unpacked.is_empty()
        }),
        ("maps", |m| {
            !m.m_string_string.is_empty() && !m.m_uint64_inner.is_empty()
        }),
        ("bool map with both keys", |m| m.m_bool_color.len() == 2),
        ("c_uint32", |m| matches!(m.choice, Some(Choice::CUint32(_)))),
        ("c_string", |m| matches!(m.choice, Some(Choice::CString(_)))),
        ("c_inner", |m| matches!(m.choice, Some(Choice::CInner(_)))),
        ("c_color", |m| matches!(m.choice, Some(Choice::CColor(_)))),
        ("c_bytes", |m| matches!(m.choice, Some(Choice::CBytes(_)))),
        ("c_recursive", |m| {
            matches!(m.choice, Some(Choice::CRecursive(_)))
        }),
        ("timestamp", |m| m.t_timestamp.is_some()),
        ("negative duration", |m| {
            m.t_duration.as_ref().is_some_and(|d| d.seconds < 0)
        }),
        ("field mask", |m| {
            m.t_field_mask.as_ref().is_some_and(|f| !f.paths.is_empty())
        }),
        ("struct", |m| {
            m.t_struct.as_ref().is_some_and(|s| !s.fields.is_empty())
        }),
        ("nested value", |m| {
            matches!(
                m.t_value.as_ref().and_then(|v| v.kind.as_ref()),
                Some(Kind::ListValue(_) | Kind::StructValue(_))
            )
        }),
        ("list", |m| m.t_list.is_some()),
        ("wrappers", |m| {
            m.t_int32_wrapper.is_some()
                && m.t_string_wrapper.is_some()
                && m.t_bytes_wrapper.is_some()
        }),
        ("empty Any", |m| {
            m.t_any.as_ref().is_some_and(|a| a.type_url.is_empty())
        }),
        ("keyword fields", |m| m.r#type != 0 && !m.self_.is_empty()),
        ("json_name field", |m| !m.custom_json.is_empty()),
        ("largest field number", |m| m.large_number != 0),
    ];
    let any_types: &[&str] = &[
        "connectengine.test.v1.Small",
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.Value",
        "google.protobuf.Int32Value",
        "google.protobuf.Empty",
        "google.protobuf.Any",
    ];
    let strategy = message();
    let mut runner = TestRunner::deterministic();
    let mut seen = vec![false; features.len()];
    let mut seen_any = vec![false; any_types.len()];
    for _ in 0..300 {
        let m = strategy.new_tree(&mut runner).expect("a value").current();
        for (seen, (_, has)) in seen.iter_mut().zip(features) {
            *seen |= has(&m);
        }
        for (seen, name) in seen_any.iter_mut().zip(any_types) {
            *seen |= any_type(&m, name);
        }
    }
    let missing: Vec<_> = features
        .iter()
        .zip(&seen)
        .filter(|(_, seen)| !**seen)
        .map(|((name, _), _)| *name)
        .chain(
            any_types
                .iter()
                .zip(&seen_any)
                .filter(|(_, s)| !**s)
                .map(|(name, _)| *name),
        )
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}
