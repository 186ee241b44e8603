//! Dot-commands: `.load`, `.tables`, `.schema`, `.format`, `.help`, `.quit`.

use std::path::PathBuf;

use crate::output::Format;

/// What `.help` prints.
pub(crate) const HELP: &str = "\
Type a KQL query, or paste one, then press Enter on an empty line to run it.

  Enter          start a new line; the input grows until an empty line
  Enter twice    run what was typed: one query, or statements separated by `;`
  ;;             at the end of a line: run now
  Tab            complete table, column, operator, function and `let` names
  Up, Down       recall earlier input (history is kept between sessions)
  Ctrl-C         clear the input, or cancel the query that is running
  Ctrl-D         quit (on an empty line)

A query pasted from the portal, with its comment lines, runs as one query.
The empty line waits while a bracket or a multi-line string (@\"...\",
```...```) is still open, or while the last line ends with `|`; a second
empty line, or `;;`, runs it anyway. A `let` stays defined for later
queries.

Commands (one line starting with `.`; they run on Enter):
  .load PATH [as NAME]     load an export file (as table NAME) or a folder
  .tables                  list the tables
  .schema [NAME]           columns and types of table NAME, or of all tables
  .format table|csv|json   how results are printed (tables show the first rows)
  .help                    this text
  .quit, .exit             leave (Ctrl-D also does)
";

/// One parsed dot-command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DotCommand {
    /// `.load PATH [as NAME]`.
    Load { path: PathBuf, name: Option<String> },
    /// `.tables`.
    Tables,
    /// `.schema [NAME]`.
    Schema(Option<String>),
    /// `.format [table|csv|json]`; no argument shows the current one.
    Format(Option<Format>),
    /// `.help`.
    Help,
    /// `.quit` or `.exit`.
    Quit,
}

/// Parses a dot-command line; the error is a message for the user.
pub(crate) fn parse(line: &str) -> Result<DotCommand, String> {
    let words = split_words(line.trim())?;
    let Some((command, args)) = words.split_first() else {
        return Err("an empty command; `.help` lists the commands".into());
    };
    let no_args = |cmd: DotCommand| {
        if args.is_empty() { Ok(cmd) } else { Err(format!("`{command}` takes no arguments")) }
    };
    match command.to_lowercase().as_str() {
        ".load" => match args {
            [path] => Ok(DotCommand::Load { path: PathBuf::from(path), name: None }),
            [path, r#as, name] if r#as.eq_ignore_ascii_case("as") => {
                Ok(DotCommand::Load { path: PathBuf::from(path), name: Some(name.clone()) })
            }
            _ => Err("usage: `.load PATH [as NAME]`".into()),
        },
        ".tables" => no_args(DotCommand::Tables),
        ".schema" => match args {
            [] => Ok(DotCommand::Schema(None)),
            [name] => Ok(DotCommand::Schema(Some(name.clone()))),
            _ => Err("usage: `.schema [NAME]`".into()),
        },
        ".format" => match args {
            [] => Ok(DotCommand::Format(None)),
            [f] => match f.to_lowercase().as_str() {
                "table" => Ok(DotCommand::Format(Some(Format::Table))),
                "csv" => Ok(DotCommand::Format(Some(Format::Csv))),
                "json" => Ok(DotCommand::Format(Some(Format::Json))),
                _ => Err(format!("unknown format `{f}`: use `table`, `csv` or `json`")),
            },
            _ => Err("usage: `.format table|csv|json`".into()),
        },
        ".help" | ".h" | ".?" => no_args(DotCommand::Help),
        ".quit" | ".exit" | ".q" => no_args(DotCommand::Quit),
        _ => Err(format!("unknown command `{command}`; `.help` lists the commands")),
    }
}

/// Splits on whitespace; `"…"` and `'…'` keep spaces, and (on Unix, as Tab
/// completion of paths writes them) a backslash escapes the next character.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(other) => current.push(other),
                        None => return Err(format!("a quote {c} is not closed")),
                    }
                }
            }
            '\\' if cfg!(unix) => {
                if let Some(next) = chars.next() {
                    word.get_or_insert_with(String::new).push(next);
                }
            }
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_command() {
        assert_eq!(parse(".tables"), Ok(DotCommand::Tables));
        assert_eq!(parse(" .QUIT "), Ok(DotCommand::Quit));
        assert_eq!(parse(".exit"), Ok(DotCommand::Quit));
        assert_eq!(parse(".schema DeviceInfo"), Ok(DotCommand::Schema(Some("DeviceInfo".into()))));
        assert_eq!(parse(".format csv"), Ok(DotCommand::Format(Some(Format::Csv))));
        assert_eq!(parse(".format"), Ok(DotCommand::Format(None)));
        assert_eq!(
            parse(".load exports/a.csv as Alerts"),
            Ok(DotCommand::Load { path: "exports/a.csv".into(), name: Some("Alerts".into()) })
        );
    }

    #[test]
    fn paths_may_hold_spaces() {
        assert_eq!(
            parse(".load \"my exports/x.csv\""),
            Ok(DotCommand::Load { path: "my exports/x.csv".into(), name: None })
        );
        if cfg!(unix) {
            assert_eq!(
                parse(".load my\\ exports"),
                Ok(DotCommand::Load { path: "my exports".into(), name: None })
            );
        }
    }

    #[test]
    fn mistakes_get_a_message() {
        assert_eq!(parse(".format xml"), Err("unknown format `xml`: use `table`, `csv` or `json`".into()));
        assert_eq!(parse(".tables x"), Err("`.tables` takes no arguments".into()));
        assert_eq!(parse(".load"), Err("usage: `.load PATH [as NAME]`".into()));
        assert_eq!(parse(".nope"), Err("unknown command `.nope`; `.help` lists the commands".into()));
        assert_eq!(parse(".load 'x"), Err("a quote ' is not closed".into()));
    }
}
