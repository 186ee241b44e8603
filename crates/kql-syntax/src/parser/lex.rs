//! Tokens: trivia, words, names, punctuation and string literals.

use nom::Parser as _;
use nom::bytes::complete::take_while;
use nom::character::complete::satisfy;
use nom::combinator::recognize;
use nom::sequence::pair;

use super::Parser;
use super::error::PResult;
use crate::ast::Ident;
use crate::error::SyntaxError;
use crate::span::{Span, Spanned};

/// Skips whitespace (zero-width spaces and byte-order marks included) and
/// `//` comments.
pub(crate) fn skip_trivia(i: &str) -> &str {
    let mut rest = i;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}');
        match rest.strip_prefix("//") {
            Some(comment) => rest = comment.find('\n').map_or("", |n| &comment[n..]),
            None => return rest,
        }
    }
}

/// A character that may start an identifier.
pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// A character that may continue an identifier.
pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// An identifier at the very start of `i` (no trivia).
pub(crate) fn raw_ident(i: &str) -> PResult<'_, &str> {
    recognize(pair(satisfy(is_ident_start), take_while(is_ident_char))).parse(i)
}

/// True when `i` starts a string literal: a quote, `@"`, `h"`, ```` ``` ````.
pub(crate) fn starts_string(i: &str) -> bool {
    let body = i.strip_prefix(['h', 'H']).unwrap_or(i);
    let body = body.strip_prefix('@').unwrap_or(body);
    body.starts_with(['"', '\'']) || (body.len() == i.len() && (i.starts_with("```") || i.starts_with("~~~")))
}

impl<'s> Parser<'s> {
    /// The word (identifier) that starts the next token, if any.
    pub(crate) fn peek_word(&self, i: &'s str) -> Option<&'s str> {
        raw_ident(skip_trivia(i)).ok().map(|(_, w)| w)
    }

    /// True when the next token is the punctuation `p`.
    pub(crate) fn peek_punct(&self, i: &str, p: &str) -> bool {
        skip_trivia(i).starts_with(p)
    }

    /// A plain identifier.
    pub(crate) fn parse_ident(&self, i: &'s str) -> PResult<'s, Ident> {
        let j = skip_trivia(i);
        match raw_ident(j) {
            Ok((rest, word)) => Ok((rest, Spanned::new(word.to_string(), self.span(j, rest)))),
            Err(_) => Err(self.miss(j, "a name")),
        }
    }

    /// A name: an identifier, `$left`-style, or bracket-quoted `['a b']`.
    pub(crate) fn parse_name(&self, i: &'s str) -> PResult<'s, Ident> {
        let j = skip_trivia(i);
        if let Some(body) = j.strip_prefix('$')
            && let Ok((rest, word)) = raw_ident(body)
        {
            return Ok((rest, Spanned::new(format!("${word}"), self.span(j, rest))));
        }
        if self.starts_bracket_name(j) {
            return self.parse_bracket_name(j);
        }
        self.parse_ident(j)
    }

    /// True when `j` (no trivia) starts `['...']` or `["..."]`.
    pub(crate) fn starts_bracket_name(&self, j: &str) -> bool {
        j.strip_prefix('[').is_some_and(|b| starts_string(skip_trivia(b)))
    }

    /// `['name']`: the quoted text is the name.
    fn parse_bracket_name(&self, j: &'s str) -> PResult<'s, Ident> {
        let open = Span::new(self.off(j), self.off(j) + 1);
        let (rest, (name, _)) = self.parse_string_lit(&j[1..])?;
        let (rest, _) = self.parse_close(rest, ']', open)?;
        Ok((rest, Spanned::new(name, self.span(j, rest))))
    }

    /// The keyword `kw` (a whole word).
    pub(crate) fn parse_keyword(&self, i: &'s str, kw: &str) -> PResult<'s, Span> {
        match self.eat_keyword(i, kw) {
            Some(found) => Ok(found),
            None => Err(self.miss(i, &format!("`{kw}`"))),
        }
    }

    /// The keyword `kw` if it comes next.
    pub(crate) fn eat_keyword(&self, i: &'s str, kw: &str) -> Option<(&'s str, Span)> {
        let j = skip_trivia(i);
        let (rest, word) = raw_ident(j).ok()?;
        (word == kw).then(|| (rest, self.span(j, rest)))
    }

    /// The punctuation `p`.
    pub(crate) fn parse_punct(&self, i: &'s str, p: &str) -> PResult<'s, Span> {
        match self.eat_punct(i, p) {
            Some(found) => Ok(found),
            None => Err(self.miss(i, &format!("`{p}`"))),
        }
    }

    /// The punctuation `p` if it comes next.
    pub(crate) fn eat_punct(&self, i: &'s str, p: &str) -> Option<(&'s str, Span)> {
        let j = skip_trivia(i);
        let rest = j.strip_prefix(p)?;
        Some((rest, self.span(j, rest)))
    }

    /// A single `=` (not `==` or `=~`), as in `name = value`.
    pub(crate) fn eat_assign(&self, i: &'s str) -> Option<&'s str> {
        let rest = skip_trivia(i).strip_prefix('=')?;
        (!rest.starts_with(['=', '~', '>'])).then_some(rest)
    }

    /// The closing bracket `close` of the one opened at `open`. At the end
    /// of the text this reports the unclosed bracket.
    pub(crate) fn parse_close(&self, i: &'s str, close: char, open: Span) -> PResult<'s, Span> {
        let j = skip_trivia(i);
        if let Some(rest) = j.strip_prefix(close) {
            return Ok((rest, self.span(j, rest)));
        }
        if j.is_empty() {
            let open_char = self.src[open.start..].chars().next().unwrap_or(close);
            return Err(self.fail_with(SyntaxError::UnclosedBracket { open: open_char, span: open }));
        }
        Err(self.fail(j, &format!("`{close}`")))
    }

    /// One or more adjacent string literals, joined: `"a" 'b'` is `"ab"`.
    pub(crate) fn parse_string_lit(&self, i: &'s str) -> PResult<'s, (String, Span)> {
        let j = skip_trivia(i);
        if !starts_string(j) {
            return Err(self.miss(j, "a string"));
        }
        let (mut rest, mut value) = self.parse_string_token(j)?;
        loop {
            let k = skip_trivia(rest);
            if !starts_string(k) {
                return Ok((rest, (value, self.span(j, rest))));
            }
            let (after, more) = self.parse_string_token(k)?;
            value.push_str(&more);
            rest = after;
        }
    }

    /// One string literal at the very start of `j`, in any of its forms.
    pub(crate) fn parse_string_token(&self, j: &'s str) -> PResult<'s, String> {
        let body = j.strip_prefix(['h', 'H']).filter(|b| starts_string(b)).unwrap_or(j);
        for fence in ["```", "~~~"] {
            if let Some(text) = body.strip_prefix(fence) {
                return self.parse_fenced(j, text, fence);
            }
        }
        match body.strip_prefix('@') {
            Some(verbatim) => self.parse_verbatim(j, verbatim),
            None => self.parse_quoted(j, body),
        }
    }

    /// ```` ```text``` ````: the text as is, over several lines.
    fn parse_fenced(&self, start: &'s str, text: &'s str, fence: &str) -> PResult<'s, String> {
        match text.find(fence) {
            Some(end) => Ok((&text[end + fence.len()..], text[..end].to_string())),
            None => Err(self.unterminated(start, "")),
        }
    }

    /// `@"text"`: no escapes, a doubled quote stands for itself.
    fn parse_verbatim(&self, start: &'s str, body: &'s str) -> PResult<'s, String> {
        let Some(quote) = body.chars().next() else {
            return Err(self.unterminated(start, body));
        };
        let mut value = String::new();
        let mut rest = &body[1..];
        loop {
            let Some(n) = rest.find(quote) else {
                return Err(self.unterminated(start, ""));
            };
            value.push_str(&rest[..n]);
            rest = &rest[n + 1..];
            match rest.strip_prefix(quote) {
                Some(after) => {
                    value.push(quote);
                    rest = after;
                }
                None => return Ok((rest, value)),
            }
        }
    }

    /// `"text"` or `'text'` with backslash escapes, on one line.
    fn parse_quoted(&self, start: &'s str, body: &'s str) -> PResult<'s, String> {
        let mut chars = body.char_indices();
        let Some((_, quote)) = chars.next() else {
            return Err(self.unterminated(start, body));
        };
        let mut value = String::new();
        while let Some((at, c)) = chars.next() {
            match c {
                c if c == quote => return Ok((&body[at + 1..], value)),
                '\n' => return Err(self.unterminated(start, &body[at..])),
                '\\' => {
                    let rest = &body[at + 1..];
                    let (len, decoded) = self.parse_escape(&body[at..], rest)?;
                    value.push_str(&decoded);
                    for _ in 0..len {
                        chars.next();
                    }
                }
                c => value.push(c),
            }
        }
        Err(self.unterminated(start, ""))
    }

    /// The escape after a backslash: how many characters it takes and what
    /// it stands for. Unknown escapes keep the backslash.
    fn parse_escape(
        &self,
        at: &'s str,
        rest: &'s str,
    ) -> Result<(usize, String), nom::Err<super::error::PError>> {
        let Some(c) = rest.chars().next() else {
            return Ok((0, "\\".into()));
        };
        let simple = match c {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '0' => Some('\0'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            '\\' | '"' | '\'' | '/' => Some(c),
            _ => None,
        };
        if let Some(s) = simple {
            return Ok((1, s.to_string()));
        }
        let width = match c {
            'u' => 4,
            'U' => 8,
            'x' => 2,
            _ => return Ok((1, format!("\\{c}"))),
        };
        let hex = rest.get(1..=width).filter(|h| h.chars().all(|d| d.is_ascii_hexdigit()));
        match hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32) {
            Some(decoded) => Ok((1 + width, decoded.to_string())),
            None => {
                let digits = rest[1..].chars().take(width).take_while(char::is_ascii_hexdigit).count();
                let span = Span::new(self.off(at), self.off(rest) + 1 + digits);
                let help = format!("`\\{c}` takes {width} hexadecimal digits of a valid character");
                Err(self.invalid_literal("string", span, Some(help)))
            }
        }
    }

    /// The error for a string opened at `start` and not closed before `end`
    /// (the rest of the text after the last character looked at).
    fn unterminated(&self, start: &str, end: &str) -> nom::Err<super::error::PError> {
        let span = Span::new(self.off(start), self.off(end));
        self.fail_with(SyntaxError::UnterminatedString { span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivia_skips_comments_and_spaces() {
        assert_eq!(skip_trivia("  // c\n\t x"), "x");
        assert_eq!(skip_trivia("// only"), "");
        assert_eq!(skip_trivia("\u{200B}a"), "a");
        assert_eq!(skip_trivia("/x"), "/x");
    }

    #[test]
    fn string_starts() {
        assert!(starts_string("'a'"));
        assert!(starts_string("h\"a\""));
        assert!(starts_string("H@'a'"));
        assert!(starts_string("```x```"));
        assert!(!starts_string("h x"));
        assert!(!starts_string("h```x```"));
        assert!(!starts_string("abc"));
    }
}
