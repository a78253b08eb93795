//! Writing canonical proto3 JSON.

use base64::Engine as _;

use super::{JsonError, JsonOptions};
use crate::enumeration::Enumeration;

/// Appends JSON to a vector. Commas are tracked with one flag: [`key`](Self::key) and
/// [`elem`](Self::elem) write a comma unless they follow an opening bracket.
pub struct JsonWriter<'b> {
    out: &'b mut Vec<u8>,
    opts: &'b JsonOptions,
    first: bool,
    /// Remaining nesting budget for values written through an `Any` (whose binary payload
    /// is decoded afresh at each level, so decoding alone does not bound it).
    depth: u32,
}

impl<'b> JsonWriter<'b> {
    /// A writer appending to `out`.
    pub fn new(out: &'b mut Vec<u8>, opts: &'b JsonOptions) -> Self {
        JsonWriter {
            out,
            opts,
            first: true,
            depth: crate::proto::RECURSION_LIMIT,
        }
    }

    /// Runs `f` one nesting level deeper, failing past the recursion limit.
    pub fn nested<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<R, JsonError>,
    ) -> Result<R, JsonError> {
        if self.depth == 0 {
            return Err(JsonError::new(super::JsonErrorKind::RecursionLimit));
        }
        self.depth -= 1;
        let r = f(self);
        self.depth += 1;
        r
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> &'b JsonOptions {
        self.opts
    }

    /// Writes the comma that separates a key or element from the previous one, unless this
    /// is the first since the opening bracket.
    #[inline]
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
    }

    /// The output written so far (used by `Any` to splice an object's fields).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Writes `{`.
    pub fn begin_object(&mut self) {
        self.out.push(b'{');
        self.first = true;
    }
    /// Writes `}`.
    pub fn end_object(&mut self) {
        self.out.push(b'}');
        self.first = false;
    }
    /// Writes `[`.
    pub fn begin_array(&mut self) {
        self.out.push(b'[');
        self.first = true;
    }
    /// Writes `]`.
    pub fn end_array(&mut self) {
        self.out.push(b']');
        self.first = false;
    }
    /// Writes an object key (quoted, escaped) and `:`, preceded by a comma when needed.
    pub fn key(&mut self, k: &str) {
        self.comma();
        write_escaped(self.out, k);
        self.out.push(b':');
    }
    /// Starts an array element (a comma when needed).
    pub fn elem(&mut self) {
        self.comma();
    }
    /// Writes a map key of an integer map (as a quoted decimal).
    pub fn key_int(&mut self, k: i64) {
        self.comma();
        self.out.push(b'"');
        self.out
            .extend_from_slice(itoa::Buffer::new().format(k).as_bytes());
        self.out.extend_from_slice(b"\":");
    }
    /// Writes a map key of an unsigned integer map.
    pub fn key_uint(&mut self, k: u64) {
        self.comma();
        self.out.push(b'"');
        self.out
            .extend_from_slice(itoa::Buffer::new().format(k).as_bytes());
        self.out.extend_from_slice(b"\":");
    }
    /// Writes a map key of a bool map.
    pub fn key_bool(&mut self, k: bool) {
        self.comma();
        self.out
            .extend_from_slice(if k { b"\"true\":" } else { b"\"false\":" });
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }
    /// Writes a bool.
    pub fn bool(&mut self, v: bool) {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
    }
    /// Writes an `int32`.
    pub fn int32(&mut self, v: i32) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    /// Writes a `uint32`.
    pub fn uint32(&mut self, v: u32) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    /// Writes an `int64` (as a string, per the mapping).
    pub fn int64(&mut self, v: i64) {
        self.out.push(b'"');
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self.out.push(b'"');
    }
    /// Writes a `uint64` (as a string).
    pub fn uint64(&mut self, v: u64) {
        self.out.push(b'"');
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self.out.push(b'"');
    }
    /// Writes a `float` (shortest form that round-trips as `f32`; `"NaN"`, `"Infinity"`,
    /// `"-Infinity"` as strings).
    pub fn float(&mut self, v: f32) {
        if !v.is_finite() {
            self.out
                .extend_from_slice(non_finite(v.is_nan(), v.is_sign_negative()));
        } else if v.to_bits() & 0x7fff_ffff == DOUBLE_ROUNDING_F32 {
            push_shortest(self.out, ryu::Buffer::new().format_finite(f64::from(v)));
        } else {
            push_shortest(self.out, ryu::Buffer::new().format_finite(v));
        }
    }
    /// Writes a `double`.
    pub fn double(&mut self, v: f64) {
        if v.is_finite() {
            push_shortest(self.out, ryu::Buffer::new().format_finite(v));
        } else {
            self.out
                .extend_from_slice(non_finite(v.is_nan(), v.is_sign_negative()));
        }
    }
    /// Writes a string (escaped).
    pub fn string(&mut self, v: &str) {
        write_escaped(self.out, v);
    }
    /// Writes bytes as standard padded base64.
    pub fn bytes(&mut self, v: &[u8]) {
        self.out.push(b'"');
        write_base64(self.out, v);
        self.out.push(b'"');
    }
    /// Writes an enum by name, or by number when the value is unknown.
    pub fn enumeration<E: Enumeration>(&mut self, v: E) {
        match v.name() {
            Some(name) => write_escaped(self.out, name),
            None => self.int32(v.number()),
        }
    }
    /// Writes pre-formatted JSON.
    pub fn raw(&mut self, json: &str) {
        self.out.extend_from_slice(json.as_bytes());
    }
}

impl JsonWriter<'_> {
    /// Result helper for generated code: `Ok(())`.
    #[inline]
    pub fn done(&self) -> Result<(), JsonError> {
        Ok(())
    }
}

/// The magnitude bits of the only `f32` values (±7.038531e-26) whose shortest form does not
/// survive being parsed as an `f64` and then rounded to `f32` (which is how a JSON number
/// reaches a `float` field: the parser's tape holds `f64`). Found by an exhaustive search
/// over all `f32`; these are written with the digits of the `f64` instead.
const DOUBLE_ROUNDING_F32: u32 = 0x15ae_43fd;

/// Writes `"NaN"`, `"Infinity"` or `"-Infinity"`.
fn non_finite(nan: bool, negative: bool) -> &'static [u8] {
    match (nan, negative) {
        (true, _) => b"\"NaN\"",
        (false, false) => b"\"Infinity\"",
        (false, true) => b"\"-Infinity\"",
    }
}

/// Appends ryu's shortest round-trip form, without its `.0` suffix on integral values
/// (`1.0` → `1`, as upstream writes it; `1e16` has none).
fn push_shortest(out: &mut Vec<u8>, formatted: &str) {
    // `-0.0` keeps its fraction: simd-json reads `-0` as the integer 0, losing the sign.
    let s = if formatted == "-0.0" {
        formatted
    } else {
        formatted.strip_suffix(".0").unwrap_or(formatted)
    };
    out.extend_from_slice(s.as_bytes());
}

/// Appends `v` as standard padded base64.
fn write_base64(out: &mut Vec<u8>, v: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let start = out.len();
    let Some(len) = base64::encoded_len(v.len(), true) else {
        // Only for inputs near `usize::MAX` bytes, which cannot exist.
        return;
    };
    out.resize(start + len, 0);
    let written = out
        .get_mut(start..)
        .map_or(0, |tail| engine.encode_slice(v, tail).unwrap_or(0));
    out.truncate(start + written);
}

/// For each byte, the character after `\` that escapes it, `u` for `\u00XX`, or 0 when
/// the byte is written as is.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a quoted JSON string, copying runs of bytes that need no escape at once.
fn write_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` on a fresh writer and returns the output.
    fn out(f: impl FnOnce(&mut JsonWriter<'_>)) -> String {
        let opts = JsonOptions::default();
        let mut buf = Vec::new();
        f(&mut JsonWriter::new(&mut buf, &opts));
        String::from_utf8(buf).unwrap()
    }

    #[derive(Clone, Copy, Debug, Default, PartialEq)]
    struct Color(i32);

    impl Enumeration for Color {
        const FULL_NAME: &'static str = "test.Color";
        fn number(self) -> i32 {
            self.0
        }
        fn from_number(n: i32) -> Self {
            Color(n)
        }
        fn name(self) -> Option<&'static str> {
            (self.0 == 1).then_some("GREEN")
        }
        fn from_name(name: &str) -> Option<Self> {
            (name == "GREEN").then_some(Color(1))
        }
    }

    #[test]
    fn commas_in_objects_and_arrays() {
        let got = out(|w| {
            w.begin_object();
            w.key("a");
            w.int32(1);
            w.key("b");
            w.begin_array();
            w.elem();
            w.int32(1);
            w.elem();
            w.begin_object();
            w.end_object();
            w.elem();
            w.begin_array();
            w.end_array();
            w.elem();
            w.begin_object();
            w.key("x");
            w.null();
            w.end_object();
            w.end_array();
            w.key("c");
            w.begin_object();
            w.key_int(-5);
            w.bool(true);
            w.key_uint(7);
            w.bool(false);
            w.key_bool(true);
            w.string("t");
            w.key_bool(false);
            w.string("f");
            w.end_object();
            w.key("d");
            w.raw("{\"pre\":1}");
            w.end_object();
        });
        assert_eq!(
            got,
            r#"{"a":1,"b":[1,{},[],{"x":null}],"c":{"-5":true,"7":false,"true":"t","false":"f"},"d":{"pre":1}}"#
        );
        let json = got.clone();
        let mut buf = json.into_bytes();
        assert!(simd_json::to_tape(&mut buf).is_ok(), "{got}");
    }

    #[test]
    fn integers() {
        assert_eq!(out(|w| w.int32(i32::MIN)), "-2147483648");
        assert_eq!(out(|w| w.int32(0)), "0");
        assert_eq!(out(|w| w.uint32(u32::MAX)), "4294967295");
        assert_eq!(out(|w| w.int64(i64::MIN)), r#""-9223372036854775808""#);
        assert_eq!(out(|w| w.int64(0)), r#""0""#);
        assert_eq!(out(|w| w.uint64(u64::MAX)), r#""18446744073709551615""#);
        assert_eq!(out(|w| w.key_int(i64::MIN)), r#""-9223372036854775808":"#);
        assert_eq!(out(|w| w.key_uint(u64::MAX)), r#""18446744073709551615":"#);
    }

    #[test]
    fn floats() {
        let cases: &[(f32, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0.0"),
            (1.0, "1"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-3.402_823_5e38, "-3.4028235e38"),
            (f32::MIN_POSITIVE, "1.1754944e-38"),
            (1e16, "1e16"),
            (f32::NAN, r#""NaN""#),
            (f32::INFINITY, r#""Infinity""#),
            (f32::NEG_INFINITY, r#""-Infinity""#),
        ];
        for &(v, want) in cases {
            assert_eq!(out(|w| w.float(v)), want, "{v}");
            if v.is_finite() {
                assert_eq!(
                    out(|w| w.float(v)).parse::<f32>().unwrap().to_bits(),
                    v.to_bits()
                );
            }
        }
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (1.0, "1"),
            (100_000.0, "100000"),
            (0.1, "0.1"),
            (1e21, "1e21"),
            (1e-7, "1e-7"),
            (f64::MAX, "1.7976931348623157e308"),
            (5e-324, "5e-324"),
            (f64::NAN, r#""NaN""#),
            (f64::INFINITY, r#""Infinity""#),
            (f64::NEG_INFINITY, r#""-Infinity""#),
        ];
        for &(v, want) in cases {
            assert_eq!(out(|w| w.double(v)), want, "{v}");
        }
    }

    #[test]
    fn strings() {
        let cases: &[(&str, &str)] = &[
            ("", r#""""#),
            ("plain ascii", r#""plain ascii""#),
            ("quote\"back\\slash", r#""quote\"back\\slash""#),
            ("\u{8}\u{c}\n\r\t", r#""\b\f\n\r\t""#),
            (
                "\u{0}\u{1}\u{1f}x\u{7f}",
                "\"\\u0000\\u0001\\u001fx\u{7f}\"",
            ),
            ("h\u{e9}llo \u{1f600} /", "\"h\u{e9}llo \u{1f600} /\""),
            ("\"", r#""\"""#),
            ("a\"", r#""a\"""#),
            ("\"a", r#""\"a""#),
        ];
        for &(v, want) in cases {
            assert_eq!(out(|w| w.string(v)), want, "{v:?}");
            // Round trip through a JSON parser.
            let mut buf = out(|w| w.string(v)).into_bytes();
            let tape = simd_json::to_tape(&mut buf).unwrap();
            assert_eq!(crate::json::read::string(tape.as_value()).unwrap(), v);
        }
        assert_eq!(out(|w| w.key("a\"b")), r#""a\"b":"#);
    }

    #[test]
    fn bytes_base64() {
        let cases: &[(&[u8], &str)] = &[
            (b"", r#""""#),
            (&[1], r#""AQ==""#),
            (&[1, 2], r#""AQI=""#),
            (&[1, 2, 3], r#""AQID""#),
            (&[0xfb, 0xff], r#""+/8=""#),
        ];
        for &(v, want) in cases {
            assert_eq!(out(|w| w.bytes(v)), want, "{v:?}");
        }
        let all: Vec<u8> = (0..=255).collect();
        let mut buf = out(|w| w.bytes(&all)).into_bytes();
        let tape = simd_json::to_tape(&mut buf).unwrap();
        assert_eq!(
            crate::json::read::bytes(tape.as_value()).unwrap().as_ref(),
            &all[..]
        );
    }

    #[test]
    #[allow(clippy::redundant_closure_for_method_calls)] // `JsonWriter::null` is not general over the writer's lifetime
    fn scalars_and_enums() {
        assert_eq!(out(|w| w.null()), "null");
        assert_eq!(out(|w| w.bool(true)), "true");
        assert_eq!(out(|w| w.bool(false)), "false");
        assert_eq!(out(|w| w.enumeration(Color(1))), r#""GREEN""#);
        assert_eq!(out(|w| w.enumeration(Color(-7))), "-7");
        assert_eq!(out(|w| w.raw("[1, 2]")), "[1, 2]");
        assert_eq!(out(|w| w.done().unwrap()), "");
    }

    #[test]
    fn float_that_double_rounding_would_break() {
        for bits in [DOUBLE_ROUNDING_F32, DOUBLE_ROUNDING_F32 | 0x8000_0000] {
            let v = f32::from_bits(bits);
            let shortest = ryu::Buffer::new().format_finite(v).to_owned();
            assert_ne!(
                (shortest.parse::<f64>().unwrap() as f32).to_bits(),
                bits,
                "{shortest}"
            );
            let mut buf = out(|w| w.float(v)).into_bytes();
            let tape = simd_json::to_tape(&mut buf).unwrap();
            assert_eq!(
                crate::json::read::float(tape.as_value()).unwrap().to_bits(),
                bits
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_round_trip(v in "\\PC*|[\u{0}-\u{7f}]*") {
            let json = out(|w| w.string(&v));
            let mut buf = json.into_bytes();
            let tape = simd_json::to_tape(&mut buf).unwrap();
            proptest::prop_assert_eq!(crate::json::read::string(tape.as_value()).unwrap(), v.as_str());
        }

        #[test]
        fn floats_round_trip(bits: u32) {
            let v = f32::from_bits(bits);
            let json = out(|w| w.float(v));
            let mut buf = json.into_bytes();
            let tape = simd_json::to_tape(&mut buf).unwrap();
            let back = crate::json::read::float(tape.as_value()).unwrap();
            proptest::prop_assert!(back.to_bits() == bits || (v.is_nan() && back.is_nan()));
        }

        #[test]
        fn doubles_round_trip(bits: u64) {
            let v = f64::from_bits(bits);
            let json = out(|w| w.double(v));
            let mut buf = json.into_bytes();
            let tape = simd_json::to_tape(&mut buf).unwrap();
            let back = crate::json::read::double(tape.as_value()).unwrap();
            proptest::prop_assert!(back.to_bits() == bits || (v.is_nan() && back.is_nan()));
        }
    }

    #[test]
    fn appends_to_existing_output() {
        let opts = JsonOptions::default();
        let mut buf = b"prefix:".to_vec();
        let mut w = JsonWriter::new(&mut buf, &opts);
        w.string("a\nb");
        w.buffer().push(b'!');
        assert!(!w.options().ignore_unknown_fields);
        assert_eq!(buf, b"prefix:\"a\\nb\"!");
    }
}
