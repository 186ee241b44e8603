//! Calendar parts and boundaries of datetimes: `getyear`, `getmonth`,
//! `dayofmonth`, `dayofyear`, `hourofday`, `dayofweek`, `startofday` and the
//! other `startof*` / `endof*`.

use datafusion::arrow::array::{
    ArrayRef, DurationNanosecondBuilder, Int32Builder, TimestampNanosecondBuilder,
};
use datafusion::common::Result;
use datafusion::logical_expr::lit;
use kql_syntax::ast::ScalarType;

use crate::convert::text::{
    NS_PER_DAY, NS_PER_SEC, NS_PER_TICK, civil_from_days, days_from_civil, ns_from_parts,
};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, typed_arg};
use crate::udf::{Call, KqlUdf, arc, i64_arg, time_arg};

/// The calendar fields of a datetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    /// Nanoseconds since midnight.
    pub in_day: i64,
    /// Days since 1970-01-01.
    pub days: i64,
}

impl Civil {
    pub fn of(ns: i64) -> Civil {
        let days = ns.div_euclid(NS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Civil { year, month, day, in_day: ns.rem_euclid(NS_PER_DAY), days }
    }

    /// 0 for Sunday.
    pub fn weekday(&self) -> i64 {
        (self.days + 4).rem_euclid(7)
    }

    pub fn day_of_year(&self) -> i64 {
        self.days - days_from_civil(self.year, 1, 1) + 1
    }

    pub fn hour(&self) -> i64 {
        self.in_day / (3600 * NS_PER_SEC)
    }
}

/// Which part `param` asks for.
const YEAR: i64 = 0;
const MONTH: i64 = 1;
const DAY_OF_MONTH: i64 = 2;
const DAY_OF_YEAR: i64 = 3;
const HOUR: i64 = 4;

fn eval_int_part(call: &Call) -> Result<ArrayRef> {
    let t = time_arg(call.arg(0)?)?;
    let mut out = Int32Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(t.get(i).map(|ns| {
            let c = Civil::of(ns);
            let v = match call.param {
                YEAR => c.year,
                MONTH => i64::from(c.month),
                DAY_OF_MONTH => i64::from(c.day),
                DAY_OF_YEAR => c.day_of_year(),
                _ => c.hour(),
            };
            v as i32
        }));
    }
    Ok(arc(out.finish()))
}

fn build_int_part(args: Vec<Arg>, name: &str, part: i64) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (e, _) = typed_arg(&args, 0, &[ScalarType::DateTime], "a datetime")?;
    Ok(Typed::new(
        KqlUdf::new(name, ScalarType::Int, eval_int_part).param(part).call(vec![e]),
        ScalarType::Int,
    ))
}

pub(crate) fn build_getyear(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_int_part(a, "getyear", YEAR)
}
pub(crate) fn build_getmonth(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_int_part(a, "getmonth", MONTH)
}
pub(crate) fn build_dayofmonth(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_int_part(a, "dayofmonth", DAY_OF_MONTH)
}
pub(crate) fn build_dayofyear(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_int_part(a, "dayofyear", DAY_OF_YEAR)
}
pub(crate) fn build_hourofday(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build_int_part(a, "hourofday", HOUR)
}

fn eval_dayofweek(call: &Call) -> Result<ArrayRef> {
    let t = time_arg(call.arg(0)?)?;
    let mut out = DurationNanosecondBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(t.get(i).map(|ns| Civil::of(ns).weekday() * NS_PER_DAY));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_dayofweek(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (e, _) = typed_arg(&args, 0, &[ScalarType::DateTime], "a datetime")?;
    let e = KqlUdf::new("dayofweek", ScalarType::TimeSpan, eval_dayofweek).call(vec![e]);
    Ok(Typed::new(e, ScalarType::TimeSpan))
}

/// Calendar units for `startof*` / `endof*`.
pub(crate) const DAY: i64 = 0;
pub(crate) const WEEK: i64 = 1;
pub(crate) const MONTH_UNIT: i64 = 2;
pub(crate) const YEAR_UNIT: i64 = 3;

/// The start of the `unit` holding `ns`, moved by `offset` units.
pub(crate) fn start_of(ns: i64, unit: i64, offset: i64) -> Option<i64> {
    let c = Civil::of(ns);
    match unit {
        DAY => (c.days.checked_add(offset)?).checked_mul(NS_PER_DAY),
        WEEK => (c.days - c.weekday()).checked_add(offset.checked_mul(7)?)?.checked_mul(NS_PER_DAY),
        MONTH_UNIT => {
            let m = c.year * 12 + i64::from(c.month) - 1 + offset;
            ns_from_parts(m.div_euclid(12), (m.rem_euclid(12) + 1) as u32, 1, 0, 0, 0, 0)
        }
        _ => ns_from_parts(c.year.checked_add(offset)?, 1, 1, 0, 0, 0, 0),
    }
}

/// `param`: the unit, plus 4 for `endof*`.
fn eval_boundary(call: &Call) -> Result<ArrayRef> {
    let t = time_arg(call.arg(0)?)?;
    let offset = i64_arg(call.arg(1)?)?;
    let (unit, end) = (call.param % 4, call.param >= 4);
    let mut out = TimestampNanosecondBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(t.get(i).zip(offset.get(i)).and_then(|(ns, off)| {
            if end {
                start_of(ns, unit, off.checked_add(1)?).map(|v| v - NS_PER_TICK)
            } else {
                start_of(ns, unit, off)
            }
        }));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_boundary(args: Vec<Arg>, name: &str, param: i64) -> Result<Typed, FnError> {
    arity(&args, 1, Some(2))?;
    let (e, _) = typed_arg(&args, 0, &[ScalarType::DateTime], "a datetime")?;
    let offset = if args.len() == 2 {
        typed_arg(&args, 1, &[ScalarType::Int, ScalarType::Long], "an integer")?.0
    } else {
        lit(0i64)
    };
    let e = KqlUdf::new(name, ScalarType::DateTime, eval_boundary).param(param).call(vec![e, offset]);
    Ok(Typed::new(e, ScalarType::DateTime))
}

macro_rules! boundary {
    ($fn:ident, $name:literal, $param:expr) => {
        pub(crate) fn $fn(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
            build_boundary(args, $name, $param)
        }
    };
}

boundary!(build_startofday, "startofday", DAY);
boundary!(build_startofweek, "startofweek", WEEK);
boundary!(build_startofmonth, "startofmonth", MONTH_UNIT);
boundary!(build_startofyear, "startofyear", YEAR_UNIT);
boundary!(build_endofday, "endofday", DAY + 4);
boundary!(build_endofweek, "endofweek", WEEK + 4);
boundary!(build_endofmonth, "endofmonth", MONTH_UNIT + 4);
boundary!(build_endofyear, "endofyear", YEAR_UNIT + 4);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::text::{parse_datetime, write_datetime};

    fn show(ns: Option<i64>) -> String {
        let mut s = String::new();
        write_datetime(ns.expect("a datetime"), &mut s);
        s
    }

    fn at(s: &str) -> i64 {
        parse_datetime(s).expect("valid datetime")
    }

    #[test]
    fn boundaries() {
        let t = at("2017-01-01 10:10:17");
        assert_eq!(show(start_of(t, DAY, -1)), "2016-12-31T00:00:00.0000000Z");
        assert_eq!(show(start_of(t, DAY, 1)), "2017-01-02T00:00:00.0000000Z");
        assert_eq!(show(start_of(at("2017-09-30 23:59"), WEEK, 0)), "2017-09-24T00:00:00.0000000Z");
        assert_eq!(show(start_of(t, MONTH_UNIT, -1)), "2016-12-01T00:00:00.0000000Z");
        assert_eq!(show(start_of(t, YEAR_UNIT, 0)), "2017-01-01T00:00:00.0000000Z");
        assert_eq!(show(start_of(t, DAY, 1).map(|v| v - NS_PER_TICK)), "2017-01-01T23:59:59.9999999Z");
    }

    #[test]
    fn weekdays_and_parts() {
        assert_eq!(Civil::of(at("1947-11-30 10:00:05")).weekday(), 0);
        assert_eq!(Civil::of(at("1970-05-11")).weekday(), 1);
        assert_eq!(Civil::of(at("1970-05-12")).weekday(), 2);
        let c = Civil::of(at("2015-10-12 13:45"));
        assert_eq!((c.year, c.month, c.day, c.hour(), c.day_of_year()), (2015, 10, 12, 13, 285));
    }
}
