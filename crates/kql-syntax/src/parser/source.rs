//! Tabular sources that start with a keyword: `datatable`, `externaldata`,
//! `print`, `range`, `union`, and `find` / `search` / `evaluate` (which we
//! recognise but do not parse).

use super::Parser;
use super::error::{PResult, commit};
use super::lex::{self, skip_trivia};
use crate::ast::{Expr, ExprKind, UnionArgs};
use crate::span::{Span, Spanned};

/// `union` parameters other than `hint.*`.
pub(crate) const UNION_PARAMS: &[&str] = &["kind", "withsource", "isfuzzy"];

impl<'s> Parser<'s> {
    /// A keyword source, if one starts here. Returns `None` (and the input
    /// unchanged) otherwise.
    pub(crate) fn parse_source(&self, i: &'s str) -> PResult<'s, Option<Expr>> {
        let j = skip_trivia(i);
        let Ok((after, word)) = lex::raw_ident(j) else {
            return Ok((i, None));
        };
        let parsed = match word {
            "datatable" if self.peek_punct(after, "(") => self.parse_datatable(j, after),
            "externaldata" if self.peek_punct(after, "(") => self.parse_externaldata(j, after),
            "print" => self.parse_print(j, after),
            "range" if self.looks_like_range(after) => self.parse_range(j, after),
            "union" => self.parse_union_source(j, after),
            "find" | "search" | "evaluate" => self.parse_unsupported_source(j, after),
            _ => return Ok((i, None)),
        };
        parsed.map(|(rest, expr)| (rest, Some(expr)))
    }

    /// `datatable (a: long, b: string) [1, "x", ...]`
    fn parse_datatable(&self, start: &'s str, i: &'s str) -> PResult<'s, Expr> {
        let (i, open) = self.parse_punct(i, "(")?;
        let (i, columns) = self.parse_column_decls(i, open)?;
        let Some((i, open)) = self.eat_punct(i, "[") else {
            return Err(self.fail(i, "`[` and the values"));
        };
        let (rest, values) = self.parse_values(i, open)?;
        Ok((rest, Expr::new(ExprKind::DataTable { columns, values }, self.span(start, rest))))
    }

    /// Comma-separated scalar expressions up to the `]` of `open` (a
    /// trailing comma is allowed).
    fn parse_values(&self, i: &'s str, open: Span) -> PResult<'s, Vec<Expr>> {
        let mut values = Vec::new();
        let mut i = i;
        loop {
            if let Some((rest, _)) = self.eat_punct(i, "]") {
                return Ok((rest, values));
            }
            if skip_trivia(i).is_empty() {
                return self.parse_close(i, ']', open).map(|(r, _)| (r, values));
            }
            let (rest, value) = commit(self.parse_expr(i))?;
            values.push(value);
            i = match self.eat_punct(rest, ",") {
                Some((rest, _)) => rest,
                None => return self.parse_close(rest, ']', open).map(|(r, _)| (r, values)),
            };
        }
    }

    /// `externaldata (cols) [uris] [with (props)]`
    fn parse_externaldata(&self, start: &'s str, i: &'s str) -> PResult<'s, Expr> {
        let (i, open) = self.parse_punct(i, "(")?;
        let (i, columns) = self.parse_column_decls(i, open)?;
        let Some((i, open)) = self.eat_punct(i, "[") else {
            return Err(self.fail(i, "`[` and the storage URIs"));
        };
        let (mut rest, uris) = self.parse_values(i, open)?;
        let mut properties = Vec::new();
        if let Some((after, _)) = self.eat_keyword(rest, "with") {
            let Some((after, open)) = self.eat_punct(after, "(") else {
                return Err(self.fail(after, "`(` and the properties"));
            };
            (rest, properties) = self.parse_properties(after, open)?;
        }
        let kind = ExprKind::ExternalData { columns, uris, properties };
        Ok((rest, Expr::new(kind, self.span(start, rest))))
    }

    /// `print a, x = b`
    fn parse_print(&self, start: &'s str, i: &'s str) -> PResult<'s, Expr> {
        let (rest, items) = self.parse_assignments(i)?;
        Ok((rest, Expr::new(ExprKind::Print(items), self.span(start, rest))))
    }

    /// True when `range` is followed by `name from`.
    fn looks_like_range(&self, i: &'s str) -> bool {
        self.parse_name(i).is_ok_and(|(rest, _)| self.eat_keyword(rest, "from").is_some())
    }

    /// `range x from a to b step c`
    fn parse_range(&self, start: &'s str, i: &'s str) -> PResult<'s, Expr> {
        let (i, name) = self.parse_name(i)?;
        let (i, _) = self.parse_keyword(i, "from")?;
        let (i, from) = commit(self.parse_expr(i))?;
        let (i, _) = commit(self.parse_keyword(i, "to"))?;
        let (i, to) = commit(self.parse_expr(i))?;
        let (i, _) = commit(self.parse_keyword(i, "step"))?;
        let (rest, step) = commit(self.parse_expr(i))?;
        let kind = ExprKind::Range { name, from: Box::new(from), to: Box::new(to), step: Box::new(step) };
        Ok((rest, Expr::new(kind, self.span(start, rest))))
    }

    /// `union [params] T1, T2, ...` as a source.
    fn parse_union_source(&self, start: &'s str, i: &'s str) -> PResult<'s, Expr> {
        let (rest, args) = self.parse_union_args(i)?;
        Ok((rest, Expr::new(ExprKind::Union(args), self.span(start, rest))))
    }

    /// The parameters and operands of `union`.
    pub(crate) fn parse_union_args(&self, i: &'s str) -> PResult<'s, UnionArgs> {
        let (i, params) = self.parse_params(i, UNION_PARAMS)?;
        let (mut i, first) = self.parse_union_operand(i)?;
        let mut tables = vec![first];
        while let Some((rest, _)) = self.eat_punct(i, ",") {
            let (rest, table) = self.parse_union_operand(rest)?;
            tables.push(table);
            i = rest;
        }
        Ok((i, UnionArgs { params, tables }))
    }

    /// A table name (wildcards allowed: `Device*`), a call such as
    /// `table("x")`, or a bracketed pipeline.
    fn parse_union_operand(&self, i: &'s str) -> PResult<'s, Expr> {
        let j = skip_trivia(i);
        let len = j.find(|c: char| !(lex::is_ident_char(c) || c == '*')).unwrap_or(j.len());
        if j[..len].contains('*') && !j.starts_with(|c: char| c.is_ascii_digit()) {
            let rest = &j[len..];
            let span = self.span(j, rest);
            let name = Spanned::new(j[..len].to_string(), span);
            return Ok((rest, Expr::new(ExprKind::Name(name), span)));
        }
        match self.parse_postfix(j) {
            Ok(found) => Ok(found),
            Err(nom::Err::Error(_)) => Err(self.fail(j, "a table")),
            Err(e) => Err(e),
        }
    }

    /// `find ...`, `search ...`, `evaluate ...` as a source: the keyword,
    /// with the text skipped up to the next `|`.
    fn parse_unsupported_source(&self, start: &'s str, after: &'s str) -> PResult<'s, Expr> {
        let keyword =
            Spanned::new(self.text_from(self.off(start), after).to_string(), self.span(start, after));
        let (rest, ()) = self.skip_balanced(after, true)?;
        let kind = ExprKind::UnsupportedSource { keyword };
        Ok((rest, Expr::new(kind, self.span(start, rest))))
    }
}
