//! `tostring(x)`: any value as KQL prints it. Null becomes "".

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

use super::text::{write_datetime, write_decimal, write_real, write_timespan};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg};
use crate::types::{DECIMAL_SCALE, arrow_type};
use crate::udf::{Call, KqlUdf, Strings, arc};

/// `tostring` of `expr`, whose KQL type is `ty`.
pub fn to_string_expr(expr: Expr, ty: ScalarType) -> Expr {
    match ty {
        ScalarType::String => expr,
        ScalarType::Dynamic => crate::json::dynamic_to_string(expr),
        other => KqlUdf::new("tostring", ScalarType::String, eval_tostring).input(other).call(vec![expr]),
    }
}

pub(crate) fn build_tostring(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (expr, ty) = expr_arg(&args, 0)?;
    Ok(Typed::new(to_string_expr(expr, ty), ScalarType::String))
}

fn eval_tostring(call: &Call) -> Result<ArrayRef> {
    let array = call.arg(0)?.to_array(call.rows)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 8);
    write_text_values(&array, call.input, &mut out)?;
    Ok(arc(out.finish()))
}

/// Appends the text of each value of `array` (of KQL type `ty`) to `out`,
/// "" for null.
pub(crate) fn write_text_values(array: &ArrayRef, ty: ScalarType, out: &mut StringBuilder) -> Result<()> {
    let n = array.len();
    macro_rules! each {
        ($arr:expr, |$v:ident| $write:expr) => {{
            let a = $arr;
            for i in 0..n {
                if a.is_valid(i) {
                    let $v = a.value(i);
                    let _ = $write;
                }
                out.append_value("");
            }
        }};
    }
    match ty {
        ScalarType::String | ScalarType::Guid | ScalarType::Dynamic => {
            let s = Strings::new(array.as_ref())?;
            for i in 0..n {
                out.append_value(s.get(i).unwrap_or(""));
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
            each!(a.as_primitive::<Float64Type>(), |v| write_real(v, out))
        }
        ScalarType::Decimal => {
            let a = cast(array, &arrow_type(ScalarType::Decimal))?;
            each!(a.as_primitive::<Decimal128Type>(), |v| write_decimal(v, DECIMAL_SCALE, out))
        }
        ScalarType::DateTime => {
            let a = cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
            each!(a.as_primitive::<TimestampNanosecondType>(), |v| write_datetime(v, out))
        }
        ScalarType::TimeSpan => {
            let a = cast(array, &DataType::Duration(TimeUnit::Nanosecond))?;
            each!(a.as_primitive::<DurationNanosecondType>(), |v| write_timespan(v, out))
        }
    }
    Ok(())
}
