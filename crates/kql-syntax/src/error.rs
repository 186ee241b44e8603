//! Syntax diagnostics.

use miette::Diagnostic;
use thiserror::Error;

use crate::span::Span;

/// A syntax error, with the span it points at.
///
/// Each variant has a stable code (`kql::syntax::...`) that tests assert on.
#[derive(Clone, Debug, PartialEq, Error, Diagnostic)]
pub enum SyntaxError {
    /// The parser met a token it did not expect.
    ///
    /// `T | where` (a predicate is missing).
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(kql::syntax::unexpected_token))]
    Unexpected {
        /// What would have been valid here.
        expected: String,
        /// What was there (`end of input` at the end).
        found: String,
        /// Where.
        #[label("expected {expected}")]
        span: Span,
        /// A hint, when we have one.
        #[help]
        help: Option<String>,
    },

    /// A string literal is not closed before the end of the text.
    ///
    /// `print "abc`
    #[error("unterminated string literal")]
    #[diagnostic(
        code(kql::syntax::unterminated_string),
        help("close the string with the same quote it was opened with")
    )]
    UnterminatedString {
        /// From the opening quote to the end of the text.
        #[label("this string is never closed")]
        span: Span,
    },

    /// A bracket is not closed.
    ///
    /// `T | where (a > 1`
    #[error("unclosed `{open}`")]
    #[diagnostic(code(kql::syntax::unclosed_bracket))]
    UnclosedBracket {
        /// The opening bracket.
        open: char,
        /// Where it was opened.
        #[label("opened here and never closed")]
        span: Span,
    },

    /// A literal that does not hold a valid value.
    ///
    /// `print int(abc)`, `print 99999999999999999999`
    #[error("invalid {what} literal")]
    #[diagnostic(code(kql::syntax::invalid_literal))]
    InvalidLiteral {
        /// `datetime`, `timespan`, `int`, ...
        what: String,
        /// The literal.
        #[label("not a valid {what}")]
        span: Span,
        /// Why, when we know.
        #[help]
        help: Option<String>,
    },

    /// An unknown type name in `typeof(...)`, a column declaration or a
    /// parameter.
    ///
    /// `print typeof(strng)`
    #[error("unknown type `{name}`")]
    #[diagnostic(
        code(kql::syntax::unknown_type),
        help(
            "the scalar types are bool, int, long, real, decimal, string, datetime, timespan, guid and dynamic"
        )
    )]
    UnknownType {
        /// The name as written.
        name: String,
        /// Where.
        #[label("not a KQL type")]
        span: Span,
    },

    /// The text holds no statement to run.
    #[error("empty query")]
    #[diagnostic(code(kql::syntax::empty_query))]
    Empty {
        /// The (empty) text.
        #[label("nothing to run")]
        span: Span,
    },
}

impl SyntaxError {
    /// The span the error points at.
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::UnterminatedString { span }
            | SyntaxError::UnclosedBracket { span, .. }
            | SyntaxError::InvalidLiteral { span, .. }
            | SyntaxError::UnknownType { span, .. }
            | SyntaxError::Empty { span } => *span,
        }
    }
}
