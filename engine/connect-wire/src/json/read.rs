//! Reading scalar field values out of parsed JSON (called by generated `merge_json`).
//!
//! Accepted forms follow the proto3 JSON mapping: integers as numbers or strings (an
//! integral float like `1e5` or `1.0` is accepted, a fraction is not); 64-bit integers
//! usually arrive as strings; floats as numbers or strings including `"NaN"`,
//! `"Infinity"`, `"-Infinity"` (out-of-range finite values are rejected); bytes as standard
//! or URL-safe base64, padded or not; enums by name or number.
//!
//! Strings holding numbers must be exactly a JSON number (no whitespace, no `+`, no leading
//! zeros), as in Go's protojson. Integers in strings are converted exactly from their
//! decimal digits, so `"1e5"` and `"100000.000"` are integers and `"1.0000000000000000001"`
//! is not. Map keys are plain decimal integers (`[+-]?[0-9]+` for signed, `[0-9]+` for
//! unsigned), as Go's `strconv.ParseInt` / `ParseUint` read them.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use simd_json::base::{ValueAsScalar, ValueIntoString};

use super::{JsonArray, JsonDecoder, JsonErrorKind, JsonObject, JsonValue};
use crate::enumeration::Enumeration;

/// Decoding configuration for bytes: padding optional (but canonical when present), and
/// non-zero trailing bits tolerated (as Go's and C++'s decoders do).
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
/// Standard alphabet (`+/`).
static STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
/// URL-safe alphabet (`-_`).
static URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// Whether `v` is JSON `null` (which means "absent" for every field but
/// `google.protobuf.Value` and `google.protobuf.NullValue`).
#[must_use]
pub fn is_null(v: JsonValue<'_, '_>) -> bool {
    v.as_null().is_some()
}

/// An `int32` from a number or a string.
pub fn int32(v: JsonValue<'_, '_>) -> Result<i32, JsonErrorKind> {
    integer(v, i128::from(i32::MIN), i128::from(i32::MAX)).map(|n| n as i32)
}

/// A `uint32` from a number or a string.
pub fn uint32(v: JsonValue<'_, '_>) -> Result<u32, JsonErrorKind> {
    integer(v, 0, i128::from(u32::MAX)).map(|n| n as u32)
}

/// An `int64` from a number or a string.
pub fn int64(v: JsonValue<'_, '_>) -> Result<i64, JsonErrorKind> {
    integer(v, i128::from(i64::MIN), i128::from(i64::MAX)).map(|n| n as i64)
}

/// A `uint64` from a number or a string.
pub fn uint64(v: JsonValue<'_, '_>) -> Result<u64, JsonErrorKind> {
    integer(v, 0, i128::from(u64::MAX)).map(|n| n as u64)
}

/// A `float` from a number or a string; finite values beyond `f32` range are rejected.
pub fn float(v: JsonValue<'_, '_>) -> Result<f32, JsonErrorKind> {
    if let Some(s) = v.as_str() {
        if let Some(special) = special_float(s) {
            return Ok(special as f32);
        }
        check_number_syntax(s)?;
        let f: f32 = s.parse().map_err(|_| JsonErrorKind::BadValue)?;
        return if f.is_finite() {
            Ok(f)
        } else {
            Err(JsonErrorKind::OutOfRange)
        };
    }
    let d = number_as_f64(v)?;
    let f = d as f32;
    if f.is_finite() {
        Ok(f)
    } else {
        Err(JsonErrorKind::OutOfRange)
    }
}

/// A `double` from a number or a string.
pub fn double(v: JsonValue<'_, '_>) -> Result<f64, JsonErrorKind> {
    if let Some(s) = v.as_str() {
        if let Some(special) = special_float(s) {
            return Ok(special);
        }
        check_number_syntax(s)?;
        let f: f64 = s.parse().map_err(|_| JsonErrorKind::BadValue)?;
        return if f.is_finite() {
            Ok(f)
        } else {
            Err(JsonErrorKind::OutOfRange)
        };
    }
    number_as_f64(v)
}

/// A `bool` (`true` / `false` only).
pub fn bool(v: JsonValue<'_, '_>) -> Result<bool, JsonErrorKind> {
    v.as_bool().ok_or(JsonErrorKind::WrongType)
}

/// A `string`, borrowed from the input.
pub fn string<'a>(v: JsonValue<'_, 'a>) -> Result<Cow<'a, str>, JsonErrorKind> {
    v.into_string()
        .map(Cow::Borrowed)
        .ok_or(JsonErrorKind::WrongType)
}

/// `bytes` from standard or URL-safe base64, padded or not.
pub fn bytes<'a>(v: JsonValue<'_, 'a>) -> Result<Cow<'a, [u8]>, JsonErrorKind> {
    let s = v.as_str().ok_or(JsonErrorKind::WrongType)?;
    if s.is_empty() {
        return Ok(Cow::Borrowed(&[]));
    }
    // Like Go's protojson: any URL-safe character selects the URL-safe alphabet (mixing the
    // two alphabets is an error).
    let engine = if s.bytes().any(|b| b == b'-' || b == b'_') {
        &URL_SAFE
    } else {
        &STANDARD
    };
    // Padding, when present, must complete the last quantum (the engines would take `AQ=`).
    if s.len() % 4 != 0 && s.ends_with('=') {
        return Err(JsonErrorKind::BadValue);
    }
    engine
        .decode(s)
        .map(Cow::Owned)
        .map_err(|_| JsonErrorKind::BadValue)
}

/// An enum value from its name or number. `Ok(None)` means an unknown name that the options
/// say to ignore (the field is then left unset).
pub fn enumeration<E: Enumeration>(
    v: JsonValue<'_, '_>,
    d: &JsonDecoder<'_>,
) -> Result<Option<E>, JsonErrorKind> {
    if let Some(name) = v.as_str() {
        return match E::from_name(name) {
            Some(e) => Ok(Some(e)),
            None if d.options().ignore_unknown_fields => Ok(None),
            None => Err(JsonErrorKind::UnknownEnumValue),
        };
    }
    // Numbers only (a string is a name); enums are open, so any int32 is a value.
    let n = number_integer(v, i128::from(i32::MIN), i128::from(i32::MAX))?;
    Ok(Some(E::from_number(n as i32)))
}

/// An object (for map fields).
pub fn object<'t, 'a>(v: JsonValue<'t, 'a>) -> Result<JsonObject<'t, 'a>, JsonErrorKind> {
    v.as_object().ok_or(JsonErrorKind::WrongType)
}

/// An array (for repeated fields).
pub fn array<'t, 'a>(v: JsonValue<'t, 'a>) -> Result<JsonArray<'t, 'a>, JsonErrorKind> {
    v.as_array().ok_or(JsonErrorKind::WrongType)
}

/// A map key of an `int32` map.
pub fn key_int32(k: &str) -> Result<i32, JsonErrorKind> {
    key_integer(k, true, i128::from(i32::MIN), i128::from(i32::MAX)).map(|n| n as i32)
}

/// A map key of a `uint32` map.
pub fn key_uint32(k: &str) -> Result<u32, JsonErrorKind> {
    key_integer(k, false, 0, i128::from(u32::MAX)).map(|n| n as u32)
}

/// A map key of an `int64` map.
pub fn key_int64(k: &str) -> Result<i64, JsonErrorKind> {
    key_integer(k, true, i128::from(i64::MIN), i128::from(i64::MAX)).map(|n| n as i64)
}

/// A map key of a `uint64` map.
pub fn key_uint64(k: &str) -> Result<u64, JsonErrorKind> {
    key_integer(k, false, 0, i128::from(u64::MAX)).map(|n| n as u64)
}

/// A map key of a `bool` map (`"true"` / `"false"`).
pub fn key_bool(k: &str) -> Result<bool, JsonErrorKind> {
    match k {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(JsonErrorKind::BadValue),
    }
}

// ---------------------------------------------------------------------------------------
// Private helpers.

/// An integer in `min..=max` from a JSON number or a string holding one.
fn integer(v: JsonValue<'_, '_>, min: i128, max: i128) -> Result<i128, JsonErrorKind> {
    match v.as_str() {
        Some(s) => string_integer(s, min, max),
        None => number_integer(v, min, max),
    }
}

/// An integer in `min..=max` from a JSON number (not a string).
fn number_integer(v: JsonValue<'_, '_>, min: i128, max: i128) -> Result<i128, JsonErrorKind> {
    let n = if let Some(i) = v.as_i64() {
        i128::from(i)
    } else if let Some(u) = v.as_u64() {
        i128::from(u)
    } else if let Some(f) = v.as_f64() {
        if !f.is_finite() || f.fract() != 0.0 {
            return Err(JsonErrorKind::OutOfRange);
        }
        // `-0.0` is a negative number to Go's and C++'s unsigned parsers.
        if min == 0 && f.is_sign_negative() {
            return Err(JsonErrorKind::OutOfRange);
        }
        // Integral and finite: exact up to ±2^127, saturating beyond (still out of range).
        f as i128
    } else {
        return Err(JsonErrorKind::WrongType);
    };
    in_range(n, min, max)
}

/// An integer in `min..=max` from a string that is exactly a JSON number.
fn string_integer(s: &str, min: i128, max: i128) -> Result<i128, JsonErrorKind> {
    let parts = NumberParts::parse(s.as_bytes()).ok_or(JsonErrorKind::BadValue)?;
    let magnitude = parts.integer_magnitude()?;
    if parts.neg && min == 0 {
        // Unsigned: even `"-0"` is rejected, as by Go's `ParseUint` and absl's `SimpleAtoi`.
        return Err(JsonErrorKind::OutOfRange);
    }
    let n = if parts.neg {
        -i128::from(magnitude)
    } else {
        i128::from(magnitude)
    };
    in_range(n, min, max)
}

/// A map key: `[+-]?[0-9]+` when `signed`, else `[0-9]+`, in `min..=max`.
fn key_integer(k: &str, signed: bool, min: i128, max: i128) -> Result<i128, JsonErrorKind> {
    let bytes = k.as_bytes();
    let (neg, digits) = match bytes.split_first() {
        Some((b'-', rest)) if signed => (true, rest),
        Some((b'+', rest)) if signed => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return Err(JsonErrorKind::BadValue);
    }
    let mut n: i128 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(JsonErrorKind::BadValue);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(i128::from(c - b'0')))
            .ok_or(JsonErrorKind::OutOfRange)?;
    }
    in_range(if neg { -n } else { n }, min, max)
}

fn in_range(n: i128, min: i128, max: i128) -> Result<i128, JsonErrorKind> {
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(JsonErrorKind::OutOfRange)
    }
}

/// A JSON number (not a string) as `f64`.
fn number_as_f64(v: JsonValue<'_, '_>) -> Result<f64, JsonErrorKind> {
    if let Some(f) = v.as_f64() {
        // simd-json rejects overflowing literals, but stay safe.
        return if f.is_finite() {
            Ok(f)
        } else {
            Err(JsonErrorKind::OutOfRange)
        };
    }
    if let Some(i) = v.as_i64() {
        return Ok(i as f64);
    }
    if let Some(u) = v.as_u64() {
        return Ok(u as f64);
    }
    Err(JsonErrorKind::WrongType)
}

/// The special string forms of floating point values.
fn special_float(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Checks that `s` is exactly a JSON number (Rust's float parser also takes `inf`, `+1`,
/// `.5`, `1.` and others that proto JSON rejects).
fn check_number_syntax(s: &str) -> Result<(), JsonErrorKind> {
    NumberParts::parse(s.as_bytes())
        .map(|_| ())
        .ok_or(JsonErrorKind::BadValue)
}

/// The parts of a JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
#[derive(Debug)]
struct NumberParts<'s> {
    neg: bool,
    int: &'s [u8],
    frac: &'s [u8],
    /// The exponent, saturated to ±`EXP_LIMIT` (far beyond any representable integer).
    exp: i64,
}

const EXP_LIMIT: i64 = 100_000;

/// Splits off the leading ASCII digits of `s`.
fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

impl<'s> NumberParts<'s> {
    fn parse(s: &'s [u8]) -> Option<Self> {
        let (neg, s) = match s.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, s),
        };
        let (int, s) = split_digits(s);
        if int.is_empty() || (int.len() > 1 && int.first() == Some(&b'0')) {
            return None;
        }
        let (frac, s) = match s.split_first() {
            Some((b'.', rest)) => {
                let (frac, rest) = split_digits(rest);
                if frac.is_empty() {
                    return None;
                }
                (frac, rest)
            }
            _ => (&[][..], s),
        };
        let (exp, s) = match s.split_first() {
            Some((b'e' | b'E', rest)) => {
                let (exp_neg, rest) = match rest.split_first() {
                    Some((b'-', r)) => (true, r),
                    Some((b'+', r)) => (false, r),
                    _ => (false, rest),
                };
                let (digits, rest) = split_digits(rest);
                if digits.is_empty() {
                    return None;
                }
                let mag = digits.iter().fold(0i64, |acc, &c| {
                    (acc * 10 + i64::from(c - b'0')).min(EXP_LIMIT)
                });
                (if exp_neg { -mag } else { mag }, rest)
            }
            _ => (0, s),
        };
        if !s.is_empty() {
            return None;
        }
        Some(NumberParts {
            neg,
            int,
            frac,
            exp,
        })
    }

    /// The exact magnitude if the number is an integer of at most 64 bits.
    fn integer_magnitude(&self) -> Result<u64, JsonErrorKind> {
        let frac_len = self
            .frac
            .iter()
            .rposition(|&c| c != b'0')
            .map_or(0, |p| p + 1);
        let frac = self.frac.get(..frac_len).unwrap_or_default();
        // value = digits * 10^exp10, digits = int ++ frac without leading zeros.
        let exp10 = self.exp - frac_len as i64;
        let digits = || self.int.iter().chain(frac).skip_while(|&&c| c == b'0');
        let count = digits().count() as i64;
        if count == 0 {
            return Ok(0);
        }
        let keep = if exp10 >= 0 {
            if count + exp10 > 20 {
                return Err(JsonErrorKind::OutOfRange);
            }
            count
        } else {
            // The digits shifted behind the decimal point must all be zero.
            let keep = count + exp10;
            if keep <= 0 || digits().skip(keep as usize).any(|&c| c != b'0') {
                return Err(JsonErrorKind::OutOfRange);
            }
            keep
        };
        let mut n: u64 = 0;
        for &c in digits().take(keep as usize) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(c - b'0')))
                .ok_or(JsonErrorKind::OutOfRange)?;
        }
        for _ in 0..exp10.max(0) {
            n = n.checked_mul(10).ok_or(JsonErrorKind::OutOfRange)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::JsonOptions;

    /// Parses `json` and runs `f` on its value.
    fn with<R>(json: &str, f: impl FnOnce(JsonValue<'_, '_>) -> R) -> R {
        let mut buf = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut buf).unwrap();
        f(tape.as_value())
    }

    use JsonErrorKind::{BadValue, OutOfRange, UnknownEnumValue, WrongType};

    /// What an enum read should give.
    type EnumResult = Result<Option<Color>, JsonErrorKind>;

    #[test]
    fn null() {
        assert!(with("null", is_null));
        for json in ["0", "\"\"", "false", "{}", "[]"] {
            assert!(!with(json, is_null), "{json}");
        }
    }

    #[test]
    fn int32_table() {
        let cases: &[(&str, Result<i32, JsonErrorKind>)] = &[
            ("0", Ok(0)),
            ("-0", Ok(0)),
            ("1", Ok(1)),
            ("2147483647", Ok(i32::MAX)),
            ("-2147483648", Ok(i32::MIN)),
            ("2147483648", Err(OutOfRange)),
            ("-2147483649", Err(OutOfRange)),
            ("9223372036854775808", Err(OutOfRange)),
            ("1e5", Ok(100_000)),
            ("100000.000", Ok(100_000)),
            ("2.147483647e9", Ok(i32::MAX)),
            ("-2.147483648e9", Ok(i32::MIN)),
            ("2.147483648e9", Err(OutOfRange)),
            ("0.5", Err(OutOfRange)),
            ("-0.0", Ok(0)),
            ("1e-400", Ok(0)),
            (r#""1""#, Ok(1)),
            (r#""-2147483648""#, Ok(i32::MIN)),
            (r#""2147483648""#, Err(OutOfRange)),
            (r#""1e5""#, Ok(100_000)),
            (r#""1E+2""#, Ok(100)),
            (r#""100000.000""#, Ok(100_000)),
            (r#""12300e-2""#, Ok(123)),
            (r#""12345e-2""#, Err(OutOfRange)),
            (r#""1e-1""#, Err(OutOfRange)),
            (r#""0.5""#, Err(OutOfRange)),
            (r#""1.0000000000000000000001""#, Err(OutOfRange)),
            (r#""0e99999999999999999999""#, Ok(0)),
            (r#""1e99999999999999999999""#, Err(OutOfRange)),
            (r#""-0""#, Ok(0)),
            (r#"" 1""#, Err(BadValue)),
            (r#""1 ""#, Err(BadValue)),
            (r#""+1""#, Err(BadValue)),
            (r#""01""#, Err(BadValue)),
            (r#""-01""#, Err(BadValue)),
            (r#""1.""#, Err(BadValue)),
            (r#"".5""#, Err(BadValue)),
            (r#""1e""#, Err(BadValue)),
            (r#""0x10""#, Err(BadValue)),
            (r#""""#, Err(BadValue)),
            (r#""-""#, Err(BadValue)),
            (r#""NaN""#, Err(BadValue)),
            ("true", Err(WrongType)),
            ("null", Err(WrongType)),
            ("[]", Err(WrongType)),
            ("{}", Err(WrongType)),
        ];
        for (json, want) in cases {
            assert_eq!(with(json, int32), *want, "{json}");
        }
    }

    #[test]
    fn uint32_table() {
        let cases: &[(&str, Result<u32, JsonErrorKind>)] = &[
            ("0", Ok(0)),
            ("4294967295", Ok(u32::MAX)),
            ("4294967296", Err(OutOfRange)),
            ("-1", Err(OutOfRange)),
            ("4.294967295e9", Ok(u32::MAX)),
            ("-0.0", Err(OutOfRange)),
            ("1.5", Err(OutOfRange)),
            (r#""4294967295""#, Ok(u32::MAX)),
            (r#""4294967296""#, Err(OutOfRange)),
            (r#""-0""#, Err(OutOfRange)),
            (r#""-1""#, Err(OutOfRange)),
            ("false", Err(WrongType)),
        ];
        for (json, want) in cases {
            assert_eq!(with(json, uint32), *want, "{json}");
        }
    }

    #[test]
    fn int64_table() {
        let cases: &[(&str, Result<i64, JsonErrorKind>)] = &[
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("9223372036854775808", Err(OutOfRange)),
            (r#""9223372036854775807""#, Ok(i64::MAX)),
            (r#""-9223372036854775808""#, Ok(i64::MIN)),
            (r#""9223372036854775808""#, Err(OutOfRange)),
            (r#""-9223372036854775809""#, Err(OutOfRange)),
            (r#""18446744073709551616""#, Err(OutOfRange)),
            (r#""922337203685477580.7e1""#, Ok(i64::MAX)),
            // 2^63 as a float is just out of range; 2^62 is exact.
            ("9.223372036854775807e18", Err(OutOfRange)),
            ("-9.223372036854775808e18", Ok(i64::MIN)),
            ("4.611686018427387904e18", Ok(1 << 62)),
            ("1e300", Err(OutOfRange)),
            ("1.5", Err(OutOfRange)),
            (r#""1e5""#, Ok(100_000)),
            ("true", Err(WrongType)),
        ];
        for (json, want) in cases {
            assert_eq!(with(json, int64), *want, "{json}");
        }
    }

    #[test]
    fn uint64_table() {
        let cases: &[(&str, Result<u64, JsonErrorKind>)] = &[
            ("18446744073709551615", Ok(u64::MAX)),
            ("0", Ok(0)),
            ("-1", Err(OutOfRange)),
            (r#""18446744073709551615""#, Ok(u64::MAX)),
            (r#""18446744073709551616""#, Err(OutOfRange)),
            (r#""184467440737095516150e-1""#, Ok(u64::MAX)),
            (r#""1844674407370955161.5e1""#, Ok(u64::MAX)),
            (r#""-1""#, Err(OutOfRange)),
            ("1.8446744073709552e19", Err(OutOfRange)),
            ("1e19", Ok(10_000_000_000_000_000_000)),
            ("{}", Err(WrongType)),
        ];
        for (json, want) in cases {
            assert_eq!(with(json, uint64), *want, "{json}");
        }
    }

    #[test]
    fn float_table() {
        let cases: &[(&str, Result<f32, JsonErrorKind>)] = &[
            ("0", Ok(0.0)),
            ("1", Ok(1.0)),
            ("-1.5", Ok(-1.5)),
            ("3.402823e38", Ok(3.402_823e38)),
            ("-3.402823e38", Ok(-3.402_823e38)),
            ("3.4028235e38", Ok(f32::MAX)),
            ("3.402823e39", Err(OutOfRange)),
            ("-3.402823e39", Err(OutOfRange)),
            ("1.175494e-38", Ok(1.175_494e-38)),
            ("1e-50", Ok(0.0)),
            ("9223372036854775807", Ok(9.223_372e18)),
            (r#""1.5""#, Ok(1.5)),
            (r#""-3.402823e38""#, Ok(-3.402_823e38)),
            (r#""3.402823e39""#, Err(OutOfRange)),
            (r#""Infinity""#, Ok(f32::INFINITY)),
            (r#""-Infinity""#, Ok(f32::NEG_INFINITY)),
            (r#""infinity""#, Err(BadValue)),
            (r#""inf""#, Err(BadValue)),
            (r#""nan""#, Err(BadValue)),
            (r#""+1""#, Err(BadValue)),
            (r#"" 1""#, Err(BadValue)),
            (r#""1 ""#, Err(BadValue)),
            (r#"".5""#, Err(BadValue)),
            (r#""""#, Err(BadValue)),
            ("true", Err(WrongType)),
            ("null", Err(WrongType)),
        ];
        for (json, want) in cases {
            assert_eq!(with(json, float), *want, "{json}");
        }
        assert!(with(r#""NaN""#, float).unwrap().is_nan());
    }

    #[test]
    fn double_table() {
        let cases: &[(&str, Result<f64, JsonErrorKind>)] = &[
            ("0", Ok(0.0)),
            ("-0.0", Ok(-0.0)),
            ("0.1", Ok(0.1)),
            ("1.7976931348623157e308", Ok(f64::MAX)),
            ("-1.7976931348623157e308", Ok(f64::MIN)),
            ("2.2250738585072014e-308", Ok(f64::MIN_POSITIVE)),
            ("18446744073709551615", Ok(1.844_674_407_370_955_2e19)),
            ("-5", Ok(-5.0)),
            (r#""1.7976931348623157e308""#, Ok(f64::MAX)),
            (r#""1e309""#, Err(OutOfRange)),
            (r#""-1e309""#, Err(OutOfRange)),
            (r#""1e-400""#, Ok(0.0)),
            (r#""Infinity""#, Ok(f64::INFINITY)),
            (r#""-Infinity""#, Ok(f64::NEG_INFINITY)),
            (r#""-inf""#, Err(BadValue)),
            (r#""1.5x""#, Err(BadValue)),
            ("[1]", Err(WrongType)),
        ];
        for (json, want) in cases {
            assert_eq!(with(json, double), *want, "{json}");
        }
        assert!(with(r#""NaN""#, double).unwrap().is_nan());
    }

    #[test]
    fn bool_table() {
        assert_eq!(with("true", bool), Ok(true));
        assert_eq!(with("false", bool), Ok(false));
        for json in [r#""true""#, "1", "0", "null", "[]"] {
            assert_eq!(with(json, bool), Err(WrongType), "{json}");
        }
    }

    #[test]
    fn string_borrows() {
        let mut buf = br#""h\u00e9llo""#.to_vec();
        let tape = simd_json::to_tape(&mut buf).unwrap();
        let s = string(tape.as_value()).unwrap();
        assert!(matches!(s, Cow::Borrowed("h\u{e9}llo")));
        for json in ["1", "true", "null", "{}"] {
            assert_eq!(
                with(json, |v| string(v).map(Cow::into_owned)),
                Err(WrongType),
                "{json}"
            );
        }
    }

    #[test]
    fn bytes_table() {
        let cases: &[(&str, Result<&[u8], JsonErrorKind>)] = &[
            (r#""""#, Ok(b"")),
            (r#""AQID""#, Ok(&[1, 2, 3])),
            (r#""AQI=""#, Ok(&[1, 2])),
            (r#""AQI""#, Ok(&[1, 2])),
            (r#""AQ==""#, Ok(&[1])),
            (r#""AQ""#, Ok(&[1])),
            (r#""-_8=""#, Ok(&[0xfb, 0xff])),
            (r#""-_8""#, Ok(&[0xfb, 0xff])),
            (r#""+/8=""#, Ok(&[0xfb, 0xff])),
            (r#""+/8""#, Ok(&[0xfb, 0xff])),
            // Non-zero trailing bits are tolerated.
            (r#""AR==""#, Ok(&[1])),
            (r#""+_8=""#, Err(BadValue)),
            (r#""AQ=""#, Err(BadValue)),
            (r#""A""#, Err(BadValue)),
            (r#""AQID!""#, Err(BadValue)),
            (r#""AQ ID""#, Err(BadValue)),
            (r#""AQ=I""#, Err(BadValue)),
            ("1", Err(WrongType)),
            ("[1]", Err(WrongType)),
        ];
        for (json, want) in cases {
            let got = with(json, |v| bytes(v).map(Cow::into_owned));
            assert_eq!(got, want.map(<[u8]>::to_vec), "{json}");
        }
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
            match self.0 {
                0 => Some("RED"),
                1 => Some("GREEN"),
                _ => None,
            }
        }
        fn from_name(name: &str) -> Option<Self> {
            match name {
                "RED" => Some(Color(0)),
                "GREEN" => Some(Color(1)),
                _ => None,
            }
        }
    }

    #[test]
    fn enumeration_table() {
        let strict = JsonOptions::default();
        let lenient = JsonOptions {
            ignore_unknown_fields: true,
            ..JsonOptions::default()
        };
        let cases: &[(&str, EnumResult, EnumResult)] = &[
            (r#""GREEN""#, Ok(Some(Color(1))), Ok(Some(Color(1)))),
            (r#""RED""#, Ok(Some(Color(0))), Ok(Some(Color(0)))),
            (r#""BLUE""#, Err(UnknownEnumValue), Ok(None)),
            (r#""green""#, Err(UnknownEnumValue), Ok(None)),
            (r#""1""#, Err(UnknownEnumValue), Ok(None)),
            ("1", Ok(Some(Color(1))), Ok(Some(Color(1)))),
            ("42", Ok(Some(Color(42))), Ok(Some(Color(42)))),
            (
                "-2147483648",
                Ok(Some(Color(i32::MIN))),
                Ok(Some(Color(i32::MIN))),
            ),
            ("1.0", Ok(Some(Color(1))), Ok(Some(Color(1)))),
            ("2147483648", Err(OutOfRange), Err(OutOfRange)),
            ("1.5", Err(OutOfRange), Err(OutOfRange)),
            ("true", Err(WrongType), Err(WrongType)),
            ("null", Err(WrongType), Err(WrongType)),
        ];
        for (json, want_strict, want_lenient) in cases {
            let d = JsonDecoder::new(&strict);
            assert_eq!(
                with(json, |v| enumeration::<Color>(v, &d)),
                *want_strict,
                "{json}"
            );
            let d = JsonDecoder::new(&lenient);
            assert_eq!(
                with(json, |v| enumeration::<Color>(v, &d)),
                *want_lenient,
                "{json}"
            );
        }
    }

    #[test]
    fn containers() {
        assert_eq!(
            with(r#"{"a":1,"b":2}"#, |v| object(v).map(|o| o.len())),
            Ok(2)
        );
        assert_eq!(with("[1,2,3]", |v| array(v).map(|a| a.len())), Ok(3));
        for json in ["[]", "1", "\"{}\"", "null"] {
            assert_eq!(
                with(json, |v| object(v).map(|o| o.len())),
                Err(WrongType),
                "{json}"
            );
        }
        for json in ["{}", "1", "\"[]\"", "null"] {
            assert_eq!(
                with(json, |v| array(v).map(|a| a.len())),
                Err(WrongType),
                "{json}"
            );
        }
    }

    #[test]
    fn map_keys() {
        assert_eq!(key_int32("0"), Ok(0));
        assert_eq!(key_int32("-2147483648"), Ok(i32::MIN));
        assert_eq!(key_int32("2147483647"), Ok(i32::MAX));
        assert_eq!(key_int32("+5"), Ok(5));
        assert_eq!(key_int32("007"), Ok(7));
        assert_eq!(key_int32("2147483648"), Err(OutOfRange));
        assert_eq!(key_int32("-2147483649"), Err(OutOfRange));
        for bad in ["", "-", "+", "1e2", "1.0", " 1", "1 ", "abc", "--1", "0x1"] {
            assert_eq!(key_int32(bad), Err(BadValue), "{bad:?}");
            assert_eq!(key_int64(bad), Err(BadValue), "{bad:?}");
            assert_eq!(key_uint32(bad), Err(BadValue), "{bad:?}");
            assert_eq!(key_uint64(bad), Err(BadValue), "{bad:?}");
        }
        assert_eq!(key_uint32("4294967295"), Ok(u32::MAX));
        assert_eq!(key_uint32("4294967296"), Err(OutOfRange));
        assert_eq!(key_uint32("-1"), Err(BadValue));
        assert_eq!(key_uint32("+1"), Err(BadValue));
        assert_eq!(key_int64("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(key_int64("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(key_int64("9223372036854775808"), Err(OutOfRange));
        assert_eq!(key_uint64("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(key_uint64("18446744073709551616"), Err(OutOfRange));
        assert_eq!(key_uint64(&"9".repeat(100)), Err(OutOfRange));
        assert_eq!(key_bool("true"), Ok(true));
        assert_eq!(key_bool("false"), Ok(false));
        for bad in ["True", "1", "", "0", "yes"] {
            assert_eq!(key_bool(bad), Err(BadValue), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn quoted_integers_round_trip(n: i64) {
            proptest::prop_assert_eq!(with(&format!("\"{n}\""), int64), Ok(n));
            proptest::prop_assert_eq!(with(&n.to_string(), int64), Ok(n));
            proptest::prop_assert_eq!(key_int64(&n.to_string()), Ok(n));
        }

        #[test]
        fn exponent_forms_are_exact(n: u32, shift in 0usize..6) {
            // n * 10^shift written as "<n>e<shift>" and as "<n followed by zeros>.000".
            let want = u64::from(n) * 10u64.pow(shift as u32);
            proptest::prop_assert_eq!(with(&format!("\"{n}e{shift}\""), uint64), Ok(want));
            proptest::prop_assert_eq!(with(&format!("\"{want}.000\""), uint64), Ok(want));
            proptest::prop_assert_eq!(with(&format!("\"{want}00e-2\""), uint64), Ok(want));
        }

        #[test]
        fn doubles_round_trip_through_strings(bits: u64) {
            let f = f64::from_bits(bits);
            if f.is_finite() {
                let s = ryu::Buffer::new().format_finite(f).to_owned();
                proptest::prop_assert_eq!(with(&format!("\"{s}\""), double).map(f64::to_bits), Ok(bits));
                proptest::prop_assert_eq!(with(&s, double).map(f64::to_bits), Ok(bits));
            }
        }

        #[test]
        fn readers_never_panic(s in "[-+0-9.eE ]{0,30}") {
            let json = format!("\"{s}\"");
            let _ = with(&json, int32);
            let _ = with(&json, uint64);
            let _ = with(&json, float);
            let _ = with(&json, double);
            let _ = key_int64(&s);
            let _ = key_uint32(&s);
        }
    }

    #[test]
    fn number_parts_never_panic() {
        // Every prefix of some tricky inputs, and some junk.
        let inputs = [
            "-12.500e-3",
            "0.0e+0",
            "1E-0",
            "-",
            "e5",
            ".e",
            "1.e5",
            "9".repeat(400).as_str(),
        ]
        .map(str::to_owned);
        for s in &inputs {
            for end in 0..=s.len() {
                let prefix = &s[..end];
                let _ = string_integer(prefix, i128::from(i64::MIN), i128::from(i64::MAX));
                let _ = check_number_syntax(prefix);
            }
        }
    }
}
