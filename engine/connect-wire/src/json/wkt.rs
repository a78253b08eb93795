//! Special JSON forms of well-known types, over their parts.
//!
//! Generated code for `google.protobuf.{Timestamp, Duration, FieldMask, Any}` calls these;
//! Struct/Value/ListValue, wrappers and Empty are generated directly.
//!
//! The accepted input forms follow Go's protojson (which passes the conformance suite):
//! timestamps need an uppercase `T` and `Z` (or a `±hh:mm` offset) and 1 to 9 fractional
//! digits when there is a `.`; durations are `[+-]<int>[.<0..9 digits>]s`; field-mask
//! paths are lowerCamelCase and may not contain `_`.

use std::borrow::Cow;

use simd_json::base::{ValueAsScalar, ValueIntoString};

use super::registry::find_type;
use super::{JsonDecoder, JsonError, JsonErrorKind, JsonValue, JsonWriter};

/// `0001-01-01T00:00:00Z` in seconds since the Unix epoch.
const MIN_TIMESTAMP_SECONDS: i64 = -62_135_596_800;
/// `9999-12-31T23:59:59Z` in seconds since the Unix epoch.
const MAX_TIMESTAMP_SECONDS: i64 = 253_402_300_799;
/// The largest magnitude of a Duration's seconds (10,000 years).
const MAX_DURATION_SECONDS: i64 = 315_576_000_000;
const NANOS_PER_SECOND: i32 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

const ANY: &str = "google.protobuf.Any";
const EMPTY: &str = "google.protobuf.Empty";

/// Writes a Timestamp as RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, e.g.
/// `"1972-01-01T10:00:20.021Z"`. Fails outside 0001-01-01T00:00:00Z..=9999-12-31T23:59:59.999999999Z
/// or with nanos outside 0..=999_999_999.
pub fn write_timestamp(w: &mut JsonWriter<'_>, seconds: i64, nanos: i32) -> Result<(), JsonError> {
    if !(MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS).contains(&seconds)
        || !(0..NANOS_PER_SECOND).contains(&nanos)
    {
        return Err(JsonErrorKind::Unrepresentable.into());
    }
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let secs_of_day = seconds.rem_euclid(SECONDS_PER_DAY) as u32;
    let (year, month, day) = civil_from_days(days);
    let out = w.buffer();
    out.push(b'"');
    push_digits(out, year, 4);
    out.push(b'-');
    push_digits(out, month, 2);
    out.push(b'-');
    push_digits(out, day, 2);
    out.push(b'T');
    push_digits(out, secs_of_day / 3600, 2);
    out.push(b':');
    push_digits(out, secs_of_day / 60 % 60, 2);
    out.push(b':');
    push_digits(out, secs_of_day % 60, 2);
    push_fraction(out, nanos.unsigned_abs());
    out.extend_from_slice(b"Z\"");
    Ok(())
}

/// Parses an RFC 3339 timestamp (any offset, `Z` or `±hh:mm`, up to 9 fractional digits)
/// into `(seconds, nanos)` since the Unix epoch, in range.
pub fn read_timestamp(v: JsonValue<'_, '_>) -> Result<(i64, i32), JsonErrorKind> {
    let s = v.as_str().ok_or(JsonErrorKind::WrongType)?;
    parse_timestamp(s.as_bytes()).ok_or(JsonErrorKind::BadValue)?
}

/// Writes a Duration as `"<seconds>[.<0, 3, 6 or 9 digits>]s"`, e.g. `"-1.5s"`. Fails beyond
/// ±315,576,000,000 s or with nanos of the wrong sign or magnitude.
pub fn write_duration(w: &mut JsonWriter<'_>, seconds: i64, nanos: i32) -> Result<(), JsonError> {
    if !(-MAX_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&seconds)
        || nanos <= -NANOS_PER_SECOND
        || nanos >= NANOS_PER_SECOND
        || (seconds > 0 && nanos < 0)
        || (seconds < 0 && nanos > 0)
    {
        return Err(JsonErrorKind::Unrepresentable.into());
    }
    let out = w.buffer();
    out.push(b'"');
    if seconds < 0 || nanos < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(
        itoa::Buffer::new()
            .format(seconds.unsigned_abs())
            .as_bytes(),
    );
    push_fraction(out, nanos.unsigned_abs());
    out.extend_from_slice(b"s\"");
    Ok(())
}

/// Parses a Duration string into `(seconds, nanos)` (nanos carry the sign of the value).
pub fn read_duration(v: JsonValue<'_, '_>) -> Result<(i64, i32), JsonErrorKind> {
    let s = v.as_str().ok_or(JsonErrorKind::WrongType)?;
    parse_duration(s.as_bytes()).ok_or(JsonErrorKind::BadValue)?
}

/// Writes a FieldMask as one string of comma-separated lowerCamelCase paths. Fails for a path
/// that does not round-trip (e.g. contains `_` followed by a non-lowercase letter, or
/// uppercase letters).
pub fn write_field_mask<'p>(
    w: &mut JsonWriter<'_>,
    paths: impl IntoIterator<Item = &'p str>,
) -> Result<(), JsonError> {
    let out = w.buffer();
    let start = out.len();
    out.push(b'"');
    for (i, path) in paths.into_iter().enumerate() {
        if !path_round_trips(path) {
            out.truncate(start);
            return Err(JsonErrorKind::Unrepresentable.into());
        }
        if i > 0 {
            out.push(b',');
        }
        // Only `[a-z0-9_.]` here, so no escaping is needed.
        let mut upper = false;
        for &c in path.as_bytes() {
            if c == b'_' {
                upper = true;
            } else {
                out.push(if upper { c.to_ascii_uppercase() } else { c });
                upper = false;
            }
        }
    }
    out.push(b'"');
    Ok(())
}

/// Parses a FieldMask string into snake_case paths.
pub fn read_field_mask<'a>(v: JsonValue<'_, 'a>) -> Result<Vec<Cow<'a, str>>, JsonErrorKind> {
    let s = v.into_string().ok_or(JsonErrorKind::WrongType)?;
    // Go's protojson trims the whole string, then splits at commas.
    let s = s.trim();
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(snake_case_path).collect()
}

/// Writes an `Any` holding `value` (binary) of the type named by `type_url`: the message's
/// fields next to `"@type"`, or `{"@type": ..., "value": <special form>}` for well-known
/// types with a special form. Fails if the registry does not know the type.
///
/// An empty `Any` (no type URL, no value) is written as `{}`, which reads back as the same.
pub fn write_any(w: &mut JsonWriter<'_>, type_url: &str, value: &[u8]) -> Result<(), JsonError> {
    if type_url.is_empty() {
        if value.is_empty() {
            w.begin_object();
            w.end_object();
            return Ok(());
        }
        return Err(JsonError::new(JsonErrorKind::UnknownAnyType).at(ANY, "@type"));
    }
    let entry = find_type(w.options().registry, type_name(type_url))
        .ok_or_else(|| JsonError::new(JsonErrorKind::UnknownAnyType).at(ANY, "@type"))?;
    let start = w.buffer().len();
    w.begin_object();
    w.key("@type");
    w.string(type_url);
    if entry.special_json {
        w.key("value");
        w.nested(|w| (entry.write_json)(value, w))?;
        w.end_object();
        return Ok(());
    }
    // The message writes a whole object `{...}`: splice its fields after `"@type"` by
    // turning its `{` into a comma, so its `}` closes the Any (and leaves the writer after a
    // closed object). An empty `{}` is dropped and the Any closed here.
    let body = w.buffer().len();
    w.nested(|w| (entry.write_json)(value, w))?;
    let out = w.buffer();
    match out.get(body..) {
        Some(b"{}") => {
            out.truncate(body);
            w.end_object();
        }
        Some([b'{', .., b'}']) => {
            if let Some(open) = out.get_mut(body) {
                *open = b',';
            }
        }
        _ => {
            out.truncate(start);
            return Err(JsonError::new(JsonErrorKind::Unrepresentable).at(ANY, "value"));
        }
    }
    Ok(())
}

/// Parses an `Any` object (the `@type` key may be anywhere in it) into its type URL and the
/// binary encoding of its value.
///
/// `{}` is an empty `Any`. An object without `@type` is an error, unless unknown fields are
/// ignored (then all its keys are, and the `Any` is empty).
pub fn read_any<'a>(
    v: JsonValue<'_, 'a>,
    d: &mut JsonDecoder<'_>,
) -> Result<(Cow<'a, str>, Vec<u8>), JsonError> {
    let at = |kind: JsonErrorKind, field: &str| JsonError::new(kind).at(ANY, field);
    let obj = v
        .as_object()
        .ok_or_else(|| at(JsonErrorKind::WrongType, "(message)"))?;
    let mut type_url = None;
    for (k, val) in &obj {
        if k == "@type" {
            if type_url.is_some() {
                return Err(at(JsonErrorKind::DuplicateField, k));
            }
            type_url = Some(
                val.into_string()
                    .ok_or_else(|| at(JsonErrorKind::WrongType, k))?,
            );
        }
    }
    let Some(type_url) = type_url else {
        if obj.iter().next().is_none() || d.options().ignore_unknown_fields {
            return Ok((Cow::Borrowed(""), Vec::new()));
        }
        return Err(at(JsonErrorKind::UnknownAnyType, "@type"));
    };
    let entry = find_type(d.options().registry, type_name(type_url))
        .ok_or_else(|| at(JsonErrorKind::UnknownAnyType, "@type"))?;
    let mut out = Vec::new();
    if entry.special_json {
        let mut value = None;
        for (k, val) in &obj {
            match k {
                "@type" => {}
                "value" if value.is_some() => return Err(at(JsonErrorKind::DuplicateField, k)),
                "value" => value = Some(val),
                _ => d.unknown_field(ANY, k)?,
            }
        }
        match value {
            Some(val) => (entry.read_json)(val, d, &mut out)?,
            // Go tolerates a missing "value" for Empty only (its encoding is empty anyway).
            None if entry.full_name == EMPTY => {}
            None => return Err(at(JsonErrorKind::BadValue, "value")),
        }
    } else {
        (entry.read_json)(v, d, &mut out)?;
    }
    Ok((Cow::Borrowed(type_url), out))
}

// ---------------------------------------------------------------------------------------
// Private helpers.

/// The full type name in a type URL: the part after the last `/`.
fn type_name(type_url: &str) -> &str {
    type_url.rsplit_once('/').map_or(type_url, |(_, name)| name)
}

/// Appends `n` as exactly `width` decimal digits (`n` < 10^width).
fn push_digits(out: &mut Vec<u8>, n: u32, width: u32) {
    let mut scale = 10u32.pow(width.saturating_sub(1));
    while scale > 0 {
        out.push(b'0' + (n / scale % 10) as u8);
        scale /= 10;
    }
}

/// Appends `.` and 3, 6 or 9 digits of `nanos` (< 10^9), the fewest that are exact; nothing
/// for 0.
fn push_fraction(out: &mut Vec<u8>, nanos: u32) {
    if nanos == 0 {
        return;
    }
    out.push(b'.');
    if nanos.is_multiple_of(1_000_000) {
        push_digits(out, nanos / 1_000_000, 3);
    } else if nanos.is_multiple_of(1_000) {
        push_digits(out, nanos / 1_000, 6);
    } else {
        push_digits(out, nanos, 9);
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day since 1970-01-01, for years 1..=9999 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as u32, month as u32, day as u32)
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A cursor over ASCII input; every read is bounds-checked.
struct Cursor<'s> {
    rest: &'s [u8],
}

impl<'s> Cursor<'s> {
    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn next(&mut self) -> Option<u8> {
        let (&c, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    /// Exactly `n` digits as a number.
    fn fixed(&mut self, n: usize) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| {
            let c = self.next()?;
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    }

    /// The leading digits (possibly none).
    fn digits(&mut self) -> &'s [u8] {
        let n = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let (digits, rest) = self.rest.split_at(n);
        self.rest = rest;
        digits
    }
}

/// Nanoseconds from 1 to 9 fractional digits.
fn fraction_nanos(digits: &[u8]) -> Option<i32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let value = digits
        .iter()
        .fold(0i32, |acc, &c| acc * 10 + i32::from(c - b'0'));
    Some(value * 10i32.pow(9 - digits.len() as u32))
}

/// `None` for a malformed timestamp, `Some(Err(OutOfRange))` for one outside the range.
fn parse_timestamp(s: &[u8]) -> Option<Result<(i64, i32), JsonErrorKind>> {
    let mut c = Cursor { rest: s };
    let year = c.fixed(4)?;
    c.expect(b'-')?;
    let month = c.fixed(2)?;
    c.expect(b'-')?;
    let day = c.fixed(2)?;
    c.expect(b'T')?;
    let hour = c.fixed(2)?;
    c.expect(b':')?;
    let minute = c.fixed(2)?;
    c.expect(b':')?;
    let second = c.fixed(2)?;
    let year = i64::from(year);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let nanos = if c.peek() == Some(b'.') {
        c.next();
        fraction_nanos(c.digits())?
    } else {
        0
    };
    let offset = match c.next()? {
        b'Z' => 0,
        sign @ (b'+' | b'-') => {
            let oh = c.fixed(2)?;
            c.expect(b':')?;
            let om = c.fixed(2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = i64::from(oh * 3600 + om * 60);
            if sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    if !c.rest.is_empty() {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset;
    if (MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS).contains(&seconds) {
        Some(Ok((seconds, nanos)))
    } else {
        Some(Err(JsonErrorKind::OutOfRange))
    }
}

/// `None` for a malformed duration, `Some(Err(OutOfRange))` for one beyond the range.
fn parse_duration(s: &[u8]) -> Option<Result<(i64, i32), JsonErrorKind>> {
    let s = s.strip_suffix(b"s")?;
    let mut c = Cursor { rest: s };
    let neg = match c.peek() {
        Some(b'-') => {
            c.next();
            true
        }
        Some(b'+') => {
            c.next();
            false
        }
        _ => false,
    };
    let int = c.digits();
    if int.len() > 1 && int.first() == Some(&b'0') {
        return None;
    }
    let (frac, has_frac) = if c.peek() == Some(b'.') {
        c.next();
        (c.digits(), true)
    } else {
        (&[][..], false)
    };
    if !c.rest.is_empty() || (int.is_empty() && frac.is_empty()) || frac.len() > 9 {
        return None;
    }
    let nanos = if has_frac && !frac.is_empty() {
        fraction_nanos(frac)?
    } else {
        0
    };
    let mut seconds: i64 = 0;
    for &d in int {
        seconds = seconds * 10 + i64::from(d - b'0');
        if seconds > MAX_DURATION_SECONDS {
            return Some(Err(JsonErrorKind::OutOfRange));
        }
    }
    Some(Ok(if neg {
        (-seconds, -nanos)
    } else {
        (seconds, nanos)
    }))
}

/// Whether a snake_case path survives snake → camel → snake: a valid dotted name with no
/// uppercase letters, each `_` followed by a lowercase letter.
fn path_round_trips(path: &str) -> bool {
    let bytes = path.as_bytes();
    let chars_ok = bytes.iter().enumerate().all(|(i, &c)| match c {
        b'a'..=b'z' | b'0'..=b'9' | b'.' => true,
        b'_' => bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase),
        _ => false,
    });
    chars_ok
        && path
            .split('.')
            .all(|ident| ident.bytes().next().is_some_and(|c| !c.is_ascii_digit()))
}

/// Converts one lowerCamelCase path to snake_case, rejecting `_` and invalid names.
fn snake_case_path(path: &str) -> Result<Cow<'_, str>, JsonErrorKind> {
    let valid = path.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'.')
        && path
            .split('.')
            .all(|ident| ident.bytes().next().is_some_and(|c| !c.is_ascii_digit()));
    if !valid {
        return Err(JsonErrorKind::BadValue);
    }
    if !path.bytes().any(|c| c.is_ascii_uppercase()) {
        return Ok(Cow::Borrowed(path));
    }
    let mut snake = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    Ok(Cow::Owned(snake))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{JsonOptions, TypeEntry, TypeRegistry};

    use JsonErrorKind::{BadValue, OutOfRange, Unrepresentable, WrongType};

    /// What a read of a timestamp or duration should give.
    type Parts = Result<(i64, i32), JsonErrorKind>;
    /// What a read of an `Any` should give: type URL and binary value.
    type AnyParts = Result<(&'static str, &'static [u8]), JsonErrorKind>;

    fn with<R>(json: &str, f: impl FnOnce(JsonValue<'_, '_>) -> R) -> R {
        let mut buf = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut buf).unwrap();
        f(tape.as_value())
    }

    fn owned_paths(v: JsonValue<'_, '_>) -> Result<Vec<String>, JsonErrorKind> {
        read_field_mask(v).map(|paths| paths.into_iter().map(Cow::into_owned).collect())
    }

    fn quoted(s: &str) -> String {
        format!("\"{s}\"")
    }

    fn written(
        opts: &JsonOptions,
        f: impl FnOnce(&mut JsonWriter<'_>) -> Result<(), JsonError>,
    ) -> Result<String, JsonErrorKind> {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf, opts);
        f(&mut w).map_err(|e| e.kind())?;
        Ok(String::from_utf8(buf).unwrap())
    }

    #[test]
    fn civil_date_conversions() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            days_from_civil(1, 1, 1) * SECONDS_PER_DAY,
            MIN_TIMESTAMP_SECONDS
        );
        assert_eq!(
            days_from_civil(9999, 12, 31) * SECONDS_PER_DAY + 86_399,
            MAX_TIMESTAMP_SECONDS
        );
        // Every day of the supported range round trips.
        let first = days_from_civil(1, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        let (mut y, mut m, mut d) = (1u32, 1u32, 1u32);
        for days in first..=last {
            assert_eq!(civil_from_days(days), (y, m, d), "{days}");
            assert_eq!(days_from_civil(i64::from(y), m, d), days);
            d += 1;
            if d > days_in_month(i64::from(y), m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn write_timestamp_table() {
        let opts = JsonOptions::default();
        let cases: &[(i64, i32, Result<&str, JsonErrorKind>)] = &[
            (0, 0, Ok("1970-01-01T00:00:00Z")),
            (0, 10_000_000, Ok("1970-01-01T00:00:00.010Z")),
            (0, 10_000, Ok("1970-01-01T00:00:00.000010Z")),
            (0, 10, Ok("1970-01-01T00:00:00.000000010Z")),
            (63_108_020, 21_000_000, Ok("1972-01-01T10:00:20.021Z")),
            (-1, 999_999_999, Ok("1969-12-31T23:59:59.999999999Z")),
            (951_782_400, 0, Ok("2000-02-29T00:00:00Z")),
            (MIN_TIMESTAMP_SECONDS, 0, Ok("0001-01-01T00:00:00Z")),
            (
                MAX_TIMESTAMP_SECONDS,
                999_999_999,
                Ok("9999-12-31T23:59:59.999999999Z"),
            ),
            (MIN_TIMESTAMP_SECONDS - 1, 0, Err(Unrepresentable)),
            (MAX_TIMESTAMP_SECONDS + 1, 0, Err(Unrepresentable)),
            (i64::MIN, 0, Err(Unrepresentable)),
            (i64::MAX, 0, Err(Unrepresentable)),
            (0, -1, Err(Unrepresentable)),
            (0, 1_000_000_000, Err(Unrepresentable)),
        ];
        for &(s, n, want) in cases {
            let got = written(&opts, |w| write_timestamp(w, s, n));
            assert_eq!(got, want.map(quoted), "{s} {n}");
            if let Ok(json) = got {
                assert_eq!(with(&json, read_timestamp), Ok((s, n)), "{json}");
            }
        }
    }

    #[test]
    fn read_timestamp_table() {
        let cases: &[(&str, Parts)] = &[
            ("1970-01-01T00:00:00Z", Ok((0, 0))),
            ("1970-01-01T00:00:00.1Z", Ok((0, 100_000_000))),
            ("1970-01-01T00:00:00.123456789Z", Ok((0, 123_456_789))),
            ("1970-01-01T08:00:01+08:00", Ok((1, 0))),
            ("1969-12-31T16:00:01-08:00", Ok((1, 0))),
            ("1970-01-01T00:00:00.5+00:30", Ok((-1800, 500_000_000))),
            ("1993-02-10T00:00:00.000Z", Ok((729_302_400, 0))),
            ("2000-02-29T12:00:00Z", Ok((951_825_600, 0))),
            ("0001-01-01T00:00:00Z", Ok((MIN_TIMESTAMP_SECONDS, 0))),
            (
                "9999-12-31T23:59:59.999999999Z",
                Ok((MAX_TIMESTAMP_SECONDS, 999_999_999)),
            ),
            ("9999-12-31T23:59:59-00:01", Err(OutOfRange)),
            ("0001-01-01T00:00:00+00:01", Err(OutOfRange)),
            ("0001-01-01T00:30:00+01:00", Err(OutOfRange)),
            ("0000-12-31T23:59:59Z", Err(OutOfRange)),
            ("0000-01-01T00:00:00Z", Err(OutOfRange)),
            ("10000-01-01T00:00:00Z", Err(BadValue)),
            ("1970-01-01T00:00:00z", Err(BadValue)),
            ("1970-01-01t00:00:00Z", Err(BadValue)),
            ("1970-01-01 00:00:00Z", Err(BadValue)),
            ("1970-01-01T00:00:00", Err(BadValue)),
            ("1970-01-01T00:00:00.Z", Err(BadValue)),
            ("1970-01-01T00:00:00.0000000000Z", Err(BadValue)),
            ("1970-01-01T00:00:00ZZ", Err(BadValue)),
            ("1970-01-01T00:00:00Z ", Err(BadValue)),
            (" 1970-01-01T00:00:00Z", Err(BadValue)),
            ("1970-01-01T00:00:00+08", Err(BadValue)),
            ("1970-01-01T00:00:00+0800", Err(BadValue)),
            ("1970-01-01T00:00:00+24:00", Err(BadValue)),
            ("1970-01-01T00:00:00+00:60", Err(BadValue)),
            ("1970-1-01T00:00:00Z", Err(BadValue)),
            ("1970-00-01T00:00:00Z", Err(BadValue)),
            ("1970-13-01T00:00:00Z", Err(BadValue)),
            ("1970-01-00T00:00:00Z", Err(BadValue)),
            ("1970-01-32T00:00:00Z", Err(BadValue)),
            ("1970-02-29T00:00:00Z", Err(BadValue)),
            ("1900-02-29T00:00:00Z", Err(BadValue)),
            ("1970-04-31T00:00:00Z", Err(BadValue)),
            ("1970-01-01T24:00:00Z", Err(BadValue)),
            ("1970-01-01T00:60:00Z", Err(BadValue)),
            ("1970-01-01T00:00:60Z", Err(BadValue)),
            ("1970-01-01T00:00:0aZ", Err(BadValue)),
            ("", Err(BadValue)),
            ("1970", Err(BadValue)),
        ];
        for &(s, want) in cases {
            assert_eq!(with(&quoted(s), read_timestamp), want, "{s}");
        }
        assert_eq!(with("0", read_timestamp), Err(WrongType));
        assert_eq!(with("null", read_timestamp), Err(WrongType));
    }

    #[test]
    fn write_duration_table() {
        let opts = JsonOptions::default();
        let cases: &[(i64, i32, Result<&str, JsonErrorKind>)] = &[
            (0, 0, Ok("0s")),
            (1, 0, Ok("1s")),
            (-1, 0, Ok("-1s")),
            (1, 500_000_000, Ok("1.500s")),
            (-1, -500_000_000, Ok("-1.500s")),
            (0, -500_000_000, Ok("-0.500s")),
            (0, 500_000_000, Ok("0.500s")),
            (0, 1_000, Ok("0.000001s")),
            (0, 1, Ok("0.000000001s")),
            (
                MAX_DURATION_SECONDS,
                999_999_999,
                Ok("315576000000.999999999s"),
            ),
            (
                -MAX_DURATION_SECONDS,
                -999_999_999,
                Ok("-315576000000.999999999s"),
            ),
            (MAX_DURATION_SECONDS + 1, 0, Err(Unrepresentable)),
            (-MAX_DURATION_SECONDS - 1, 0, Err(Unrepresentable)),
            (i64::MIN, 0, Err(Unrepresentable)),
            (1, -1, Err(Unrepresentable)),
            (-1, 1, Err(Unrepresentable)),
            (0, 1_000_000_000, Err(Unrepresentable)),
            (0, -1_000_000_000, Err(Unrepresentable)),
            (0, i32::MIN, Err(Unrepresentable)),
        ];
        for &(s, n, want) in cases {
            let got = written(&opts, |w| write_duration(w, s, n));
            assert_eq!(got, want.map(quoted), "{s} {n}");
            if let Ok(json) = got {
                assert_eq!(with(&json, read_duration), Ok((s, n)), "{json}");
            }
        }
    }

    #[test]
    fn read_duration_table() {
        let cases: &[(&str, Parts)] = &[
            ("0s", Ok((0, 0))),
            ("-0s", Ok((0, 0))),
            ("1s", Ok((1, 0))),
            ("+1s", Ok((1, 0))),
            ("-1s", Ok((-1, 0))),
            ("1.5s", Ok((1, 500_000_000))),
            ("-1.5s", Ok((-1, -500_000_000))),
            ("-0.5s", Ok((0, -500_000_000))),
            (".5s", Ok((0, 500_000_000))),
            ("-.5s", Ok((0, -500_000_000))),
            ("1.s", Ok((1, 0))),
            ("0.000000001s", Ok((0, 1))),
            ("1.100000000s", Ok((1, 100_000_000))),
            (
                "315576000000.999999999s",
                Ok((MAX_DURATION_SECONDS, 999_999_999)),
            ),
            (
                "-315576000000.999999999s",
                Ok((-MAX_DURATION_SECONDS, -999_999_999)),
            ),
            ("315576000001s", Err(OutOfRange)),
            ("-315576000001s", Err(OutOfRange)),
            ("99999999999999999999999999s", Err(OutOfRange)),
            ("1.0000000000s", Err(BadValue)),
            ("1", Err(BadValue)),
            ("1S", Err(BadValue)),
            ("s", Err(BadValue)),
            (".s", Err(BadValue)),
            ("-s", Err(BadValue)),
            ("01s", Err(BadValue)),
            ("1e3s", Err(BadValue)),
            (" 1s", Err(BadValue)),
            ("1s ", Err(BadValue)),
            ("1 s", Err(BadValue)),
            ("--1s", Err(BadValue)),
            ("1.-5s", Err(BadValue)),
            ("", Err(BadValue)),
        ];
        for &(s, want) in cases {
            assert_eq!(with(&quoted(s), read_duration), want, "{s}");
        }
        assert_eq!(with("1", read_duration), Err(WrongType));
    }

    #[test]
    fn write_field_mask_table() {
        let opts = JsonOptions::default();
        let cases: &[(&[&str], Result<&str, JsonErrorKind>)] = &[
            (&[], Ok("")),
            (&["foo"], Ok("foo")),
            (&["foo_bar", "baz"], Ok("fooBar,baz")),
            (&["foo.bar_baz.qux"], Ok("foo.barBaz.qux")),
            (&["_foo"], Ok("Foo")),
            (&["a1_b2"], Ok("a1B2")),
            (&["fooBar"], Err(Unrepresentable)),
            (&["foo_3_bar"], Err(Unrepresentable)),
            (&["foo__bar"], Err(Unrepresentable)),
            (&["foo_"], Err(Unrepresentable)),
            (&["foo_.bar"], Err(Unrepresentable)),
            (&["ok", ""], Err(Unrepresentable)),
            (&["foo..bar"], Err(Unrepresentable)),
            (&["1foo"], Err(Unrepresentable)),
            (&["foo bar"], Err(Unrepresentable)),
            (&["foo\"bar"], Err(Unrepresentable)),
        ];
        for &(paths, want) in cases {
            let got = written(&opts, |w| write_field_mask(w, paths.iter().copied()));
            assert_eq!(got, want.map(quoted), "{paths:?}");
            if let Ok(json) = got {
                let back = with(&json, owned_paths).unwrap();
                assert_eq!(back, paths, "{json}");
            }
        }
        // A failed write leaves no partial output behind.
        let mut buf = b"[".to_vec();
        let mut w = JsonWriter::new(&mut buf, &opts);
        assert!(write_field_mask(&mut w, ["ok", "notOk"]).is_err());
        assert_eq!(buf, b"[");
    }

    #[test]
    fn read_field_mask_table() {
        let cases: &[(&str, Result<&[&str], JsonErrorKind>)] = &[
            ("", Ok(&[])),
            ("  ", Ok(&[])),
            ("foo", Ok(&["foo"])),
            ("fooBar,baz", Ok(&["foo_bar", "baz"])),
            (" fooBar ", Ok(&["foo_bar"])),
            ("foo.barBaz.quxQuux", Ok(&["foo.bar_baz.qux_quux"])),
            ("Foo", Ok(&["_foo"])),
            ("fooBAR", Ok(&["foo_b_a_r"])),
            ("a1B2", Ok(&["a1_b2"])),
            ("foo,bar_bar", Err(BadValue)),
            ("foo_bar", Err(BadValue)),
            ("foo,", Err(BadValue)),
            (",foo", Err(BadValue)),
            ("foo, bar", Err(BadValue)),
            ("foo..bar", Err(BadValue)),
            ("foo.", Err(BadValue)),
            ("1foo", Err(BadValue)),
            ("foo.1bar", Err(BadValue)),
            ("foo-bar", Err(BadValue)),
            ("f\u{e9}", Err(BadValue)),
        ];
        for &(s, want) in cases {
            let got = with(&quoted(s), owned_paths);
            let want = want.map(|paths| paths.iter().map(|&p| p.to_owned()).collect());
            assert_eq!(got, want, "{s}");
        }
        assert_eq!(with("[]", owned_paths), Err(WrongType));
        // Paths without uppercase letters borrow the input.
        with(r#""foo,barBaz""#, |v| {
            let paths = read_field_mask(v).unwrap();
            assert!(matches!(paths.first(), Some(Cow::Borrowed("foo"))));
            assert!(matches!(paths.get(1), Some(Cow::Owned(p)) if p == "bar_baz"));
        });
    }

    // --- Any -----------------------------------------------------------------------------

    /// A fake message `test.Point`: binary form `[x, y]`, JSON `{"x":..,"y":..}` with both
    /// fields omitted when zero.
    fn point_write(bytes: &[u8], w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        let &[x, y] = bytes else {
            return Err(JsonErrorKind::BadAnyValue.into());
        };
        w.begin_object();
        if x != 0 {
            w.key("x");
            w.uint32(x.into());
        }
        if y != 0 {
            w.key("y");
            w.uint32(y.into());
        }
        w.end_object();
        Ok(())
    }

    fn point_read(
        v: JsonValue<'_, '_>,
        d: &mut JsonDecoder<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        // Generated code learns from `d.object` whether to skip `@type` (set by
        // `read_entry` through `JsonDecoder::any_body`); this fake always skips it.
        let (obj, _) = d.object(v, "test.Point")?;
        let (mut x, mut y) = (0, 0);
        for (k, val) in &obj {
            match k {
                "@type" => {}
                "x" => x = crate::json::read::uint32(val)? as u8,
                "y" => y = crate::json::read::uint32(val)? as u8,
                _ => d.unknown_field("test.Point", k)?,
            }
        }
        out.extend_from_slice(&[x, y]);
        Ok(())
    }

    /// A fake special type `test.Special`: binary = the UTF-8 of its JSON string form.
    fn special_write(bytes: &[u8], w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        let s =
            std::str::from_utf8(bytes).map_err(|_| JsonError::new(JsonErrorKind::BadAnyValue))?;
        w.string(s);
        Ok(())
    }

    fn special_read(
        v: JsonValue<'_, '_>,
        _d: &mut JsonDecoder<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        out.extend_from_slice(crate::json::read::string(v)?.as_bytes());
        Ok(())
    }

    #[allow(clippy::unnecessary_wraps)] // the signature of `TypeEntry::write_json`
    fn empty_write(_: &[u8], w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        w.begin_object();
        w.end_object();
        Ok(())
    }

    fn empty_read(
        v: JsonValue<'_, '_>,
        _d: &mut JsonDecoder<'_>,
        _out: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        crate::json::read::object(v)
            .map(|_| ())
            .map_err(JsonError::new)
    }

    #[allow(clippy::unnecessary_wraps)] // the signature of `TypeEntry::write_json`
    fn bad_write(_: &[u8], w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        w.raw("[]");
        Ok(())
    }

    fn options() -> JsonOptions {
        static REGISTRY: std::sync::OnceLock<TypeRegistry> = std::sync::OnceLock::new();
        let registry = REGISTRY.get_or_init(|| {
            TypeRegistry::new().with(&[
                TypeEntry {
                    full_name: "test.Point",
                    special_json: false,
                    write_json: point_write,
                    read_json: point_read,
                },
                TypeEntry {
                    full_name: "test.Special",
                    special_json: true,
                    write_json: special_write,
                    read_json: special_read,
                },
                TypeEntry {
                    full_name: "google.protobuf.Empty",
                    special_json: true,
                    write_json: empty_write,
                    read_json: empty_read,
                },
                TypeEntry {
                    full_name: "test.Bad",
                    special_json: false,
                    write_json: bad_write,
                    read_json: special_read,
                },
            ])
        });
        JsonOptions {
            registry: Some(registry),
            ..JsonOptions::default()
        }
    }

    #[test]
    fn write_any_table() {
        let opts = options();
        let cases: &[(&str, &[u8], Result<&str, JsonErrorKind>)] = &[
            ("", b"", Ok("{}")),
            ("", b"x", Err(JsonErrorKind::UnknownAnyType)),
            (
                "type.googleapis.com/test.Point",
                &[1, 2],
                Ok(r#"{"@type":"type.googleapis.com/test.Point","x":1,"y":2}"#),
            ),
            (
                "type.googleapis.com/test.Point",
                &[0, 2],
                Ok(r#"{"@type":"type.googleapis.com/test.Point","y":2}"#),
            ),
            (
                "type.googleapis.com/test.Point",
                &[0, 0],
                Ok(r#"{"@type":"type.googleapis.com/test.Point"}"#),
            ),
            (
                "a/b/test.Point",
                &[3, 0],
                Ok(r#"{"@type":"a/b/test.Point","x":3}"#),
            ),
            ("test.Point", &[3, 0], Ok(r#"{"@type":"test.Point","x":3}"#)),
            (
                "type.googleapis.com/test.Point",
                &[1],
                Err(JsonErrorKind::BadAnyValue),
            ),
            (
                "type.googleapis.com/test.Special",
                b"hi",
                Ok(r#"{"@type":"type.googleapis.com/test.Special","value":"hi"}"#),
            ),
            (
                "type.googleapis.com/google.protobuf.Empty",
                b"",
                Ok(r#"{"@type":"type.googleapis.com/google.protobuf.Empty","value":{}}"#),
            ),
            (
                "type.googleapis.com/test.Missing",
                b"",
                Err(JsonErrorKind::UnknownAnyType),
            ),
            (
                "type.googleapis.com/",
                b"",
                Err(JsonErrorKind::UnknownAnyType),
            ),
            ("type.googleapis.com/test.Bad", b"", Err(Unrepresentable)),
        ];
        for &(url, value, want) in cases {
            assert_eq!(
                written(&opts, |w| write_any(w, url, value)),
                want.map(str::to_owned),
                "{url}"
            );
        }
        // Without a registry only well-known types are found.
        let bare = JsonOptions::default();
        assert_eq!(
            written(&bare, |w| write_any(
                w,
                "type.googleapis.com/test.Point",
                &[1, 2]
            )),
            Err(JsonErrorKind::UnknownAnyType)
        );
    }

    #[test]
    fn write_any_keeps_comma_state() {
        let opts = options();
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf, &opts);
        w.begin_array();
        for value in [[1u8, 2], [0, 0], [0, 5]] {
            w.elem();
            write_any(&mut w, "t/test.Point", &value).unwrap();
        }
        w.elem();
        write_any(&mut w, "t/test.Special", b"s").unwrap();
        w.elem();
        write_any(&mut w, "", b"").unwrap();
        w.elem();
        w.begin_object();
        w.key("a");
        write_any(&mut w, "t/test.Point", &[0, 0]).unwrap();
        w.key("b");
        write_any(&mut w, "t/test.Point", &[9, 0]).unwrap();
        w.key("c");
        w.int32(1);
        w.end_object();
        w.end_array();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            concat!(
                r#"[{"@type":"t/test.Point","x":1,"y":2},{"@type":"t/test.Point"},"#,
                r#"{"@type":"t/test.Point","y":5},{"@type":"t/test.Special","value":"s"},{},"#,
                r#"{"a":{"@type":"t/test.Point"},"b":{"@type":"t/test.Point","x":9},"c":1}]"#
            )
        );
    }

    #[test]
    fn read_any_table() {
        let opts = options();
        let lenient = JsonOptions {
            ignore_unknown_fields: true,
            ..opts
        };
        let cases: &[(&str, AnyParts, AnyParts)] = &[
            ("{}", Ok(("", b"")), Ok(("", b""))),
            (
                r#"{"@type":"t/test.Point","x":1,"y":2}"#,
                Ok(("t/test.Point", &[1, 2])),
                Ok(("t/test.Point", &[1, 2])),
            ),
            (
                r#"{"x":1,"@type":"t/test.Point","y":2}"#,
                Ok(("t/test.Point", &[1, 2])),
                Ok(("t/test.Point", &[1, 2])),
            ),
            (
                r#"{"y":2,"@type":"t/test.Point"}"#,
                Ok(("t/test.Point", &[0, 2])),
                Ok(("t/test.Point", &[0, 2])),
            ),
            (
                r#"{"@type":"test.Point"}"#,
                Ok(("test.Point", &[0, 0])),
                Ok(("test.Point", &[0, 0])),
            ),
            (
                r#"{"@type":"t/test.Point","z":1}"#,
                Err(JsonErrorKind::UnknownField),
                Ok(("t/test.Point", &[0, 0])),
            ),
            (
                r#"{"@type":"t/test.Special","value":"hi"}"#,
                Ok(("t/test.Special", b"hi")),
                Ok(("t/test.Special", b"hi")),
            ),
            (
                r#"{"value":"hi","@type":"t/test.Special"}"#,
                Ok(("t/test.Special", b"hi")),
                Ok(("t/test.Special", b"hi")),
            ),
            (
                r#"{"@type":"t/test.Special","value":"hi","other":1}"#,
                Err(JsonErrorKind::UnknownField),
                Ok(("t/test.Special", b"hi")),
            ),
            (
                r#"{"@type":"t/test.Special"}"#,
                Err(BadValue),
                Err(BadValue),
            ),
            (
                r#"{"@type":"t/test.Special","value":"a","value":"b"}"#,
                Err(JsonErrorKind::DuplicateField),
                Err(JsonErrorKind::DuplicateField),
            ),
            (
                r#"{"@type":"t/test.Special","value":1}"#,
                Err(WrongType),
                Err(WrongType),
            ),
            (
                r#"{"@type":"t/google.protobuf.Empty","value":{}}"#,
                Ok(("t/google.protobuf.Empty", b"")),
                Ok(("t/google.protobuf.Empty", b"")),
            ),
            (
                r#"{"@type":"t/google.protobuf.Empty"}"#,
                Ok(("t/google.protobuf.Empty", b"")),
                Ok(("t/google.protobuf.Empty", b"")),
            ),
            (
                r#"{"x":1}"#,
                Err(JsonErrorKind::UnknownAnyType),
                Ok(("", b"")),
            ),
            (
                r#"{"@type":"t/test.Missing"}"#,
                Err(JsonErrorKind::UnknownAnyType),
                Err(JsonErrorKind::UnknownAnyType),
            ),
            (
                r#"{"@type":""}"#,
                Err(JsonErrorKind::UnknownAnyType),
                Err(JsonErrorKind::UnknownAnyType),
            ),
            (r#"{"@type":1}"#, Err(WrongType), Err(WrongType)),
            (
                r#"{"@type":"t/test.Point","@type":"t/test.Point"}"#,
                Err(JsonErrorKind::DuplicateField),
                Err(JsonErrorKind::DuplicateField),
            ),
            ("[]", Err(WrongType), Err(WrongType)),
            ("null", Err(WrongType), Err(WrongType)),
        ];
        for (json, want_strict, want_lenient) in cases {
            for (opts, want) in [(&opts, want_strict), (&lenient, want_lenient)] {
                let got = with(json, |v| {
                    let mut d = JsonDecoder::new(opts);
                    read_any(v, &mut d)
                        .map(|(url, value)| (url.into_owned(), value))
                        .map_err(|e| e.kind())
                });
                let want = want.map(|(url, value)| (url.to_owned(), value.to_vec()));
                assert_eq!(
                    got, want,
                    "{json} (ignore unknown: {})",
                    opts.ignore_unknown_fields
                );
            }
        }
    }

    #[test]
    fn any_round_trips() {
        let opts = options();
        for (url, value) in [
            ("t/test.Point", &b"\x01\x02"[..]),
            ("t/test.Special", b"x\"y"),
            ("", b""),
        ] {
            let json = written(&opts, |w| write_any(w, url, value)).unwrap();
            let got = with(&json, |v| {
                let (u, b) = read_any(v, &mut JsonDecoder::new(&opts)).unwrap();
                (u.into_owned(), b)
            });
            assert_eq!(got, (url.to_owned(), value.to_vec()), "{json}");
        }
    }

    /// End to end through the generated well-known types (found without a registry).
    #[test]
    fn any_of_well_known_types() {
        use crate::message::Message;
        use crate::wkt::{Any, Duration, Empty, Timestamp};

        let opts = JsonOptions::default();
        let any = |url: &str, value: Vec<u8>| Any {
            type_url: Cow::Owned(url.to_owned()),
            value: Cow::Owned(value),
            ..Any::default()
        };
        let duration = Duration {
            seconds: 1,
            nanos: 500_000_000,
            ..Duration::default()
        };
        let timestamp = Timestamp {
            seconds: 0,
            nanos: 10_000_000,
            ..Timestamp::default()
        };
        let dur_url = "type.googleapis.com/google.protobuf.Duration";
        let ts_url = "type.googleapis.com/google.protobuf.Timestamp";
        let any_url = "type.googleapis.com/google.protobuf.Any";
        let empty_url = "type.googleapis.com/google.protobuf.Empty";
        let cases = [
            (
                any(dur_url, duration.encode_to_vec()),
                format!(r#"{{"@type":"{dur_url}","value":"1.500s"}}"#),
            ),
            (
                any(
                    any_url,
                    any(ts_url, timestamp.encode_to_vec()).encode_to_vec(),
                ),
                format!(
                    r#"{{"@type":"{any_url}","value":{{"@type":"{ts_url}","value":"1970-01-01T00:00:00.010Z"}}}}"#
                ),
            ),
            (
                any(empty_url, Empty::default().encode_to_vec()),
                format!(r#"{{"@type":"{empty_url}","value":{{}}}}"#),
            ),
            (Any::default(), "{}".to_owned()),
        ];
        for (message, json) in cases {
            let mut out = Vec::new();
            message.encode_json(&mut out, &opts).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), json);
            let mut buf = json.clone().into_bytes();
            assert_eq!(
                Any::decode_json(&mut buf, &opts).unwrap(),
                message,
                "{json}"
            );
        }
        // A missing "value" is tolerated for Empty only.
        let mut buf = format!(r#"{{"@type":"{empty_url}"}}"#).into_bytes();
        assert_eq!(
            Any::decode_json(&mut buf, &opts).unwrap(),
            any(empty_url, Vec::new())
        );
        let mut buf = format!(r#"{{"@type":"{dur_url}"}}"#).into_bytes();
        assert_eq!(
            Any::decode_json(&mut buf, &opts).unwrap_err().kind(),
            BadValue
        );
        // A Duration's binary value that is out of range cannot be written.
        let bad = any(
            dur_url,
            Duration {
                seconds: 1,
                nanos: -1,
                ..Duration::default()
            }
            .encode_to_vec(),
        );
        assert_eq!(
            bad.encode_json(&mut Vec::new(), &opts).unwrap_err().kind(),
            Unrepresentable
        );
    }

    proptest::proptest! {
        #[test]
        fn timestamps_round_trip(
            seconds in MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS,
            nanos in 0..NANOS_PER_SECOND,
        ) {
            let json = written(&JsonOptions::default(), |w| write_timestamp(w, seconds, nanos)).unwrap();
            proptest::prop_assert_eq!(with(&json, read_timestamp), Ok((seconds, nanos)));
        }

        #[test]
        fn durations_round_trip(
            seconds in -MAX_DURATION_SECONDS..=MAX_DURATION_SECONDS,
            nanos in 0..NANOS_PER_SECOND,
        ) {
            let nanos = if seconds < 0 { -nanos } else { nanos };
            let json = written(&JsonOptions::default(), |w| write_duration(w, seconds, nanos)).unwrap();
            proptest::prop_assert_eq!(with(&json, read_duration), Ok((seconds, nanos)));
        }

        #[test]
        fn field_masks_round_trip(paths in proptest::collection::vec("_?[a-z][a-z0-9]{0,3}(_[a-z][a-z0-9]{0,3}){0,2}(\\.[a-z][a-z0-9]{0,3}(_[a-z0-9]{1,3}){0,2}){0,2}", 0..4)) {
            let opts = JsonOptions::default();
            match written(&opts, |w| write_field_mask(w, paths.iter().map(String::as_str))) {
                Ok(json) => proptest::prop_assert_eq!(with(&json, owned_paths), Ok(paths)),
                Err(kind) => {
                    proptest::prop_assert_eq!(kind, Unrepresentable);
                    proptest::prop_assert!(paths.iter().any(|p| !path_round_trips(p)));
                }
            }
        }

        #[test]
        fn string_readers_never_panic(s in "[-+0-9.:eEtTzZsS_a-zA-Z ,]{0,40}") {
            let json = format!("\"{s}\"");
            let _ = with(&json, read_timestamp);
            let _ = with(&json, read_duration);
            let _ = with(&json, owned_paths);
        }
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name("type.googleapis.com/a.B"), "a.B");
        assert_eq!(type_name("x/y/a.B"), "a.B");
        assert_eq!(type_name("a.B"), "a.B");
        assert_eq!(type_name("x/"), "");
    }
}
