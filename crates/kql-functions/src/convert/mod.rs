//! Conversions between KQL types, null and emptiness tests, and the
//! conditional functions.

mod conditional;
pub(crate) mod text;
pub use text::{format_datetime, format_timespan, parse_datetime, parse_timespan};
mod to_string;
mod to_type;

pub use conditional::is_empty_expr;
pub use to_string::to_string_expr;
pub use to_type::convert;

use kql_syntax::ast::ScalarType;

use crate::registry::FunctionDef;
use crate::registry::FunctionKind::Scalar;

/// The type two values are brought to when they meet (in `iff`, `coalesce`,
/// arithmetic): the wider number, or the type itself; `None` when they do not
/// mix.
pub fn common_type(a: ScalarType, b: ScalarType) -> Option<ScalarType> {
    use ScalarType::*;
    if a == b {
        return Some(a);
    }
    let rank = |t| match t {
        Int => Some(0),
        Long => Some(1),
        Decimal => Some(2),
        Real => Some(3),
        _ => None,
    };
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => Some(if x >= y { a } else { b }),
        _ => None,
    }
}

macro_rules! def {
    ($name:literal, $sig:literal, $summary:literal, $build:path) => {
        FunctionDef { name: $name, kind: Scalar, summary: $summary, signature: $sig, build: $build }
    };
}

/// The conversion and conditional functions.
pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    def!("tostring", "tostring(value)", "The value as text; null becomes \"\".", to_string::build_tostring),
    def!(
        "toint",
        "toint(value)",
        "The value as an `int`; null when it does not convert.",
        to_type::build_toint
    ),
    def!(
        "tolong",
        "tolong(value)",
        "The value as a `long`; datetimes and timespans give 100 ns ticks; null when it does not convert.",
        to_type::build_tolong
    ),
    def!(
        "todouble",
        "todouble(value)",
        "The value as a `real`; null when it does not convert.",
        to_type::build_toreal
    ),
    def!("toreal", "toreal(value)", "Same as `todouble`.", to_type::build_toreal),
    def!(
        "tobool",
        "tobool(value)",
        "The value as a `bool` (`true`/`false` in any case, or a number other than 0); null when it does not convert.",
        to_type::build_tobool
    ),
    def!("toboolean", "toboolean(value)", "Same as `tobool`.", to_type::build_tobool),
    def!(
        "todatetime",
        "todatetime(value)",
        "The value as a `datetime` (ISO 8601 or RFC 2822 text); null when it does not convert.",
        to_type::build_todatetime
    ),
    def!(
        "totimespan",
        "totimespan(value)",
        "The value as a `timespan` (`d.hh:mm:ss.fffffff` or `1.5h`-style text); null when it does not convert.",
        to_type::build_totimespan
    ),
    def!(
        "toguid",
        "toguid(value)",
        "The value as a `guid`; null when it does not convert.",
        to_type::build_toguid
    ),
    def!(
        "todecimal",
        "todecimal(value)",
        "The value as a `decimal`; null when it does not convert.",
        to_type::build_todecimal
    ),
    def!(
        "isnull",
        "isnull(value)",
        "Whether the value is null (a string never is).",
        conditional::build_isnull
    ),
    def!("isnotnull", "isnotnull(value)", "Whether the value is not null.", conditional::build_isnotnull),
    def!(
        "isempty",
        "isempty(value)",
        "Whether the value is null or the empty string.",
        conditional::build_isempty
    ),
    def!(
        "isnotempty",
        "isnotempty(value)",
        "Whether the value is neither null nor the empty string.",
        conditional::build_isnotempty
    ),
    def!(
        "iff",
        "iff(condition, then, else)",
        "`then` when the condition is true, `else` otherwise (null counts as false).",
        conditional::build_iff
    ),
    def!("iif", "iif(condition, then, else)", "Same as `iff`.", conditional::build_iff),
    def!(
        "coalesce",
        "coalesce(value1, value2 [, ...])",
        "The first argument that is not null (for strings: not empty).",
        conditional::build_coalesce
    ),
];
