//! When the text typed so far is a whole input: the rule that lets a query
//! pasted from the portal (many lines, comment lines, no blank lines) run as
//! one query.
//!
//! The rule, as `.help` states it:
//!
//! * a line that starts with `.` (a dot-command) runs on Enter;
//! * otherwise Enter starts a new line, and an empty line runs what was typed;
//! * the empty line waits while a bracket or a multi-line string (`@"…"`,
//!   ```` ```…``` ````) is open, or the last line ends with `|`;
//! * `;;` at the end, or a second empty line, runs it anyway.

/// Where the lexer is at the end of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Between tokens or inside one that is not a string or comment.
    Code,
    /// After `//`, up to the end of the line.
    Comment,
    /// Inside `"…"` or `'…'`, which end at the end of the line.
    Quoted(char),
    /// Inside `@"…"` or `@'…'`; may span lines, a doubled quote stays inside.
    Verbatim(char),
    /// Inside ```` ```…``` ```` or `~~~…~~~`; may span lines.
    Fenced(char),
}

/// What a scan of the text found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Brackets opened and not yet closed (never below zero).
    pub(crate) open_brackets: usize,
    /// The lexer state at the end of the text.
    pub(crate) mode: Mode,
    /// The last character outside strings and comments.
    pub(crate) last: Option<char>,
    /// The one before `last`.
    pub(crate) before_last: Option<char>,
}

impl Scan {
    /// True while a string that may span lines is still open.
    pub(crate) fn open_multiline_string(&self) -> bool {
        matches!(self.mode, Mode::Verbatim(_) | Mode::Fenced(_))
    }

    /// True when the text (outside strings and comments) ends in `;;`.
    pub(crate) fn ends_with_double_semicolon(&self) -> bool {
        self.last == Some(';') && self.before_last == Some(';') && !self.open_multiline_string()
    }
}

/// Follows strings, comments and brackets through `text`.
pub(crate) fn scan(text: &str) -> Scan {
    let mut scan = Scan { open_brackets: 0, mode: Mode::Code, last: None, before_last: None };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match scan.mode {
            Mode::Code => {
                match c {
                    '/' if chars.peek() == Some(&'/') => {
                        chars.next();
                        scan.mode = Mode::Comment;
                        continue;
                    }
                    '@' if matches!(chars.peek(), Some('"' | '\'')) => {
                        if let Some(q) = chars.next() {
                            scan.mode = Mode::Verbatim(q);
                        }
                    }
                    '"' | '\'' => scan.mode = Mode::Quoted(c),
                    '`' | '~' if starts_fence(&mut chars, c) => scan.mode = Mode::Fenced(c),
                    '(' | '[' | '{' => scan.open_brackets += 1,
                    ')' | ']' | '}' => scan.open_brackets = scan.open_brackets.saturating_sub(1),
                    _ => {}
                }
                if !c.is_whitespace() {
                    scan.before_last = scan.last;
                    scan.last = Some(c);
                }
            }
            Mode::Comment => {
                if c == '\n' {
                    scan.mode = Mode::Code;
                }
            }
            Mode::Quoted(q) => match c {
                // An escape hides the next character, but not a line end.
                '\\' if chars.peek().is_some_and(|n| *n != '\n') => {
                    chars.next();
                }
                '\n' => scan.mode = Mode::Code,
                c if c == q => scan.mode = Mode::Code,
                _ => {}
            },
            Mode::Verbatim(q) => {
                if c == q {
                    if chars.peek() == Some(&q) {
                        chars.next();
                    } else {
                        scan.mode = Mode::Code;
                    }
                }
            }
            Mode::Fenced(f) => {
                if c == f && starts_fence(&mut chars, f) {
                    scan.mode = Mode::Code;
                }
            }
        }
    }
    scan
}

/// After one `f` was read: true (consuming them) when two more follow.
fn starts_fence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, f: char) -> bool {
    let mut ahead = chars.clone();
    if ahead.next() == Some(f) && ahead.next() == Some(f) {
        chars.next();
        chars.next();
        return true;
    }
    false
}

/// True when the input is a dot-command: one line whose first character is `.`.
pub(crate) fn is_dot_command(input: &str) -> bool {
    let text = input.trim();
    text.starts_with('.') && !text.contains('\n')
}

/// True when the text typed so far should run (see the module docs).
pub(crate) fn is_complete(input: &str) -> bool {
    if input.trim().is_empty() || is_dot_command(input) {
        return true;
    }
    let scan = scan(input);
    if scan.ends_with_double_semicolon() {
        return true;
    }
    let mut lines = input.rsplit('\n');
    let last_blank = lines.next().is_some_and(|l| l.trim().is_empty());
    if !last_blank || !input.contains('\n') {
        return false;
    }
    if lines.next().is_some_and(|l| l.trim().is_empty()) {
        // A second empty line runs the query whatever is still open.
        return true;
    }
    scan.open_brackets == 0 && !scan.open_multiline_string() && scan.last != Some('|')
}

/// The text to run: without surrounding blank lines and a final `;;`.
pub(crate) fn clean(input: &str) -> &str {
    let text = input.trim();
    let text = text.strip_suffix(";;").unwrap_or(text);
    text.trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_query_runs_after_an_empty_line() {
        assert!(!is_complete("DeviceInfo | take 3"));
        assert!(is_complete("DeviceInfo | take 3\n"));
        assert!(is_complete("DeviceInfo | take 3\n   "));
    }

    #[test]
    fn dot_commands_run_on_enter() {
        assert!(is_complete(".tables"));
        assert!(is_complete("  .load data/x.csv as X  "));
        assert!(!is_dot_command("DeviceInfo\n.tables"));
    }

    #[test]
    fn double_semicolon_runs_at_once() {
        assert!(is_complete("print 1;;"));
        assert!(is_complete("print (1;;"), "`;;` runs even with a bracket open");
        assert!(!is_complete("// note ;;"), "`;;` in a comment is text");
        assert!(!is_complete("print ';;'"));
    }

    #[test]
    fn empty_line_waits_for_open_brackets_and_pipes() {
        assert!(!is_complete("let x = materialize (\n  T\n"));
        assert!(is_complete("let x = materialize (\n  T\n);\nx\n"));
        assert!(!is_complete("T |\n"));
        assert!(!is_complete("T | // more below\n"));
        assert!(is_complete("T |\n\n"), "a second empty line runs it anyway");
    }

    #[test]
    fn strings_and_comments_hide_brackets() {
        assert!(is_complete("print '('\n"));
        assert!(is_complete("// ( not code\nprint 1\n"));
        assert!(is_complete("print \"a\\\"(\"\n"));
        assert!(is_complete("print @'c:\\(x'\n"), "no escapes in verbatim strings");
        assert!(is_complete("print @\"a\"\"(b\"\n"), "a doubled quote stays inside");
    }

    #[test]
    fn multiline_strings_keep_the_input_open() {
        assert!(!is_complete("print @\"line one\n"));
        assert!(is_complete("print @\"line one\nline two\"\n"));
        assert!(!is_complete("print ```a\n"));
        assert!(is_complete("print ```a\nb```\n"));
        // A plain quote cannot span lines: the line end closes it.
        assert!(is_complete("print 'abc\n"));
    }

    #[test]
    fn reference_query_is_one_input() {
        let query = include_str!("../../../../queries/defender.kql");
        // Every prefix that ends at a line end stays open: no line is blank.
        for (at, _) in query.match_indices('\n') {
            assert!(!is_complete(&query[..at]), "complete too early at byte {at}");
        }
        let typed = format!("{}\n", query.trim_end());
        assert!(is_complete(&typed));
        let end = scan(query);
        assert_eq!((end.open_brackets, end.mode), (0, Mode::Code));
    }

    #[test]
    fn clean_drops_blank_lines_and_the_run_marker() {
        assert_eq!(clean("\nT | take 1\n\n"), "T | take 1");
        assert_eq!(clean("T | take 1 ;;"), "T | take 1");
        assert_eq!(clean("let a = 1;\n"), "let a = 1;");
    }
}
