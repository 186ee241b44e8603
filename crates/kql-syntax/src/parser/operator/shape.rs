//! `summarize` and `mv-expand`: operators with parameters, lists and
//! optional clauses.

use super::super::Parser;
use super::super::error::{PResult, commit};
use crate::ast::OperatorKind;

/// `mv-expand` parameters.
const MV_EXPAND_PARAMS: &[&str] = &["bagexpansion", "with_itemindex", "kind"];

impl<'s> Parser<'s> {
    /// `summarize [hint.x=y] aggs [by keys]`
    pub(crate) fn parse_summarize(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        let (i, params) = self.parse_params(i, &[])?;
        let (i, aggregates) =
            if self.peek_word(i) == Some("by") { (i, Vec::new()) } else { self.parse_assignments(i)? };
        let (rest, by) = match self.eat_keyword(i, "by") {
            Some((after, _)) => self.parse_assignments(after)?,
            None => (i, Vec::new()),
        };
        Ok((rest, OperatorKind::Summarize { params, aggregates, by }))
    }

    /// `mv-expand [params] col [to typeof(T)], ... [limit n]`
    pub(crate) fn parse_mv_expand(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        let (mut i, params) = self.parse_params(i, MV_EXPAND_PARAMS)?;
        let mut columns = Vec::new();
        let mut types = Vec::new();
        loop {
            let (rest, column) = commit(self.parse_assignment(i))?;
            let (rest, ty) = match self.eat_keyword(rest, "to") {
                Some((after, _)) => {
                    let (after, _) = commit(self.parse_keyword(after, "typeof"))?;
                    let (after, open) = commit(self.parse_punct(after, "("))?;
                    let (after, ty) = self.parse_type_name(after)?;
                    let (after, _) = self.parse_close(after, ')', open)?;
                    (after, Some(ty))
                }
                None => (rest, None),
            };
            columns.push(column);
            types.push(ty);
            match self.eat_punct(rest, ",") {
                Some((rest, _)) => i = rest,
                None => {
                    i = rest;
                    break;
                }
            }
        }
        let (rest, limit) = match self.eat_keyword(i, "limit") {
            Some((after, _)) => {
                let (after, n) = commit(self.parse_expr(after))?;
                (after, Some(n))
            }
            None => (i, None),
        };
        Ok((rest, OperatorKind::MvExpand { params, columns, types, limit }))
    }
}
