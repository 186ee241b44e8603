//! Tabular operators after a `|`.

mod join;
mod parse;
mod shape;

use super::Parser;
use super::error::{PResult, commit, did_you_mean};
use super::lex::{self, skip_trivia};
use crate::ast::{Expr, Ident, OPERATOR_KEYWORDS, Operator, OperatorKind};
use crate::error::SyntaxError;
use crate::span::{Span, Spanned};

impl<'s> Parser<'s> {
    /// The operator after a `|`.
    pub(crate) fn parse_operator(&self, i: &'s str) -> PResult<'s, Operator> {
        let j = skip_trivia(i);
        let Some((after, word)) = operator_word(j) else {
            return Err(self.unknown_operator(j));
        };
        let keyword = self.span(j, after);
        let (rest, kind) = self.parse_operator_body(j, word, after)?;
        Ok((rest, Operator { kind, keyword, span: self.span(j, rest) }))
    }

    /// What follows the operator keyword `word`.
    fn parse_operator_body(&self, j: &'s str, word: &str, i: &'s str) -> PResult<'s, OperatorKind> {
        match word {
            "where" | "filter" => map(commit(self.parse_expr(i)), OperatorKind::Where),
            "extend" => map(self.parse_assignments(i), OperatorKind::Extend),
            "project" => map(self.parse_assignments(i), OperatorKind::Project),
            "project-away" => map(self.parse_column_patterns(i), OperatorKind::ProjectAway),
            "project-keep" => map(self.parse_column_patterns(i), OperatorKind::ProjectKeep),
            "project-rename" => map(self.parse_renames(i), OperatorKind::ProjectRename),
            "project-reorder" => map(self.parse_reorder(i), OperatorKind::ProjectReorder),
            "summarize" => self.parse_summarize(i),
            "distinct" => map(self.parse_distinct(i), OperatorKind::Distinct),
            "take" | "limit" => map(commit(self.parse_expr(i)), OperatorKind::Take),
            "sort" | "order" => self.parse_sort(i),
            "top" => self.parse_top(i),
            "count" => Ok((i, OperatorKind::Count)),
            "join" => self.parse_join(i),
            "lookup" => self.parse_lookup(i),
            "union" => map(self.parse_union_args(i), OperatorKind::Union),
            "as" => self.parse_as(i),
            "getschema" => Ok((i, OperatorKind::GetSchema)),
            "serialize" => self.parse_serialize(i),
            "mv-expand" | "mvexpand" => self.parse_mv_expand(i),
            "parse" => self.parse_parse(i, false),
            "parse-where" => self.parse_parse(i, true),
            "invoke" => map(commit(self.parse_postfix(i)), OperatorKind::Invoke),
            _ if OPERATOR_KEYWORDS.contains(&word) => self.parse_unsupported_operator(word, i),
            _ => Err(self.unknown_operator(j)),
        }
    }

    /// "expected a tabular operator", with a suggestion for near misses.
    fn unknown_operator(&self, j: &'s str) -> nom::Err<super::error::PError> {
        let len = j.find(|c: char| !(lex::is_ident_char(c) || c == '-')).unwrap_or(j.len());
        if len == 0 {
            return self.fail(j, "a tabular operator");
        }
        let word = j[..len].trim_end_matches('-');
        let start = self.off(j);
        let help = did_you_mean(word, OPERATOR_KEYWORDS).map(|k| format!("did you mean `{k}`?"));
        self.fail_with(SyntaxError::Unexpected {
            expected: "a tabular operator".into(),
            found: word.to_string(),
            span: Span::new(start, start + word.len()),
            help,
        })
    }

    /// `new = old, ...`
    fn parse_renames(&self, i: &'s str) -> PResult<'s, Vec<(Ident, Ident)>> {
        let mut renames = Vec::new();
        let mut i = i;
        loop {
            let (rest, new) = self.parse_name(i).map_err(|_| self.fail(i, "a new column name"))?;
            let Some(rest) = self.eat_assign(rest) else {
                return Err(self.fail(rest, "`=` and the column to rename"));
            };
            let (rest, old) = self.parse_name(rest).map_err(|_| self.fail(rest, "a column name"))?;
            renames.push((new, old));
            match self.eat_punct(rest, ",") {
                Some((rest, _)) => i = rest,
                None => return Ok((rest, renames)),
            }
        }
    }

    /// `a, b* asc, c desc`
    fn parse_reorder(
        &self,
        i: &'s str,
    ) -> PResult<'s, Vec<(crate::ast::ColumnPattern, Option<Spanned<crate::ast::SortOrder>>)>> {
        let mut items = Vec::new();
        let mut i = i;
        loop {
            let (rest, pattern) = self.parse_column_pattern(i)?;
            let (rest, order) = self.parse_sort_order(rest);
            items.push((pattern, order));
            match self.eat_punct(rest, ",") {
                Some((rest, _)) => i = rest,
                None => return Ok((rest, items)),
            }
        }
    }

    /// `*` (an empty list) or `a, b`.
    fn parse_distinct(&self, i: &'s str) -> PResult<'s, Vec<Expr>> {
        if let Some((rest, _)) = self.eat_punct(i, "*") {
            return Ok((rest, Vec::new()));
        }
        let mut items = Vec::new();
        let mut i = i;
        loop {
            let (rest, item) = commit(self.parse_expr(i))?;
            if self.eat_assign(rest).is_some() {
                let help = "name the column with `extend` or `project` before `distinct`".to_string();
                return Err(self.fail_help(rest, "`,` or the end of `distinct`", help));
            }
            items.push(item);
            match self.eat_punct(rest, ",") {
                Some((rest, _)) => i = rest,
                None => return Ok((rest, items)),
            }
        }
    }

    /// `by key [asc|desc] [nulls first|last], ...`
    fn parse_sort(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        let (mut i, _) = commit(self.parse_keyword(i, "by"))?;
        let mut keys = Vec::new();
        loop {
            let (rest, key) = self.parse_sort_key(i)?;
            keys.push(key);
            match self.eat_punct(rest, ",") {
                Some((rest, _)) => i = rest,
                None => return Ok((rest, OperatorKind::Sort(keys))),
            }
        }
    }

    /// `n by key [asc|desc] [nulls first|last]`
    fn parse_top(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        let (i, count) = commit(self.parse_expr(i))?;
        let (i, _) = commit(self.parse_keyword(i, "by"))?;
        let (rest, key) = self.parse_sort_key(i)?;
        Ok((rest, OperatorKind::Top { count, key }))
    }

    /// `as [hint.materialized=true] Name`
    fn parse_as(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        let (i, _params) = self.parse_params(i, &[])?;
        let (rest, name) = self.parse_name(i).map_err(|_| self.fail(i, "a name"))?;
        Ok((rest, OperatorKind::As(name)))
    }

    /// `serialize [a = x, ...]`
    fn parse_serialize(&self, i: &'s str) -> PResult<'s, OperatorKind> {
        if self.at_operator_end(i) {
            return Ok((i, OperatorKind::Serialize(Vec::new())));
        }
        map(self.parse_assignments(i), OperatorKind::Serialize)
    }

    /// An operator we do not run: its text is skipped up to the next `|`.
    fn parse_unsupported_operator(&self, word: &str, i: &'s str) -> PResult<'s, OperatorKind> {
        let name = match word {
            "mvapply" => "mv-apply",
            other => other,
        };
        let (rest, ()) = self.skip_balanced(i, true)?;
        Ok((rest, OperatorKind::Unsupported { name: name.to_string() }))
    }
}

/// Maps the value of a successful parse.
fn map<'s, T, U>(result: PResult<'s, T>, f: impl FnOnce(T) -> U) -> PResult<'s, U> {
    result.map(|(rest, value)| (rest, f(value)))
}

/// The operator keyword at the start of `j`: words joined by hyphens
/// (`project-away`, `mv-expand`).
fn operator_word(j: &str) -> Option<(&str, &str)> {
    let (mut rest, _) = lex::raw_ident(j).ok()?;
    while let Some((after, _)) = rest.strip_prefix('-').and_then(|r| lex::raw_ident(r).ok()) {
        rest = after;
    }
    Some((rest, &j[..j.len() - rest.len()]))
}
