//! Functions over dynamic arrays and property bags: `array_length`,
//! `bag_keys`, `pack_array`, `bag_pack` / `pack`, `set_has_element`,
//! `array_index_of`.

use std::fmt::Write;

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, StringBuilder};
use datafusion::common::Result;
use datafusion::logical_expr::Expr;
use kql_syntax::ast::ScalarType;

use super::dynamic::{to_json_value, write_json_string};
use super::scan::{Elem, array_items, object_members, parse_root};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg, string_arg, typed_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc, i64_arg};

fn dynamic_arg(args: &[Arg], index: usize) -> Result<Expr, FnError> {
    typed_arg(args, index, &[ScalarType::Dynamic], "dynamic").map(|(e, _)| e)
}

/// The items of a dynamic value when it is an array.
fn items_of(text: Option<&str>) -> Option<Vec<&str>> {
    let text = text?;
    match parse_root(text)? {
        Elem::Composite(raw) if raw.starts_with('[') => array_items(raw),
        _ => None,
    }
}

fn eval_array_length(call: &Call) -> Result<ArrayRef> {
    let input = StrArg::new(call.arg(0)?)?;
    let mut out = Int64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(items_of(input.get(i)).map(|v| v.len() as i64));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_array_length(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = dynamic_arg(&args, 0)?;
    Ok(Typed::new(
        KqlUdf::new("array_length", ScalarType::Long, eval_array_length).call(vec![e]),
        ScalarType::Long,
    ))
}

fn eval_bag_keys(call: &Call) -> Result<ArrayRef> {
    let input = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        let members = input.get(i).and_then(parse_root).and_then(|e| match e {
            Elem::Composite(raw) if raw.starts_with('{') => object_members(raw),
            _ => None,
        });
        match members {
            Some(m) => {
                let _ = out.write_char('[');
                for (n, (k, _)) in m.iter().enumerate() {
                    if n > 0 {
                        let _ = out.write_char(',');
                    }
                    write_json_string(k, &mut out);
                }
                let _ = out.write_char(']');
                out.append_value("");
            }
            None => out.append_null(),
        }
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_bag_keys(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = dynamic_arg(&args, 0)?;
    Ok(Typed::new(
        KqlUdf::new("bag_keys", ScalarType::Dynamic, eval_bag_keys).call(vec![e]),
        ScalarType::Dynamic,
    ))
}

fn eval_pack_array(call: &Call) -> Result<ArrayRef> {
    let items = call.args.iter().map(StrArg::new).collect::<Result<Vec<_>>>()?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        let _ = out.write_char('[');
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                let _ = out.write_char(',');
            }
            let _ = out.write_str(item.get(i).unwrap_or("null"));
        }
        let _ = out.write_char(']');
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_pack_array(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, None)?;
    let mut values = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        let (e, ty) = expr_arg(&args, i)?;
        values.push(to_json_value(e, ty));
    }
    let expr = KqlUdf::new("pack_array", ScalarType::Dynamic, eval_pack_array).call(values);
    Ok(Typed::new(expr, ScalarType::Dynamic))
}

fn eval_bag_pack(call: &Call) -> Result<ArrayRef> {
    let parts = call.args.iter().map(StrArg::new).collect::<Result<Vec<_>>>()?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 32);
    for i in 0..call.rows {
        let _ = out.write_char('{');
        for (n, pair) in parts.chunks(2).enumerate() {
            if n > 0 {
                let _ = out.write_char(',');
            }
            write_json_string(pair[0].text(i), &mut out);
            let _ = out.write_char(':');
            let _ = out.write_str(pair.get(1).and_then(|v| v.get(i)).unwrap_or("null"));
        }
        let _ = out.write_char('}');
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_bag_pack(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    if args.is_empty() || !args.len().is_multiple_of(2) {
        return Err(FnError::Invalid {
            index: None,
            message: "`bag_pack` takes pairs of key and value".into(),
        });
    }
    let mut parts = Vec::with_capacity(args.len());
    for i in (0..args.len()).step_by(2) {
        parts.push(string_arg(&args, i)?);
        let (v, ty) = expr_arg(&args, i + 1)?;
        parts.push(to_json_value(v, ty));
    }
    let expr = KqlUdf::new("bag_pack", ScalarType::Dynamic, eval_bag_pack).call(parts);
    Ok(Typed::new(expr, ScalarType::Dynamic))
}

/// Whether two JSON elements hold the same value: numbers compare by value,
/// strings by their unescaped text, the rest by their compact text.
fn elem_equals(a: Elem<'_>, b: Elem<'_>) -> bool {
    match (a, b) {
        (Elem::Number(x), Elem::Number(y)) => {
            x == y || matches!((x.parse::<f64>(), y.parse::<f64>()), (Ok(p), Ok(q)) if p == q)
        }
        (Elem::Str(x, ex), Elem::Str(y, ey)) => Elem::str_text(x, ex) == Elem::str_text(y, ey),
        (Elem::Bool(x), Elem::Bool(y)) => x == y,
        (Elem::Null, Elem::Null) => true,
        (Elem::Composite(x), Elem::Composite(y)) => {
            x == y || super::value::compact_json(a) == super::value::compact_json(b)
        }
        _ => false,
    }
}

/// The indexes of the items of `array` equal to the JSON value `probe`.
fn matches<'a>(items: &'a [&'a str], probe: &'a str) -> impl Iterator<Item = usize> + 'a {
    let probe = parse_root(probe);
    items.iter().enumerate().filter_map(move |(i, raw)| {
        let item = Elem::classify(raw);
        probe.is_some_and(|p| elem_equals(item, p)).then_some(i)
    })
}

fn eval_set_has_element(call: &Call) -> Result<ArrayRef> {
    let set = StrArg::new(call.arg(0)?)?;
    let probe = StrArg::new(call.arg(1)?)?;
    let mut out = BooleanBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(items_of(set.get(i)).map(|items| {
            let p = probe.get(i).unwrap_or("null");
            matches(&items, p).next().is_some()
        }));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_set_has_element(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let set = dynamic_arg(&args, 0)?;
    let (v, ty) = expr_arg(&args, 1)?;
    let expr = KqlUdf::new("set_has_element", ScalarType::Bool, eval_set_has_element)
        .call(vec![set, to_json_value(v, ty)]);
    Ok(Typed::new(expr, ScalarType::Bool))
}

fn eval_array_index_of(call: &Call) -> Result<ArrayRef> {
    let arr = StrArg::new(call.arg(0)?)?;
    let probe = StrArg::new(call.arg(1)?)?;
    let start = i64_arg(call.arg(2)?)?;
    let length = i64_arg(call.arg(3)?)?;
    let occurrence = i64_arg(call.arg(4)?)?;
    let mut out = Int64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        let Some(items) = items_of(arr.get(i)) else {
            out.append_null();
            continue;
        };
        let (Some(start), Some(length), Some(occurrence)) = (start.get(i), length.get(i), occurrence.get(i))
        else {
            out.append_null();
            continue;
        };
        out.append_option(index_of(&items, probe.get(i).unwrap_or("null"), start, length, occurrence));
    }
    Ok(arc(out.finish()))
}

/// `array_index_of` on parsed items: -1 when not found, `None` for invalid
/// bounds.
fn index_of(items: &[&str], probe: &str, start: i64, length: i64, occurrence: i64) -> Option<i64> {
    let n = items.len() as i64;
    if occurrence < 1 || length < -1 {
        return None;
    }
    let start = if start < 0 { (n + start).max(0) } else { start };
    if start > n {
        return Some(-1);
    }
    let end = if length == -1 { n } else { (start + length).min(n) };
    let range = &items[start as usize..end.max(start) as usize];
    let found = matches(range, probe).nth((occurrence - 1) as usize);
    Some(found.map_or(-1, |i| i as i64 + start))
}

pub(crate) fn build_array_index_of(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(5))?;
    let arr = dynamic_arg(&args, 0)?;
    let (v, ty) = expr_arg(&args, 1)?;
    let mut call_args = vec![arr, to_json_value(v, ty)];
    for (i, default) in [(2, 0i64), (3, -1), (4, 1)] {
        if i < args.len() {
            let (e, _) = typed_arg(&args, i, &[ScalarType::Int, ScalarType::Long], "an integer")?;
            call_args.push(e);
        } else {
            call_args.push(datafusion::logical_expr::lit(default));
        }
    }
    let expr = KqlUdf::new("array_index_of", ScalarType::Long, eval_array_index_of).call(call_args);
    Ok(Typed::new(expr, ScalarType::Long))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_of_matches_the_docs_examples() {
        let items: Vec<&str> =
            [r#""this""#, r#""is""#, r#""an""#, r#""example""#, r#""an""#, r#""example""#].to_vec();
        let f = |p: &str, s, l, o| index_of(&items, &format!("\"{p}\""), s, l, o);
        assert_eq!(f("an", 0, -1, 1), Some(2));
        assert_eq!(f("example", 1, 3, 1), Some(3));
        assert_eq!(f("example", 1, 2, 1), Some(-1));
        assert_eq!(f("is", 2, 4, 1), Some(-1));
        assert_eq!(f("example", 2, -1, 1), Some(3));
        assert_eq!(f("an", 1, -1, 2), Some(4));
        assert_eq!(f("an", 1, -1, 3), Some(-1));
        assert_eq!(f("an", -3, -1, 1), Some(4));
        assert_eq!(f("is", -4, -1, 1), Some(-1));
    }

    #[test]
    fn elements_compare_by_value() {
        assert!(elem_equals(Elem::Number("1"), Elem::Number("1.0")));
        assert!(elem_equals(Elem::Str("é", false), Elem::Str(r"\u00e9", true)));
        assert!(!elem_equals(Elem::Str("1", false), Elem::Number("1")));
    }
}
