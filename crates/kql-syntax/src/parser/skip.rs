//! Skipping the text of constructs we recognise but do not parse in detail
//! (unsupported operators, sources and statements).

use super::Parser;
use super::error::PResult;
use super::lex::{self, skip_trivia};
use crate::error::SyntaxError;
use crate::span::Span;

impl<'s> Parser<'s> {
    /// Skips text up to the next top-level `;` (and `|` when `stop_at_pipe`)
    /// or the closing bracket of the enclosing construct, keeping nested
    /// brackets balanced and string literals whole. Returns the input right
    /// after the last skipped token.
    ///
    /// A blank line or a `let` at the top level also ends the text: hunting
    /// queries are often pasted one after another without a `;`, and the
    /// next query must not vanish into the skipped text.
    pub(crate) fn skip_balanced(&self, i: &'s str, stop_at_pipe: bool) -> PResult<'s, ()> {
        let mut open: Vec<(char, Span)> = Vec::new();
        let mut end = i;
        let mut j = skip_trivia(i);
        while let Some(c) = j.chars().next() {
            let stops = c == ';' || (stop_at_pipe && c == '|') || matches!(c, ')' | ']' | '}');
            let trivia = &end[..end.len() - j.len()];
            let new_statement = has_blank_line(trivia) || lex::raw_ident(j).is_ok_and(|(_, w)| w == "let");
            if open.is_empty() && (stops || new_statement) {
                break;
            }
            let rest = self.skip_token(j, c, &mut open)?;
            end = rest;
            j = skip_trivia(rest);
        }
        if let Some(&(close, span)) = open.last() {
            let open_char = opener(close);
            return Err(self.fail_with(SyntaxError::UnclosedBracket { open: open_char, span }));
        }
        Ok((end, ()))
    }

    /// Skips one token that starts with `c`, tracking brackets in `open`.
    fn skip_token(
        &self,
        j: &'s str,
        c: char,
        open: &mut Vec<(char, Span)>,
    ) -> Result<&'s str, nom::Err<super::error::PError>> {
        if lex::starts_string(j) {
            let (rest, _) = self.parse_string_token(j)?;
            return Ok(rest);
        }
        if let Ok((rest, _)) = lex::raw_ident(j) {
            return Ok(rest);
        }
        let rest = &j[c.len_utf8()..];
        match c {
            '(' => open.push((')', self.span(j, rest))),
            '[' => open.push((']', self.span(j, rest))),
            '{' => open.push(('}', self.span(j, rest))),
            ')' | ']' | '}' => match open.pop() {
                Some((close, _)) if close == c => {}
                Some((close, _)) => return Err(self.fail(j, &format!("`{close}`"))),
                None => return Err(self.fail(j, "a matching opening bracket")),
            },
            _ => {}
        }
        Ok(rest)
    }
}

/// True when `trivia` holds an empty line (comment lines are not empty).
fn has_blank_line(trivia: &str) -> bool {
    let mut lines = trivia.split('\n');
    lines.next();
    let mut interior = lines.collect::<Vec<_>>();
    interior.pop();
    interior.iter().any(|line| line.trim().is_empty())
}

/// The opening bracket of `close`.
fn opener(close: char) -> char {
    match close {
        ')' => '(',
        ']' => '[',
        _ => '{',
    }
}

#[cfg(test)]
mod tests {
    use super::has_blank_line;

    #[test]
    fn blank_lines_in_trivia() {
        assert!(has_blank_line(" \n\n//x\n"));
        assert!(has_blank_line("\n  \t\n"));
        assert!(!has_blank_line(" \n// c\n  "));
        assert!(!has_blank_line("\n"));
        assert!(!has_blank_line(" "));
    }
}
