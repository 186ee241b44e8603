//! One test per construct: expressions, literals, sources, operators and
//! statements, with their spans.

#![allow(clippy::unwrap_used, clippy::panic)]

use crate::ast::*;
use crate::span::Span;
use crate::{SyntaxError, parse, parse_expr};

/// Parses a scalar or tabular expression, panicking with the error.
fn expr(src: &str) -> Expr {
    match parse_expr(src) {
        Ok(e) => e,
        Err(e) => panic!("{src:?}: {e:?}"),
    }
}

/// The text of `span` in `src`.
fn text(src: &str, span: Span) -> &str {
    span.text(src)
}

/// The outermost operator of a pipeline.
fn last_op(src: &str) -> Operator {
    match expr(src).kind {
        ExprKind::Pipe { op, .. } => *op,
        other => panic!("{src:?} is no pipeline: {other:?}"),
    }
}

fn lit(e: &Expr) -> &Literal {
    match &e.kind {
        ExprKind::Literal(l) => l,
        other => panic!("not a literal: {other:?}"),
    }
}

fn name_of(e: &Expr) -> &str {
    match &e.kind {
        ExprKind::Name(n) => &n.node,
        other => panic!("not a name: {other:?}"),
    }
}

fn binary(e: &Expr) -> (BinaryOp, &Expr, &Expr) {
    match &e.kind {
        ExprKind::Binary { op, left, right } => (op.node, left, right),
        other => panic!("not a binary: {other:?}"),
    }
}

fn call(e: &Expr) -> (&str, &[Expr]) {
    match &e.kind {
        ExprKind::Call { func, args } => (&func.node, args),
        other => panic!("not a call: {other:?}"),
    }
}

fn err(src: &str) -> SyntaxError {
    match parse(src) {
        Ok(q) => panic!("{src:?} parsed: {q:?}"),
        Err(e) => e,
    }
}

const HOUR: i64 = 36_000_000_000;

mod expressions;
mod literals;
mod operators;
mod statements;
