//! Numbers and timespans, read from text without spans.
//!
//! These are plain functions over `&str` so that they serve both the query
//! text (where the caller adds spans) and the inside of typed literals such
//! as `timespan(1.02:03:04)` or `real(1e3)`.

/// 100-nanosecond ticks in one second.
const TICKS_PER_SECOND: i64 = 10_000_000;

/// A number as written in the text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Number {
    /// An integer (decimal or `0x` hexadecimal).
    Long(i64),
    /// A real: `1.5`, `1e3`, `.5`.
    Real(f64),
    /// A number with a timespan unit (`1d`, `1.5h`): ticks.
    TimeSpan(i64),
}

/// Why a number is not valid.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NumberError {
    /// The text is not a number at all.
    NotANumber,
    /// Too large for its type (`long` or `timespan`).
    Overflow(&'static str),
    /// Letters after the digits that are no timespan unit.
    UnknownUnit(String),
}

impl NumberError {
    /// The help line of the diagnostic.
    pub(crate) fn help(&self) -> String {
        match self {
            NumberError::NotANumber => "not a number".into(),
            NumberError::Overflow(what) => format!("the value does not fit in a {what}"),
            NumberError::UnknownUnit(unit) => format!(
                "`{unit}` is not a timespan unit; use d, h, m, s, ms, microsecond, tick \
                 (or day, hour, minute, second, millisecond, nanosecond)"
            ),
        }
    }
}

/// Reads a number at the start of `text` (no sign, no trivia). Returns the
/// rest of the text after it.
pub(crate) fn lex_number(text: &str) -> Result<(&str, Number), NumberError> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return lex_hex(hex);
    }
    let int_len = digits_len(text);
    let mut len = int_len;
    let mut is_real = false;
    if text[len..].starts_with('.') && digits_len(&text[len + 1..]) > 0 {
        len += 1 + digits_len(&text[len + 1..]);
        is_real = true;
    }
    if len == 0 {
        return Err(NumberError::NotANumber);
    }
    if let Some(exp) = exponent_len(&text[len..]) {
        len += exp;
        is_real = true;
    }
    let (digits, rest) = text.split_at(len);
    let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
    let (unit, rest) = rest.split_at(unit_len);
    if rest.starts_with(|c: char| super::lex::is_ident_char(c)) {
        return Err(NumberError::UnknownUnit(format!("{unit}{}", first_word(rest))));
    }
    if !unit.is_empty() {
        return Ok((rest, Number::TimeSpan(with_unit(digits, unit)?)));
    }
    let number = if is_real {
        Number::Real(digits.parse().map_err(|_| NumberError::NotANumber)?)
    } else {
        Number::Long(digits.parse().map_err(|_| NumberError::Overflow("long"))?)
    };
    Ok((rest, number))
}

/// `0x1F` after the `0x`.
fn lex_hex(hex: &str) -> Result<(&str, Number), NumberError> {
    let len = hex.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(hex.len());
    let (digits, rest) = hex.split_at(len);
    if digits.is_empty() || rest.starts_with(|c: char| super::lex::is_ident_char(c)) {
        return Err(NumberError::NotANumber);
    }
    let value = i64::from_str_radix(digits, 16).map_err(|_| NumberError::Overflow("long"))?;
    Ok((rest, Number::Long(value)))
}

fn digits_len(text: &str) -> usize {
    text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len())
}

fn first_word(text: &str) -> &str {
    let len = text.find(|c: char| !super::lex::is_ident_char(c)).unwrap_or(text.len());
    &text[..len]
}

/// Length of an exponent `e5`, `E-3`, `e+2` at the start of `text`.
fn exponent_len(text: &str) -> Option<usize> {
    let rest = text.strip_prefix(['e', 'E'])?;
    let sign = usize::from(rest.starts_with(['+', '-']));
    let digits = digits_len(&rest[sign..]);
    (digits > 0).then_some(1 + sign + digits)
}

/// Ticks per unit as a fraction `(numerator, denominator)`.
fn unit_ticks(unit: &str) -> Option<(i64, i64)> {
    Some(match unit {
        "d" | "day" | "days" => (86_400 * TICKS_PER_SECOND, 1),
        "h" | "hr" | "hrs" | "hour" | "hours" => (3_600 * TICKS_PER_SECOND, 1),
        "m" | "min" | "minute" | "minutes" => (60 * TICKS_PER_SECOND, 1),
        "s" | "sec" | "second" | "seconds" => (TICKS_PER_SECOND, 1),
        "ms" | "milli" | "millis" | "millisec" | "millisecond" | "milliseconds" => (10_000, 1),
        "microsec" | "microsecond" | "microseconds" => (10, 1),
        "tick" | "ticks" => (1, 1),
        "nanosec" | "nanosecond" | "nanoseconds" => (1, 100),
        _ => return None,
    })
}

/// The ticks of `digits` (an integer or real text) in `unit`.
fn with_unit(digits: &str, unit: &str) -> Result<i64, NumberError> {
    let (num, den) = unit_ticks(unit).ok_or_else(|| NumberError::UnknownUnit(unit.into()))?;
    if let Ok(whole) = digits.parse::<i64>() {
        return whole.checked_mul(num).map(|t| t / den).ok_or(NumberError::Overflow("timespan"));
    }
    let value: f64 = digits.parse().map_err(|_| NumberError::NotANumber)?;
    let ticks = (value * num as f64 / den as f64).round();
    if ticks.is_finite() && ticks.abs() < i64::MAX as f64 {
        Ok(ticks as i64)
    } else {
        Err(NumberError::Overflow("timespan"))
    }
}

/// The ticks of the text of `timespan(...)`: `1d`, `15 seconds`, `2` (days),
/// or `[-][d.]hh:mm[:ss[.fffffff]]`.
pub(crate) fn timespan_text(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body.trim_start()),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let ticks = if body.contains(':') { clock_ticks(body)? } else { unit_text_ticks(body)? };
    Some(if negative { -ticks } else { ticks })
}

/// `2`, `1.5h`, `15 seconds`.
fn unit_text_ticks(body: &str) -> Option<i64> {
    let (rest, number) = lex_number(body).ok()?;
    let unit = rest.trim();
    match number {
        Number::TimeSpan(ticks) if unit.is_empty() => Some(ticks),
        Number::TimeSpan(_) => None,
        Number::Long(_) | Number::Real(_) => {
            let digits = body[..body.len() - rest.len()].trim();
            with_unit(digits, if unit.is_empty() { "d" } else { unit }).ok()
        }
    }
}

/// `[d.]hh:mm[:ss[.fffffff]]`.
fn clock_ticks(body: &str) -> Option<i64> {
    let (head, tail) = body.split_once(':')?;
    let (days, hours) = match head.split_once('.') {
        Some((d, h)) => (small_int(d)?, small_int(h)?),
        None => (0, small_int(head)?),
    };
    let (minutes, seconds) = match tail.split_once(':') {
        Some((m, s)) => (small_int(m)?, s),
        None => (small_int(tail)?, "0"),
    };
    let (whole_seconds, fraction) = match seconds.split_once('.') {
        Some((s, f)) => (small_int(s)?, fraction_ticks(f)?),
        None => (small_int(seconds)?, 0),
    };
    let seconds_total = ((days * 24 + hours) * 60 + minutes) * 60 + whole_seconds;
    seconds_total.checked_mul(TICKS_PER_SECOND)?.checked_add(fraction)
}

/// A short run of decimal digits.
fn small_int(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `.1234567` after the dot, in ticks (at most 7 digits).
fn fraction_ticks(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 7 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = text.parse().ok()?;
    Some(value * 10_i64.pow(7 - text.len() as u32))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]

    use super::*;

    const HOUR: i64 = 3_600 * TICKS_PER_SECOND;

    #[test]
    fn integers_reals_and_hex() {
        assert_eq!(lex_number("42 x"), Ok((" x", Number::Long(42))));
        assert_eq!(lex_number("1.5)"), Ok((")", Number::Real(1.5))));
        assert_eq!(lex_number("1e3"), Ok(("", Number::Real(1000.0))));
        assert_eq!(lex_number("2.5E-1"), Ok(("", Number::Real(0.25))));
        assert_eq!(lex_number(".5"), Ok(("", Number::Real(0.5))));
        assert_eq!(lex_number("0x1F"), Ok(("", Number::Long(31))));
        assert_eq!(lex_number("1..2"), Ok(("..2", Number::Long(1))));
        assert_eq!(lex_number("99999999999999999999"), Err(NumberError::Overflow("long")));
        assert_eq!(lex_number("0x"), Err(NumberError::NotANumber));
    }

    #[test]
    fn timespans_with_units() {
        let ts = |t: &str| match lex_number(t) {
            Ok((_, Number::TimeSpan(ticks))) => ticks,
            other => panic!("{t}: {other:?}"),
        };
        assert_eq!(ts("1d"), 24 * HOUR);
        assert_eq!(ts("1.5h"), HOUR * 3 / 2);
        assert_eq!(ts("30m"), 30 * 60 * TICKS_PER_SECOND);
        assert_eq!(ts("100ms"), 1_000_000);
        assert_eq!(ts("10microsecond"), 100);
        assert_eq!(ts("5tick"), 5);
        assert_eq!(ts("2hours"), 2 * HOUR);
        assert_eq!(ts("1nanoseconds"), 0);
        assert_eq!(ts("300nanoseconds"), 3);
        assert_eq!(ts("0.1s"), 1_000_000);
        assert_eq!(lex_number("5x"), Err(NumberError::UnknownUnit("x".into())));
        assert_eq!(lex_number("5d2"), Err(NumberError::UnknownUnit("d2".into())));
    }

    #[test]
    fn timespan_texts() {
        assert_eq!(
            timespan_text("1.02:03:04.5"),
            Some(((26 * 60 + 3) * 60 + 4) * TICKS_PER_SECOND + 5_000_000)
        );
        assert_eq!(timespan_text("00:30:00"), Some(HOUR / 2));
        assert_eq!(timespan_text("10:30"), Some(HOUR * 21 / 2));
        assert_eq!(timespan_text("2"), Some(48 * HOUR));
        assert_eq!(timespan_text(" 15 seconds "), Some(15 * TICKS_PER_SECOND));
        assert_eq!(timespan_text("-1d"), Some(-24 * HOUR));
        assert_eq!(timespan_text("0.00:00:00.0000001"), Some(1));
        assert_eq!(timespan_text("abc"), None);
        assert_eq!(timespan_text("1:2:3:4"), None);
    }
}
