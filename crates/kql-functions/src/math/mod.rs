//! Numeric functions and `bin`.

mod basic;
mod bin;
mod extremes;

pub use bin::bin_expr;

use crate::registry::FunctionDef;
use crate::registry::FunctionKind::Scalar;

macro_rules! def {
    ($name:literal, $sig:literal, $summary:literal, $build:path) => {
        FunctionDef { name: $name, kind: Scalar, summary: $summary, signature: $sig, build: $build }
    };
}

/// The numeric functions.
pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    def!(
        "bin",
        "bin(value, roundTo)",
        "Rounds a number, datetime or timespan down to a multiple of the bin size (datetimes count from 0001-01-01).",
        bin::build_bin
    ),
    def!("floor", "floor(value, roundTo)", "Same as `bin`.", bin::build_bin),
    def!(
        "bin_at",
        "bin_at(value, bin_size, fixed_point)",
        "Like `bin`, with bins aligned so that one starts at `fixed_point`.",
        bin::build_bin_at
    ),
    def!("abs", "abs(x)", "The absolute value of a number or timespan.", basic::build_abs),
    def!(
        "round",
        "round(number [, precision])",
        "Rounds half away from zero to `precision` decimal places (negative: to tens, hundreds...).",
        basic::build_round
    ),
    def!(
        "ceiling",
        "ceiling(number)",
        "The smallest integer not below the number, as a real.",
        basic::build_ceiling
    ),
    def!("sqrt", "sqrt(number)", "The square root; null for negative numbers.", basic::build_sqrt),
    def!("exp", "exp(x)", "e raised to the power x.", basic::build_exp),
    def!("log", "log(number)", "The natural logarithm; null for negative numbers.", basic::build_log),
    def!("log2", "log2(number)", "The base-2 logarithm.", basic::build_log2),
    def!("log10", "log10(number)", "The base-10 logarithm.", basic::build_log10),
    def!("pow", "pow(base, exponent)", "`base` raised to the power `exponent`.", basic::build_pow),
    def!("sign", "sign(number)", "-1, 0 or 1 by the sign of the number.", basic::build_sign),
    def!("isnan", "isnan(number)", "Whether the number is NaN.", basic::build_isnan),
    def!("isinf", "isinf(number)", "Whether the number is infinite.", basic::build_isinf),
    def!(
        "isfinite",
        "isfinite(number)",
        "Whether the number is neither infinite nor NaN.",
        basic::build_isfinite
    ),
    def!(
        "max_of",
        "max_of(arg1, arg2 [, ...])",
        "The largest argument, nulls ignored; null when all are null.",
        extremes::build_max_of
    ),
    def!(
        "min_of",
        "min_of(arg1, arg2 [, ...])",
        "The smallest argument, nulls ignored; null when all are null.",
        extremes::build_min_of
    ),
];
