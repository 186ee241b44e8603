//! Functions that build new dynamic values from arrays and property bags:
//! `array_concat`, `array_sort_asc`/`desc`, `array_slice`, `array_reverse`,
//! `array_iff`, `array_sum`, `strcat_array`, `zip`, `bag_has_key`,
//! `bag_remove_keys`, `bag_set_key`, `bag_merge`, and `gettype`.
//!
//! They share one evaluation function: every argument arrives as JSON text
//! (non-dynamic arguments go through [`to_json_value`]) and is parsed into a
//! [`Value`]; an operation from [`OPS`] computes the result value, which is
//! written out in the function's KQL type.

use std::cmp::Ordering;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{Expr, lit};
use kql_syntax::ast::ScalarType;
use serde_json::{Map, Value};

use super::dynamic::to_json_value;
use super::scan::parse_root;
use super::value::TypedBuilder;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg};
use crate::udf::{Call, KqlUdf, StrArg};

/// An operation over the parsed arguments (`None`: null).
type Op = fn(&[Option<Value>]) -> Option<Value>;

/// The operations, indexed by the UDF's parameter.
const OPS: &[(&str, Op)] = &[
    ("array_concat", array_concat),
    ("array_sort", array_sort),
    ("array_slice", array_slice),
    ("array_reverse", array_reverse),
    ("array_iff", array_iff),
    ("array_sum", array_sum),
    ("strcat_array", strcat_array),
    ("zip", zip),
    ("bag_has_key", bag_has_key),
    ("bag_remove_keys", bag_remove_keys),
    ("bag_set_key", bag_set_key),
    ("bag_merge", bag_merge),
    ("gettype", gettype_dynamic),
];

fn eval_op(call: &Call) -> Result<ArrayRef> {
    let Some((_, op)) = usize::try_from(call.param).ok().and_then(|i| OPS.get(i)) else {
        return exec_err!("unknown dynamic operation {}", call.param);
    };
    let args = call.args.iter().map(StrArg::new).collect::<Result<Vec<_>>>()?;
    let mut out = TypedBuilder::new(call.ret, call.rows);
    let mut values: Vec<Option<Value>> = Vec::with_capacity(args.len());
    for i in 0..call.rows {
        values.clear();
        values.extend(args.iter().map(|a| a.get(i).and_then(|t| serde_json::from_str(t).ok())));
        match op(&values) {
            Some(v) if !v.is_null() => {
                let text = v.to_string();
                out.append_elem(parse_root(&text));
            }
            _ => out.append_absent(),
        }
    }
    Ok(out.finish())
}

/// A call of operation `name` over `args`, all as JSON, returning `ret`.
fn call_op(name: &'static str, ret: ScalarType, args: Vec<Arg>) -> Result<Typed, FnError> {
    let index = OPS.iter().position(|(n, _)| *n == name).unwrap_or(usize::MAX);
    let mut json = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        let (e, ty) = expr_arg(&args, i)?;
        json.push(to_json_value(e, ty));
    }
    Ok(op_expr(name, index, ret, json))
}

fn op_expr(name: &'static str, index: usize, ret: ScalarType, json: Vec<Expr>) -> Typed {
    let expr = KqlUdf::new(name, ret, eval_op).param(index as i64).call(json);
    Typed::new(expr, ret)
}

fn array(v: &Option<Value>) -> Option<&Vec<Value>> {
    v.as_ref().and_then(Value::as_array)
}

fn bag(v: &Option<Value>) -> Option<&Map<String, Value>> {
    v.as_ref().and_then(Value::as_object)
}

fn int(v: &Option<Value>) -> Option<i64> {
    v.as_ref().and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

/// KQL's truth of a dynamic value: `true`, or a number other than 0.
fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        _ => None,
    }
}

/// The text `tostring` gives a dynamic value: strings unquoted, null empty.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Arrays.

fn array_concat(args: &[Option<Value>]) -> Option<Value> {
    let mut out = Vec::new();
    for a in args {
        out.extend(array(a)?.iter().cloned());
    }
    Some(Value::Array(out))
}

/// Orders two elements: numbers by value, strings by text, then by kind.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or(f64::NAN).total_cmp(&y.as_f64().unwrap_or(f64::NAN))
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => kind_rank(a).cmp(&kind_rank(b)).then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

fn kind_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// Arguments: `[descending, nulls_last, array1, array2, ...]`. One array
/// gives the sorted array; several give the arrays reordered by the first.
fn array_sort(args: &[Option<Value>]) -> Option<Value> {
    let [desc, nulls_last, arrays @ ..] = args else { return None };
    let desc = desc.as_ref().and_then(Value::as_bool).unwrap_or(false);
    let nulls_last = nulls_last.as_ref().and_then(Value::as_bool).unwrap_or(true);
    let first = array(arrays.first()?)?;
    let all: Vec<&Vec<Value>> = arrays.iter().map(array).collect::<Option<_>>()?;
    if all.iter().any(|a| a.len() != first.len()) {
        return None;
    }
    let mut order: Vec<usize> = (0..first.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&first[i], &first[j]);
        match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if nulls_last {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, true) => {
                if nulls_last {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, false) if desc => compare(b, a),
            (false, false) => compare(a, b),
        }
    });
    let sorted: Vec<Value> =
        all.iter().map(|a| Value::Array(order.iter().map(|&i| a[i].clone()).collect())).collect();
    if sorted.len() == 1 { sorted.into_iter().next() } else { Some(Value::Array(sorted)) }
}

fn array_slice(args: &[Option<Value>]) -> Option<Value> {
    let items = array(args.first()?)?;
    let n = items.len() as i64;
    let fix = |i: i64| if i < 0 { i + n } else { i };
    let start = fix(int(args.get(1)?)?).max(0);
    let end = fix(int(args.get(2)?)?).min(n - 1);
    if start > end || start >= n {
        return Some(Value::Array(Vec::new()));
    }
    Some(Value::Array(items[start as usize..=end as usize].to_vec()))
}

fn array_reverse(args: &[Option<Value>]) -> Option<Value> {
    let mut items = array(args.first()?)?.clone();
    items.reverse();
    Some(Value::Array(items))
}

/// One value of `array_iff`'s second or third argument: the element at `i`
/// of an array, or the scalar itself.
fn pick(v: &Option<Value>, i: usize) -> Value {
    match v {
        Some(Value::Array(items)) => items.get(i).cloned().unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

fn array_iff(args: &[Option<Value>]) -> Option<Value> {
    let conditions = array(args.first()?)?;
    let (when_true, when_false) = (args.get(1)?, args.get(2)?);
    let out = conditions
        .iter()
        .enumerate()
        .map(|(i, c)| match truthy(c) {
            Some(true) => pick(when_true, i),
            Some(false) => pick(when_false, i),
            None => Value::Null,
        })
        .collect();
    Some(Value::Array(out))
}

fn array_sum(args: &[Option<Value>]) -> Option<Value> {
    let items = array(args.first()?)?;
    let mut sum = 0.0;
    for v in items {
        sum += v.as_f64()?;
    }
    serde_json::Number::from_f64(sum).map(Value::Number)
}

fn strcat_array(args: &[Option<Value>]) -> Option<Value> {
    let items = array(args.first()?)?;
    let delimiter = args.get(1)?.as_ref().map(text_of).unwrap_or_default();
    let parts: Vec<String> = items.iter().map(text_of).collect();
    Some(Value::String(parts.join(&delimiter)))
}

fn zip(args: &[Option<Value>]) -> Option<Value> {
    let arrays: Vec<&Vec<Value>> = args.iter().map(array).collect::<Option<_>>()?;
    let longest = arrays.iter().map(|a| a.len()).max().unwrap_or(0);
    let rows = (0..longest)
        .map(|i| Value::Array(arrays.iter().map(|a| a.get(i).cloned().unwrap_or(Value::Null)).collect()))
        .collect();
    Some(Value::Array(rows))
}

// ---------------------------------------------------------------------------
// Property bags.

/// The keys of a key argument: `$.a.b` or `$['a']` paths, or a plain key.
fn key_path(key: &str) -> Vec<String> {
    let Some(rest) = key.strip_prefix('$') else { return vec![key.to_string()] };
    let mut out = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out.push(r[..end].to_string());
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            let end = r.find(['\'', '"']).unwrap_or(r.len());
            out.push(r[..end].to_string());
            rest = r.get(end + 2..).unwrap_or("");
        } else {
            break;
        }
    }
    out
}

fn key_arg(v: &Option<Value>) -> Option<Vec<String>> {
    let path = key_path(v.as_ref()?.as_str()?);
    (!path.is_empty()).then_some(path)
}

fn bag_has_key(args: &[Option<Value>]) -> Option<Value> {
    let mut node = bag(args.first()?)?;
    let path = key_arg(args.get(1)?)?;
    for (n, key) in path.iter().enumerate() {
        match node.get(key) {
            Some(_) if n + 1 == path.len() => return Some(Value::Bool(true)),
            Some(Value::Object(inner)) => node = inner,
            _ => return Some(Value::Bool(false)),
        }
    }
    Some(Value::Bool(false))
}

fn remove_path(node: &mut Map<String, Value>, path: &[String]) {
    match path {
        [] => {}
        [key] => {
            node.shift_remove(key);
        }
        [key, rest @ ..] => {
            if let Some(Value::Object(inner)) = node.get_mut(key) {
                remove_path(inner, rest);
            }
        }
    }
}

fn bag_remove_keys(args: &[Option<Value>]) -> Option<Value> {
    let mut out = bag(args.first()?)?.clone();
    for key in array(args.get(1)?)? {
        if let Some(path) = key_arg(&Some(key.clone())) {
            remove_path(&mut out, &path);
        }
    }
    Some(Value::Object(out))
}

fn set_path(node: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [key] => {
            node.insert(key.clone(), value);
        }
        [key, rest @ ..] => {
            let entry = node.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                set_path(inner, rest, value);
            }
        }
    }
}

fn bag_set_key(args: &[Option<Value>]) -> Option<Value> {
    let mut out = bag(args.first()?)?.clone();
    let path = key_arg(args.get(1)?)?;
    let value = args.get(2)?.clone().unwrap_or(Value::Null);
    set_path(&mut out, &path, value);
    Some(Value::Object(out))
}

fn bag_merge(args: &[Option<Value>]) -> Option<Value> {
    let mut out = Map::new();
    for a in args {
        for (k, v) in bag(a)? {
            if !out.contains_key(k) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Some(Value::Object(out))
}

// ---------------------------------------------------------------------------
// gettype.

/// The type name of a dynamic value.
fn gettype_dynamic(args: &[Option<Value>]) -> Option<Value> {
    let name = match args.first()? {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "bool",
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => match n.as_i64() {
            Some(v) if i32::try_from(v).is_ok() => "int",
            _ => "long",
        },
        Some(Value::Number(_)) => "real",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "dictionary",
    };
    Some(Value::String(name.to_string()))
}

// ---------------------------------------------------------------------------
// Builders.

fn at_least_dynamic(args: &[Arg], from: usize, to: usize) -> Result<(), FnError> {
    for i in from..to {
        let (_, ty) = expr_arg(args, i)?;
        if ty != ScalarType::Dynamic {
            return Err(FnError::ArgType { index: i, expected: "dynamic".into(), got: ty });
        }
    }
    Ok(())
}

pub(crate) fn build_array_concat(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, None)?;
    at_least_dynamic(&args, 0, args.len())?;
    call_op("array_concat", ScalarType::Dynamic, args)
}

fn build_sort(args: Vec<Arg>, desc: bool) -> Result<Typed, FnError> {
    arity(&args, 1, None)?;
    let (last, last_ty) = expr_arg(&args, args.len() - 1)?;
    let (arrays, nulls_last) = if last_ty == ScalarType::Bool && args.len() > 1 {
        (args.len() - 1, last)
    } else {
        (args.len(), lit(true))
    };
    at_least_dynamic(&args, 0, arrays)?;
    let mut json =
        vec![to_json_value(lit(desc), ScalarType::Bool), to_json_value(nulls_last, ScalarType::Bool)];
    for i in 0..arrays {
        json.push(expr_arg(&args, i)?.0);
    }
    let index = OPS.iter().position(|(n, _)| *n == "array_sort").unwrap_or(usize::MAX);
    Ok(op_expr(if desc { "array_sort_desc" } else { "array_sort_asc" }, index, ScalarType::Dynamic, json))
}

pub(crate) fn build_array_sort_asc(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_sort(args, false)
}

pub(crate) fn build_array_sort_desc(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_sort(args, true)
}

pub(crate) fn build_array_slice(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    at_least_dynamic(&args, 0, 1)?;
    call_op("array_slice", ScalarType::Dynamic, args)
}

pub(crate) fn build_array_reverse(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    at_least_dynamic(&args, 0, 1)?;
    call_op("array_reverse", ScalarType::Dynamic, args)
}

pub(crate) fn build_array_iff(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    at_least_dynamic(&args, 0, 1)?;
    call_op("array_iff", ScalarType::Dynamic, args)
}

pub(crate) fn build_array_sum(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    at_least_dynamic(&args, 0, 1)?;
    call_op("array_sum", ScalarType::Real, args)
}

pub(crate) fn build_strcat_array(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    at_least_dynamic(&args, 0, 1)?;
    call_op("strcat_array", ScalarType::String, args)
}

pub(crate) fn build_zip(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(16))?;
    at_least_dynamic(&args, 0, args.len())?;
    call_op("zip", ScalarType::Dynamic, args)
}

pub(crate) fn build_bag_has_key(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    at_least_dynamic(&args, 0, 1)?;
    call_op("bag_has_key", ScalarType::Bool, args)
}

pub(crate) fn build_bag_remove_keys(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    at_least_dynamic(&args, 0, 2)?;
    call_op("bag_remove_keys", ScalarType::Dynamic, args)
}

pub(crate) fn build_bag_set_key(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    at_least_dynamic(&args, 0, 1)?;
    call_op("bag_set_key", ScalarType::Dynamic, args)
}

pub(crate) fn build_bag_merge(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(64))?;
    at_least_dynamic(&args, 0, args.len())?;
    call_op("bag_merge", ScalarType::Dynamic, args)
}

/// `gettype(x)`: the KQL type of a typed value is known while planning; a
/// dynamic value is inspected per row.
pub(crate) fn build_gettype(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (_, ty) = expr_arg(&args, 0)?;
    if ty != ScalarType::Dynamic {
        return Ok(Typed::new(lit(ty.name()), ScalarType::String));
    }
    call_op("gettype", ScalarType::String, args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(op: Op, args: &[Value]) -> Option<Value> {
        let args: Vec<Option<Value>> = args.iter().map(|v| (!v.is_null()).then(|| v.clone())).collect();
        op(&args)
    }

    #[test]
    fn array_functions_match_the_docs() {
        assert_eq!(run(array_concat, &[json!([1, 2]), json!([3])]), Some(json!([1, 2, 3])));
        assert_eq!(run(array_concat, &[json!([1]), json!("x")]), None);
        assert_eq!(run(array_slice, &[json!([1, 2, 3]), json!(1), json!(2)]), Some(json!([2, 3])));
        assert_eq!(run(array_slice, &[json!([1, 2, 3, 4]), json!(-2), json!(-1)]), Some(json!([3, 4])));
        assert_eq!(run(array_reverse, &[json!([1, "a"])]), Some(json!(["a", 1])));
        assert_eq!(
            run(array_iff, &[json!([true, false, true]), json!([1, 2, 3]), json!([4, 5, 6])]),
            Some(json!([1, 5, 3]))
        );
        assert_eq!(
            run(array_iff, &[json!([1, 0, 50]), json!("yes"), json!("no")]),
            Some(json!(["yes", "no", "yes"]))
        );
        assert_eq!(
            run(array_iff, &[json!([true, true, true]), json!([1, 2]), json!([3, 4])]),
            Some(json!([1, 2, null]))
        );
        assert_eq!(run(array_sum, &[json!([1, 2, 3, 4])]), Some(json!(10.0)));
        assert_eq!(run(strcat_array, &[json!([1, 2, 3]), json!("\"")]), Some(json!("1\"2\"3")));
        assert_eq!(
            run(zip, &[json!(["A", 1, 1.5]), json!([{}, "B"])]),
            Some(json!([["A", {}], [1, "B"], [1.5, null]]))
        );
    }

    #[test]
    fn sorting_with_nulls_and_companions() {
        let colors = json!([null, "blue", "yellow", "green", null]);
        let sort = |desc, nulls_last| run(array_sort, &[json!(desc), json!(nulls_last), colors.clone()]);
        assert_eq!(sort(true, true), Some(json!(["yellow", "green", "blue", null, null])));
        assert_eq!(sort(false, false), Some(json!([null, null, "blue", "green", "yellow"])));
        assert_eq!(
            run(array_sort, &[json!(false), json!(true), json!([3, 1, 2]), json!(["c", "a", "b"])]),
            Some(json!([[1, 2, 3], ["a", "b", "c"]]))
        );
        assert_eq!(run(array_sort, &[json!(false), json!(true), json!([3, 1]), json!(["c"])]), None);
    }

    #[test]
    fn bag_functions_match_the_docs() {
        let nested = json!({"key1": 123, "key2": {"prop1": "abc", "prop2": "xyz"}, "key3": [100, 200]});
        assert_eq!(run(bag_has_key, &[nested.clone(), json!("$.key2.prop1")]), Some(json!(true)));
        assert_eq!(run(bag_has_key, &[nested.clone(), json!("key4")]), Some(json!(false)));
        assert_eq!(
            run(bag_remove_keys, &[nested, json!(["$.key2.prop1", "key3"])]),
            Some(json!({"key1": 123, "key2": {"prop2": "xyz"}}))
        );
        assert_eq!(
            run(bag_set_key, &[json!({"key1": 123}), json!("$.key2.prop1"), json!("abc")]),
            Some(json!({"key1": 123, "key2": {"prop1": "abc"}}))
        );
        let merged = run(bag_merge, &[json!({"A1": 12, "B1": 2}), json!({"A2": 81, "A1": 1})]);
        assert_eq!(merged.map(|v| v.to_string()), Some(r#"{"A1":12,"B1":2,"A2":81}"#.to_string()));
    }

    #[test]
    fn gettype_of_dynamic_values() {
        let name = |v: Value| run(gettype_dynamic, &[v]);
        assert_eq!(name(json!(1)), Some(json!("int")));
        assert_eq!(name(json!(5_000_000_000_i64)), Some(json!("long")));
        assert_eq!(name(json!(1.5)), Some(json!("real")));
        assert_eq!(name(json!([1])), Some(json!("array")));
        assert_eq!(name(json!({"a": 1})), Some(json!("dictionary")));
        assert_eq!(name(Value::Null), Some(json!("null")));
    }
}
