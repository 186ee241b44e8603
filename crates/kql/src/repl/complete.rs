//! The line-editor helper: Tab completion of names and the rule for when
//! the input is complete.

use std::collections::BTreeSet;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper, Highlighter, Hinter};

use super::input::{Mode, is_complete, is_dot_command, scan};
use crate::session::Session;

/// Words of the language that are neither operators nor functions.
const LANGUAGE_WORDS: &str = "let by on with kind and or asc desc nulls first last has has_any has_all \
    contains startswith endswith matches regex between materialize true false inner innerunique leftouter \
    rightouter fullouter leftanti rightanti leftsemi rightsemi typeof datetime timespan dynamic string long int \
    real bool";

/// The dot-commands, for completing the word after `.`.
pub(crate) const DOT_COMMANDS: &[&str] =
    &[".load", ".tables", ".schema", ".format", ".help", ".quit", ".exit"];

/// Every name Tab can complete, from the session as it is now.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// Table names, for `.schema`.
    tables: Vec<String>,
    /// Tables, columns, `let` names, operators, functions and language words.
    all: BTreeSet<String>,
}

impl Names {
    /// The names of `session`'s tables, columns and `let`s, with the
    /// operator keywords and function names.
    pub(crate) fn of(session: &Session) -> Names {
        let mut all: BTreeSet<String> = BTreeSet::new();
        let mut tables = Vec::new();
        for (table, columns) in session.tables() {
            all.extend(columns.into_iter().map(|(name, _)| name));
            all.insert(table.clone());
            tables.push(table);
        }
        all.extend(session.let_names());
        all.extend(kql_syntax::ast::OPERATOR_KEYWORDS.iter().map(|k| k.to_string()));
        all.extend(kql_functions::registry::all().map(|f| f.name.to_string()));
        all.extend(LANGUAGE_WORDS.split_whitespace().map(String::from));
        Names { tables, all }
    }

    /// Names that start with `prefix`: case-exact ones, or when there are
    /// none, those that match ignoring case.
    pub(crate) fn starting_with(&self, prefix: &str) -> Vec<String> {
        let exact: Vec<String> = self.all.iter().filter(|n| n.starts_with(prefix)).cloned().collect();
        if !exact.is_empty() {
            return exact;
        }
        let lower = prefix.to_lowercase();
        self.all.iter().filter(|n| n.to_lowercase().starts_with(&lower)).cloned().collect()
    }

    /// True when some name starts with `prefix`, case-exact.
    fn any_starts_with(&self, prefix: &str) -> bool {
        self.all.range(prefix.to_string()..).next().is_some_and(|n| n.starts_with(prefix))
    }
}

/// Where the word under the cursor starts in `before` (the text up to the
/// cursor). A `-` belongs to the word only when it makes an operator
/// keyword such as `project-away`; otherwise it is a minus.
pub(crate) fn word_start(before: &str, names: &Names) -> usize {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let plain = before.rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1);
    let dashed = before.rfind(|c: char| !is_word(c) && c != '-').map_or(0, |i| i + 1);
    if dashed < plain && names.any_starts_with(&before[dashed..]) { dashed } else { plain }
}

/// The editor helper: completion from [`Names`] and the input rule of
/// [`super::input`].
#[derive(Helper, Hinter, Highlighter)]
pub(crate) struct KqlHelper {
    /// Names as of the last command.
    pub(crate) names: Names,
    files: FilenameCompleter,
}

impl KqlHelper {
    /// A helper completing `names`.
    pub(crate) fn new(names: Names) -> KqlHelper {
        KqlHelper { names, files: FilenameCompleter::new() }
    }

    /// Completion inside a dot-command: the command itself, then a path,
    /// a table name or a format.
    fn complete_dot(&self, line: &str, pos: usize) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let offset = before.len() - before.trim_start().len();
        let text = before.trim_start();
        let Some(space) = text.find(char::is_whitespace) else {
            let found = DOT_COMMANDS.iter().filter(|c| c.starts_with(text)).map(|c| pair(c)).collect();
            return Ok((offset, found));
        };
        let argument_start = offset + space + (text[space..].len() - text[space..].trim_start().len());
        let argument = &line[argument_start..pos];
        let found: Vec<Pair> = match &text[..space] {
            ".load" => return self.files.complete_path(line, pos),
            ".schema" => {
                self.names.tables.iter().filter(|t| t.starts_with(argument)).map(|t| pair(t)).collect()
            }
            ".format" => {
                ["table", "csv", "json"].iter().filter(|f| f.starts_with(argument)).map(|f| pair(f)).collect()
            }
            _ => Vec::new(),
        };
        Ok((argument_start, found))
    }
}

fn pair(text: &str) -> Pair {
    Pair { display: text.to_string(), replacement: text.to_string() }
}

impl Completer for KqlHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let Some(before) = line.get(..pos) else {
            return Ok((pos, Vec::new()));
        };
        if is_dot_command(before) {
            return self.complete_dot(line, pos);
        }
        if scan(before).mode != Mode::Code {
            // Inside a string or a comment: nothing to complete.
            return Ok((pos, Vec::new()));
        }
        let start = word_start(before, &self.names);
        let word = &before[start..];
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok((pos, Vec::new()));
        }
        Ok((start, self.names.starting_with(word).iter().map(|n| pair(n)).collect()))
    }
}

impl Validator for KqlHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        if is_complete(ctx.input()) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(words: &[&str]) -> Names {
        Names { tables: vec!["DeviceInfo".into()], all: words.iter().map(|w| w.to_string()).collect() }
    }

    #[test]
    fn exact_case_first_then_any_case() {
        let n = names(&["IsInternetFacing", "isempty", "InternetFacingReason"]);
        assert_eq!(n.starting_with("IsInternetF"), ["IsInternetFacing"]);
        assert_eq!(n.starting_with("is"), ["isempty"]);
        assert_eq!(n.starting_with("ISINT"), ["IsInternetFacing"]);
        assert!(n.starting_with("Nope").is_empty());
    }

    #[test]
    fn dash_joins_the_word_only_for_keywords() {
        let n = names(&["project", "project-away", "Port"]);
        let text = "T | project-a";
        assert_eq!(&text[word_start(text, &n)..], "project-a");
        let text = "T | extend x = LocalPort-Po";
        assert_eq!(&text[word_start(text, &n)..], "Po");
        let text = "T | where IsInternetF";
        assert_eq!(&text[word_start(text, &n)..], "IsInternetF");
    }

    #[test]
    fn completes_names_commands_and_arguments() {
        let helper = KqlHelper::new(names(&["DeviceInfo", "DeviceId", "where"]));
        let history = rustyline::history::MemHistory::new();
        let ctx = Context::new(&history);
        let complete = |line: &str| {
            let (start, found) = helper.complete(line, line.len(), &ctx).expect("complete");
            (start, found.into_iter().map(|p| p.replacement).collect::<Vec<_>>())
        };
        assert_eq!(complete("DeviceInfo | wh"), (13, vec!["where".to_string()]));
        assert_eq!(complete("Dev"), (0, vec!["DeviceId".to_string(), "DeviceInfo".to_string()]));
        assert_eq!(complete(".sch"), (0, vec![".schema".to_string()]));
        assert_eq!(complete(".schema Dev"), (8, vec!["DeviceInfo".to_string()]));
        assert_eq!(complete(".format c"), (8, vec!["csv".to_string()]));
        assert_eq!(complete("print 'Dev").1, Vec::<String>::new(), "no completion in strings");
        assert_eq!(complete("// Dev").1, Vec::<String>::new(), "no completion in comments");
    }
}
