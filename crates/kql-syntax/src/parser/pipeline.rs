//! Tabular expressions (a source, then `| operator` repeated) and the
//! clauses that operators share: assignments, named parameters, sort keys,
//! column patterns and column declarations.

use super::Parser;
use super::error::{PResult, commit};
use super::lex::{self, skip_trivia};
use crate::ast::{
    Assignment, ColumnDecl, ColumnPattern, Expr, ExprKind, Ident, Literal, NamedArg, SortKey, SortOrder,
};
use crate::span::{Span, Spanned};

impl<'s> Parser<'s> {
    /// A source or scalar expression followed by any number of
    /// `| operator`, as left-nested [`ExprKind::Pipe`]s.
    pub(crate) fn parse_tabular(&self, i: &'s str) -> PResult<'s, Expr> {
        let _guard = self.enter(i)?;
        let (mut i, mut expr) = match self.parse_source(i)? {
            (rest, Some(source)) => (rest, source),
            (_, None) => self.parse_expr(i)?,
        };
        let mut length = 0;
        while let Some((rest, _)) = self.eat_punct(i, "|") {
            length += 1;
            self.check_chain(length, i)?;
            let (rest, op) = self.parse_operator(rest)?;
            let span = expr.span.to(op.span);
            expr = Expr::new(ExprKind::Pipe { input: Box::new(expr), op: Box::new(op) }, span);
            i = rest;
        }
        Ok((i, expr))
    }

    /// True when the next token ends an operator: `|`, `;`, a closing
    /// bracket or the end of the text.
    pub(crate) fn at_operator_end(&self, i: &str) -> bool {
        let j = skip_trivia(i);
        j.is_empty() || j.starts_with(['|', ';', ')', ']', '}'])
    }

    /// `a = x, b, (c, d) = f(y)`: one or more assignments.
    pub(crate) fn parse_assignments(&self, i: &'s str) -> PResult<'s, Vec<Assignment>> {
        let mut items = Vec::new();
        let mut i = i;
        loop {
            let (rest, item) = commit(self.parse_assignment(i))?;
            items.push(item);
            match self.eat_punct(rest, ",") {
                Some((rest, _)) => i = rest,
                None => return Ok((rest, items)),
            }
        }
    }

    /// `name = expr`, `(a, b) = expr` or a bare `expr`.
    pub(crate) fn parse_assignment(&self, i: &'s str) -> PResult<'s, Assignment> {
        let j = skip_trivia(i);
        let names = self.parse_assigned_names(j);
        let (after, names) = match names {
            Some((after, names)) => (after, names),
            None => (j, Vec::new()),
        };
        let (rest, expr) =
            if names.is_empty() { self.parse_expr(j)? } else { commit(self.parse_expr(after))? };
        let span = self.span(j, rest);
        Ok((rest, Assignment { names, expr, span }))
    }

    /// The `name =` or `(a, b) =` in front of an assignment, if present.
    fn parse_assigned_names(&self, j: &'s str) -> Option<(&'s str, Vec<Ident>)> {
        if let Some(list) = j.strip_prefix('(') {
            let mut names = Vec::new();
            let mut i = list;
            loop {
                let (rest, name) = self.parse_name(i).ok()?;
                names.push(name);
                match self.eat_punct(rest, ",") {
                    Some((rest, _)) => i = rest,
                    None => {
                        let (rest, _) = self.eat_punct(rest, ")")?;
                        return Some((self.eat_assign(rest)?, names));
                    }
                }
            }
        }
        let (rest, name) = self.parse_name(j).ok()?;
        Some((self.eat_assign(rest)?, vec![name]))
    }

    /// Operator parameters such as `kind=inner` or `hint.strategy=shuffle`:
    /// names from `allowed`, and any `hint.*`.
    pub(crate) fn parse_params(&self, i: &'s str, allowed: &[&str]) -> PResult<'s, Vec<NamedArg>> {
        let mut params = Vec::new();
        let mut i = i;
        loop {
            let j = skip_trivia(i);
            let Some((after_name, name)) = self.parse_dotted_name(j) else {
                return Ok((i, params));
            };
            let known = allowed.contains(&name.node.as_str()) || name.node.starts_with("hint.");
            let Some(after_eq) = self.eat_assign(after_name).filter(|_| known) else {
                return Ok((i, params));
            };
            let (rest, value) = self.parse_param_value(after_eq)?;
            params.push(NamedArg { name, value, span: self.span(j, rest) });
            i = rest;
        }
    }

    /// `name` or `hint.strategy`: words joined by dots.
    fn parse_dotted_name(&self, j: &'s str) -> Option<(&'s str, Ident)> {
        let (mut rest, _) = lex::raw_ident(j).ok()?;
        while let Some((after, _)) = rest.strip_prefix('.').and_then(|r| lex::raw_ident(r).ok()) {
            rest = after;
        }
        let text = self.text_from(self.off(j), rest);
        Some((rest, Spanned::new(text.to_string(), self.span(j, rest))))
    }

    /// The value of a parameter or property: a literal, or a bare word as a
    /// name.
    pub(crate) fn parse_param_value(&self, i: &'s str) -> PResult<'s, Expr> {
        let j = skip_trivia(i);
        if lex::starts_string(j) {
            let (rest, (text, span)) = self.parse_string_lit(j)?;
            return Ok((rest, Expr::new(ExprKind::Literal(Literal::String(text)), span)));
        }
        if j.starts_with(|c: char| c.is_ascii_digit()) {
            return self.parse_number(j);
        }
        let Ok((rest, word)) = lex::raw_ident(j) else {
            return Err(self.fail(j, "a value"));
        };
        let span = self.span(j, rest);
        let kind = match word {
            "true" | "True" | "TRUE" => ExprKind::Literal(Literal::Bool(true)),
            "false" | "False" | "FALSE" => ExprKind::Literal(Literal::Bool(false)),
            _ => ExprKind::Name(Spanned::new(word.to_string(), span)),
        };
        Ok((rest, Expr::new(kind, span)))
    }

    /// `name = value, ...` inside `with (...)`, up to the `)` of `open`.
    pub(crate) fn parse_properties(&self, i: &'s str, open: Span) -> PResult<'s, Vec<NamedArg>> {
        let mut props = Vec::new();
        let mut i = i;
        loop {
            if let Some((rest, _)) = self.eat_punct(i, ")") {
                return Ok((rest, props));
            }
            let j = skip_trivia(i);
            let Some((after, name)) = self.parse_dotted_name(j) else {
                return Err(self.fail(j, "a property name"));
            };
            let Some(after) = self.eat_assign(after) else {
                return Err(self.fail(after, "`=`"));
            };
            let (rest, value) = self.parse_param_value(after)?;
            props.push(NamedArg { name, value, span: self.span(j, rest) });
            i = match self.eat_punct(rest, ",") {
                Some((rest, _)) => rest,
                None => return self.parse_close(rest, ')', open).map(|(r, _)| (r, props)),
            };
        }
    }

    /// `expr [asc|desc] [nulls first|last]`
    pub(crate) fn parse_sort_key(&self, i: &'s str) -> PResult<'s, SortKey> {
        let (i, expr) = commit(self.parse_expr(i))?;
        let (i, order) = self.parse_sort_order(i);
        let Some((after, _)) = self.eat_keyword(i, "nulls") else {
            return Ok((i, SortKey { expr, order, nulls_first: None }));
        };
        if let Some((rest, _)) = self.eat_keyword(after, "first") {
            return Ok((rest, SortKey { expr, order, nulls_first: Some(true) }));
        }
        match self.eat_keyword(after, "last") {
            Some((rest, _)) => Ok((rest, SortKey { expr, order, nulls_first: Some(false) })),
            None => Err(self.fail(after, "`first` or `last`")),
        }
    }

    /// An optional `asc` or `desc`.
    pub(crate) fn parse_sort_order(&self, i: &'s str) -> (&'s str, Option<Spanned<SortOrder>>) {
        if let Some((rest, span)) = self.eat_keyword(i, "asc") {
            return (rest, Some(Spanned::new(SortOrder::Asc, span)));
        }
        if let Some((rest, span)) = self.eat_keyword(i, "desc") {
            return (rest, Some(Spanned::new(SortOrder::Desc, span)));
        }
        (i, None)
    }

    /// A column name that may hold `*` wildcards: `Account*`, `*Id`,
    /// `['a b']`.
    pub(crate) fn parse_column_pattern(&self, i: &'s str) -> PResult<'s, ColumnPattern> {
        let j = skip_trivia(i);
        if self.starts_bracket_name(j) {
            let (rest, pattern) = self.parse_name(j)?;
            return Ok((rest, ColumnPattern { pattern }));
        }
        let len = j.find(|c: char| !(lex::is_ident_char(c) || c == '*')).unwrap_or(j.len());
        if len == 0 || j.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.fail(j, "a column name"));
        }
        let rest = &j[len..];
        let pattern = Spanned::new(j[..len].to_string(), self.span(j, rest));
        Ok((rest, ColumnPattern { pattern }))
    }

    /// `p1, p2, ...`: one or more column patterns.
    pub(crate) fn parse_column_patterns(&self, i: &'s str) -> PResult<'s, Vec<ColumnPattern>> {
        let (mut i, first) = self.parse_column_pattern(i)?;
        let mut items = vec![first];
        while let Some((rest, _)) = self.eat_punct(i, ",") {
            let (rest, item) = self.parse_column_pattern(rest)?;
            items.push(item);
            i = rest;
        }
        Ok((i, items))
    }

    /// `name: type, ...` up to the `)` of `open`.
    pub(crate) fn parse_column_decls(&self, i: &'s str, open: Span) -> PResult<'s, Vec<ColumnDecl>> {
        let mut columns = Vec::new();
        let mut i = i;
        loop {
            if let Some((rest, _)) = self.eat_punct(i, ")") {
                return Ok((rest, columns));
            }
            let (rest, column) = self.parse_column_decl(i)?;
            columns.push(column);
            i = match self.eat_punct(rest, ",") {
                Some((rest, _)) => rest,
                None => return self.parse_close(rest, ')', open).map(|(r, _)| (r, columns)),
            };
        }
    }

    /// `name: type`
    fn parse_column_decl(&self, i: &'s str) -> PResult<'s, ColumnDecl> {
        let (i, name) = self.parse_name(i).map_err(|_| self.fail(i, "a column name"))?;
        let Some((i, _)) = self.eat_punct(i, ":") else {
            return Err(self.fail(i, "`:` and a type"));
        };
        let (rest, ty) = self.parse_type_name(i)?;
        Ok((rest, ColumnDecl { name, ty }))
    }
}
