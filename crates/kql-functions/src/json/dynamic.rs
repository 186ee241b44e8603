//! Moving between `dynamic` (compact JSON text) and the other types:
//! `parse_json` / `todynamic`, `dynamic_to_json`, and the JSON form of a
//! typed value that `pack_array` and friends embed.

use std::fmt::Write;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, DurationNanosecondType, Float64Type, Int64Type, TimeUnit,
    TimestampNanosecondType,
};
use datafusion::common::Result;
use datafusion::logical_expr::Expr;
use kql_syntax::ast::ScalarType;

use super::scan::parse_root;
use super::value::write_elem_text;
use crate::convert::text::{write_datetime, write_timespan};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc};

/// The dynamic value `text` stands for, as compact JSON: the parsed JSON when
/// it is valid (single-quoted strings are accepted, as in KQL literals), a
/// JSON string holding `text` otherwise, and null for empty text.
pub(crate) fn parse_to_dynamic(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    let value = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .or_else(|| requote(text).and_then(|t| serde_json::from_str(&t).ok()));
    match value {
        Some(serde_json::Value::Null) => None,
        Some(v) => Some(v.to_string()),
        None => serde_json::to_string(text).ok(),
    }
}

/// Rewrites single-quoted strings as double-quoted ones, or `None` when
/// there are none.
fn requote(text: &str) -> Option<String> {
    if !text.contains('\'') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'') => {
                quote = Some('\'');
                out.push('"');
            }
            (None, '"') => {
                quote = Some('"');
                out.push('"');
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.push('"');
            }
            (Some(_), '\\') => {
                out.push('\\');
                out.push(chars.next()?);
            }
            (Some('\''), '"') => out.push_str("\\\""),
            (_, c) => out.push(c),
        }
    }
    Some(out)
}

fn eval_parse_json(call: &Call) -> Result<ArrayRef> {
    let input = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        out.append_option(input.get(i).and_then(parse_to_dynamic));
    }
    Ok(arc(out.finish()))
}

/// `parse_json(text)`: text to dynamic.
pub(crate) fn parse_json_expr(expr: Expr) -> Expr {
    KqlUdf::new("parse_json", ScalarType::Dynamic, eval_parse_json).call(vec![expr])
}

/// `parse_json(x)` for a typed `x`: text is parsed, other values become the
/// JSON value they hold.
pub(crate) fn build_parse_json(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (expr, ty) = expr_arg(&args, 0)?;
    let expr = match ty {
        ScalarType::String => parse_json_expr(expr),
        ScalarType::Dynamic => expr,
        other => to_json_value(expr, other),
    };
    Ok(Typed::new(expr, ScalarType::Dynamic))
}

/// The value of `expr` (of KQL type `ty`) as a `dynamic`: a string becomes
/// a JSON string, a number a JSON number, a datetime or timespan a JSON
/// string of its text. Null stays null.
pub fn to_json_value(expr: Expr, ty: ScalarType) -> Expr {
    if ty == ScalarType::Dynamic {
        return expr;
    }
    KqlUdf::new("to_json_value", ScalarType::Dynamic, eval_to_json_value).input(ty).call(vec![expr])
}

fn eval_to_json_value(call: &Call) -> Result<ArrayRef> {
    let arg = call.arg(0)?.to_array(call.rows)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 8);
    write_json_values(&arg, call.input, &mut out)?;
    Ok(arc(out.finish()))
}

/// Appends one JSON text per value of `array` (of KQL type `ty`) to `out`;
/// nulls are appended as nulls.
pub(crate) fn write_json_values(array: &ArrayRef, ty: ScalarType, out: &mut StringBuilder) -> Result<()> {
    let n = array.len();
    macro_rules! each {
        ($arr:expr, |$v:ident| $write:expr) => {{
            let a = $arr;
            for i in 0..n {
                if a.is_null(i) {
                    out.append_null();
                } else {
                    let $v = a.value(i);
                    let _ = $write;
                    out.append_value("");
                }
            }
        }};
    }
    match ty {
        ScalarType::String | ScalarType::Guid => {
            let s = crate::udf::Strings::new(array.as_ref())?;
            for i in 0..n {
                match s.get(i) {
                    Some(v) => {
                        write_json_string(v, out);
                        out.append_value("");
                    }
                    None if ty == ScalarType::String => out.append_value("\"\""),
                    None => out.append_null(),
                }
            }
        }
        ScalarType::Dynamic => {
            let s = crate::udf::Strings::new(array.as_ref())?;
            for i in 0..n {
                out.append_option(s.get(i));
            }
        }
        ScalarType::Bool => {
            let a = cast(array, &DataType::Boolean)?;
            each!(a.as_boolean(), |v| out.write_str(if v { "true" } else { "false" }))
        }
        ScalarType::Int | ScalarType::Long => {
            let a = cast(array, &DataType::Int64)?;
            each!(a.as_primitive::<Int64Type>(), |v| write!(out, "{v}"))
        }
        ScalarType::Real => {
            let a = cast(array, &DataType::Float64)?;
            let a = a.as_primitive::<Float64Type>();
            for i in 0..n {
                let v = a.value(i);
                if a.is_null(i) || !v.is_finite() {
                    out.append_null();
                } else {
                    out.append_value(
                        serde_json::Number::from_f64(v).map_or_else(String::new, |x| x.to_string()),
                    );
                }
            }
        }
        ScalarType::Decimal => {
            let a = cast(array, &crate::types::arrow_type(ScalarType::Decimal))?;
            each!(a.as_primitive::<Decimal128Type>(), |v| {
                crate::convert::text::write_decimal(v, crate::types::DECIMAL_SCALE, out);
                Ok::<(), std::fmt::Error>(())
            })
        }
        ScalarType::DateTime => {
            let a = cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
            each!(a.as_primitive::<TimestampNanosecondType>(), |v| {
                let _ = out.write_char('"');
                write_datetime(v, out);
                out.write_char('"')
            })
        }
        ScalarType::TimeSpan => {
            let a = cast(array, &DataType::Duration(TimeUnit::Nanosecond))?;
            each!(a.as_primitive::<DurationNanosecondType>(), |v| {
                let _ = out.write_char('"');
                write_timespan(v, out);
                out.write_char('"')
            })
        }
    }
    Ok(())
}

/// Writes `s` as a JSON string literal.
pub(crate) fn write_json_string(s: &str, out: &mut impl Write) {
    let _ = out.write_char('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        let _ = out.write_str(&s[start..i]);
        match esc {
            Some(e) => {
                let _ = out.write_str(e);
            }
            None => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
        start = i + c.len_utf8();
    }
    let _ = out.write_str(&s[start..]);
    let _ = out.write_char('"');
}

fn eval_dynamic_to_json(call: &Call) -> Result<ArrayRef> {
    let input = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        let text = input.get(i).and_then(|t| {
            let mut v: serde_json::Value = serde_json::from_str(t).ok()?;
            v.sort_all_objects();
            Some(v.to_string())
        });
        // A string result is never null.
        out.append_value(text.as_deref().unwrap_or(""));
    }
    Ok(arc(out.finish()))
}

/// `dynamic_to_json(x)`.
pub(crate) fn build_dynamic_to_json(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (expr, ty) = expr_arg(&args, 0)?;
    let expr = match ty {
        ScalarType::Dynamic => {
            KqlUdf::new("dynamic_to_json", ScalarType::String, eval_dynamic_to_json).call(vec![expr])
        }
        other => crate::convert::to_string_expr(expr, other),
    };
    Ok(Typed::new(expr, ScalarType::String))
}

fn eval_dynamic_tostring(call: &Call) -> Result<ArrayRef> {
    let input = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        if let Some(t) = input.get(i) {
            match parse_root(t) {
                Some(e) => write_elem_text(e, &mut out),
                None => {
                    let _ = out.write_str(t);
                }
            }
        }
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

/// `tostring` of a dynamic value: a JSON string unquoted, anything else as
/// compact JSON, null as "".
pub(crate) fn dynamic_to_string(expr: Expr) -> Expr {
    KqlUdf::new("tostring", ScalarType::String, eval_dynamic_tostring)
        .input(ScalarType::Dynamic)
        .call(vec![expr])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_to_dynamic_follows_kql() {
        assert_eq!(
            parse_to_dynamic(r#"{ "b": 1, "a": [1, 2.5, "x"] }"#).as_deref(),
            Some(r#"{"b":1,"a":[1,2.5,"x"]}"#)
        );
        assert_eq!(parse_to_dynamic("{'a': 'it\"s'}").as_deref(), Some(r#"{"a":"it\"s"}"#));
        assert_eq!(parse_to_dynamic("hello world").as_deref(), Some(r#""hello world""#));
        assert_eq!(parse_to_dynamic("123").as_deref(), Some("123"));
        assert_eq!(parse_to_dynamic("null"), None);
        assert_eq!(parse_to_dynamic(""), None);
    }

    #[test]
    fn json_strings_escape() {
        let mut s = String::new();
        write_json_string("a\"b\\c\n\u{1}é", &mut s);
        assert_eq!(s, r#""a\"b\\c\n\u0001é""#);
    }
}
