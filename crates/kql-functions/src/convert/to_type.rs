//! `toint`, `tolong`, `todouble`, `tobool`, `todatetime`, `totimespan`,
//! `toguid`, `todecimal`: conversions that yield null when the value does not
//! convert.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampNanosecondType};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, try_cast};
use kql_syntax::ast::ScalarType;

use super::text::{DAYS_0001_TO_1970, NS_PER_DAY, NS_PER_TICK};
use crate::json::scan::{Elem, parse_root};
use crate::json::value::TypedBuilder;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg};
use crate::types::arrow_type;
use crate::udf::{Call, KqlUdf, StrArg, arc};

/// `expr` (of KQL type `from`) converted to KQL type `to` the way the `to*`
/// functions do, or `None` when KQL has no such conversion.
pub fn convert(expr: Expr, from: ScalarType, to: ScalarType) -> Option<Expr> {
    use ScalarType::*;
    if from == to {
        return Some(expr);
    }
    Some(match (from, to) {
        (_, String) => super::to_string_expr(expr, from),
        (String, Dynamic) => crate::json::parse_json_expr(expr),
        (_, Dynamic) => crate::json::to_json_value(expr, from),
        (String | Guid, _) => KqlUdf::new(format!("to{to}"), to, eval_from_text).call(vec![expr]),
        (Dynamic, _) => KqlUdf::new(format!("to{to}"), to, eval_from_dynamic).call(vec![expr]),
        (Bool | Int | Long | Real | Decimal, Bool | Int | Long | Real | Decimal) => {
            try_cast(expr, arrow_type(to))
        }
        (DateTime, Long) | (TimeSpan, Long) => {
            KqlUdf::new("tolong", Long, eval_ticks).input(from).call(vec![expr])
        }
        (Int | Long, TimeSpan) => {
            let ns = try_cast(expr, DataType::Int64) * datafusion::logical_expr::lit(NS_PER_TICK);
            try_cast(ns, arrow_type(TimeSpan))
        }
        _ => return None,
    })
}

/// Builds a `to<T>(x)` call.
pub(crate) fn build_to(to: ScalarType, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (expr, from) = expr_arg(&args, 0)?;
    match convert(expr, from, to) {
        Some(e) => Ok(Typed::new(e, to)),
        None => {
            Err(FnError::ArgType { index: 0, expected: format!("a value convertible to `{to}`"), got: from })
        }
    }
}

pub(crate) fn build_toint(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::Int, a)
}
pub(crate) fn build_tolong(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::Long, a)
}
pub(crate) fn build_toreal(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::Real, a)
}
pub(crate) fn build_tobool(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::Bool, a)
}
pub(crate) fn build_todatetime(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::DateTime, a)
}
pub(crate) fn build_totimespan(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::TimeSpan, a)
}
pub(crate) fn build_toguid(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::Guid, a)
}
pub(crate) fn build_todecimal(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_to(ScalarType::Decimal, a)
}

/// Text to `call.ret`.
fn eval_from_text(call: &Call) -> Result<ArrayRef> {
    let input = StrArg::new(call.arg(0)?)?;
    let mut out = TypedBuilder::new(call.ret, call.rows);
    for i in 0..call.rows {
        // Unescaped text reads as the contents of a JSON string.
        out.append_elem(input.get(i).map(|t| Elem::Str(t, false)));
    }
    Ok(out.finish())
}

/// A dynamic value to `call.ret`.
fn eval_from_dynamic(call: &Call) -> Result<ArrayRef> {
    let input = StrArg::new(call.arg(0)?)?;
    let mut out = TypedBuilder::new(call.ret, call.rows);
    for i in 0..call.rows {
        out.append_elem(input.get(i).and_then(parse_root));
    }
    Ok(out.finish())
}

/// A datetime or timespan as 100 ns ticks; datetimes count from 0001-01-01.
fn eval_ticks(call: &Call) -> Result<ArrayRef> {
    let array = call.arg(0)?.to_array(call.rows)?;
    let offset =
        if call.input == ScalarType::DateTime { DAYS_0001_TO_1970 * (NS_PER_DAY / NS_PER_TICK) } else { 0 };
    let ns = match call.input {
        ScalarType::DateTime => cast(&array, &DataType::Timestamp(TimeUnit::Nanosecond, None))?,
        _ => cast(&cast(&array, &DataType::Duration(TimeUnit::Nanosecond))?, &DataType::Int64)?,
    };
    let mut out = Int64Builder::with_capacity(call.rows);
    match ns.as_primitive_opt::<TimestampNanosecondType>() {
        Some(a) => {
            for i in 0..a.len() {
                out.append_option(a.is_valid(i).then(|| a.value(i).div_euclid(NS_PER_TICK) + offset));
            }
        }
        None => {
            let a = ns.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            for i in 0..a.len() {
                out.append_option(a.is_valid(i).then(|| a.value(i) / NS_PER_TICK));
            }
        }
    }
    Ok(arc(out.finish()))
}
