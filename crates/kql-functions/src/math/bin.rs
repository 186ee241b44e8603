//! `bin(value, roundTo)` (alias `floor`) and `bin_at(value, bin, fixed)`:
//! round down to a multiple of a bin size, for numbers, datetimes and
//! timespans. Datetimes count bins from 0001-01-01, as KQL's ticks do; for
//! bins that divide a day this is the same as counting from 1970-01-01.

use datafusion::arrow::array::{
    ArrayRef, DurationNanosecondBuilder, Float64Builder, Int32Builder, Int64Builder,
    TimestampNanosecondBuilder,
};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Expr, lit};
use kql_syntax::ast::ScalarType;

use crate::convert::text::{DAYS_0001_TO_1970, NS_PER_DAY};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg};
use crate::udf::{Call, KqlUdf, arc, f64_arg, i64_arg, span_arg, time_arg};

/// `value` rounded down to `fixed + k * size`.
fn floor_to(value: i128, size: i128, fixed: i128) -> Option<i64> {
    if size <= 0 {
        return None;
    }
    i64::try_from((value - fixed).div_euclid(size) * size + fixed).ok()
}

fn floor_real(value: f64, size: f64, fixed: f64) -> Option<f64> {
    (size > 0.0).then(|| ((value - fixed) / size).floor() * size + fixed)
}

/// Nanoseconds from 1970-01-01 back to 0001-01-01.
const EPOCH_0001_NS: i128 = -(DAYS_0001_TO_1970 as i128) * NS_PER_DAY as i128;

fn eval_bin(call: &Call) -> Result<ArrayRef> {
    let rows = call.rows;
    match call.ret {
        ScalarType::Real => {
            let (v, s, f) = (f64_arg(call.arg(0)?)?, f64_arg(call.arg(1)?)?, f64_arg(call.arg(2)?)?);
            let mut out = Float64Builder::with_capacity(rows);
            for i in 0..rows {
                let fixed = f.get(i).unwrap_or(0.0);
                out.append_option(v.get(i).zip(s.get(i)).and_then(|(v, s)| floor_real(v, s, fixed)));
            }
            Ok(arc(out.finish()))
        }
        ScalarType::DateTime => {
            let (v, s) = (time_arg(call.arg(0)?)?, span_arg(call.arg(1)?)?);
            let f = time_arg(call.arg(2)?)?;
            let mut out = TimestampNanosecondBuilder::with_capacity(rows);
            for i in 0..rows {
                let fixed = f.get(i).map_or(EPOCH_0001_NS, i128::from);
                out.append_option(
                    v.get(i).zip(s.get(i)).and_then(|(v, s)| floor_to(v.into(), s.into(), fixed)),
                );
            }
            Ok(arc(out.finish()))
        }
        ScalarType::TimeSpan => {
            let (v, s, f) = (span_arg(call.arg(0)?)?, span_arg(call.arg(1)?)?, span_arg(call.arg(2)?)?);
            let mut out = DurationNanosecondBuilder::with_capacity(rows);
            for i in 0..rows {
                let fixed = f.get(i).map_or(0, i128::from);
                out.append_option(
                    v.get(i).zip(s.get(i)).and_then(|(v, s)| floor_to(v.into(), s.into(), fixed)),
                );
            }
            Ok(arc(out.finish()))
        }
        ty => {
            let (v, s, f) = (i64_arg(call.arg(0)?)?, i64_arg(call.arg(1)?)?, i64_arg(call.arg(2)?)?);
            let values = (0..rows).map(|i| {
                let fixed = f.get(i).map_or(0, i128::from);
                v.get(i).zip(s.get(i)).and_then(|(v, s)| floor_to(v.into(), s.into(), fixed))
            });
            if ty == ScalarType::Int {
                let mut out = Int32Builder::with_capacity(rows);
                values.for_each(|x| out.append_option(x.and_then(|x| i32::try_from(x).ok())));
                Ok(arc(out.finish()))
            } else {
                let mut out = Int64Builder::with_capacity(rows);
                values.for_each(|x| out.append_option(x));
                Ok(arc(out.finish()))
            }
        }
    }
}

/// The result type of binning a `value` by a `size`, or `None` when the
/// pair does not bin.
fn bin_type(value: ScalarType, size: ScalarType) -> Option<ScalarType> {
    use ScalarType::*;
    Some(match (value, size) {
        (DateTime, TimeSpan) => DateTime,
        (TimeSpan, TimeSpan) => TimeSpan,
        (Int, Int | Long) => Int,
        (Long, Int | Long) => Long,
        (Int | Long | Real | Decimal, Int | Long | Real | Decimal) => Real,
        _ => return None,
    })
}

/// `bin(value, size)` of typed expressions, or `None` when the types do not
/// bin. The planner uses this for `summarize ... by bin(...)` as well.
pub fn bin_expr(value: Expr, value_ty: ScalarType, size: Expr, size_ty: ScalarType) -> Option<Typed> {
    let ty = bin_type(value_ty, size_ty)?;
    Some(Typed::new(bin_call(value, size, null_of(ty), ty), ty))
}

fn null_of(ty: ScalarType) -> Expr {
    lit(ScalarValue::try_from(&crate::types::arrow_type(ty)).unwrap_or(ScalarValue::Null))
}

fn bin_call(value: Expr, size: Expr, fixed: Expr, ty: ScalarType) -> Expr {
    KqlUdf::new("bin", ty, eval_bin).call(vec![value, size, fixed])
}

pub(crate) fn build_bin(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let (v, vt) = expr_arg(&args, 0)?;
    let (s, st) = expr_arg(&args, 1)?;
    bin_expr(v, vt, s, st).ok_or_else(|| FnError::ArgType {
        index: 1,
        expected: format!("a bin size that fits a `{vt}` value"),
        got: st,
    })
}

pub(crate) fn build_bin_at(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let (v, vt) = expr_arg(&args, 0)?;
    let (s, st) = expr_arg(&args, 1)?;
    let (f, ft) = expr_arg(&args, 2)?;
    let ty = bin_type(vt, st).ok_or_else(|| FnError::ArgType {
        index: 1,
        expected: format!("a bin size that fits a `{vt}` value"),
        got: st,
    })?;
    let fits = match ty {
        ScalarType::DateTime => ft == ScalarType::DateTime,
        ScalarType::TimeSpan => ft == ScalarType::TimeSpan,
        _ => crate::registry::NUMERIC.contains(&ft),
    };
    if !fits {
        return Err(FnError::ArgType {
            index: 2,
            expected: format!("a fixed point of type `{vt}`"),
            got: ft,
        });
    }
    Ok(Typed::new(bin_call(v, s, f, ty), ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors() {
        assert_eq!(floor_real(4.5, 1.0, 0.0), Some(4.0));
        assert_eq!(floor_real(-4.5, 1.0, 0.0), Some(-5.0));
        assert_eq!(floor_real(6.5, 2.5, 7.0), Some(4.5));
        assert_eq!(floor_to(16, 7, 0), Some(14));
        assert_eq!(floor_to(-1, 10, 0), Some(-10));
        assert_eq!(floor_to(5, 0, 0), None);
        // bin_at(time(1h), 1d, 12h) is -12h.
        let h = 3_600_000_000_000i128;
        assert_eq!(floor_to(h, 24 * h, 12 * h), Some(-12 * h as i64));
    }

    #[test]
    fn datetimes_count_from_year_one() {
        let day = NS_PER_DAY as i128;
        // Whole days agree with the Unix epoch...
        let t = 1_000 * day + 123;
        assert_eq!(floor_to(t, day, EPOCH_0001_NS), Some(1_000 * NS_PER_DAY));
        // ...weeks start on Mondays (0001-01-01 was one), not Thursdays.
        let thursday = 0i128; // 1970-01-01
        assert_eq!(floor_to(thursday, 7 * day, EPOCH_0001_NS), Some(-3 * NS_PER_DAY));
    }
}
