//! `max_of` and `min_of`: the largest or smallest of their arguments, nulls
//! ignored (null only when every argument is null).

use datafusion::functions::core::expr_fn::{greatest, least};
use datafusion::logical_expr::try_cast;
use kql_syntax::ast::ScalarType;

use crate::convert::common_type;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, expr_arg};
use crate::types::arrow_type;

fn build(args: Vec<Arg>, largest: bool) -> Result<Typed, FnError> {
    arity(&args, 2, Some(64))?;
    let mut exprs = Vec::with_capacity(args.len());
    let mut ty: Option<ScalarType> = None;
    for i in 0..args.len() {
        let (e, t) = expr_arg(&args, i)?;
        ty = match ty {
            None => Some(t),
            Some(prev) => match common_type(prev, t) {
                Some(c) => Some(c),
                None => {
                    return Err(FnError::ArgType {
                        index: i,
                        expected: format!("a value like `{prev}`"),
                        got: t,
                    });
                }
            },
        };
        exprs.push(e);
    }
    let ty = ty.unwrap_or(ScalarType::Long);
    if matches!(ty, ScalarType::Dynamic | ScalarType::Guid | ScalarType::Bool) {
        return Err(FnError::ArgType {
            index: 0,
            expected: "a number, string, datetime or timespan".into(),
            got: ty,
        });
    }
    let exprs = exprs.into_iter().map(|e| try_cast(e, arrow_type(ty))).collect();
    let expr = if largest { greatest(exprs) } else { least(exprs) };
    Ok(Typed::new(expr, ty))
}

pub(crate) fn build_max_of(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, true)
}

pub(crate) fn build_min_of(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build(args, false)
}
