//! Literals: numbers with spans, `true`/`false`, typed literals such as
//! `datetime(...)` and `T(null)`, `typeof(T)` and `dynamic(...)` values.

use super::Parser;
use super::error::PResult;
use super::lex::{self, skip_trivia};
use super::number::{self, Number};
use crate::ast::{DynValue, Expr, ExprKind, Literal, ScalarType};
use crate::error::SyntaxError;
use crate::span::{Span, Spanned};

impl<'s> Parser<'s> {
    /// A number at the start of `j` (no trivia): `5`, `1.5`, `0x1F`, `1d`.
    pub(crate) fn parse_number(&self, j: &'s str) -> PResult<'s, Expr> {
        match number::lex_number(j) {
            Ok((rest, number)) => {
                let literal = match number {
                    Number::Long(v) => Literal::Long(v),
                    Number::Real(v) => Literal::Real(v),
                    Number::TimeSpan(v) => Literal::TimeSpan(v),
                };
                Ok((rest, Expr::new(ExprKind::Literal(literal), self.span(j, rest))))
            }
            Err(e) => {
                let len = j.find(|c: char| !(lex::is_ident_char(c) || c == '.')).unwrap_or(j.len());
                let span = Span::new(self.off(j), self.off(j) + len);
                let what = match e {
                    number::NumberError::UnknownUnit(_) | number::NumberError::Overflow("timespan") => {
                        "timespan"
                    }
                    number::NumberError::Overflow(_) => "long",
                    number::NumberError::NotANumber => "number",
                };
                Err(self.invalid_literal(what, span, Some(e.help())))
            }
        }
    }

    /// `T(...)` after the type word `T` (which starts at `start`): a typed
    /// literal. `string(...)` is one only as `string(null)`; otherwise this
    /// backtracks so that the caller reads a call.
    pub(crate) fn parse_typed_literal(
        &self,
        start: &'s str,
        ty: ScalarType,
        after_word: &'s str,
    ) -> PResult<'s, Expr> {
        if ty == ScalarType::Dynamic {
            return self.parse_dynamic(start, after_word);
        }
        let j = skip_trivia(after_word);
        let open = Span::new(self.off(j), self.off(j) + 1);
        let body = j.get(1..).unwrap_or("");
        let Some(close) = body.find(')') else {
            if ty == ScalarType::String {
                return Err(self.miss(start, "a literal"));
            }
            return Err(self.fail_with(SyntaxError::UnclosedBracket { open: '(', span: open }));
        };
        let rest = &body[close + 1..];
        let text = body[..close].trim();
        let span = self.span(start, rest);
        if text == "null" {
            return Ok((rest, Expr::new(ExprKind::Literal(Literal::Null(ty)), span)));
        }
        if ty == ScalarType::String {
            return Err(self.miss(start, "a literal"));
        }
        match typed_value(ty, text) {
            Ok(literal) => Ok((rest, Expr::new(ExprKind::Literal(literal), span))),
            Err(help) => Err(self.invalid_literal(ty.name(), span, Some(help))),
        }
    }

    /// `typeof(T)` after the word `typeof`.
    pub(crate) fn parse_typeof(&self, start: &'s str, after_word: &'s str) -> PResult<'s, Expr> {
        let (i, open) = self.parse_punct(after_word, "(")?;
        let (i, ty) = self.parse_type_name(i)?;
        let (rest, _) = self.parse_close(i, ')', open)?;
        Ok((rest, Expr::new(ExprKind::TypeOf(ty), self.span(start, rest))))
    }

    /// A scalar type name such as `string` or `long`.
    pub(crate) fn parse_type_name(&self, i: &'s str) -> PResult<'s, Spanned<ScalarType>> {
        let j = skip_trivia(i);
        let Ok((rest, word)) = lex::raw_ident(j) else {
            return Err(self.fail(j, "a type"));
        };
        let span = self.span(j, rest);
        match ScalarType::from_name(word) {
            Some(ty) => Ok((rest, Spanned::new(ty, span))),
            None => Err(self.fail_with(SyntaxError::UnknownType { name: word.into(), span })),
        }
    }

    /// `dynamic(...)` after the word `dynamic`.
    fn parse_dynamic(&self, start: &'s str, after_word: &'s str) -> PResult<'s, Expr> {
        let (i, open) = self.parse_punct(after_word, "(")?;
        let (i, value) = self.parse_dyn_value(i)?;
        let (rest, _) = self.parse_close(i, ')', open)?;
        let literal = match value {
            DynValue::Null => Literal::Null(ScalarType::Dynamic),
            value => Literal::Dynamic(value),
        };
        Ok((rest, Expr::new(ExprKind::Literal(literal), self.span(start, rest))))
    }

    /// One JSON-like value inside `dynamic(...)`.
    fn parse_dyn_value(&self, i: &'s str) -> PResult<'s, DynValue> {
        let _guard = self.enter(i)?;
        let j = skip_trivia(i);
        if j.starts_with('[') {
            return self.parse_dyn_array(j);
        }
        if j.starts_with('{') {
            return self.parse_dyn_object(j);
        }
        if lex::starts_string(j) {
            let (rest, (text, _)) = self.parse_string_lit(j)?;
            return Ok((rest, DynValue::String(text)));
        }
        if let Ok((rest, word)) = lex::raw_ident(j) {
            return self.parse_dyn_word(j, word, rest);
        }
        if j.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.') {
            return self.parse_dyn_number(j);
        }
        Err(self.fail(j, "a dynamic value"))
    }

    /// `null`, `true`, `false`, `datetime(...)`, `timespan(...)`.
    fn parse_dyn_word(&self, j: &'s str, word: &str, rest: &'s str) -> PResult<'s, DynValue> {
        match word {
            "null" => return Ok((rest, DynValue::Null)),
            "true" | "True" | "TRUE" => return Ok((rest, DynValue::Bool(true))),
            "false" | "False" | "FALSE" => return Ok((rest, DynValue::Bool(false))),
            _ => {}
        }
        let typed = ScalarType::from_name(word).filter(|_| self.peek_punct(rest, "("));
        let Some(ty) = typed else {
            return Err(self.fail(j, "a dynamic value"));
        };
        let (after, expr) = self.parse_typed_literal(j, ty, rest)?;
        let value = match expr.kind {
            ExprKind::Literal(Literal::DateTime(text)) => DynValue::DateTime(text),
            ExprKind::Literal(Literal::TimeSpan(ticks)) => DynValue::TimeSpan(ticks),
            ExprKind::Literal(Literal::Long(v)) => DynValue::Long(v),
            ExprKind::Literal(Literal::Int(v)) => DynValue::Long(v.into()),
            ExprKind::Literal(Literal::Real(v)) => DynValue::Real(v),
            ExprKind::Literal(Literal::Bool(v)) => DynValue::Bool(v),
            ExprKind::Literal(Literal::Guid(text) | Literal::Decimal(text)) => DynValue::String(text),
            ExprKind::Literal(Literal::Dynamic(v)) => v,
            _ => DynValue::Null,
        };
        Ok((after, value))
    }

    /// `-1`, `2.5`, `1d` inside a dynamic literal.
    fn parse_dyn_number(&self, j: &'s str) -> PResult<'s, DynValue> {
        let negative = j.starts_with('-');
        let body = j.strip_prefix(['-', '+']).unwrap_or(j);
        let (rest, expr) = self.parse_number(body)?;
        let value = match expr.kind {
            ExprKind::Literal(Literal::Long(v)) => DynValue::Long(if negative { -v } else { v }),
            ExprKind::Literal(Literal::Real(v)) => DynValue::Real(if negative { -v } else { v }),
            ExprKind::Literal(Literal::TimeSpan(v)) => DynValue::TimeSpan(if negative { -v } else { v }),
            _ => DynValue::Null,
        };
        Ok((rest, value))
    }

    /// `[a, b, ...]` (a trailing comma is allowed).
    fn parse_dyn_array(&self, j: &'s str) -> PResult<'s, DynValue> {
        let open = Span::new(self.off(j), self.off(j) + 1);
        let mut items = Vec::new();
        let mut i = &j[1..];
        loop {
            if let Some((rest, _)) = self.eat_punct(i, "]") {
                return Ok((rest, DynValue::Array(items)));
            }
            if skip_trivia(i).is_empty() {
                return Err(self.fail_with(SyntaxError::UnclosedBracket { open: '[', span: open }));
            }
            let (rest, item) = self.parse_dyn_value(i)?;
            items.push(item);
            i = match self.eat_punct(rest, ",") {
                Some((rest, _)) => rest,
                None => return self.parse_close(rest, ']', open).map(|(r, _)| (r, DynValue::Array(items))),
            };
        }
    }

    /// `{"key": value, ...}` (keys may also be bare words).
    fn parse_dyn_object(&self, j: &'s str) -> PResult<'s, DynValue> {
        let open = Span::new(self.off(j), self.off(j) + 1);
        let mut fields = Vec::new();
        let mut i = &j[1..];
        loop {
            if let Some((rest, _)) = self.eat_punct(i, "}") {
                return Ok((rest, DynValue::Object(fields)));
            }
            if skip_trivia(i).is_empty() {
                return Err(self.fail_with(SyntaxError::UnclosedBracket { open: '{', span: open }));
            }
            let (rest, key) = self.parse_dyn_key(i)?;
            let (rest, _) = self.parse_punct(rest, ":").map_err(|_| self.fail(rest, "`:`"))?;
            let (rest, value) = self.parse_dyn_value(rest)?;
            fields.push((key, value));
            i = match self.eat_punct(rest, ",") {
                Some((rest, _)) => rest,
                None => return self.parse_close(rest, '}', open).map(|(r, _)| (r, DynValue::Object(fields))),
            };
        }
    }

    /// A property name: a string or a bare word.
    fn parse_dyn_key(&self, i: &'s str) -> PResult<'s, String> {
        let j = skip_trivia(i);
        if lex::starts_string(j) {
            let (rest, (key, _)) = self.parse_string_lit(j)?;
            return Ok((rest, key));
        }
        match lex::raw_ident(j) {
            Ok((rest, word)) => Ok((rest, word.to_string())),
            Err(_) => Err(self.fail(j, "a property name")),
        }
    }
}

/// The value of `ty(text)`, or why the text is not one.
fn typed_value(ty: ScalarType, text: &str) -> Result<Literal, String> {
    let text = unquote(text);
    match ty {
        ScalarType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Literal::Bool(true)),
            "false" | "0" => Ok(Literal::Bool(false)),
            _ => Err("a bool is `true` or `false`".into()),
        },
        ScalarType::Int => match signed_number(text) {
            Some(Number::Long(v)) => i32::try_from(v)
                .map(Literal::Int)
                .map_err(|_| "the value does not fit in an int (32 bits)".into()),
            _ => Err("an int is a whole number".into()),
        },
        ScalarType::Long => match signed_number(text) {
            Some(Number::Long(v)) => Ok(Literal::Long(v)),
            _ => Err("a long is a whole number that fits in 64 bits".into()),
        },
        ScalarType::Real => real_value(text).map(Literal::Real),
        ScalarType::Decimal => match signed_number(text) {
            Some(Number::Long(_) | Number::Real(_)) => Ok(Literal::Decimal(text.to_string())),
            _ => Err("a decimal is a number such as `1.5`".into()),
        },
        ScalarType::DateTime => datetime_value(text).map(Literal::DateTime),
        ScalarType::TimeSpan => number::timespan_text(text)
            .map(Literal::TimeSpan)
            .ok_or_else(|| "a timespan is written `1d`, `2h`, `30m` or `[d.]hh:mm:ss[.fffffff]`".into()),
        ScalarType::Guid => guid_value(text).map(Literal::Guid),
        ScalarType::String | ScalarType::Dynamic => Err("not a literal".into()),
    }
}

/// `"text"` or `'text'` around a typed literal's text: the inside.
fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner.trim();
        }
    }
    text
}

/// A whole number or real with an optional sign, and nothing else.
fn signed_number(text: &str) -> Option<Number> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body.trim_start()),
        None => (false, text.strip_prefix('+').unwrap_or(text).trim_start()),
    };
    let (rest, number) = number::lex_number(body).ok()?;
    if !rest.trim().is_empty() {
        return None;
    }
    Some(match number {
        Number::Long(v) if negative => Number::Long(v.checked_neg()?),
        Number::Real(v) if negative => Number::Real(-v),
        Number::TimeSpan(_) => return None,
        other => other,
    })
}

/// `real(...)`: a number, `nan`, `inf`, `+inf` or `-inf`.
fn real_value(text: &str) -> Result<f64, String> {
    match text {
        "nan" | "NaN" => return Ok(f64::NAN),
        "inf" | "+inf" => return Ok(f64::INFINITY),
        "-inf" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    match signed_number(text) {
        Some(Number::Long(v)) => Ok(v as f64),
        Some(Number::Real(v)) => Ok(v),
        _ => Err("a real is a number, `nan`, `+inf` or `-inf`".into()),
    }
}

/// `datetime(...)`: kept as written once it looks like a date.
fn datetime_value(text: &str) -> Result<String, String> {
    let starts_like_date = text.starts_with(|c: char| c.is_ascii_digit());
    if starts_like_date && text.chars().all(|c| c.is_ascii_alphanumeric() || " -:./+TZ,".contains(c)) {
        Ok(text.to_string())
    } else {
        Err("a datetime is written like `2024-01-31`, `2024-01-31 10:00:00` or `2024-01-31T10:00:00Z`".into())
    }
}

/// `guid(...)`: 32 hexadecimal digits, with or without the dashes.
fn guid_value(text: &str) -> Result<String, String> {
    let hex = text.chars().filter(char::is_ascii_hexdigit).count();
    let only_hex_and_dashes = text.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if hex == 32 && only_hex_and_dashes {
        Ok(text.to_string())
    } else {
        Err("a guid is 32 hexadecimal digits such as `74be27de-1e4e-49d9-b579-fe0b331d3642`".into())
    }
}
