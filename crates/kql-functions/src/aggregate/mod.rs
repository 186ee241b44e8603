//! Aggregation functions for `summarize`. Most map onto DataFusion's
//! builtin aggregates; the `*if` forms add a filter. `dcount` is exact (a
//! distinct count), where Kusto estimates; its accuracy argument is accepted
//! and ignored.

mod collect;

use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr, cast, lit};
use kql_syntax::ast::ScalarType;

use crate::registry::FunctionKind::Aggregate;
use crate::registry::{
    Arg, CallContext, FnError, FunctionDef, NUMERIC, Typed, arity, expr_arg, invalid, typed_arg,
};
use crate::types::arrow_type;

/// Adds `FILTER (WHERE predicate)` to an aggregate call.
fn with_filter(expr: Expr, predicate: Expr) -> Expr {
    match expr {
        Expr::AggregateFunction(mut f) => {
            f.params.filter = Some(Box::new(predicate));
            Expr::AggregateFunction(f)
        }
        other => other,
    }
}

/// The predicate of an `*if` aggregate at `index`.
fn predicate(args: &[Arg], index: usize) -> Result<Expr, FnError> {
    typed_arg(args, index, &[ScalarType::Bool], "a bool").map(|(e, _)| e)
}

fn build_count(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    match args.as_slice() {
        [] | [Arg::Star] => Ok(Typed::new(agg::count(lit(1i64)), ScalarType::Long)),
        _ => Err(FnError::ArgCount { min: 0, max: Some(0), got: args.len() }),
    }
}

fn build_countif(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let p = predicate(&args, 0)?;
    Ok(Typed::new(with_filter(agg::count(lit(1i64)), p), ScalarType::Long))
}

/// `sum` of a typed value: integers sum to long, timespans through their
/// nanoseconds.
fn sum_of(value: Expr, ty: ScalarType) -> Result<Typed, FnError> {
    Ok(match ty {
        ScalarType::Int | ScalarType::Long => {
            Typed::new(agg::sum(cast(value, arrow_type(ScalarType::Long))), ScalarType::Long)
        }
        ScalarType::Real | ScalarType::Decimal => Typed::new(agg::sum(value), ty),
        ScalarType::TimeSpan => {
            Typed::new(agg::sum(cast(value, arrow_type(ScalarType::Long))), ScalarType::TimeSpan)
        }
        other => {
            return Err(FnError::ArgType { index: 0, expected: "a number or timespan".into(), got: other });
        }
    })
}

/// Finishes a timespan sum (summed as nanoseconds) back into a timespan.
fn finish_sum(t: Typed) -> Typed {
    if t.ty == ScalarType::TimeSpan {
        Typed::new(cast(t.expr, arrow_type(ScalarType::TimeSpan)), ScalarType::TimeSpan)
    } else {
        t
    }
}

fn build_sum(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (v, ty) = expr_arg(&args, 0)?;
    Ok(finish_sum(sum_of(v, ty)?))
}

fn build_sumif(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let (v, ty) = expr_arg(&args, 0)?;
    let p = predicate(&args, 1)?;
    let t = sum_of(v, ty)?;
    Ok(finish_sum(Typed::new(with_filter(t.expr, p), t.ty)))
}

fn build_avg(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (v, _) = typed_arg(&args, 0, NUMERIC, "a number")?;
    Ok(Typed::new(agg::avg(cast(v, arrow_type(ScalarType::Real))), ScalarType::Real))
}

fn build_avgif(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let (v, _) = typed_arg(&args, 0, NUMERIC, "a number")?;
    let p = predicate(&args, 1)?;
    Ok(Typed::new(with_filter(agg::avg(cast(v, arrow_type(ScalarType::Real))), p), ScalarType::Real))
}

fn min_max(args: Vec<Arg>, max: bool, with_if: bool) -> Result<Typed, FnError> {
    let n = if with_if { 2 } else { 1 };
    arity(&args, n, Some(n))?;
    let (v, ty) = expr_arg(&args, 0)?;
    if ty == ScalarType::Dynamic || ty == ScalarType::Bool {
        return Err(FnError::ArgType { index: 0, expected: "an orderable value".into(), got: ty });
    }
    let e = if max { agg::max(v) } else { agg::min(v) };
    let e = if with_if { with_filter(e, predicate(&args, 1)?) } else { e };
    Ok(Typed::new(e, ty))
}

fn build_min(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    min_max(a, false, false)
}
fn build_max(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    min_max(a, true, false)
}
fn build_minif(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    min_max(a, false, true)
}
fn build_maxif(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    min_max(a, true, true)
}

fn build_dcount(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(2))?;
    let (v, _) = expr_arg(&args, 0)?;
    Ok(Typed::new(agg::count_distinct(v), ScalarType::Long))
}

fn build_count_distinct(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (v, _) = expr_arg(&args, 0)?;
    Ok(Typed::new(agg::count_distinct(v), ScalarType::Long))
}

fn build_dcountif(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(3))?;
    let (v, _) = expr_arg(&args, 0)?;
    let p = predicate(&args, 1)?;
    Ok(Typed::new(with_filter(agg::count_distinct(v), p), ScalarType::Long))
}

fn build_take_any(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    if matches!(args.first(), Some(Arg::Star)) {
        return Err(invalid(0, "`take_any(*)` is expanded by the planner, one call per column"));
    }
    let (v, ty) = expr_arg(&args, 0)?;
    Ok(Typed::new(agg::any_value(v), ty))
}

fn build_take_anyif(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let (v, ty) = expr_arg(&args, 0)?;
    let p = predicate(&args, 1)?;
    Ok(Typed::new(with_filter(agg::any_value(v), p), ty))
}

fn spread(args: Vec<Arg>, f: fn(Expr) -> Expr, with_if: bool) -> Result<Typed, FnError> {
    let n = if with_if { 2 } else { 1 };
    arity(&args, n, Some(n))?;
    let (v, _) = typed_arg(&args, 0, NUMERIC, "a number")?;
    let e = f(cast(v, arrow_type(ScalarType::Real)));
    let e = if with_if { with_filter(e, predicate(&args, 1)?) } else { e };
    Ok(Typed::new(e, ScalarType::Real))
}

fn build_stdev(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    spread(a, agg::stddev, false)
}
fn build_stdevif(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    spread(a, agg::stddev, true)
}
fn build_stdevp(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    spread(a, agg::stddev_pop, false)
}
fn build_variance(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    spread(a, agg::var_sample, false)
}
fn build_varianceif(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    spread(a, agg::var_sample, true)
}
fn build_variancep(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    spread(a, agg::var_pop, false)
}

macro_rules! def {
    ($name:literal, $sig:literal, $summary:literal, $build:path) => {
        FunctionDef { name: $name, kind: Aggregate, summary: $summary, signature: $sig, build: $build }
    };
}

/// The aggregation functions.
pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    def!("count", "count()", "Number of rows in the group.", build_count),
    def!("countif", "countif(predicate)", "Number of rows for which the predicate is true.", build_countif),
    def!("sum", "sum(expr)", "Sum of the values (integers sum as long).", build_sum),
    def!(
        "sumif",
        "sumif(expr, predicate)",
        "Sum of the values of rows for which the predicate is true.",
        build_sumif
    ),
    def!("avg", "avg(expr)", "Average of the values, as a real.", build_avg),
    def!(
        "avgif",
        "avgif(expr, predicate)",
        "Average of the values of rows for which the predicate is true.",
        build_avgif
    ),
    def!("min", "min(expr)", "Smallest value.", build_min),
    def!("max", "max(expr)", "Largest value.", build_max),
    def!(
        "minif",
        "minif(expr, predicate)",
        "Smallest value among rows for which the predicate is true.",
        build_minif
    ),
    def!(
        "maxif",
        "maxif(expr, predicate)",
        "Largest value among rows for which the predicate is true.",
        build_maxif
    ),
    def!(
        "dcount",
        "dcount(expr [, accuracy])",
        "Number of distinct values; exact here (Kusto estimates), `accuracy` is ignored.",
        build_dcount
    ),
    def!(
        "count_distinct",
        "count_distinct(expr)",
        "Exact number of distinct non-null values.",
        build_count_distinct
    ),
    def!(
        "dcountif",
        "dcountif(expr, predicate [, accuracy])",
        "Number of distinct values among rows for which the predicate is true; exact.",
        build_dcountif
    ),
    def!("take_any", "take_any(expr)", "An arbitrary non-null value of the group.", build_take_any),
    def!("any", "any(expr)", "Same as `take_any`.", build_take_any),
    def!(
        "take_anyif",
        "take_anyif(expr, predicate)",
        "An arbitrary value among rows for which the predicate is true.",
        build_take_anyif
    ),
    def!("stdev", "stdev(expr)", "Sample standard deviation.", build_stdev),
    def!(
        "stdevif",
        "stdevif(expr, predicate)",
        "Sample standard deviation of rows for which the predicate is true.",
        build_stdevif
    ),
    def!("stdevp", "stdevp(expr)", "Population standard deviation.", build_stdevp),
    def!("variance", "variance(expr)", "Sample variance.", build_variance),
    def!(
        "varianceif",
        "varianceif(expr, predicate)",
        "Sample variance of rows for which the predicate is true.",
        build_varianceif
    ),
    def!("variancep", "variancep(expr)", "Population variance.", build_variancep),
    def!(
        "make_list",
        "make_list(expr [, maxSize])",
        "A dynamic array of the values (nulls skipped), in input order.",
        collect::build_make_list
    ),
    def!(
        "make_list_if",
        "make_list_if(expr, predicate [, maxSize])",
        "`make_list` of rows for which the predicate is true.",
        collect::build_make_list_if
    ),
    def!(
        "make_set",
        "make_set(expr [, maxSize])",
        "A dynamic array of the distinct values, in first-seen order.",
        collect::build_make_set
    ),
    def!("makeset", "makeset(expr [, maxSize])", "Deprecated name of `make_set`.", collect::build_make_set),
    def!(
        "makelist",
        "makelist(expr [, maxSize])",
        "Deprecated name of `make_list`.",
        collect::build_make_list
    ),
    def!(
        "make_set_if",
        "make_set_if(expr, predicate [, maxSize])",
        "`make_set` of rows for which the predicate is true.",
        collect::build_make_set_if
    ),
    def!(
        "make_bag",
        "make_bag(bag [, maxSize])",
        "One property bag with the members of all the bags (the first value of a repeated key wins).",
        collect::build_make_bag
    ),
    def!(
        "make_bag_if",
        "make_bag_if(bag, predicate [, maxSize])",
        "`make_bag` of rows for which the predicate is true.",
        collect::build_make_bag_if
    ),
];
