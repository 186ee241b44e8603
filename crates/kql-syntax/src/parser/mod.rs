//! The nom parser: query text to [`ast::Query`].
//!
//! The parser works directly on the `&str` of the query. Every rule takes the
//! remaining input, skips the trivia (whitespace and `//` comments) in front
//! of its first token itself, and returns the input right after its last
//! token. So the byte offset of any position is `source.len() - rest.len()`,
//! and a node's span runs from its first token to its last one, trivia
//! excluded.
//!
//! Rules are methods of [`Parser`], which holds the source (for offsets) and
//! the current nesting depth (so that `((((...` cannot overflow the stack).
//! Each returns a nom `IResult` with a [`PError`]: a `nom::Err::Error` lets
//! the caller backtrack and try another reading, a `nom::Err::Failure` (see
//! [`error::commit`], nom's `cut`) means the parser has committed to a
//! construct and the error is final. Most rules decide what comes next by
//! looking at the next token, so backtracking is rare and errors point at the
//! token that is wrong, not at the start of the statement.

mod error;
mod expr;
mod lex;
mod literal;
mod number;
mod operator;
mod pipeline;
mod skip;
mod source;
mod statement;
#[cfg(test)]
mod tests;

use std::cell::Cell;

use crate::ast;
use crate::error::SyntaxError;
use crate::span::Span;

use error::{PError, PResult};

/// How deeply brackets, calls and nested statements may nest.
///
/// Each level of brackets costs two units (the tabular and the scalar rule).
const MAX_DEPTH: usize = 128;

/// How much stack the parser may use, in bytes.
///
/// Unoptimised builds use tens of kilobytes of stack per nested call, so the
/// depth limit alone could still overflow a 2 MiB thread (the default for
/// spawned threads and tests). The parser measures its own stack use and
/// stops with an error well before that.
const STACK_BUDGET: usize = 1024 * 1024;

/// How many operators one chain (`a + b + ...`, `T | op | op ...`) may hold.
///
/// Chains are read by loops, but they build left-nested trees, and a very
/// deep tree would overflow the stack when it is dropped or walked.
const MAX_CHAIN: usize = 1000;

/// Parses a whole query text: statements separated by `;`.
///
/// ```
/// let query = kql_syntax::parse("let n = 5; T | take n").unwrap();
/// assert_eq!(query.statements.len(), 2);
/// ```
pub fn parse(source: &str) -> Result<ast::Query, SyntaxError> {
    let parser = Parser::new(source);
    parser.finish(parser.parse_query(source))
}

/// Parses one scalar or tabular expression, such as `a + 1` or
/// `T | where x > 1`, and nothing else.
///
/// ```
/// let expr = kql_syntax::parse_expr("1 + 2 * 3").unwrap();
/// assert_eq!(expr.span.len(), 9);
/// ```
pub fn parse_expr(source: &str) -> Result<ast::Expr, SyntaxError> {
    let parser = Parser::new(source);
    let result = parser.parse_tabular(source).and_then(|(rest, expr)| {
        let (rest, ()) = parser.parse_end_of_input(rest, "an operator or end of input")?;
        Ok((rest, expr))
    });
    parser.finish(result)
}

/// The state shared by all rules: the source text and the nesting depth.
pub(crate) struct Parser<'s> {
    src: &'s str,
    depth: Cell<usize>,
    /// [`stack_address`] when parsing started.
    stack_base: usize,
}

/// The address of a local variable: how far down the stack the caller is.
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0_u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Decrements the nesting depth when a nested rule returns.
pub(crate) struct DepthGuard<'p> {
    depth: &'p Cell<usize>,
}

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }
}

impl<'s> Parser<'s> {
    fn new(src: &'s str) -> Self {
        Parser { src, depth: Cell::new(0), stack_base: stack_address() }
    }

    /// Byte offset of the remaining input `rest` in the source.
    pub(crate) fn off(&self, rest: &str) -> usize {
        self.src.len().saturating_sub(rest.len())
    }

    /// The span from the start of `from` to the start of `to`, both
    /// remaining inputs.
    pub(crate) fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.off(from), self.off(to))
    }

    /// The source text from `start` to the start of `rest`.
    pub(crate) fn text_from(&self, start: usize, rest: &str) -> &'s str {
        self.src.get(start..self.off(rest)).unwrap_or("")
    }

    /// Enters a nested rule, failing once the nesting is too deep.
    pub(crate) fn enter(&self, i: &'s str) -> Result<DepthGuard<'_>, nom::Err<PError>> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH || self.stack_base.abs_diff(stack_address()) > STACK_BUDGET {
            let help = format!("brackets and calls may nest at most {} levels", MAX_DEPTH / 2);
            return Err(self.fail_help(i, "a less deeply nested expression", help));
        }
        self.depth.set(depth);
        Ok(DepthGuard { depth: &self.depth })
    }

    /// Fails once a chain of operators has grown past [`MAX_CHAIN`].
    pub(crate) fn check_chain(&self, length: usize, i: &'s str) -> Result<(), nom::Err<PError>> {
        if length <= MAX_CHAIN {
            return Ok(());
        }
        let help = format!("a chain may hold at most {MAX_CHAIN} operators");
        Err(self.fail_help(i, "a shorter chain of operators", help))
    }

    /// Succeeds only at the end of the text (trivia allowed).
    fn parse_end_of_input(&self, i: &'s str, expected: &str) -> PResult<'s, ()> {
        let j = lex::skip_trivia(i);
        if j.is_empty() { Ok((j, ())) } else { Err(self.fail(j, expected)) }
    }

    /// Turns a parse result into the public one.
    fn finish<T>(&self, result: PResult<'s, T>) -> Result<T, SyntaxError> {
        match result {
            Ok((_, value)) => Ok(value),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.into_syntax(self.src)),
            Err(nom::Err::Incomplete(_)) => Err(self.unexpected_at(self.src.len(), "more text")),
        }
    }
}
