//! The interactive shell: `kql repl`, or `kql` alone on a terminal.
//!
//! Input is read with rustyline. A query may span many lines and runs when
//! an empty line follows it (the `input` module holds the exact rule), so a
//! hunting query pasted from the portal runs as one query. Lines that start
//! with `.` are commands (the `commands` module). Queries run on the session,
//! so a `let` stays defined for the queries after it; Ctrl-C cancels a
//! running query by dropping its future.

mod commands;
mod complete;
mod input;
mod progress;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};

use self::commands::DotCommand;
use self::complete::{KqlHelper, Names};
use crate::error::QueryError;
use crate::output::{self, Format, ResultSet};
use crate::session::Session;

/// How long a query runs before the progress spinner appears.
const SPINNER_DELAY: Duration = Duration::from_secs(1);

/// The name queries go by in diagnostics.
const SOURCE_NAME: &str = "input";

/// Exit code when the shell cannot start or read its input.
const EXIT_IO: u8 = 2;

/// Settings of an interactive session.
#[derive(Debug, Clone)]
pub struct ReplOptions {
    /// How results are printed; `.format` changes it.
    pub format: Format,
    /// The history file; `None` keeps history in memory only.
    pub history: Option<PathBuf>,
    /// Table output shows at most this many rows and says how many it left out.
    pub max_rows: usize,
}

impl Default for ReplOptions {
    fn default() -> Self {
        ReplOptions { format: Format::Table, history: default_history_path(), max_rows: 100 }
    }
}

/// `kql/history` in the user's cache folder, such as `~/.cache/kql/history`.
pub fn default_history_path() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("kql").join("history"))
}

/// Runs the shell until `.quit` or Ctrl-D and returns the exit code: 0, or
/// 2 when the terminal cannot be read. Failed queries don't end the shell.
///
/// Reading a line blocks the calling thread, as a terminal prompt should;
/// call this from the runtime's `block_on`, not from a spawned task.
pub async fn run_repl(session: Session, options: ReplOptions) -> u8 {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .history_ignore_space(true)
        .bracketed_paste(true)
        .build();
    let mut editor: Editor<KqlHelper, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            crate::err_line!("kql: cannot start the interactive shell: {e}");
            return EXIT_IO;
        }
    };
    editor.set_helper(Some(KqlHelper::new(Names::of(&session))));
    let mut history = History::open(options.history, &mut editor);
    catch_interrupts();

    let mut repl = Repl { session, format: options.format, max_rows: options.max_rows };
    crate::err_line!(
        "kql {}: {} tables loaded. `.help` for help; an empty line runs the query.",
        env!("CARGO_PKG_VERSION"),
        repl.session.tables().len()
    );
    loop {
        let line = match editor.readline("kql> ") {
            Ok(line) => line,
            // Ctrl-C while typing drops the input.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                crate::err_line!("kql: cannot read the input: {e}");
                return EXIT_IO;
            }
        };
        let text = input::clean(&line);
        if text.is_empty() {
            continue;
        }
        history.add(&mut editor, text);
        let flow = if input::is_dot_command(text) {
            repl.command(text)
        } else {
            // A spinner only on a terminal, and only as wide as it is.
            let columns = io::stderr().is_terminal().then(|| editor.dimensions().map_or(80, |(c, _)| c));
            repl.query(text, columns).await
        };
        if let Some(helper) = editor.helper_mut() {
            helper.names = Names::of(&repl.session);
        }
        if flow == Flow::Quit {
            break;
        }
    }
    0
}

/// Whether the shell goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// The shell's state between inputs.
struct Repl {
    session: Session,
    format: Format,
    max_rows: usize,
}

impl Repl {
    /// Runs one query (one or more `;`-separated statements) and prints
    /// each result, or the diagnostic. A spinner may show on a terminal of
    /// `columns` columns.
    async fn query(&mut self, text: &str, columns: Option<u16>) -> Flow {
        let started = Instant::now();
        match run_cancellable(&mut self.session, text, columns).await {
            None => crate::err_line!("query cancelled"),
            Some(Err(e)) => crate::err_line!("{:?}", e.into_report(SOURCE_NAME, text)),
            Some(Ok(results)) => {
                if results.is_empty() {
                    // The names this input bound, new or redefined.
                    let bound: Vec<String> = match kql_syntax::parse(text) {
                        Ok(q) => q
                            .statements
                            .iter()
                            .filter_map(|s| match s {
                                kql_syntax::ast::Statement::Let(l) => Some(l.name.node.clone()),
                                _ => None,
                            })
                            .collect(),
                        Err(_) => Vec::new(),
                    };
                    if bound.is_empty() {
                        crate::err_line!("done: no tabular statement to show");
                    } else {
                        crate::err_line!("defined: {}", bound.join(", "));
                    }
                }
                self.print_results(&results, started.elapsed());
            }
        }
        Flow::Continue
    }

    fn print_results(&self, results: &[ResultSet], elapsed: Duration) {
        let mut out = io::stdout().lock();
        for (i, result) in results.iter().enumerate() {
            let written = (if i > 0 { writeln!(out) } else { Ok(()) }).and_then(|()| match self.format {
                Format::Table => output::write_table_limited(&mut out, result, self.max_rows),
                other => output::write_result(&mut out, result, other),
            });
            if let Err(e) = written.and_then(|()| out.flush()) {
                crate::err_line!("kql: cannot write the results: {e}");
                return;
            }
            if self.format != Format::Table {
                // The table writer counts rows itself; say it for the others.
                let n = result.num_rows();
                crate::err_line!("({n} row{})", if n == 1 { "" } else { "s" });
            }
        }
        if elapsed >= SPINNER_DELAY {
            crate::err_line!("({:.1} s)", elapsed.as_secs_f64());
        }
    }

    /// Runs a dot-command.
    fn command(&mut self, line: &str) -> Flow {
        let command = match commands::parse(line) {
            Ok(c) => c,
            Err(message) => {
                crate::err_line!("{message}");
                return Flow::Continue;
            }
        };
        let text = match command {
            DotCommand::Quit => return Flow::Quit,
            DotCommand::Help => commands::HELP.to_string(),
            DotCommand::Load { path, name } => {
                self.load(&path, name.as_deref());
                return Flow::Continue;
            }
            DotCommand::Tables => self.tables_text(),
            DotCommand::Schema(name) => match self.schema_text(name.as_deref()) {
                Ok(text) => text,
                Err(message) => {
                    crate::err_line!("{message}");
                    return Flow::Continue;
                }
            },
            DotCommand::Format(None) => format!("{}\n", format_name(self.format)),
            DotCommand::Format(Some(f)) => {
                self.format = f;
                crate::err_line!("format: {}", format_name(f));
                return Flow::Continue;
            }
        };
        let mut out = io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            crate::err_line!("kql: cannot write to standard output: {e}");
        }
        Flow::Continue
    }

    fn load(&mut self, path: &Path, name: Option<&str>) {
        let before: Vec<String> = self.session.tables().into_iter().map(|(n, _)| n).collect();
        let loaded = if path.is_dir() {
            if name.is_some() {
                crate::err_line!("`as NAME` names one file; a folder's tables are named after their files");
                return;
            }
            self.session.load_dir(path)
        } else {
            self.session.load_file(path, name)
        };
        match loaded {
            Ok(warnings) => {
                for w in warnings {
                    crate::err_line!("warning: {w}");
                }
                let tables = self.session.tables();
                let new: Vec<&str> = tables
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .filter(|n| !before.iter().any(|b| b == n))
                    .collect();
                if new.is_empty() {
                    crate::err_line!("loaded {} (replacing a table of the same name)", path.display());
                } else {
                    crate::err_line!("loaded {}", new.join(", "));
                }
            }
            Err(e) => crate::err_line!("{:?}", miette::Report::new(e)),
        }
    }

    fn tables_text(&self) -> String {
        let tables = self.session.tables();
        if tables.is_empty() {
            return "no tables: `.load PATH` loads an export or a folder of them\n".into();
        }
        tables.iter().map(|(name, columns)| format!("{name} ({} columns)\n", columns.len())).collect()
    }

    /// The columns and types of table `name`, or of every table; the error
    /// names the missing table.
    fn schema_text(&self, name: Option<&str>) -> Result<String, String> {
        let tables = self.session.tables();
        let chosen: Vec<_> = match name {
            None => tables.iter().collect(),
            Some(n) => tables.iter().filter(|(t, _)| t == n).collect(),
        };
        if let (Some(n), true) = (name, chosen.is_empty()) {
            let hint = tables
                .iter()
                .find(|(t, _)| t.eq_ignore_ascii_case(n))
                .map(|(t, _)| format!("; did you mean `{t}`?"))
                .unwrap_or_else(|| "; `.tables` lists the tables".into());
            return Err(format!("no table `{n}`{hint}"));
        }
        let mut text = String::new();
        for (i, (table, columns)) in chosen.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&format!("{table}\n"));
            let width = columns.iter().map(|(c, _)| c.chars().count()).max().unwrap_or(0);
            for (column, ty) in columns {
                text.push_str(&format!("  {column:width$}  {}\n", ty.name()));
            }
        }
        Ok(text)
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Table => "table",
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Parquet => "parquet",
    }
}

/// Runs `text` until it finishes (`Some`) or Ctrl-C is pressed (`None`:
/// the query's future is dropped, which stops its work). After a second a
/// spinner with the elapsed time shows on stderr, given the terminal's width.
async fn run_cancellable(
    session: &mut Session,
    text: &str,
    columns: Option<u16>,
) -> Option<Result<Vec<ResultSet>, QueryError>> {
    // The query runs on a runtime of its own, on a clone of the session:
    // Ctrl-C returns to the prompt at once and abandons that runtime, whose
    // threads stop at DataFusion's next yield point; a CPU-bound operator
    // may keep them busy a while, but the next query gets fresh threads
    // instead of queueing behind it. A finished query hands its `let`s back.
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return Some(Err(QueryError::Exec {
                message: format!("cannot start the query's runtime: {e}"),
                span: kql_syntax::Span::default(),
            }));
        }
    };
    let mut worker = session.clone();
    let owned = text.to_string();
    let mut task = runtime.spawn(async move {
        let result = worker.run(&owned).await;
        (worker, result)
    });
    let interrupt = interrupted();
    tokio::pin!(interrupt);
    let delay = tokio::time::sleep(SPINNER_DELAY);
    tokio::pin!(delay);
    let mut waited = false;
    let mut spinner: Option<ProgressBar> = None;
    let outcome = loop {
        tokio::select! {
            joined = &mut task => break Some(match joined {
                Ok((worker, result)) => {
                    *session = worker;
                    result
                }
                Err(e) => Err(QueryError::Exec {
                    message: format!("the query stopped: {e}"),
                    span: kql_syntax::Span::default(),
                }),
            }),
            () = &mut interrupt => break None,
            () = &mut delay, if !waited => {
                waited = true;
                spinner = columns.and_then(|c| progress::start(c, SPINNER_DELAY));
            }
        }
    };
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    if outcome.is_none() {
        task.abort();
    }
    runtime.shutdown_background();
    outcome
}

/// Resolves at the next Ctrl-C; never, if the signal cannot be watched.
///
/// The signal is not read through the runtime: while a query keeps both
/// workers busy, tokio's signal driver is not polled. A plain thread watches
/// a counter that the signal handler bumps and wakes this future instead.
async fn interrupted() {
    let Some(watch) = interrupt_watch() else {
        std::future::pending::<()>().await;
        return;
    };
    let seen = watch.count();
    loop {
        let notified = watch.notify.notified();
        if watch.count() != seen {
            return;
        }
        notified.await;
    }
}

/// Counts SIGINTs and wakes waiters; set up once per process.
struct InterruptWatch {
    notify: tokio::sync::Notify,
}

static INTERRUPTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl InterruptWatch {
    fn count(&self) -> u64 {
        INTERRUPTS.load(std::sync::atomic::Ordering::SeqCst)
    }
}

fn interrupt_watch() -> Option<&'static InterruptWatch> {
    static WATCH: std::sync::OnceLock<Option<&'static InterruptWatch>> = std::sync::OnceLock::new();
    *WATCH.get_or_init(|| {
        #[cfg(unix)]
        {
            // SAFETY: the handler only bumps an atomic counter, which is
            // async-signal-safe.
            let registered = unsafe {
                signal_hook_registry::register(libc::SIGINT, || {
                    INTERRUPTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                })
            };
            if registered.is_err() {
                return None;
            }
            let watch: &'static InterruptWatch =
                Box::leak(Box::new(InterruptWatch { notify: tokio::sync::Notify::new() }));
            let spawned = std::thread::Builder::new().name("kql-interrupts".into()).spawn(move || {
                let mut last = watch.count();
                loop {
                    std::thread::sleep(Duration::from_millis(25));
                    let now = watch.count();
                    if now != last {
                        last = now;
                        watch.notify.notify_waiters();
                    }
                }
            });
            spawned.ok().map(|_| watch)
        }
        #[cfg(not(unix))]
        {
            None
        }
    })
}

/// Takes over SIGINT for the whole session, so a Ctrl-C that arrives while
/// no query runs (during `.load`, say) cannot end the shell.
fn catch_interrupts() {
    #[cfg(unix)]
    {
        let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    }
    let _ = interrupt_watch();
}

/// The history file: loaded at start, appended after each input. Failing to
/// read or write it is reported once and never ends the session.
struct History {
    path: Option<PathBuf>,
}

impl History {
    fn open(path: Option<PathBuf>, editor: &mut Editor<KqlHelper, FileHistory>) -> History {
        let Some(path) = path else {
            return History { path: None };
        };
        if let Some(dir) = path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            crate::err_line!("warning: history is not saved: cannot create {}: {e}", dir.display());
            return History { path: None };
        }
        if path.exists()
            && let Err(e) = editor.load_history(&path)
        {
            crate::err_line!("warning: cannot read the history in {}: {e}", path.display());
        }
        History { path: Some(path) }
    }

    fn add(&mut self, editor: &mut Editor<KqlHelper, FileHistory>, text: &str) {
        if editor.add_history_entry(text).is_err() {
            return;
        }
        if let Some(path) = &self.path
            && let Err(e) = editor.append_history(path)
        {
            crate::err_line!("warning: history is not saved: cannot write {}: {e}", path.display());
            self.path = None;
        }
    }
}
