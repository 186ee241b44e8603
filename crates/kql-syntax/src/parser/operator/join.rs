//! `join` and `lookup`: parameters, the right side and the `on` keys.

use super::super::Parser;
use super::super::error::{PResult, commit};
use super::super::lex::skip_trivia;
use crate::ast::{Expr, Ident, JoinKey, NamedArg, OperatorKind};

/// Parameters of `join` and `lookup` other than `hint.*`.
const JOIN_PARAMS: &[&str] = &["kind", "withsource"];

/// What `on` accepts, for error messages.
const JOIN_KEY: &str = "a join key (`Column` or `$left.Column == $right.Column`)";

impl<'s> Parser<'s> {
    /// `join [params] right on keys`
    pub(crate) fn parse_join(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        let (rest, (params, right, on)) = self.parse_join_parts(i)?;
        Ok((rest, OperatorKind::Join { params, right: Box::new(right), on }))
    }

    /// `lookup [params] right on keys`
    pub(crate) fn parse_lookup(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        let (rest, (params, right, on)) = self.parse_join_parts(i)?;
        Ok((rest, OperatorKind::Lookup { params, right: Box::new(right), on }))
    }

    /// The parameters, right side and keys shared by `join` and `lookup`.
    fn parse_join_parts(&self, i: &'s str) -> PResult<'s, (Vec<NamedArg>, Expr, Vec<JoinKey>)> {
        let (i, params) = self.parse_params(i, JOIN_PARAMS)?;
        let (i, right) = match self.parse_postfix(i) {
            Ok(found) => found,
            Err(nom::Err::Error(_)) => return Err(self.fail(i, "the right side: a table or `(pipeline)`")),
            Err(e) => return Err(e),
        };
        let Some((mut i, _)) = self.eat_keyword(i, "on") else {
            return Err(self.fail(i, "`on` and the join keys"));
        };
        let mut keys = Vec::new();
        loop {
            let (rest, key) = self.parse_join_key(i)?;
            keys.push(key);
            i = match self.eat_punct(rest, ",").or_else(|| self.eat_keyword(rest, "and")) {
                Some((rest, _)) => rest,
                None => return Ok((rest, (params, right, keys))),
            };
        }
    }

    /// `Column` or `$left.A == $right.B` (either order).
    fn parse_join_key(&self, i: &'s str) -> PResult<'s, JoinKey> {
        let j = skip_trivia(i);
        if j.starts_with('$') {
            let (rest, (first_is_left, first)) = self.parse_join_side(j)?;
            let Some((rest, _)) = self.eat_punct(rest, "==") else {
                return Err(self.fail(rest, "`==` between `$left.Column` and `$right.Column`"));
            };
            let k = skip_trivia(rest);
            let (rest, (second_is_left, second)) = self.parse_join_side(k)?;
            if first_is_left == second_is_left {
                return Err(self.fail(k, if first_is_left { "`$right.Column`" } else { "`$left.Column`" }));
            }
            let (left, right) = if first_is_left { (first, second) } else { (second, first) };
            return Ok((rest, JoinKey::Equal { left, right, span: self.span(j, rest) }));
        }
        let (rest, name) = self.parse_name(j).map_err(|_| self.fail(j, JOIN_KEY))?;
        if self.peek_punct(rest, "==") || self.peek_punct(rest, ".") {
            return Err(self.fail(j, JOIN_KEY));
        }
        Ok((rest, JoinKey::Column(name)))
    }

    /// `$left.Name` or `$right.Name`: which side, and the column.
    fn parse_join_side(&self, j: &'s str) -> PResult<'s, (bool, Ident)> {
        let (rest, side) = commit(self.parse_name(j))?;
        let is_left = match side.node.as_str() {
            "$left" => true,
            "$right" => false,
            _ => return Err(self.fail(j, JOIN_KEY)),
        };
        let Some(rest) = rest.strip_prefix('.') else {
            return Err(self.fail(rest, "`.` and a column name"));
        };
        let (rest, column) = self.parse_name(rest).map_err(|_| self.fail(rest, "a column name"))?;
        Ok((rest, (is_left, column)))
    }
}
