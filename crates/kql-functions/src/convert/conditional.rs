//! `iff` / `iif`, `coalesce`, and the null and emptiness tests `isnull`,
//! `isnotnull`, `isempty`, `isnotempty`.

use datafusion::logical_expr::{Expr, lit, when};
use kql_syntax::ast::ScalarType;

use super::common_type;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg, typed_arg};

/// Converts each expression to their common type, or fails naming the first
/// argument that has none with the others.
fn unify(items: Vec<(Expr, ScalarType)>, first_index: usize) -> Result<(Vec<Expr>, ScalarType), FnError> {
    let mut ty = items[0].1;
    for (i, (_, t)) in items.iter().enumerate().skip(1) {
        ty = common_type(ty, *t).ok_or_else(|| FnError::ArgType {
            index: first_index + i,
            expected: format!("a value of type `{ty}` like the others"),
            got: *t,
        })?;
    }
    let exprs = items.into_iter().map(|(e, t)| super::convert(e.clone(), t, ty).unwrap_or(e)).collect();
    Ok((exprs, ty))
}

pub(crate) fn build_iff(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let (cond, _) = typed_arg(&args, 0, &[ScalarType::Bool], "a bool")?;
    let (exprs, ty) = unify(vec![expr_arg(&args, 1)?, expr_arg(&args, 2)?], 1)?;
    let mut exprs = exprs.into_iter();
    let (Some(then), Some(otherwise)) = (exprs.next(), exprs.next()) else {
        return Err(FnError::ArgCount { min: 3, max: Some(3), got: args.len() });
    };
    let expr = when(cond, then).otherwise(otherwise).map_err(plan_bug)?;
    Ok(Typed::new(expr, ty))
}

pub(crate) fn build_coalesce(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(64))?;
    let items = (0..args.len()).map(|i| expr_arg(&args, i)).collect::<Result<Vec<_>, _>>()?;
    let (exprs, ty) = unify(items, 0)?;
    if ty != ScalarType::String {
        return Ok(Typed::new(datafusion::functions::core::expr_fn::coalesce(exprs), ty));
    }
    // For strings, "first non-empty".
    let mut exprs = exprs.into_iter().rev();
    let mut expr = exprs.next().unwrap_or_else(|| lit(""));
    for e in exprs {
        let present = e.clone().is_not_null().and(e.clone().not_eq(lit("")));
        expr = when(present, e).otherwise(expr).map_err(plan_bug)?;
    }
    Ok(Typed::new(expr, ty))
}

fn plan_bug(e: datafusion::error::DataFusionError) -> FnError {
    FnError::Invalid { index: None, message: format!("internal error building a CASE: {e}") }
}

/// `isempty` of `expr`: null, "" or a dynamic empty string.
pub fn is_empty_expr(expr: Expr, ty: ScalarType) -> Expr {
    match ty {
        ScalarType::String => expr.clone().is_null().or(expr.eq(lit(""))),
        ScalarType::Dynamic => expr.clone().is_null().or(expr.eq(lit("\"\""))),
        _ => expr.is_null(),
    }
}

pub(crate) fn build_isnull(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (e, _) = expr_arg(&args, 0)?;
    Ok(Typed::new(e.is_null(), ScalarType::Bool))
}

pub(crate) fn build_isnotnull(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (e, _) = expr_arg(&args, 0)?;
    Ok(Typed::new(e.is_not_null(), ScalarType::Bool))
}

pub(crate) fn build_isempty(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (e, ty) = expr_arg(&args, 0)?;
    Ok(Typed::new(is_empty_expr(e, ty), ScalarType::Bool))
}

pub(crate) fn build_isnotempty(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let (e, ty) = expr_arg(&args, 0)?;
    Ok(Typed::new(Expr::Not(Box::new(is_empty_expr(e, ty))), ScalarType::Bool))
}
