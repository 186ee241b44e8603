//! Numeric functions: `abs`, `round`, `ceiling`, `sign`, `sqrt`, `exp`,
//! `log`, `log2`, `log10`, `pow`, `isnan`, `isinf`, `isfinite`.

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder, Int32Builder, Int64Builder,
};
use datafusion::common::Result;
use datafusion::logical_expr::{lit, try_cast};
use kql_syntax::ast::ScalarType;

use crate::registry::{Arg, CallContext, FnError, NUMERIC, Typed, arity, typed_arg};
use crate::types::arrow_type;
use crate::udf::{Call, KqlUdf, arc, f64_arg, i64_arg, span_arg};

fn eval_abs(call: &Call) -> Result<ArrayRef> {
    let rows = call.rows;
    match call.input {
        ScalarType::Real | ScalarType::Decimal => {
            let v = f64_arg(call.arg(0)?)?;
            let mut out = Float64Builder::with_capacity(rows);
            (0..rows).for_each(|i| out.append_option(v.get(i).map(f64::abs)));
            Ok(arc(out.finish()))
        }
        ScalarType::TimeSpan => {
            let v = span_arg(call.arg(0)?)?;
            let mut out = DurationNanosecondBuilder::with_capacity(rows);
            (0..rows).for_each(|i| out.append_option(v.get(i).and_then(i64::checked_abs)));
            Ok(arc(out.finish()))
        }
        ScalarType::Int => {
            let v = i64_arg(call.arg(0)?)?;
            let mut out = Int32Builder::with_capacity(rows);
            (0..rows).for_each(|i| out.append_option(v.get(i).and_then(|x| i32::try_from(x.abs()).ok())));
            Ok(arc(out.finish()))
        }
        _ => {
            let v = i64_arg(call.arg(0)?)?;
            let mut out = Int64Builder::with_capacity(rows);
            (0..rows).for_each(|i| out.append_option(v.get(i).and_then(i64::checked_abs)));
            Ok(arc(out.finish()))
        }
    }
}

pub(crate) fn build_abs(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let allowed =
        [ScalarType::Int, ScalarType::Long, ScalarType::Real, ScalarType::Decimal, ScalarType::TimeSpan];
    let (e, ty) = typed_arg(&args, 0, &allowed, "a number or timespan")?;
    let ret = if ty == ScalarType::Decimal { ScalarType::Real } else { ty };
    Ok(Typed::new(KqlUdf::new("abs", ret, eval_abs).input(ty).call(vec![e]), ret))
}

/// Rounds half away from zero at `digits` decimal places. The scaled value
/// is first snapped to 12 significant digits so that `round(2.15, 1)` sees
/// the 21.5 the text means, not the 21.4999... the binary value holds.
pub(crate) fn round_half_away(v: f64, digits: i64) -> f64 {
    if !v.is_finite() {
        return v;
    }
    let digits = digits.clamp(-300, 300) as i32;
    let scale = 10f64.powi(digits.abs());
    let scaled = if digits >= 0 { v * scale } else { v / scale };
    let snapped: f64 = format!("{scaled:.11e}").parse().unwrap_or(scaled);
    let r = snapped.round();
    if digits >= 0 { r / scale } else { r * scale }
}

fn eval_round(call: &Call) -> Result<ArrayRef> {
    let v = f64_arg(call.arg(0)?)?;
    let d = i64_arg(call.arg(1)?)?;
    let mut out = Float64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(v.get(i).zip(d.get(i)).map(|(v, d)| round_half_away(v, d)));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_round(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(2))?;
    let (e, ty) = typed_arg(&args, 0, NUMERIC, "a number")?;
    let digits = if args.len() == 2 {
        typed_arg(&args, 1, &[ScalarType::Int, ScalarType::Long], "an integer")?.0
    } else {
        lit(0i64)
    };
    let rounded = KqlUdf::new("round", ScalarType::Real, eval_round).call(vec![e, digits]);
    // Integers keep their type.
    let (expr, ty) = match ty {
        ScalarType::Int | ScalarType::Long => (try_cast(rounded, arrow_type(ty)), ty),
        _ => (rounded, ScalarType::Real),
    };
    Ok(Typed::new(expr, ty))
}

/// Operations of [`eval_real`].
const CEILING: i64 = 0;
const SQRT: i64 = 1;
const EXP: i64 = 2;
const LOG: i64 = 3;
const LOG2: i64 = 4;
const LOG10: i64 = 5;
const SIGN: i64 = 6;
const POW: i64 = 7;

fn eval_real(call: &Call) -> Result<ArrayRef> {
    let v = f64_arg(call.arg(0)?)?;
    let y = if call.param == POW { Some(f64_arg(call.arg(1)?)?) } else { None };
    let mut out = Float64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        let r = v.get(i).and_then(|x| {
            let r = match call.param {
                CEILING => x.ceil(),
                SQRT => x.sqrt(),
                EXP => x.exp(),
                LOG => x.ln(),
                LOG2 => x.log2(),
                LOG10 => x.log10(),
                SIGN if x == 0.0 => 0.0,
                SIGN => x.signum(),
                _ => x.powf(y.as_ref()?.get(i)?),
            };
            // KQL gives null where the math is undefined.
            (!r.is_nan() || x.is_nan()).then_some(r)
        });
        out.append_option(r);
    }
    Ok(arc(out.finish()))
}

fn build_real(args: Vec<Arg>, name: &str, op: i64) -> Result<Typed, FnError> {
    let n = if op == POW { 2 } else { 1 };
    arity(&args, n, Some(n))?;
    let mut call_args = vec![typed_arg(&args, 0, NUMERIC, "a number")?.0];
    if op == POW {
        call_args.push(typed_arg(&args, 1, NUMERIC, "a number")?.0);
    }
    Ok(Typed::new(KqlUdf::new(name, ScalarType::Real, eval_real).param(op).call(call_args), ScalarType::Real))
}

macro_rules! real_fn {
    ($fn:ident, $name:literal, $op:expr) => {
        pub(crate) fn $fn(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
            build_real(args, $name, $op)
        }
    };
}

real_fn!(build_ceiling, "ceiling", CEILING);
real_fn!(build_sqrt, "sqrt", SQRT);
real_fn!(build_exp, "exp", EXP);
real_fn!(build_log, "log", LOG);
real_fn!(build_log2, "log2", LOG2);
real_fn!(build_log10, "log10", LOG10);
real_fn!(build_sign, "sign", SIGN);
real_fn!(build_pow, "pow", POW);

/// `param`: 0 isnan, 1 isinf, 2 isfinite.
fn eval_class(call: &Call) -> Result<ArrayRef> {
    let v = f64_arg(call.arg(0)?)?;
    let mut out = BooleanBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(v.get(i).map(|x| match call.param {
            0 => x.is_nan(),
            1 => x.is_infinite(),
            _ => x.is_finite(),
        }));
    }
    Ok(arc(out.finish()))
}

fn build_class(args: Vec<Arg>, name: &str, param: i64) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = typed_arg(&args, 0, NUMERIC, "a number")?.0;
    Ok(Typed::new(
        KqlUdf::new(name, ScalarType::Bool, eval_class).param(param).call(vec![e]),
        ScalarType::Bool,
    ))
}

pub(crate) fn build_isnan(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_class(a, "isnan", 0)
}
pub(crate) fn build_isinf(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_class(a, "isinf", 1)
}
pub(crate) fn build_isfinite(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_class(a, "isfinite", 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_like_the_docs() {
        assert_eq!(round_half_away(2.98765, 3), 2.988);
        assert_eq!(round_half_away(2.15, 1), 2.2);
        assert_eq!(round_half_away(2.15, 0), 2.0);
        assert_eq!(round_half_away(-50.55, -2), -100.0);
        assert_eq!(round_half_away(21.5, -1), 20.0);
        assert_eq!(round_half_away(2.5, 0), 3.0);
    }
}
