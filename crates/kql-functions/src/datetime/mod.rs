//! Datetime and timespan functions. `bin` on datetimes lives with the other
//! `bin` cases in [`crate::math`].

mod diff;
mod format;
mod make;
mod now;
pub(crate) mod parts;

pub use now::add_timespan;

use crate::registry::FunctionDef;
use crate::registry::FunctionKind::Scalar;

macro_rules! def {
    ($name:literal, $sig:literal, $summary:literal, $build:path) => {
        FunctionDef { name: $name, kind: Scalar, summary: $summary, signature: $sig, build: $build }
    };
}

/// The datetime functions.
pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    def!(
        "now",
        "now([offset])",
        "The time the query started (fixed for the whole query), plus an optional offset.",
        now::build_now
    ),
    def!("ago", "ago(timespan)", "`now()` minus the timespan.", now::build_ago),
    def!("getyear", "getyear(date)", "The year of a datetime.", parts::build_getyear),
    def!("getmonth", "getmonth(date)", "The month (1-12) of a datetime.", parts::build_getmonth),
    def!("monthofyear", "monthofyear(date)", "Same as `getmonth`.", parts::build_getmonth),
    def!(
        "dayofmonth",
        "dayofmonth(date)",
        "The day of the month (1-31) of a datetime.",
        parts::build_dayofmonth
    ),
    def!(
        "dayofyear",
        "dayofyear(date)",
        "The day of the year (1-366) of a datetime.",
        parts::build_dayofyear
    ),
    def!("hourofday", "hourofday(date)", "The hour (0-23) of a datetime.", parts::build_hourofday),
    def!(
        "dayofweek",
        "dayofweek(date)",
        "Days since the preceding Sunday, as a timespan.",
        parts::build_dayofweek
    ),
    def!(
        "week_of_year",
        "week_of_year(date)",
        "The ISO 8601 week number of a datetime.",
        diff::build_week_of_year
    ),
    def!(
        "startofday",
        "startofday(date [, offset])",
        "Midnight of the day, moved by `offset` days.",
        parts::build_startofday
    ),
    def!(
        "startofweek",
        "startofweek(date [, offset])",
        "Midnight of the week's Sunday, moved by `offset` weeks.",
        parts::build_startofweek
    ),
    def!(
        "startofmonth",
        "startofmonth(date [, offset])",
        "The first instant of the month, moved by `offset` months.",
        parts::build_startofmonth
    ),
    def!(
        "startofyear",
        "startofyear(date [, offset])",
        "The first instant of the year, moved by `offset` years.",
        parts::build_startofyear
    ),
    def!(
        "endofday",
        "endofday(date [, offset])",
        "The last tick (100 ns) of the day, moved by `offset` days.",
        parts::build_endofday
    ),
    def!(
        "endofweek",
        "endofweek(date [, offset])",
        "The last tick of the week (Saturday), moved by `offset` weeks.",
        parts::build_endofweek
    ),
    def!(
        "endofmonth",
        "endofmonth(date [, offset])",
        "The last tick of the month, moved by `offset` months.",
        parts::build_endofmonth
    ),
    def!(
        "endofyear",
        "endofyear(date [, offset])",
        "The last tick of the year, moved by `offset` years.",
        parts::build_endofyear
    ),
    def!(
        "datetime_diff",
        "datetime_diff(period, datetime1, datetime2)",
        "Number of `period` boundaries between `datetime2` and `datetime1` (year, quarter, month, week, day, hour, minute, second, millisecond, microsecond, nanosecond).",
        diff::build_datetime_diff
    ),
    def!(
        "datetime_add",
        "datetime_add(period, amount, datetime)",
        "The datetime moved by `amount` periods; months and years clamp the day of the month.",
        diff::build_datetime_add
    ),
    def!(
        "datetime_part",
        "datetime_part(part, datetime)",
        "One calendar part of a datetime as an int.",
        diff::build_datetime_part
    ),
    def!(
        "format_datetime",
        "format_datetime(datetime, format)",
        "A datetime as text in a format such as `yyyy-MM-dd HH:mm:ss.fff`.",
        format::build_format_datetime
    ),
    def!(
        "format_timespan",
        "format_timespan(timespan, format)",
        "A timespan as text in a format such as `dd.hh:mm:ss.FF`.",
        format::build_format_timespan
    ),
    def!(
        "make_datetime",
        "make_datetime(year, month, day [, hour, minute [, second]])",
        "The datetime of the given date and time of day (seconds may have a fraction); null when a part is out of range.",
        make::build_make_datetime
    ),
    def!(
        "make_timespan",
        "make_timespan([day,] hour, minute [, second])",
        "The timespan of the given parts: two or three arguments start at the hour, four start at the day; null when a part is out of range.",
        make::build_make_timespan
    ),
    def!(
        "unixtime_seconds_todatetime",
        "unixtime_seconds_todatetime(seconds)",
        "The datetime that many seconds after 1970-01-01.",
        now::build_unixtime_seconds
    ),
    def!(
        "unixtime_milliseconds_todatetime",
        "unixtime_milliseconds_todatetime(milliseconds)",
        "The datetime that many milliseconds after 1970-01-01.",
        now::build_unixtime_milliseconds
    ),
    def!(
        "unixtime_microseconds_todatetime",
        "unixtime_microseconds_todatetime(microseconds)",
        "The datetime that many microseconds after 1970-01-01.",
        now::build_unixtime_microseconds
    ),
    def!(
        "unixtime_nanoseconds_todatetime",
        "unixtime_nanoseconds_todatetime(nanoseconds)",
        "The datetime that many nanoseconds after 1970-01-01.",
        now::build_unixtime_nanoseconds
    ),
];
