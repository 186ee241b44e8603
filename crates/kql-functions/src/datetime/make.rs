//! Values built from their calendar or clock parts: `make_datetime` and
//! `make_timespan`. A part out of its range gives null rather than carrying
//! into the next unit.

use datafusion::arrow::array::{ArrayRef, DurationNanosecondBuilder, TimestampNanosecondBuilder};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, lit};
use kql_syntax::ast::ScalarType;

use crate::convert::text::{NS_PER_DAY, NS_PER_SEC, NS_PER_TICK, ns_from_parts};
use crate::registry::{Arg, CallContext, FnError, NUMERIC, Typed, arity, typed_arg};
use crate::udf::{Call, KqlUdf, arc, f64_arg, i64_arg};

/// Seconds (`0 <= s < 60`, fractions kept to the 100 ns tick) as
/// nanoseconds.
fn seconds_ns(seconds: f64) -> Option<i64> {
    if !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let ticks = (seconds * 1e7).round() as i64;
    Some(ticks.min(60 * 10_000_000 - 1) * NS_PER_TICK)
}

/// `make_datetime` on one row: nanoseconds since the Unix epoch.
fn make_datetime(year: i64, month: i64, day: i64, hour: i64, minute: i64, seconds: f64) -> Option<i64> {
    if !(0..=9999).contains(&year) || !(0..=23).contains(&hour) || !(0..=59).contains(&minute) {
        return None;
    }
    let (month, day) = (u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    let start = ns_from_parts(year, month, day, hour as u32, minute as u32, 0, 0)?;
    start.checked_add(seconds_ns(seconds)?)
}

/// `make_timespan` on one row, from its four parts: nanoseconds.
fn make_timespan(days: i64, hours: i64, minutes: i64, seconds: f64) -> Option<i64> {
    if !(0..=23).contains(&hours) || !(0..=59).contains(&minutes) {
        return None;
    }
    let clock = (hours * 3600 + minutes * 60) * NS_PER_SEC + seconds_ns(seconds)?;
    days.checked_mul(NS_PER_DAY)?.checked_add(if days < 0 { -clock } else { clock })
}

/// A numeric argument, or `default` when the call leaves it out.
fn part(args: &[Arg], index: usize, default: Expr) -> Result<Expr, FnError> {
    if index >= args.len() {
        return Ok(default);
    }
    typed_arg(args, index, NUMERIC, "a number").map(|(e, _)| e)
}

fn eval_make_datetime(call: &Call) -> Result<ArrayRef> {
    let ints = (0..5).map(|i| i64_arg(call.arg(i)?)).collect::<Result<Vec<_>>>()?;
    let seconds = f64_arg(call.arg(5)?)?;
    let mut out = TimestampNanosecondBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        let p: Option<Vec<i64>> = ints.iter().map(|a| a.get(i)).collect();
        out.append_option(
            p.zip(seconds.get(i)).and_then(|(p, s)| make_datetime(p[0], p[1], p[2], p[3], p[4], s)),
        );
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_make_datetime(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(6))?;
    let mut call_args = (0..5).map(|i| part(&args, i, lit(0i64))).collect::<Result<Vec<_>, _>>()?;
    call_args.push(part(&args, 5, lit(0.0f64))?);
    let e = KqlUdf::new("make_datetime", ScalarType::DateTime, eval_make_datetime).call(call_args);
    Ok(Typed::new(e, ScalarType::DateTime))
}

fn eval_make_timespan(call: &Call) -> Result<ArrayRef> {
    let ints = (0..3).map(|i| i64_arg(call.arg(i)?)).collect::<Result<Vec<_>>>()?;
    let seconds = f64_arg(call.arg(3)?)?;
    let mut out = DurationNanosecondBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        let p: Option<Vec<i64>> = ints.iter().map(|a| a.get(i)).collect();
        out.append_option(p.zip(seconds.get(i)).and_then(|(p, s)| make_timespan(p[0], p[1], p[2], s)));
    }
    Ok(arc(out.finish()))
}

/// The arguments name (hour, minute), (hour, minute, second) or (day, hour,
/// minute, second); the UDF always takes all four.
pub(crate) fn build_make_timespan(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(4))?;
    let call_args = if args.len() == 4 {
        vec![
            part(&args, 0, lit(0i64))?,
            part(&args, 1, lit(0i64))?,
            part(&args, 2, lit(0i64))?,
            part(&args, 3, lit(0.0f64))?,
        ]
    } else {
        vec![lit(0i64), part(&args, 0, lit(0i64))?, part(&args, 1, lit(0i64))?, part(&args, 2, lit(0.0f64))?]
    };
    let e = KqlUdf::new("make_timespan", ScalarType::TimeSpan, eval_make_timespan).call(call_args);
    Ok(Typed::new(e, ScalarType::TimeSpan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::text::{write_datetime, write_timespan};

    fn date(v: Option<i64>) -> String {
        let mut s = String::new();
        write_datetime(v.expect("a datetime"), &mut s);
        s
    }

    fn span(v: Option<i64>) -> String {
        let mut s = String::new();
        write_timespan(v.expect("a timespan"), &mut s);
        s
    }

    #[test]
    fn datetimes_like_the_docs() {
        assert_eq!(date(make_datetime(2017, 10, 1, 0, 0, 0.0)), "2017-10-01T00:00:00.0000000Z");
        assert_eq!(date(make_datetime(2017, 10, 1, 12, 10, 0.0)), "2017-10-01T12:10:00.0000000Z");
        assert_eq!(date(make_datetime(2017, 10, 1, 12, 11, 0.1234567)), "2017-10-01T12:11:00.1234567Z");
        assert_eq!(date(make_datetime(2024, 2, 29, 23, 59, 59.9999999)), "2024-02-29T23:59:59.9999999Z");
        assert_eq!(make_datetime(2023, 2, 29, 0, 0, 0.0), None);
        assert_eq!(make_datetime(2017, 13, 1, 0, 0, 0.0), None);
        assert_eq!(make_datetime(2017, 1, 1, 24, 0, 0.0), None);
        assert_eq!(make_datetime(2017, 1, 1, 0, 0, 60.0), None);
    }

    #[test]
    fn timespans_like_the_docs() {
        assert_eq!(span(make_timespan(1, 12, 30, 55.123)), "1.12:30:55.1230000");
        assert_eq!(span(make_timespan(0, 12, 30, 0.0)), "12:30:00");
        assert_eq!(span(make_timespan(-2, 1, 0, 0.0)), "-2.01:00:00");
        assert_eq!(make_timespan(0, 24, 0, 0.0), None);
        assert_eq!(make_timespan(0, 1, 60, 0.0), None);
    }
}
