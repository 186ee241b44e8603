//! `now()`, `ago()` and the `unixtime_*_todatetime` family.

use datafusion::arrow::array::{ArrayRef, TimestampNanosecondBuilder};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Expr, lit};
use kql_syntax::ast::ScalarType;

use crate::registry::{Arg, CallContext, FnError, NUMERIC, Typed, arity, typed_arg};
use crate::udf::{Call, KqlUdf, arc, f64_arg, span_arg, time_arg};

fn now_lit(ctx: &CallContext) -> Expr {
    lit(ScalarValue::TimestampNanosecond(Some(ctx.now_ticks_ns), None))
}

/// `datetime + sign * timespan`, null when it leaves the representable range.
pub fn add_timespan(datetime: Expr, timespan: Expr, negate: bool) -> Expr {
    KqlUdf::new(
        if negate { "datetime_sub" } else { "datetime_add_span" },
        ScalarType::DateTime,
        eval_add_span,
    )
    .param(i64::from(negate))
    .call(vec![datetime, timespan])
}

fn eval_add_span(call: &Call) -> Result<ArrayRef> {
    let (t, d) = (time_arg(call.arg(0)?)?, span_arg(call.arg(1)?)?);
    let mut out = TimestampNanosecondBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(
            t.get(i)
                .zip(d.get(i))
                .and_then(|(t, d)| if call.param == 1 { t.checked_sub(d) } else { t.checked_add(d) }),
        );
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_now(ctx: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 0, Some(1))?;
    let expr = if args.is_empty() {
        now_lit(ctx)
    } else {
        let (offset, _) = typed_arg(&args, 0, &[ScalarType::TimeSpan], "a timespan")?;
        add_timespan(now_lit(ctx), offset, false)
    };
    Ok(Typed::new(expr, ScalarType::DateTime))
}

pub(crate) fn build_ago(ctx: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (span, _) = typed_arg(&args, 0, &[ScalarType::TimeSpan], "a timespan")?;
    Ok(Typed::new(add_timespan(now_lit(ctx), span, true), ScalarType::DateTime))
}

/// `param`: nanoseconds per unit of the input.
fn eval_unixtime(call: &Call) -> Result<ArrayRef> {
    let v = f64_arg(call.arg(0)?)?;
    let scale = call.param as f64;
    let mut out = TimestampNanosecondBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(v.get(i).and_then(|x| {
            let ns = (x * scale).round();
            (ns.is_finite() && ns.abs() < 9.2e18).then_some(ns as i64)
        }));
    }
    Ok(arc(out.finish()))
}

fn build_unixtime(args: Vec<Arg>, name: &str, ns_per_unit: i64) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (v, _) = typed_arg(&args, 0, NUMERIC, "a number")?;
    let e = KqlUdf::new(name, ScalarType::DateTime, eval_unixtime).param(ns_per_unit).call(vec![v]);
    Ok(Typed::new(e, ScalarType::DateTime))
}

pub(crate) fn build_unixtime_seconds(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_unixtime(a, "unixtime_seconds_todatetime", 1_000_000_000)
}
pub(crate) fn build_unixtime_milliseconds(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_unixtime(a, "unixtime_milliseconds_todatetime", 1_000_000)
}
pub(crate) fn build_unixtime_microseconds(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_unixtime(a, "unixtime_microseconds_todatetime", 1_000)
}
pub(crate) fn build_unixtime_nanoseconds(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_unixtime(a, "unixtime_nanoseconds_todatetime", 1)
}
