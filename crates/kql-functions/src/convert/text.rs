//! Reading KQL values from text and writing them back, as `tolong`,
//! `todatetime`, `tostring` and friends do. Every reader returns `None` on
//! text it does not accept: KQL conversions yield null, never an error.

use std::fmt::Write;

/// Nanoseconds in one KQL tick (100 ns).
pub(crate) const NS_PER_TICK: i64 = 100;
pub(crate) const NS_PER_SEC: i64 = 1_000_000_000;
pub(crate) const NS_PER_DAY: i64 = 86_400 * NS_PER_SEC;
/// Days from 0001-01-01 to 1970-01-01 (proleptic Gregorian).
pub(crate) const DAYS_0001_TO_1970: i64 = 719_162;

/// An integer in decimal, surrounding blanks allowed.
pub(crate) fn parse_long(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok()
}

/// A real number: decimal or exponent notation, `NaN`, `Infinity`.
pub(crate) fn parse_real(s: &str) -> Option<f64> {
    let t = s.trim();
    match t {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "+Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ if t.bytes().any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) => None,
        _ => t.parse::<f64>().ok(),
    }
}

/// `true` or `false` in any case; an integer reads as `value != 0`.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        parse_long(t).map(|v| v != 0)
    }
}

/// A decimal with [`crate::types::DECIMAL_SCALE`] fractional digits, as the
/// unscaled `i128`.
pub(crate) fn parse_decimal(s: &str) -> Option<i128> {
    let t = s.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let scale = i32::from(crate::types::DECIMAL_SCALE);
    let mut digits: i128 = 0;
    let mut shift = scale + exp - frac.len() as i32;
    for b in int.bytes().chain(frac.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        digits = digits.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    while shift > 0 {
        digits = digits.checked_mul(10)?;
        shift -= 1;
    }
    while shift < 0 {
        digits /= 10;
        shift += 1;
    }
    if digits >= 10i128.pow(38) {
        return None;
    }
    Some(if neg { -digits } else { digits })
}

/// A GUID, with or without dashes or braces, as lower-case canonical text.
pub(crate) fn parse_guid(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(t);
    let hex: Vec<u8> = if t.len() == 36 {
        let b = t.as_bytes();
        if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
            return None;
        }
        b.iter().copied().filter(|&c| c != b'-').collect()
    } else if t.len() == 32 {
        t.as_bytes().to_vec()
    } else {
        return None;
    };
    if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = String::with_capacity(36);
    for (i, c) in hex.iter().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(char::from(c.to_ascii_lowercase()));
    }
    Some(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Number of days in a month.
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Nanoseconds since the Unix epoch of a UTC date and time, when it fits.
pub(crate) fn ns_from_parts(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ns: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = i128::from(days_from_civil(y, mo, d));
    let secs = days * 86_400 + i128::from(h * 3600 + mi * 60 + s);
    i64::try_from(secs * i128::from(NS_PER_SEC) + i128::from(ns)).ok()
}

/// A small cursor over ASCII text.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i]).ok()?.parse().ok()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }

    /// Fractional seconds after the dot, as nanoseconds (extra digits are cut).
    /// `h[h]:mm[:ss[.f…]]`: hours, minutes, seconds and nanoseconds.
    fn clock(&mut self) -> Option<(u32, u32, u32, u32)> {
        let h = self.num(1, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let mi = self.num(2, 2)?;
        let (mut sec, mut ns) = (0, 0);
        if self.eat(b':') {
            sec = self.num(2, 2)?;
            if self.eat(b'.') {
                ns = self.fraction()?;
            }
        }
        Some((h, mi, sec, ns))
    }

    fn fraction(&mut self) -> Option<u32> {
        let start = self.i;
        let mut ns: u32 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            if self.i - start < 9 {
                ns = ns * 10 + u32::from(c - b'0');
            }
            self.i += 1;
        }
        let n = self.i - start;
        if n == 0 {
            return None;
        }
        Some(ns * 10u32.pow(9 - n.min(9) as u32))
    }
}

/// A datetime in ISO 8601 (`2024-05-01`, `2024-05-01 10:11:12.1234567`,
/// `2024-05-01T10:11:12Z`, with an optional `+hh:mm` offset) or RFC 2822
/// form, as nanoseconds since the Unix epoch in UTC.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Some(v) = parse_iso(t).or_else(|| parse_us(t)) {
        return Some(v);
    }
    let dt = chrono::DateTime::parse_from_rfc2822(t).ok()?;
    dt.timestamp_nanos_opt()
}

fn parse_iso(t: &str) -> Option<i64> {
    let mut c = Cur { b: t.as_bytes(), i: 0 };
    let y = c.num(4, 4)?;
    let sep = c.peek()?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    c.i += 1;
    let mo = c.num(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    let d = c.num(1, 2)?;
    let (h, mi, sec, ns) = if c.eat(b'T') || c.eat(b' ') { c.clock()? } else { (0, 0, 0, 0) };
    let base = ns_from_parts(i64::from(y), mo, d, h, mi, sec, ns)?;
    // Time zone: none or Z is UTC; an offset moves the instant.
    if c.done() || (c.eat(b'Z') && c.done()) {
        return Some(base);
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.i += 1;
    let oh = c.num(2, 2)?;
    c.eat(b':');
    let om = c.num(2, 2)?;
    if !c.done() || oh > 23 || om > 59 {
        return None;
    }
    let offset = i64::from(oh * 3600 + om * 60) * NS_PER_SEC;
    base.checked_sub(sign * offset)
}

/// The US form .NET also reads: `M/d/yyyy [h:mm[:ss[.f]]] [AM|PM]`, UTC.
fn parse_us(t: &str) -> Option<i64> {
    let mut c = Cur { b: t.as_bytes(), i: 0 };
    let mo = c.num(1, 2)?;
    if !c.eat(b'/') {
        return None;
    }
    let d = c.num(1, 2)?;
    if !c.eat(b'/') {
        return None;
    }
    let y = c.num(4, 4)?;
    let (mut h, mut mi, mut sec, mut ns) = (0, 0, 0, 0);
    // The Log Analytics grid writes a comma after the date.
    let comma = c.eat(b',');
    if c.eat(b' ') || comma {
        while c.eat(b' ') {}
        (h, mi, sec, ns) = c.clock()?;
        let rest = std::str::from_utf8(&c.b[c.i..]).ok()?.trim_start();
        match rest {
            "" => {}
            _ if rest.eq_ignore_ascii_case("am") && (1..=12).contains(&h) => h %= 12,
            _ if rest.eq_ignore_ascii_case("pm") && (1..=12).contains(&h) => h = h % 12 + 12,
            _ => return None,
        }
        c.i = c.b.len();
    }
    if !c.done() {
        return None;
    }
    ns_from_parts(i64::from(y), mo, d, h, mi, sec, ns)
}

/// A timespan: `[-][d.]hh:mm[:ss[.fffffff]]` or a number with a unit
/// (`1.5h`, `30min`, `10s`, `100ms`, `2d`, `5microseconds`, `1tick`), as
/// nanoseconds.
pub fn parse_timespan(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let v = if body.contains(':') { parse_clock(body)? } else { parse_unit_span(body)? };
    Some(if neg { -v } else { v })
}

fn parse_clock(t: &str) -> Option<i64> {
    let mut c = Cur { b: t.as_bytes(), i: 0 };
    let first = c.num(1, 8)?;
    let (days, h) = if c.eat(b'.') { (first, c.num(1, 2)?) } else { (0, first) };
    if !c.eat(b':') {
        return None;
    }
    let mi = c.num(1, 2)?;
    let mut sec = 0;
    let mut ns = 0;
    if c.eat(b':') {
        sec = c.num(1, 2)?;
        if c.eat(b'.') {
            ns = c.fraction()?;
        }
    }
    if !c.done() || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let secs = i64::from(days) * 86_400 + i64::from(h * 3600 + mi * 60 + sec);
    secs.checked_mul(NS_PER_SEC)?.checked_add(i64::from(ns))
}

fn parse_unit_span(t: &str) -> Option<i64> {
    let split = t.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = t.split_at(split);
    let unit_ns = span_unit_ns(unit)?;
    let num = num.trim();
    if num.is_empty() || num.bytes().any(|b| !(b.is_ascii_digit() || b == b'.')) {
        return None;
    }
    match num.parse::<i64>() {
        Ok(n) => n.checked_mul(unit_ns),
        Err(_) => {
            let v = num.parse::<f64>().ok()? * unit_ns as f64;
            (v.abs() < 9.2e18).then(|| v.round() as i64)
        }
    }
}

/// Nanoseconds in a timespan unit as KQL spells it.
pub(crate) fn span_unit_ns(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => NS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600 * NS_PER_SEC,
        "m" | "min" | "minute" | "minutes" => 60 * NS_PER_SEC,
        "s" | "sec" | "second" | "seconds" => NS_PER_SEC,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "microsecond" | "microseconds" => 1_000,
        "tick" | "ticks" => NS_PER_TICK,
        "nanosecond" | "nanoseconds" => 1,
        _ => return None,
    })
}

/// Writes a real number as KQL prints it: integers without a fraction,
/// others in the shortest form that reads back the same.
pub(crate) fn write_real(v: f64, out: &mut impl Write) {
    let _ = if v.is_nan() {
        out.write_str("NaN")
    } else if v.is_infinite() {
        out.write_str(if v > 0.0 { "Infinity" } else { "-Infinity" })
    } else if v == v.trunc() && v.abs() < 1e15 {
        write!(out, "{}", v as i64)
    } else if v.abs() >= 1e15 || v.abs() < 1e-4 {
        write!(out, "{v:E}").map(|_| ())
    } else {
        write!(out, "{v}")
    };
}

/// A datetime as Kusto prints it: `2024-05-01T10:11:12.1234567Z`.
pub fn format_datetime(ns: i64) -> String {
    let mut out = String::new();
    write_datetime(ns, &mut out);
    out
}

/// A timespan (nanoseconds) as Kusto prints it: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(ns: i64) -> String {
    let mut out = String::new();
    write_timespan(ns, &mut out);
    out
}

/// Writes a datetime as `2024-05-01T10:11:12.1234567Z`.
pub(crate) fn write_datetime(ns: i64, out: &mut impl Write) {
    let days = ns.div_euclid(NS_PER_DAY);
    let in_day = ns.rem_euclid(NS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let secs = in_day / NS_PER_SEC;
    let ticks = (in_day % NS_PER_SEC) / NS_PER_TICK;
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ticks:07}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
}

/// Writes a timespan as `[-][d.]hh:mm:ss[.fffffff]`.
pub(crate) fn write_timespan(ns: i64, out: &mut impl Write) {
    let neg = ns < 0;
    let abs = i128::from(ns).unsigned_abs();
    let day = NS_PER_DAY as u128;
    let (days, rest) = (abs / day, abs % day);
    let secs = rest / NS_PER_SEC as u128;
    let ticks = (rest % NS_PER_SEC as u128) / NS_PER_TICK as u128;
    if neg {
        let _ = out.write_char('-');
    }
    if days > 0 {
        let _ = write!(out, "{days}.");
    }
    let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if ticks > 0 {
        let _ = write!(out, ".{ticks:07}");
    }
}

/// Writes an unscaled decimal with `scale` fractional digits, trailing zeros
/// dropped.
pub(crate) fn write_decimal(v: i128, scale: i8, out: &mut impl Write) {
    let scale = u32::try_from(scale).unwrap_or(0);
    let p = 10u128.pow(scale);
    let abs = v.unsigned_abs();
    let (int, frac) = (abs / p, abs % p);
    if v < 0 {
        let _ = out.write_char('-');
    }
    let _ = write!(out, "{int}");
    if frac > 0 {
        let digits = format!("{frac:0width$}", width = scale as usize);
        let _ = write!(out, ".{}", digits.trim_end_matches('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> String {
        let mut out = String::new();
        write_datetime(parse_datetime(s).expect("valid datetime"), &mut out);
        out
    }

    fn ts(s: &str) -> String {
        let mut out = String::new();
        write_timespan(parse_timespan(s).expect("valid timespan"), &mut out);
        out
    }

    #[test]
    fn datetimes() {
        assert_eq!(dt("2024-05-01 10:11:12.1234567"), "2024-05-01T10:11:12.1234567Z");
        assert_eq!(dt("2024-05-01T10:11:12Z"), "2024-05-01T10:11:12.0000000Z");
        assert_eq!(dt("2024-05-01"), "2024-05-01T00:00:00.0000000Z");
        assert_eq!(dt("2024-05-01T10:11"), "2024-05-01T10:11:00.0000000Z");
        assert_eq!(dt("2024-05-01T10:11:12+02:00"), "2024-05-01T08:11:12.0000000Z");
        assert_eq!(dt("1969-12-31T23:59:59.5Z"), "1969-12-31T23:59:59.5000000Z");
        assert_eq!(dt("Sat, 8 Nov 2014 15:05:02 GMT"), "2014-11-08T15:05:02.0000000Z");
        assert_eq!(parse_datetime("2024-05-01T10:11:12.123456789Z"), Some(1_714_558_272_123_456_789));
        assert_eq!(parse_datetime("02/17/2016 08:40:01"), parse_datetime("2016-02-17 08:40:01"));
        assert_eq!(parse_datetime("2/17/2016 8:40:01 PM"), parse_datetime("2016-02-17 20:40:01"));
        assert_eq!(parse_datetime("12/1/2016"), parse_datetime("2016-12-01"));
        assert_eq!(parse_datetime("13/1/2016"), None);
        for bad in ["", "2024-13-01", "2024-02-30", "yesterday", "2024-05-01T25:00", "2024-05-01x"] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_162, -1, 0, 1, 11_016, 19_844, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-DAYS_0001_TO_1970), (1, 1, 1));
    }

    #[test]
    fn timespans() {
        assert_eq!(ts("0.00:03:00"), "00:03:00");
        assert_eq!(ts("1.02:03:04.5"), "1.02:03:04.5000000");
        assert_eq!(ts("-01:30"), "-01:30:00");
        assert_eq!(ts("1.5h"), "01:30:00");
        assert_eq!(ts("30min"), "00:30:00");
        assert_eq!(ts("100ms"), "00:00:00.1000000");
        assert_eq!(ts("2d"), "2.00:00:00");
        assert_eq!(ts("1tick"), "00:00:00.0000001");
        for bad in ["", "abc", "5 parsecs", "1:2:3:4", "10:99"] {
            assert_eq!(parse_timespan(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_long(" 443 "), Some(443));
        assert_eq!(parse_long("4.5"), None);
        assert_eq!(parse_real("1e3"), Some(1000.0));
        assert_eq!(parse_real("abc"), None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_decimal("123.45678"), Some(123_456_780_000_000_000_000));
        assert_eq!(parse_decimal("-1e-2"), Some(-10_000_000_000_000_000));
        assert_eq!(parse_decimal("1.2.3"), None);
        let mut s = String::new();
        write_decimal(123_456_780_000_000_000_000, 18, &mut s);
        assert_eq!(s, "123.45678");
    }

    #[test]
    fn reals_print_like_kql() {
        let p = |v: f64| {
            let mut s = String::new();
            write_real(v, &mut s);
            s
        };
        assert_eq!(p(1.0), "1");
        assert_eq!(p(-2.5), "-2.5");
        assert_eq!(p(0.1), "0.1");
        assert_eq!(p(1e20), "1E20");
        assert_eq!(p(f64::NAN), "NaN");
    }

    #[test]
    fn guids() {
        assert_eq!(
            parse_guid("{74BE27DE-1E4E-49D9-B579-FE0B331D3642}").as_deref(),
            Some("74be27de-1e4e-49d9-b579-fe0b331d3642")
        );
        assert_eq!(
            parse_guid("74be27de1e4e49d9b579fe0b331d3642").as_deref(),
            Some("74be27de-1e4e-49d9-b579-fe0b331d3642")
        );
        assert_eq!(parse_guid("74be27de-1e4e-49d9-b579-fe0b331d364"), None);
    }
}
