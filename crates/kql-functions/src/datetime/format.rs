//! `format_datetime` and `format_timespan` with KQL's format specifiers:
//! `d`, `dd`, `f`..`fffffff`, `F`..`FFFFFFF`, `h`, `hh`, `H`, `HH`, `m`,
//! `mm`, `M`, `MM`, `s`, `ss`, `y`, `yy`, `yyyy`, `tt`; any other character
//! is copied as is.

use std::fmt::Write;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::common::Result;
use kql_syntax::ast::ScalarType;

use super::parts::Civil;
use crate::convert::text::{NS_PER_DAY, NS_PER_SEC};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, string_arg, typed_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc, span_arg, time_arg};

/// A run of one specifier letter, or literal text.
#[derive(Debug, PartialEq)]
enum Token {
    Spec(char, usize),
    Text(String),
}

fn tokenize(format: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if "dfFhHmMsyt".contains(c) {
            let mut n = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                n += 1;
            }
            out.push(Token::Spec(c, n));
        } else if let Some(Token::Text(t)) = out.last_mut() {
            t.push(c);
        } else {
            out.push(Token::Text(c.to_string()));
        }
    }
    out
}

/// The fraction of a second in `n` digits; `F` drops trailing zeros.
fn write_fraction(ns_in_sec: i64, n: usize, trim: bool, out: &mut impl Write) {
    let n = n.min(9);
    let digits = format!("{ns_in_sec:09}");
    let mut d = &digits[..n];
    if trim {
        d = d.trim_end_matches('0');
    }
    let _ = out.write_str(d);
}

fn write_num(v: i64, width: usize, out: &mut impl Write) {
    let _ = write!(out, "{v:0width$}");
}

fn format_datetime(ns: i64, tokens: &[Token], out: &mut impl Write) {
    let c = Civil::of(ns);
    let secs = c.in_day / NS_PER_SEC;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let frac = c.in_day % NS_PER_SEC;
    for t in tokens {
        match t {
            Token::Text(s) => {
                let _ = out.write_str(s);
            }
            Token::Spec(ch, n) => {
                let n = *n;
                match ch {
                    'd' => write_num(i64::from(c.day), n.min(2), out),
                    'f' => write_fraction(frac, n, false, out),
                    'F' => write_fraction(frac, n, true, out),
                    'h' => write_num(if h % 12 == 0 { 12 } else { h % 12 }, n.min(2), out),
                    'H' => write_num(h, n.min(2), out),
                    'm' => write_num(m, n.min(2), out),
                    'M' => write_num(i64::from(c.month), n.min(2), out),
                    's' => write_num(s, n.min(2), out),
                    'y' if n <= 2 => write_num(c.year % 100, n, out),
                    'y' => write_num(c.year, n, out),
                    _ => {
                        let ampm = if h < 12 { "AM" } else { "PM" };
                        let _ = out.write_str(if n == 1 { &ampm[..1] } else { ampm });
                    }
                }
            }
        }
    }
}

fn format_timespan(ns: i64, tokens: &[Token], out: &mut impl Write) {
    if ns < 0 {
        let _ = out.write_char('-');
    }
    let abs = ns.unsigned_abs() as i64;
    let days = abs / NS_PER_DAY;
    let secs = abs % NS_PER_DAY / NS_PER_SEC;
    let frac = abs % NS_PER_SEC;
    for t in tokens {
        match t {
            Token::Text(s) => {
                let _ = out.write_str(s);
            }
            Token::Spec(ch, n) => match ch {
                'd' => write_num(days, *n, out),
                'f' => write_fraction(frac, *n, false, out),
                'F' => write_fraction(frac, *n, true, out),
                'h' | 'H' => write_num(secs / 3600, (*n).min(2), out),
                'm' => write_num(secs / 60 % 60, (*n).min(2), out),
                's' => write_num(secs % 60, (*n).min(2), out),
                other => {
                    for _ in 0..*n {
                        let _ = out.write_char(*other);
                    }
                }
            },
        }
    }
}

fn eval_format(call: &Call) -> Result<ArrayRef> {
    let fmt = StrArg::new(call.arg(1)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 24);
    let mut cached: Option<(String, Vec<Token>)> = None;
    let datetime = call.input == ScalarType::DateTime;
    let values: Vec<Option<i64>> = if datetime {
        let t = time_arg(call.arg(0)?)?;
        (0..call.rows).map(|i| t.get(i)).collect()
    } else {
        let t = span_arg(call.arg(0)?)?;
        (0..call.rows).map(|i| t.get(i)).collect()
    };
    for (i, v) in values.into_iter().enumerate() {
        let f = fmt.text(i);
        if cached.as_ref().is_none_or(|(s, _)| s != f) {
            cached = Some((f.to_string(), tokenize(f)));
        }
        if let (Some(v), Some((_, tokens))) = (v, &cached) {
            if datetime {
                format_datetime(v, tokens, &mut out);
            } else {
                format_timespan(v, tokens, &mut out);
            }
        }
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

fn build(args: Vec<Arg>, name: &str, ty: ScalarType) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let (v, _) =
        typed_arg(&args, 0, &[ty], if ty == ScalarType::DateTime { "a datetime" } else { "a timespan" })?;
    let f = string_arg(&args, 1)?;
    let e = KqlUdf::new(name, ScalarType::String, eval_format).input(ty).call(vec![v, f]);
    Ok(Typed::new(e, ScalarType::String))
}

pub(crate) fn build_format_datetime(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, "format_datetime", ScalarType::DateTime)
}

pub(crate) fn build_format_timespan(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, "format_timespan", ScalarType::TimeSpan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::text::{parse_datetime, parse_timespan};

    #[test]
    fn datetimes_format_like_the_docs() {
        let t = parse_datetime("2017-01-29 09:00:05.1234567").expect("valid");
        let f = |fmt: &str| {
            let mut s = String::new();
            format_datetime(t, &tokenize(fmt), &mut s);
            s
        };
        assert_eq!(f("yy-MM-dd [HH:mm:ss]"), "17-01-29 [09:00:05]");
        assert_eq!(f("yyyy-MM-dd hh:mm:ss tt"), "2017-01-29 09:00:05 AM");
        assert_eq!(f("d/M/y H.fff"), "29/1/17 9.123");
        assert_eq!(f("FFFFFFF|ffff"), "1234567|1234");
    }

    #[test]
    fn timespans_format_like_the_docs() {
        let t = parse_timespan("29.09:00:05.12345").expect("valid");
        let f = |fmt: &str| {
            let mut s = String::new();
            format_timespan(t, &tokenize(fmt), &mut s);
            s
        };
        assert_eq!(f("dd.hh:mm:ss:FF"), "29.09:00:05:12");
        assert_eq!(f("ddd.h:mm:ss [fffffff]"), "029.9:00:05 [1234500]");
    }
}
