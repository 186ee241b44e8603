//! Scalar expressions, by precedence (lowest first): `or`, `and`,
//! comparisons and string/set operators, `+ -`, `* / %`, unary `- +`,
//! postfix `.name` / `[index]`, then primaries.

use super::Parser;
use super::error::{PResult, commit};
use super::lex::{self, skip_trivia};
use crate::ast::{BinaryOp, Expr, ExprKind, Literal, ScalarType, SetOp, StrOp, StrOpMode, UnaryOp};
use crate::span::{Span, Spanned};

/// An operator at the comparison level.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CmpOp {
    /// An infix operator with one right operand.
    Binary(BinaryOp),
    /// `in`, `has_any`, ... followed by a bracketed list.
    Set(SetOp),
    /// `between`; true for `!between`.
    Between(bool),
}

impl<'s> Parser<'s> {
    /// A scalar expression (a tabular one only inside brackets).
    pub(crate) fn parse_expr(&self, i: &'s str) -> PResult<'s, Expr> {
        let _guard = self.enter(i)?;
        self.parse_or(i)
    }

    /// `a or b or c`
    fn parse_or(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut i, mut left) = self.parse_and(i)?;
        let mut length = 0;
        while let Some((rest, span)) = self.eat_keyword(i, "or") {
            length += 1;
            self.check_chain(length, i)?;
            let (rest, right) = self.parse_and_required(rest)?;
            left = binary(left, BinaryOp::Or, span, right);
            i = rest;
        }
        Ok((i, left))
    }

    fn parse_and_required(&self, i: &'s str) -> PResult<'s, Expr> {
        commit(self.parse_and(i))
    }

    /// `a and b and c`
    fn parse_and(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut i, mut left) = self.parse_comparison(i)?;
        let mut length = 0;
        while let Some((rest, span)) = self.eat_keyword(i, "and") {
            length += 1;
            self.check_chain(length, i)?;
            let (rest, right) = commit(self.parse_comparison(rest))?;
            left = binary(left, BinaryOp::And, span, right);
            i = rest;
        }
        Ok((i, left))
    }

    /// `a == b`, `a has "x"`, `a in (1, 2)`, `a between (1 .. 2)`.
    fn parse_comparison(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut i, mut left) = self.parse_additive(i)?;
        let mut length = 0;
        while let Some((rest, span, op)) = self.peek_comparison(i) {
            length += 1;
            self.check_chain(length, i)?;
            let (rest, expr) = match op {
                CmpOp::Binary(op) => {
                    let (rest, right) = commit(self.parse_additive(rest))?;
                    (rest, binary(left, op, span, right))
                }
                CmpOp::Set(op) => self.parse_in_list(rest, left, Spanned::new(op, span))?,
                CmpOp::Between(negated) => self.parse_between(rest, left, negated)?,
            };
            left = expr;
            i = rest;
        }
        Ok((i, left))
    }

    /// The comparison-level operator that comes next, if any.
    fn peek_comparison(&self, i: &'s str) -> Option<(&'s str, Span, CmpOp)> {
        let j = skip_trivia(i);
        const SYMBOLS: [(&str, BinaryOp); 9] = [
            ("==", BinaryOp::Eq),
            ("!=", BinaryOp::NotEq),
            ("<>", BinaryOp::NotEq),
            ("<=", BinaryOp::LtEq),
            (">=", BinaryOp::GtEq),
            ("=~", BinaryOp::EqTilde),
            ("!~", BinaryOp::NotEqTilde),
            ("<", BinaryOp::Lt),
            (">", BinaryOp::Gt),
        ];
        for (symbol, op) in SYMBOLS {
            if let Some(rest) = j.strip_prefix(symbol) {
                return Some((rest, self.span(j, rest), CmpOp::Binary(op)));
            }
        }
        let negated = j.starts_with('!');
        let (rest, word) = lex::raw_ident(&j[usize::from(negated)..]).ok()?;
        let (rest, op) = self.comparison_word(word, negated, rest)?;
        Some((rest, self.span(j, rest), op))
    }

    /// The operator spelt `word` (after `!` when `negated`).
    fn comparison_word(&self, word: &str, negated: bool, rest: &'s str) -> Option<(&'s str, CmpOp)> {
        let set = |plain, neg| CmpOp::Set(if negated { neg } else { plain });
        match word {
            "in" => Some(match rest.strip_prefix('~') {
                Some(after) => (after, set(SetOp::InCi, SetOp::NotInCi)),
                None => (rest, set(SetOp::In, SetOp::NotIn)),
            }),
            "between" => Some((rest, CmpOp::Between(negated))),
            "has_any" if !negated => Some((rest, CmpOp::Set(SetOp::HasAny))),
            "has_all" if !negated => Some((rest, CmpOp::Set(SetOp::HasAll))),
            "matches" if !negated => {
                let (after, _) = self.eat_keyword(rest, "regex")?;
                let mode = StrOpMode { case_sensitive: true, negated: false };
                Some((after, CmpOp::Binary(BinaryOp::Str(StrOp::MatchesRegex, mode))))
            }
            "notcontains" | "notcontainscs" | "nothas" | "nothascs" if !negated => {
                let (op, cs) = string_op(&word[3..])?;
                let mode = StrOpMode { case_sensitive: cs, negated: true };
                Some((rest, CmpOp::Binary(BinaryOp::Str(op, mode))))
            }
            "notbetween" if !negated => Some((rest, CmpOp::Between(true))),
            _ => {
                let (op, case_sensitive) = string_op(word)?;
                let mode = StrOpMode { case_sensitive, negated };
                Some((rest, CmpOp::Binary(BinaryOp::Str(op, mode))))
            }
        }
    }

    /// `(a, b, ...)` after a set operator.
    fn parse_in_list(&self, i: &'s str, left: Expr, op: Spanned<SetOp>) -> PResult<'s, Expr> {
        let Some((i, open)) = self.eat_punct(i, "(") else {
            return Err(self.fail(i, "`(` and a list of values"));
        };
        let (rest, list) = self.parse_expr_list(i, open, false)?;
        let span = left.span.to(self.span(i, rest));
        let kind = ExprKind::In { expr: Box::new(left), op, list };
        Ok((rest, Expr::new(kind, span)))
    }

    /// Comma-separated tabular expressions up to the `)` that matches
    /// `open` (an empty list is allowed). Call arguments (`named`) may be
    /// `name = value`.
    fn parse_expr_list(&self, i: &'s str, open: Span, named: bool) -> PResult<'s, Vec<Expr>> {
        let mut items = Vec::new();
        if let Some((rest, _)) = self.eat_punct(i, ")") {
            return Ok((rest, items));
        }
        let mut i = i;
        loop {
            let item = if named { self.parse_arg(i) } else { self.parse_tabular(i) };
            let (rest, item) = commit(item)?;
            items.push(item);
            match self.eat_punct(rest, ",") {
                Some((rest, _)) => i = rest,
                None => {
                    let (rest, _) = self.parse_close(rest, ')', open)?;
                    return Ok((rest, items));
                }
            }
        }
    }

    /// One call argument: a (possibly tabular) expression, `*` included,
    /// or a named argument `name = value`.
    fn parse_arg(&self, i: &'s str) -> PResult<'s, Expr> {
        let j = skip_trivia(i);
        if let Ok((rest, word)) = lex::raw_ident(j)
            && let Some(after) = self.eat_assign(rest)
        {
            let name = Spanned::new(word.to_string(), self.span(j, rest));
            let (rest, value) = commit(self.parse_tabular(after))?;
            let span = self.span(j, rest);
            return Ok((rest, Expr::new(ExprKind::NamedArg { name, value: Box::new(value) }, span)));
        }
        self.parse_tabular(j)
    }

    /// `(low .. high)` after `between`.
    fn parse_between(&self, i: &'s str, left: Expr, negated: bool) -> PResult<'s, Expr> {
        let Some((i, open)) = self.eat_punct(i, "(") else {
            return Err(self.fail(i, "`(` and a range `low .. high`"));
        };
        let (i, low) = commit(self.parse_expr(i))?;
        let (i, _) = self.parse_punct(i, "..").map_err(|_| self.fail(i, "`..`"))?;
        let (i, high) = commit(self.parse_expr(i))?;
        let (rest, close) = self.parse_close(i, ')', open)?;
        let span = left.span.to(close);
        let kind =
            ExprKind::Between { expr: Box::new(left), low: Box::new(low), high: Box::new(high), negated };
        Ok((rest, Expr::new(kind, span)))
    }

    /// `a + b - c`
    fn parse_additive(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut i, mut left) = self.parse_multiplicative(i)?;
        let mut length = 0;
        loop {
            length += 1;
            self.check_chain(length, i)?;
            let j = skip_trivia(i);
            let op = match j.chars().next() {
                Some('+') => BinaryOp::Add,
                Some('-') => BinaryOp::Sub,
                _ => return Ok((i, left)),
            };
            let rest = &j[1..];
            let (rest, right) = commit(self.parse_multiplicative(rest))?;
            left = binary(left, op, self.span(j, &j[1..]), right);
            i = rest;
        }
    }

    /// `a * b / c % d`
    fn parse_multiplicative(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut i, mut left) = self.parse_unary(i)?;
        let mut length = 0;
        loop {
            length += 1;
            self.check_chain(length, i)?;
            let j = skip_trivia(i);
            let op = match j.chars().next() {
                Some('*') => BinaryOp::Mul,
                Some('/') => BinaryOp::Div,
                Some('%') => BinaryOp::Mod,
                _ => return Ok((i, left)),
            };
            let rest = &j[1..];
            let (rest, right) = commit(self.parse_unary(rest))?;
            left = binary(left, op, self.span(j, &j[1..]), right);
            i = rest;
        }
    }

    /// `-x`, `+x` (any number of signs, read without recursion).
    fn parse_unary(&self, i: &'s str) -> PResult<'s, Expr> {
        let mut signs = Vec::new();
        let mut j = skip_trivia(i);
        loop {
            let op = match j.chars().next() {
                Some('-') => UnaryOp::Neg,
                Some('+') => UnaryOp::Plus,
                _ => break,
            };
            signs.push((op, self.off(j)));
            self.check_chain(signs.len(), j)?;
            j = skip_trivia(&j[1..]);
        }
        let (rest, mut expr) =
            if signs.is_empty() { self.parse_postfix(j)? } else { commit(self.parse_postfix(j))? };
        for (op, start) in signs.into_iter().rev() {
            let span = Span::new(start, expr.span.end);
            expr = Expr::new(ExprKind::Unary { op, expr: Box::new(expr) }, span);
        }
        Ok((rest, expr))
    }

    /// A primary followed by `.name` and `[index]` accesses.
    pub(crate) fn parse_postfix(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut i, mut expr) = self.parse_primary(i)?;
        let mut length = 0;
        loop {
            length += 1;
            self.check_chain(length, i)?;
            let j = skip_trivia(i);
            let dot =
                j.strip_prefix('.').filter(|a| !a.starts_with(|c: char| c == '.' || c.is_ascii_digit()));
            if let Some(after) = dot.filter(|a| !a.starts_with('[') || self.starts_bracket_name(a)) {
                let (rest, name) = self.parse_member_name(after)?;
                let span = expr.span.to(name.span);
                expr = Expr::new(ExprKind::Member { expr: Box::new(expr), name }, span);
                i = rest;
            } else if let Some(bracket) = dot.or(Some(j)).filter(|b| b.starts_with('[')) {
                let open = Span::new(self.off(bracket), self.off(bracket) + 1);
                let (rest, index) = commit(self.parse_expr(&bracket[1..]))?;
                let (rest, close) = self.parse_close(rest, ']', open)?;
                let span = expr.span.to(close);
                expr = Expr::new(ExprKind::Index { expr: Box::new(expr), index: Box::new(index) }, span);
                i = rest;
            } else {
                return Ok((i, expr));
            }
        }
    }

    /// The name after a `.`: any word (keywords too) or `['quoted']`.
    fn parse_member_name(&self, i: &'s str) -> PResult<'s, crate::ast::Ident> {
        match self.parse_name(i) {
            Ok(found) => Ok(found),
            Err(_) => Err(self.fail(i, "a property name after `.`")),
        }
    }

    /// Literals, names, calls and bracketed expressions.
    fn parse_primary(&self, i: &'s str) -> PResult<'s, Expr> {
        let j = skip_trivia(i);
        if j.starts_with('(') {
            return self.parse_parenthesized(j);
        }
        if lex::starts_string(j) {
            let (rest, (text, span)) = self.parse_string_lit(j)?;
            return Ok((rest, Expr::new(ExprKind::Literal(Literal::String(text)), span)));
        }
        if j.starts_with(|c: char| c.is_ascii_digit())
            || (j.starts_with('.') && j[1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            return self.parse_number(j);
        }
        if let Ok((rest, word)) = lex::raw_ident(j) {
            return self.parse_word(j, word, rest);
        }
        if let Some(rest) = j.strip_prefix('*') {
            return Ok((rest, Expr::new(ExprKind::Star, self.span(j, rest))));
        }
        if j.starts_with('$') || self.starts_bracket_name(j) {
            let (rest, name) = self.parse_name(j)?;
            let span = name.span;
            return Ok((rest, Expr::new(ExprKind::Name(name), span)));
        }
        Err(self.miss(j, "an expression"))
    }

    /// `( ... )`: a scalar expression or a whole pipeline. The span covers
    /// the brackets.
    fn parse_parenthesized(&self, j: &'s str) -> PResult<'s, Expr> {
        let open = Span::new(self.off(j), self.off(j) + 1);
        let (rest, mut inner) = commit(self.parse_tabular(&j[1..]))?;
        let (rest, close) = self.parse_close(rest, ')', open)?;
        inner.span = open.to(close);
        Ok((rest, inner))
    }

    /// An expression that starts with the word `word`: `true`, a typed
    /// literal, `typeof(T)`, a call or a name.
    fn parse_word(&self, j: &'s str, word: &'s str, rest: &'s str) -> PResult<'s, Expr> {
        let span = self.span(j, rest);
        match word {
            "true" | "True" | "TRUE" => {
                return Ok((rest, Expr::new(ExprKind::Literal(Literal::Bool(true)), span)));
            }
            "false" | "False" | "FALSE" => {
                return Ok((rest, Expr::new(ExprKind::Literal(Literal::Bool(false)), span)));
            }
            _ => {}
        }
        let is_call = self.peek_punct(rest, "(");
        if is_call && word == "typeof" {
            return self.parse_typeof(j, rest);
        }
        if let Some(ty) = ScalarType::from_name(word).filter(|_| is_call) {
            match self.parse_typed_literal(j, ty, rest) {
                Err(nom::Err::Error(_)) => {}
                other => return other,
            }
        }
        let func = Spanned::new(word.to_string(), span);
        if !is_call {
            return Ok((rest, Expr::new(ExprKind::Name(func), span)));
        }
        let (args_start, open) = self.parse_punct(rest, "(")?;
        let (after, args) = self.parse_expr_list(args_start, open, true)?;
        Ok((after, Expr::new(ExprKind::Call { func, args }, self.span(j, after))))
    }
}

/// `left op right`, spanning both operands.
fn binary(left: Expr, op: BinaryOp, op_span: Span, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    let kind =
        ExprKind::Binary { op: Spanned::new(op, op_span), left: Box::new(left), right: Box::new(right) };
    Expr::new(kind, span)
}

/// The string operator spelt `word` (without `!`), and whether it is
/// case-sensitive.
fn string_op(word: &str) -> Option<(StrOp, bool)> {
    let (base, cs) = match word.strip_suffix("_cs") {
        Some(base) => (base, true),
        None => match word {
            "containscs" => ("contains", true),
            "hascs" => ("has", true),
            _ => (word, false),
        },
    };
    let op = match base {
        "contains" => StrOp::Contains,
        "has" => StrOp::Has,
        "hasprefix" => StrOp::HasPrefix,
        "hassuffix" => StrOp::HasSuffix,
        "startswith" => StrOp::StartsWith,
        "endswith" => StrOp::EndsWith,
        _ => return None,
    };
    Some((op, cs))
}
