//! `parse` and `parse-where`: a text expression matched against a pattern
//! of `*`, string constants and `Name[:type]` columns.

use super::super::Parser;
use super::super::error::{PResult, commit};
use super::super::lex::{self, skip_trivia};
use crate::ast::{OperatorKind, ParsePart};
use crate::span::Spanned;

/// `parse` parameters.
const PARSE_PARAMS: &[&str] = &["kind", "flags"];

impl<'s> Parser<'s> {
    /// `[kind=k] [flags=f] expr with pattern`, after `parse` or `parse-where`.
    pub(crate) fn parse_parse(&self, i: &'s str, drop_unmatched: bool) -> PResult<'s, OperatorKind> {
        let (i, params) = self.parse_params(i, PARSE_PARAMS)?;
        let (i, expr) = commit(self.parse_expr(i))?;
        let (mut i, _) = commit(self.parse_keyword(i, "with"))?;
        let mut pattern = Vec::new();
        loop {
            let j = skip_trivia(i);
            if let Some((rest, span)) = self.eat_punct(j, "*") {
                pattern.push(ParsePart::Star(span));
                i = rest;
            } else if lex::starts_string(j) {
                let (rest, (text, span)) = self.parse_string_lit(j)?;
                pattern.push(ParsePart::Text(Spanned::new(text, span)));
                i = rest;
            } else if lex::raw_ident(j).is_ok() || self.starts_bracket_name(j) {
                let (rest, name) = self.parse_name(j)?;
                let (rest, ty) = match self.eat_punct(rest, ":") {
                    Some((after, _)) => {
                        let (after, ty) = commit(self.parse_type_name(after))?;
                        (after, Some(ty))
                    }
                    None => (rest, None),
                };
                pattern.push(ParsePart::Column { name, ty });
                i = rest;
            } else {
                break;
            }
        }
        if pattern.is_empty() {
            return Err(self.fail(i, "a pattern of `*`, string constants and column names"));
        }
        Ok((i, OperatorKind::Parse { params, expr, pattern, drop_unmatched }))
    }
}
