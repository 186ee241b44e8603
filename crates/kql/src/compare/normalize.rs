//! Normal forms of cells by KQL type, and the looser matches documentation
//! tables need (elided values, approximate numbers).

use kql_functions::convert::{format_datetime, format_timespan, parse_datetime, parse_timespan};
use kql_syntax::ast::ScalarType;

/// Whitespace runs (non-breaking spaces included) as one space.
pub(super) fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when `text` holds an elision mark: `…` or three dots.
pub(super) fn has_ellipsis(text: &str) -> bool {
    text.contains('…') || text.contains("...")
}

/// Splits a pattern at its elision marks (`…`, or runs of three or more
/// dots) into the literal pieces between them.
pub(super) fn elision_pieces(pattern: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if pattern[i..].starts_with('…') {
            pieces.push(&pattern[start..i]);
            i += '…'.len_utf8();
            start = i;
        } else if bytes[i] == b'.' {
            let run = bytes[i..].iter().take_while(|b| **b == b'.').count();
            if run >= 3 {
                pieces.push(&pattern[start..i]);
                start = i + run;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    pieces.push(&pattern[start..]);
    pieces
}

/// Matches `text` against a pattern whose elision marks stand for any text.
pub(super) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pieces = elision_pieces(pattern);
    let (first, rest) = match pieces.split_first() {
        Some(p) => p,
        None => return pattern == text,
    };
    let Some(last) = rest.last() else {
        return pattern == text;
    };
    let middle = &rest[..rest.len() - 1];
    if !text.starts_with(first) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut pos = first.len();
    let end = text.len() - last.len();
    if !text.ends_with(last) {
        return false;
    }
    for piece in middle {
        match text.get(pos..end).and_then(|t| t.find(piece)) {
            Some(k) => pos += k + piece.len(),
            None => return false,
        }
    }
    pos <= end
}

/// Within 1% relative of each other.
pub(super) fn approx_eq(a: f64, b: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    (a - b).abs() <= 0.01 * a.abs().max(b.abs())
}

pub(super) fn json_approx_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => approx_eq(x, y),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_approx_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_approx_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The normal form of a cell of type `ty`. Null and the empty string are
/// the same. Values that do not parse as their type compare as text.
pub fn normalize(ty: ScalarType, cell: Option<&str>) -> String {
    normalize_with(ty, cell, false)
}

/// Like [`normalize`]; with `set_arrays`, the elements of arrays in dynamic
/// values are sorted, for results of `make_set` and the `set_*` functions
/// whose element order is not defined.
pub fn normalize_with(ty: ScalarType, cell: Option<&str>, set_arrays: bool) -> String {
    let text = cell.unwrap_or("").trim();
    if text.is_empty() || (ty != ScalarType::String && matches!(text, "null" | "(null)")) {
        return String::new();
    }
    match ty {
        ScalarType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => "true".into(),
            "false" | "0" => "false".into(),
            _ => text.into(),
        },
        ScalarType::Int | ScalarType::Long => {
            let plain = text.replace(',', "");
            match plain.parse::<i64>() {
                Ok(i) => i.to_string(),
                Err(_) => plain.parse::<f64>().map_or(text.into(), format_g6),
            }
        }
        ScalarType::Real | ScalarType::Decimal => {
            let plain = text.replace(',', "");
            match plain.to_ascii_lowercase().as_str() {
                "nan" | "-nan" => "NaN".into(),
                "infinity" | "+infinity" | "inf" | "+inf" | "∞" => "Infinity".into(),
                "-infinity" | "-inf" | "-∞" => "-Infinity".into(),
                _ => plain.parse::<f64>().map_or(text.into(), format_g6),
            }
        }
        ScalarType::DateTime => match parse_datetime_text(text) {
            Some(ns) => {
                let s = format_datetime(ns);
                // Trim trailing zeros of the fraction, and the dot with them.
                let s = s.trim_end_matches('Z').trim_end_matches('0').trim_end_matches('.');
                format!("{s}Z")
            }
            None => text.into(),
        },
        ScalarType::TimeSpan => match parse_timespan(text) {
            Some(ns) => {
                let s = format_timespan(ns);
                if s.contains('.') && s.rfind('.') > s.rfind(':') {
                    s.trim_end_matches('0').trim_end_matches('.').into()
                } else {
                    s
                }
            }
            None => text.into(),
        },
        ScalarType::Guid => text.to_lowercase(),
        ScalarType::Dynamic => match parse_dynamic_text(text) {
            Some(v) => canonical_json(&v, set_arrays),
            // A grid prints a dynamic string without quotes.
            None => canonical_json(&serde_json::Value::String(text.into()), set_arrays),
        },
        ScalarType::String => text.into(),
    }
}

/// A datetime as KQL literals, the docs and the portals write it: ISO 8601
/// with `T` or a space, an optional `Z` or `UTC`, or the US form of the
/// Log Analytics grid (`5/2/2024, 8:15:40.551 AM`).
pub(super) fn parse_datetime_text(text: &str) -> Option<i64> {
    parse_datetime(text.strip_suffix("UTC").map_or(text, str::trim_end))
}

/// Parses dynamic cell text: JSON, or failing that KQL literal style with
/// single-quoted strings.
pub(super) fn parse_dynamic_text(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text).ok().or_else(|| serde_json::from_str(&single_to_double_quotes(text)).ok())
}

/// Rewrites `'...'` strings as JSON `"..."` strings, leaving double-quoted
/// strings as they are.
pub(super) fn single_to_double_quotes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                out.extend(&chars[i..(j + 1).min(chars.len())]);
                i = j + 1;
            }
            '\'' => {
                let mut j = i + 1;
                out.push('"');
                while j < chars.len() && chars[j] != '\'' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        out.push(chars[j]);
                        out.push(chars[j + 1]);
                        j += 2;
                        continue;
                    }
                    if chars[j] == '"' {
                        out.push('\\');
                    }
                    out.push(chars[j]);
                    j += 1;
                }
                out.push('"');
                i = j + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// `%.6g`-like: 6 significant digits, no trailing zeros, `-0` as `0`.
pub(super) fn format_g6(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{:.5e}", v);
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or(0);
            if (-5..6).contains(&exp) {
                let decimals = (5 - exp).max(0) as usize;
                let f = format!("{v:.decimals$}");
                if f.contains('.') { f.trim_end_matches('0').trim_end_matches('.').to_string() } else { f }
            } else {
                let m = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{exp}")
            }
        }
        None => s,
    }
}

/// Compact JSON with sorted keys. Integers stay exact; other numbers are
/// rounded to 6 significant digits and written as integers when integral,
/// so `5.0` equals `5`.
pub(super) fn canonical_json(v: &serde_json::Value, set_arrays: bool) -> String {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k], set_arrays)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let mut parts: Vec<String> = items.iter().map(|x| canonical_json(x, set_arrays)).collect();
            if set_arrays {
                parts.sort();
            }
            format!("[{}]", parts.join(","))
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (None, None, Some(f)) => {
                let rounded = format_g6(f);
                match rounded.parse::<f64>() {
                    Ok(r) if r.fract() == 0.0 && r.abs() < 1e15 => format!("{}", r as i64),
                    _ => rounded,
                }
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}
