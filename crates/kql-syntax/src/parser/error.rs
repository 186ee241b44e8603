//! The parser's internal error and its conversion into [`SyntaxError`].

use nom::error::{ErrorKind, ParseError};

use super::Parser;
use super::lex;
use crate::error::SyntaxError;
use crate::span::Span;

/// What a rule returns: the rest of the input and a value, or an error.
pub(crate) type PResult<'s, T> = nom::IResult<&'s str, T, PError>;

/// An error inside the parser.
#[derive(Debug)]
pub(crate) enum PError {
    /// A nom primitive did not match. Only the position is known: the
    /// length of the input that was left.
    Mismatch {
        /// `rest.len()` where the primitive failed.
        rest_len: usize,
    },
    /// A finished diagnostic.
    Syntax(SyntaxError),
}

impl<'a> ParseError<&'a str> for PError {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        PError::Mismatch { rest_len: input.len() }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        match (&self, &other) {
            (PError::Syntax(_), PError::Mismatch { .. }) => self,
            _ => other,
        }
    }
}

impl PError {
    /// The public error. A bare mismatch becomes an unexpected token.
    pub(crate) fn into_syntax(self, src: &str) -> SyntaxError {
        match self {
            PError::Syntax(e) => e,
            PError::Mismatch { rest_len } => {
                let (found, span) = token_at(src, src.len().saturating_sub(rest_len));
                SyntaxError::Unexpected { expected: "valid KQL".into(), found, span, help: None }
            }
        }
    }
}

impl<'s> Parser<'s> {
    /// A committed "expected X, found Y" error at the next token of `i`.
    pub(crate) fn fail(&self, i: &str, expected: &str) -> nom::Err<PError> {
        let at = self.off(lex::skip_trivia(i));
        nom::Err::Failure(PError::Syntax(self.unexpected_at(at, expected)))
    }

    /// Like [`Parser::fail`], with a help line.
    pub(crate) fn fail_help(&self, i: &str, expected: &str, help: String) -> nom::Err<PError> {
        let at = self.off(lex::skip_trivia(i));
        let mut err = self.unexpected_at(at, expected);
        if let SyntaxError::Unexpected { help: slot, .. } = &mut err {
            *slot = Some(help);
        }
        nom::Err::Failure(PError::Syntax(err))
    }

    /// A recoverable "expected X" error, for look-ahead that may backtrack.
    pub(crate) fn miss(&self, i: &str, expected: &str) -> nom::Err<PError> {
        match self.fail(i, expected) {
            nom::Err::Failure(e) => nom::Err::Error(e),
            other => other,
        }
    }

    /// A committed error from a finished diagnostic.
    pub(crate) fn fail_with(&self, err: SyntaxError) -> nom::Err<PError> {
        nom::Err::Failure(PError::Syntax(err))
    }

    /// A committed invalid-literal error.
    pub(crate) fn invalid_literal(&self, what: &str, span: Span, help: Option<String>) -> nom::Err<PError> {
        self.fail_with(SyntaxError::InvalidLiteral { what: what.into(), span, help })
    }

    /// An "expected X, found Y" diagnostic at byte offset `at`.
    pub(crate) fn unexpected_at(&self, at: usize, expected: &str) -> SyntaxError {
        let (found, span) = token_at(self.src, at);
        SyntaxError::Unexpected { expected: expected.into(), found, span, help: None }
    }
}

/// Turns a recoverable error into a committed one.
pub(crate) fn commit<T>(result: PResult<'_, T>) -> PResult<'_, T> {
    result.map_err(|e| match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    })
}

/// The token that starts at byte `at` of `src`, and its span: what an error
/// message calls "found".
pub(crate) fn token_at(src: &str, at: usize) -> (String, Span) {
    let rest = src.get(at..).unwrap_or("");
    let len = token_len(rest);
    if len == 0 {
        return ("end of input".into(), last_token(src));
    }
    (rest[..len].to_string(), Span::new(at, at + len))
}

/// The last token of `src` (trailing whitespace and comments aside are not
/// skipped: whitespace only), so that an error at the end of the text points
/// at what the text ends with rather than at an empty spot after it.
fn last_token(src: &str) -> Span {
    let end = src.trim_end().len();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let start = match src[..end].chars().next_back() {
        Some(c) if word(c) => src[..end].trim_end_matches(word).len(),
        Some(c) => end - c.len_utf8(),
        None => return Span::new(src.len(), src.len()),
    };
    Span::new(start, end)
}

/// Byte length of the token at the start of `rest` (0 at the end).
fn token_len(rest: &str) -> usize {
    let Some(first) = rest.chars().next() else {
        return 0;
    };
    if lex::is_ident_start(first) || first == '$' {
        let body = &rest[first.len_utf8()..];
        return first.len_utf8() + body.find(|c| !lex::is_ident_char(c)).unwrap_or(body.len());
    }
    if first.is_ascii_digit() {
        return rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.')).unwrap_or(rest.len());
    }
    if first == '"' || first == '\'' {
        let body = &rest[1..];
        let end = body.find([first, '\n']).map_or(body.len(), |n| n + 1);
        return 1 + end.min(body.len());
    }
    const PAIRS: [&str; 9] = ["==", "!=", "<>", "<=", ">=", "=~", "!~", "..", "=>"];
    if PAIRS.iter().any(|p| rest.starts_with(p)) {
        return 2;
    }
    first.len_utf8()
}

/// The closest of `candidates` to `word` by edit distance, when close enough
/// to be a likely typo.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_lowercase(), c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = diag + usize::from(ca != *cb);
            diag = row[j + 1];
            row[j + 1] = subst.min(row[j] + 1).min(diag + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_for_messages() {
        assert_eq!(token_at("a | wher x", 4), ("wher".into(), Span::new(4, 8)));
        assert_eq!(token_at("x == 1", 2), ("==".into(), Span::new(2, 4)));
        assert_eq!(token_at("abc", 3), ("end of input".into(), Span::new(0, 3)));
        assert_eq!(token_at("T | take  ", 10), ("end of input".into(), Span::new(4, 8)));
        assert_eq!(token_at("f(a,", 4), ("end of input".into(), Span::new(3, 4)));
        assert_eq!(token_at("", 0), ("end of input".into(), Span::new(0, 0)));
        assert_eq!(token_at("'ab' x", 0), ("'ab'".into(), Span::new(0, 4)));
        assert_eq!(token_at("12.5d,", 0), ("12.5d".into(), Span::new(0, 5)));
    }

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(did_you_mean("wher", &["where", "extend"]), Some("where"));
        assert_eq!(did_you_mean("summarise", &["summarize", "sort"]), Some("summarize"));
        assert_eq!(did_you_mean("zzzzzz", &["where", "extend"]), None);
    }
}
