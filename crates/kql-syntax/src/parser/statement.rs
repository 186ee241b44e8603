//! Statements: `let`, queries, user-defined functions and the statement
//! kinds we recognise but do not run.

use super::Parser;
use super::error::{PResult, commit};
use super::lex::{self, skip_trivia};
use crate::ast::{FunctionDef, LetStmt, LetValue, Param, ParamType, Query, Statement};
use crate::error::SyntaxError;
use crate::span::{Span, Spanned};

/// Statement keywords that are valid KQL but that we do not run.
const UNSUPPORTED_STATEMENTS: &[&str] = &["set", "declare", "alias", "pattern", "restrict"];

impl<'s> Parser<'s> {
    /// The whole text: statements separated by `;`.
    pub(crate) fn parse_query(&self, i: &'s str) -> PResult<'s, Query> {
        let (rest, statements) = self.parse_statements(i, None)?;
        if statements.is_empty() {
            let span = Span::new(0, self.src.len());
            return Err(self.fail_with(SyntaxError::Empty { span }));
        }
        Ok((rest, Query { statements, span: Span::new(0, self.src.len()) }))
    }

    /// Statements separated by `;` (empty ones skipped), up to the end of
    /// the text, or up to the `}` of `body` (not consumed) in a function.
    fn parse_statements(&self, i: &'s str, body: Option<Span>) -> PResult<'s, Vec<Statement>> {
        let mut statements = Vec::new();
        let mut i = i;
        loop {
            let j = skip_trivia(i);
            if let Some(rest) = j.strip_prefix(';') {
                i = rest;
                continue;
            }
            if j.is_empty() || (body.is_some() && j.starts_with('}')) {
                return Ok((j, statements));
            }
            let (rest, statement) = self.parse_statement(j)?;
            statements.push(statement);
            let k = skip_trivia(rest);
            let at_end = k.is_empty() || (body.is_some() && k.starts_with('}'));
            if !at_end && !k.starts_with(';') {
                return Err(self.statement_end_error(k, body.is_some()));
            }
            i = rest;
        }
    }

    /// The error after a complete statement that is followed by more text.
    fn statement_end_error(&self, k: &'s str, in_body: bool) -> nom::Err<super::error::PError> {
        let expected = if in_body { "`|`, `;` or `}`" } else { "`|`, `;` or end of input" };
        if k.starts_with('=') && !k.starts_with("==") {
            return self.fail_help(k, expected, "use `==` to compare values".into());
        }
        self.fail(k, expected)
    }

    /// One statement.
    fn parse_statement(&self, j: &'s str) -> PResult<'s, Statement> {
        let word = lex::raw_ident(j).ok();
        match word {
            Some((after, "let")) => self.parse_let(j, after),
            Some((after, kw)) if UNSUPPORTED_STATEMENTS.contains(&kw) && !self.at_operator_end(after) => {
                let keyword = Spanned::new(kw.to_string(), self.span(j, after));
                let (rest, ()) = self.skip_balanced(after, false)?;
                Ok((rest, Statement::Unsupported { keyword, span: self.span(j, rest) }))
            }
            _ => {
                let (rest, expr) = commit(self.parse_tabular(j))?;
                Ok((rest, Statement::Query(expr)))
            }
        }
    }

    /// `let name = value` after the `let` keyword.
    fn parse_let(&self, start: &'s str, i: &'s str) -> PResult<'s, Statement> {
        let (i, name) = self.parse_name(i).map_err(|_| self.fail(i, "a name after `let`"))?;
        let Some(i) = self.eat_assign(i) else {
            return Err(self.fail(i, "`=`"));
        };
        let (rest, value) = self.parse_let_value(i)?;
        let span = self.span(start, rest);
        Ok((rest, Statement::Let(LetStmt { name, value, span })))
    }

    /// A function `(params) { body }`, a view, or an expression.
    fn parse_let_value(&self, i: &'s str) -> PResult<'s, LetValue> {
        let j = skip_trivia(i);
        if let Some((after, _)) = self.eat_keyword(j, "view").filter(|(a, _)| self.peek_punct(a, "(")) {
            let (rest, def) = self.parse_function(skip_trivia(after), true)?;
            return Ok((rest, LetValue::Function(def)));
        }
        if self.looks_like_function(j) {
            let (rest, def) = self.parse_function(j, false)?;
            return Ok((rest, LetValue::Function(def)));
        }
        let (rest, expr) = commit(self.parse_tabular(j))?;
        Ok((rest, LetValue::Expr(expr)))
    }

    /// True when `j` starts `() {` or `(name:`: a parameter list.
    fn looks_like_function(&self, j: &'s str) -> bool {
        let Some(inner) = j.strip_prefix('(') else {
            return false;
        };
        if let Some((after, _)) = self.eat_punct(inner, ")") {
            return self.peek_punct(after, "{");
        }
        self.parse_name(inner).is_ok_and(|(rest, _)| self.peek_punct(rest, ":"))
    }

    /// `(params) { statements }` at `j`, which starts with `(`.
    fn parse_function(&self, j: &'s str, is_view: bool) -> PResult<'s, FunctionDef> {
        let (i, open) = self.parse_punct(j, "(")?;
        let (i, params) = self.parse_params_list(i, open)?;
        let Some((i, brace)) = self.eat_punct(i, "{") else {
            return Err(self.fail(i, "`{` and the function body"));
        };
        let _guard = self.enter(i)?;
        let (i, body) = self.parse_statements(i, Some(brace))?;
        let (rest, _) = self.parse_close(i, '}', brace)?;
        Ok((rest, FunctionDef { params, body, is_view, span: self.span(j, rest) }))
    }

    /// `name: type [= default], ...` up to the `)` of `open`.
    fn parse_params_list(&self, i: &'s str, open: Span) -> PResult<'s, Vec<Param>> {
        let mut params = Vec::new();
        let mut i = i;
        loop {
            if let Some((rest, _)) = self.eat_punct(i, ")") {
                return Ok((rest, params));
            }
            let (rest, param) = self.parse_param(i)?;
            params.push(param);
            i = match self.eat_punct(rest, ",") {
                Some((rest, _)) => rest,
                None => return self.parse_close(rest, ')', open).map(|(r, _)| (r, params)),
            };
        }
    }

    /// `name: type [= default]`, the type scalar or `(cols)` / `(*)`.
    fn parse_param(&self, i: &'s str) -> PResult<'s, Param> {
        let (i, name) = self.parse_name(i).map_err(|_| self.fail(i, "a parameter name"))?;
        let Some((i, _)) = self.eat_punct(i, ":") else {
            return Err(self.fail(i, "`:` and the parameter type"));
        };
        let (i, ty) = match self.eat_punct(i, "(") {
            Some((after, open)) => {
                let after = self.eat_punct(after, "*").map_or(after, |(rest, _)| rest);
                let after = self.eat_punct(after, ",").map_or(after, |(rest, _)| rest);
                let (rest, columns) = self.parse_column_decls(after, open)?;
                (rest, ParamType::Tabular(columns))
            }
            None => {
                let (rest, ty) = self.parse_type_name(i)?;
                (rest, ParamType::Scalar(ty))
            }
        };
        let (rest, default) = match self.eat_assign(i) {
            Some(after) => {
                let (rest, value) = commit(self.parse_expr(after))?;
                (rest, Some(value))
            }
            None => (i, None),
        };
        Ok((rest, Param { name, ty, default }))
    }
}
