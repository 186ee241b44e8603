//! `datetime_diff`, `datetime_add` and `datetime_part`: calendar arithmetic
//! by a named part (`'year'`, `'month'`, ... `'nanosecond'`).

use datafusion::arrow::array::{ArrayRef, Int32Builder, Int64Builder, TimestampNanosecondBuilder};
use datafusion::common::Result;
use kql_syntax::ast::ScalarType;

use super::parts::{Civil, WEEK, start_of};
use crate::convert::text::{NS_PER_DAY, NS_PER_SEC, days_in_month, ns_from_parts};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, const_string_arg, invalid, typed_arg};
use crate::udf::{Call, KqlUdf, arc, i64_arg, time_arg};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

const PARTS: [Part; 11] = [
    Part::Year,
    Part::Quarter,
    Part::Month,
    Part::Week,
    Part::Day,
    Part::Hour,
    Part::Minute,
    Part::Second,
    Part::Millisecond,
    Part::Microsecond,
    Part::Nanosecond,
];

fn parse_part(name: &str) -> Option<Part> {
    Some(match name.to_ascii_lowercase().as_str() {
        "year" => Part::Year,
        "quarter" => Part::Quarter,
        "month" => Part::Month,
        "week" | "week_of_year" => Part::Week,
        "day" => Part::Day,
        "hour" => Part::Hour,
        "minute" => Part::Minute,
        "second" => Part::Second,
        "millisecond" => Part::Millisecond,
        "microsecond" => Part::Microsecond,
        "nanosecond" => Part::Nanosecond,
        _ => return None,
    })
}

fn part_arg(args: &[Arg], index: usize) -> Result<Part, FnError> {
    let name = const_string_arg(args, index, "the part")?;
    parse_part(&name).ok_or_else(|| invalid(index, &format!("unknown datetime part `{name}`")))
}

fn part_code(p: Part) -> i64 {
    PARTS.iter().position(|q| *q == p).unwrap_or(0) as i64
}

fn part_of(code: i64) -> Part {
    PARTS.get(code as usize).copied().unwrap_or(Part::Day)
}

/// Nanoseconds in a fixed-length part.
fn fixed_ns(p: Part) -> i64 {
    match p {
        Part::Day => NS_PER_DAY,
        Part::Hour => 3600 * NS_PER_SEC,
        Part::Minute => 60 * NS_PER_SEC,
        Part::Second => NS_PER_SEC,
        Part::Millisecond => 1_000_000,
        Part::Microsecond => 1_000,
        _ => 1,
    }
}

/// `datetime_diff(part, a, b)`: how many part boundaries lie between `b` and
/// `a` (positive when `a` is later).
fn diff(p: Part, a: i64, b: i64) -> i64 {
    let (ca, cb) = (Civil::of(a), Civil::of(b));
    let months = |c: &Civil| c.year * 12 + i64::from(c.month) - 1;
    match p {
        Part::Year => ca.year - cb.year,
        Part::Quarter => months(&ca).div_euclid(3) - months(&cb).div_euclid(3),
        Part::Month => months(&ca) - months(&cb),
        Part::Week => {
            let wa = start_of(a, WEEK, 0).unwrap_or(a);
            let wb = start_of(b, WEEK, 0).unwrap_or(b);
            (wa - wb).div_euclid(7 * NS_PER_DAY)
        }
        _ => {
            let unit = fixed_ns(p);
            a.div_euclid(unit) - b.div_euclid(unit)
        }
    }
}

fn eval_diff(call: &Call) -> Result<ArrayRef> {
    let p = part_of(call.param);
    let (a, b) = (time_arg(call.arg(0)?)?, time_arg(call.arg(1)?)?);
    let mut out = Int64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(a.get(i).zip(b.get(i)).map(|(x, y)| diff(p, x, y)));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_datetime_diff(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let p = part_arg(&args, 0)?;
    let (a, _) = typed_arg(&args, 1, &[ScalarType::DateTime], "a datetime")?;
    let (b, _) = typed_arg(&args, 2, &[ScalarType::DateTime], "a datetime")?;
    let e = KqlUdf::new("datetime_diff", ScalarType::Long, eval_diff).param(part_code(p)).call(vec![a, b]);
    Ok(Typed::new(e, ScalarType::Long))
}

/// `ns` moved by `amount` parts; months and years keep the day of the month
/// when it exists and clamp it otherwise.
fn add(p: Part, amount: i64, ns: i64) -> Option<i64> {
    let months = match p {
        Part::Year => amount.checked_mul(12)?,
        Part::Quarter => amount.checked_mul(3)?,
        Part::Month => amount,
        Part::Week => return ns.checked_add(amount.checked_mul(7 * NS_PER_DAY)?),
        _ => return ns.checked_add(amount.checked_mul(fixed_ns(p))?),
    };
    let c = Civil::of(ns);
    let m = (c.year * 12 + i64::from(c.month) - 1).checked_add(months)?;
    let (y, mo) = (m.div_euclid(12), (m.rem_euclid(12) + 1) as u32);
    let day = c.day.min(days_in_month(y, mo));
    ns_from_parts(y, mo, day, 0, 0, 0, 0)?.checked_add(c.in_day)
}

fn eval_add(call: &Call) -> Result<ArrayRef> {
    let p = part_of(call.param);
    let (amount, t) = (i64_arg(call.arg(0)?)?, time_arg(call.arg(1)?)?);
    let mut out = TimestampNanosecondBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(amount.get(i).zip(t.get(i)).and_then(|(a, ns)| add(p, a, ns)));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_datetime_add(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let p = part_arg(&args, 0)?;
    let (amount, _) = typed_arg(&args, 1, &[ScalarType::Int, ScalarType::Long], "an integer")?;
    let (t, _) = typed_arg(&args, 2, &[ScalarType::DateTime], "a datetime")?;
    let e =
        KqlUdf::new("datetime_add", ScalarType::DateTime, eval_add).param(part_code(p)).call(vec![amount, t]);
    Ok(Typed::new(e, ScalarType::DateTime))
}

/// `datetime_part(part, t)`; `week` is the ISO 8601 week of the year.
fn part_value(p: Part, ns: i64) -> i64 {
    let c = Civil::of(ns);
    match p {
        Part::Year => c.year,
        Part::Quarter => (i64::from(c.month) - 1) / 3 + 1,
        Part::Month => i64::from(c.month),
        Part::Week => iso_week(&c),
        Part::Day => i64::from(c.day),
        Part::Hour => c.hour(),
        Part::Minute => c.in_day / (60 * NS_PER_SEC) % 60,
        Part::Second => c.in_day / NS_PER_SEC % 60,
        Part::Millisecond => c.in_day % NS_PER_SEC / 1_000_000,
        Part::Microsecond => c.in_day % NS_PER_SEC / 1_000,
        Part::Nanosecond => c.in_day % NS_PER_SEC,
    }
}

fn iso_week(c: &Civil) -> i64 {
    // ISO weekday: Monday 1 .. Sunday 7. The week belongs to the year of its Thursday.
    let iso_wd = (c.weekday() + 6) % 7 + 1;
    let thursday = c.days - iso_wd + 4;
    let ty = Civil::of(thursday * NS_PER_DAY);
    (thursday - crate::convert::text::days_from_civil(ty.year, 1, 1)) / 7 + 1
}

fn eval_part(call: &Call) -> Result<ArrayRef> {
    let p = part_of(call.param);
    let t = time_arg(call.arg(0)?)?;
    let mut out = Int32Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(t.get(i).map(|ns| part_value(p, ns) as i32));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_datetime_part(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let p = part_arg(&args, 0)?;
    let (t, _) = typed_arg(&args, 1, &[ScalarType::DateTime], "a datetime")?;
    let e = KqlUdf::new("datetime_part", ScalarType::Int, eval_part).param(part_code(p)).call(vec![t]);
    Ok(Typed::new(e, ScalarType::Int))
}

pub(crate) fn build_week_of_year(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (t, _) = typed_arg(&args, 0, &[ScalarType::DateTime], "a datetime")?;
    let e =
        KqlUdf::new("week_of_year", ScalarType::Int, eval_part).param(part_code(Part::Week)).call(vec![t]);
    Ok(Typed::new(e, ScalarType::Int))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::text::{parse_datetime, write_datetime};

    fn at(s: &str) -> i64 {
        parse_datetime(s).expect("valid datetime")
    }

    #[test]
    fn diff_matches_the_docs_examples() {
        assert_eq!(diff(Part::Year, at("2017-01-01"), at("2000-12-31")), 17);
        assert_eq!(diff(Part::Quarter, at("2017-07-01"), at("2017-03-30")), 2);
        assert_eq!(diff(Part::Month, at("2017-01-01"), at("2015-12-30")), 13);
        assert_eq!(diff(Part::Week, at("2017-10-29 00:00"), at("2017-09-30 23:59")), 5);
        assert_eq!(diff(Part::Day, at("2017-10-29 00:00"), at("2017-09-30 23:59")), 29);
        assert_eq!(diff(Part::Hour, at("2017-10-31 01:00"), at("2017-10-30 23:59")), 2);
        assert_eq!(diff(Part::Minute, at("2017-10-30 23:05:01"), at("2017-10-30 23:00:59")), 5);
        assert_eq!(diff(Part::Second, at("2017-10-30 23:00:10.100"), at("2017-10-30 23:00:00.900")), 10);
        assert_eq!(
            diff(Part::Millisecond, at("2017-10-30 23:00:00.200100"), at("2017-10-30 23:00:00.100900")),
            100
        );
        assert_eq!(
            diff(Part::Microsecond, at("2017-10-30 23:00:00.1009001"), at("2017-10-30 23:00:00.1008009")),
            100
        );
        assert_eq!(
            diff(Part::Nanosecond, at("2017-10-30 23:00:00.0000000"), at("2017-10-30 23:00:00.0000007")),
            -700
        );
    }

    #[test]
    fn add_and_parts() {
        let show = |ns: Option<i64>| {
            let mut s = String::new();
            write_datetime(ns.expect("in range"), &mut s);
            s
        };
        assert_eq!(show(add(Part::Month, 1, at("2017-01-31 10:00"))), "2017-02-28T10:00:00.0000000Z");
        assert_eq!(show(add(Part::Year, -1, at("2016-02-29"))), "2015-02-28T00:00:00.0000000Z");
        assert_eq!(show(add(Part::Hour, 25, at("2017-01-01"))), "2017-01-02T01:00:00.0000000Z");
        assert_eq!(part_value(Part::Week, at("2021-01-03")), 53);
        assert_eq!(part_value(Part::Week, at("2021-01-04")), 1);
        assert_eq!(part_value(Part::Quarter, at("2021-08-04")), 3);
        assert_eq!(part_value(Part::Millisecond, at("2021-08-04 01:02:03.456789")), 456);
    }
}
