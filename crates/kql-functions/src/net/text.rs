//! IPv4 addresses inside free text: `has_ipv4`, `has_ipv4_prefix`,
//! `has_any_ipv4`, `has_any_ipv4_prefix`.
//!
//! An address counts only when it stands alone: the text is cut at every
//! character that is neither alphanumeric nor a dot, and a piece (with any
//! trailing dots dropped, as at the end of a sentence) must be exactly a
//! valid dotted address. So `05:04:54 127.0.0.1 GET` holds `127.0.0.1` but
//! `05:04:54127.0.0.1` does not.

use datafusion::arrow::array::{ArrayRef, BooleanBuilder};
use datafusion::common::Result;
use kql_syntax::ast::ScalarType;
use serde_json::Value;

use crate::registry::{Arg, CallContext, FnError, Typed, arity, string_arg, typed_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc};

/// The octets of `s` when it is `n` dot-separated numbers of 0-255, with
/// 1 <= n <= 4.
fn octets(s: &str) -> Option<Vec<u8>> {
    let parts = s
        .split('.')
        .map(|p| {
            let ok = !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| p.parse::<u8>().ok()).flatten()
        })
        .collect::<Option<Vec<u8>>>()?;
    (parts.len() <= 4).then_some(parts)
}

/// What to look for: the leading octets of an address (all four for a whole
/// address). `None` when `s` is not a valid address or, when `prefix` is
/// allowed, a valid prefix ending in a dot (`10.`, `192.168.`).
fn pattern(s: &str, prefix: bool) -> Option<Vec<u8>> {
    match s.strip_suffix('.') {
        Some(head) if prefix => octets(head).filter(|o| o.len() < 4),
        _ => octets(s).filter(|o| o.len() == 4),
    }
}

/// The properly delimited addresses of `text`.
fn addresses(text: &str) -> impl Iterator<Item = Vec<u8>> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .filter_map(|piece| octets(piece.trim_end_matches('.')).filter(|o| o.len() == 4))
}

/// Whether any address of `text` starts with one of `patterns`.
fn has_any(text: &str, patterns: &[Vec<u8>]) -> bool {
    !patterns.is_empty() && addresses(text).any(|a| patterns.iter().any(|p| a.starts_with(p)))
}

/// The lookups of one row. Bit `k` of `dynamic` tells that lookup argument
/// `k` is a dynamic array (as JSON) rather than a string.
fn patterns(lookups: &[StrArg], dynamic: i64, prefix: bool, i: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (k, arg) in lookups.iter().enumerate() {
        let text = arg.text(i);
        if k < 63 && dynamic & (1 << k) != 0 {
            let items = match serde_json::from_str(text) {
                Ok(Value::Array(items)) => items,
                Ok(other) => vec![other],
                Err(_) => Vec::new(),
            };
            out.extend(items.iter().filter_map(|v| v.as_str().and_then(|s| pattern(s, prefix))));
        } else {
            out.extend(pattern(text, prefix));
        }
    }
    out
}

/// `param`: bit 0 set for the prefix forms; the other bits, shifted down
/// by one, mark the dynamic lookups.
fn eval_has_ipv4(call: &Call) -> Result<ArrayRef> {
    let source = StrArg::new(call.arg(0)?)?;
    let lookups = call.args.iter().skip(1).map(StrArg::new).collect::<Result<Vec<_>>>()?;
    let (prefix, dynamic) = (call.param & 1 != 0, call.param >> 1);
    let constant = lookups.iter().all(|l| l.constant().is_some());
    let fixed = if constant { Some(patterns(&lookups, dynamic, prefix, 0)) } else { None };
    let mut out = BooleanBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        let found = match &fixed {
            Some(p) => has_any(source.text(i), p),
            None => has_any(source.text(i), &patterns(&lookups, dynamic, prefix, i)),
        };
        out.append_value(found);
    }
    Ok(arc(out.finish()))
}

fn build(args: Vec<Arg>, name: &str, prefix: bool, many: bool) -> Result<Typed, FnError> {
    if many {
        arity(&args, 2, Some(64))?;
    } else {
        arity(&args, 2, Some(2))?;
    }
    let mut call_args = vec![string_arg(&args, 0)?];
    let mut dynamic = 0i64;
    for k in 1..args.len() {
        let (e, ty) = if many {
            typed_arg(&args, k, &[ScalarType::String, ScalarType::Dynamic], "a string or a dynamic array")?
        } else {
            typed_arg(&args, k, &[ScalarType::String], "a string")?
        };
        if ty == ScalarType::Dynamic {
            dynamic |= 1 << (k - 1);
        }
        call_args.push(e);
    }
    let param = (dynamic << 1) | i64::from(prefix);
    let e = KqlUdf::new(name, ScalarType::Bool, eval_has_ipv4).param(param).call(call_args);
    Ok(Typed::new(e, ScalarType::Bool))
}

pub(crate) fn build_has_ipv4(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, "has_ipv4", false, false)
}

pub(crate) fn build_has_ipv4_prefix(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, "has_ipv4_prefix", true, false)
}

pub(crate) fn build_has_any_ipv4(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, "has_any_ipv4", false, true)
}

pub(crate) fn build_has_any_ipv4_prefix(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, "has_any_ipv4_prefix", true, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "05:04:54 127.0.0.1 GET /favicon.ico 404";

    fn has(text: &str, lookups: &[&str], prefix: bool) -> bool {
        let p: Vec<Vec<u8>> = lookups.iter().filter_map(|s| pattern(s, prefix)).collect();
        has_any(text, &p)
    }

    #[test]
    fn addresses_like_the_docs() {
        assert!(has(LOG, &["127.0.0.1"], false));
        assert!(!has("05:04:54 127.0.0.256 GET /favicon.ico 404", &["127.0.0.256"], false));
        assert!(!has("05:04:54127.0.0.1 GET /favicon.ico 404", &["127.0.0.1"], false));
        assert!(has(LOG, &["127.0.0.1", "127.0.0.2"], false));
        assert!(!has("05:04:54127.0.0.1 GET /favicon.ico 404", &["127.0.0.1", "192.168.1.1"], false));
        let from = "These requests came from: 192.168.1.1, 10.1.1.115 and 10.1.1.201.";
        assert!(has(from, &["10.1.1.201"], false));
        assert!(!has(from, &["10.1.1.20"], false));
        assert!(!has(LOG, &["127.0."], false), "a prefix is not an address");
    }

    #[test]
    fn prefixes_like_the_docs() {
        assert!(has(LOG, &["127.0."], true));
        assert!(!has(LOG, &["127.0"], true));
        assert!(!has("05:04:54 127.0.0.256 GET /favicon.ico 404", &["127.0."], true));
        assert!(!has("05:04:54127.0.0.1 GET /favicon.ico 404", &["127.0."], true));
        assert!(has(LOG, &["127.0.", "192.168."], true));
        assert!(!has("05:04:54127.0.0.1 GET /favicon.ico 404", &["127.0.", "192."], true));
        assert!(has(LOG, &["127.0.0.1"], true), "a whole address is a prefix too");
        assert_eq!(pattern("1.2.3.4.", true), None);
    }
}
