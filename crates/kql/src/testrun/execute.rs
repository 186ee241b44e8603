//! Running one case to an outcome: on its own thread with its own runtime,
//! so that a case that panics or never finishes cannot take the run down.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use miette::{GraphicalReportHandler, GraphicalTheme};

use super::discover::Case;
use super::markdown::decode_cell;
use crate::compare::{ExpectedTable, TableDiff, compare};
use crate::error::QueryError;
use crate::output::{ResultSet, write_csv};
use crate::session::{Session, SessionOptions};

/// Threads of a case (and of its runtime) are named with this prefix; their
/// panics are reported in the case's outcome instead of on stderr.
const CASE_THREAD: &str = "kql-test-case";
/// Stack of a case thread: deep queries recurse in the parser and planner.
const STACK_SIZE: usize = 16 * 1024 * 1024;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// The result matched, or the query failed as declared.
    Pass,
    /// The result differs, or the query did not fail as declared.
    Fail,
    /// The query failed, timed out or panicked, or its data did not load.
    Error,
    /// Not run.
    Skip,
}

impl Status {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
        }
    }
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub status: Status,
    /// One line; empty for a plain pass.
    pub message: String,
    /// The table diff or the diagnostic, shown indented under the message.
    pub detail: Option<String>,
    /// The diagnostic code when the query failed.
    pub code: Option<String>,
    /// The result as CSV, when `--bless` should write it.
    pub bless: Option<Vec<u8>>,
    /// `--bless` wrote the expected file.
    pub blessed: bool,
    /// The case ran past its deadline.
    pub timed_out: bool,
    pub duration: Duration,
}

impl Verdict {
    fn new(status: Status, message: impl Into<String>) -> Verdict {
        Verdict {
            status,
            message: message.into(),
            detail: None,
            code: None,
            bless: None,
            blessed: false,
            timed_out: false,
            duration: Duration::ZERO,
        }
    }

    /// A failure of the runner itself, not of the query.
    pub(crate) fn internal(what: String) -> Verdict {
        Verdict::new(Status::Error, format!("internal error: {what}"))
    }

    pub(crate) fn skipped(reason: &str) -> Verdict {
        Verdict::new(Status::Skip, reason)
    }

    pub(crate) fn timed_out(after: Duration) -> Verdict {
        let mut v = Verdict::new(Status::Error, format!("timed out after {} s", after.as_secs_f64()));
        v.duration = after;
        v.timed_out = true;
        v
    }

    fn with_detail(mut self, detail: impl Into<String>) -> Verdict {
        let detail = detail.into();
        if !detail.trim().is_empty() {
            self.detail = Some(detail);
        }
        self
    }
}

/// Settings shared by every case of a run.
#[derive(Debug, Clone)]
pub(crate) struct RunSettings {
    /// `--data` paths loaded for every case.
    pub data: Vec<PathBuf>,
    pub bless: bool,
}

/// Starts `case` on its own thread; its verdict arrives on `done` tagged
/// with `index`. A case that panics reports an internal error.
pub(crate) fn spawn(
    index: usize,
    case: Case,
    settings: Arc<RunSettings>,
    done: Sender<(usize, Verdict)>,
) -> std::io::Result<()> {
    spawn_with(index, move || judge(&case, &settings), done)
}

/// Runs `work` on a case thread, turning a panic into a verdict.
fn spawn_with(
    index: usize,
    work: impl FnOnce() -> Verdict + Send + 'static,
    done: Sender<(usize, Verdict)>,
) -> std::io::Result<()> {
    install_panic_hook();
    thread::Builder::new().name(CASE_THREAD.into()).stack_size(STACK_SIZE).spawn(move || {
        let start = Instant::now();
        let mut verdict = match panic::catch_unwind(AssertUnwindSafe(work)) {
            Ok(v) => v,
            Err(payload) => {
                let what =
                    LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| payload_text(&*payload));
                Verdict::internal(format!("the case panicked: {what}"))
            }
        };
        verdict.duration = start.elapsed();
        // The receiver is gone only when the run gave up on this case.
        let _ = done.send((index, verdict));
    })?;
    Ok(())
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps panics of case threads off stderr and remembers where they
/// happened; other threads keep the hook they had.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if thread::current().name().is_some_and(|n| n.starts_with(CASE_THREAD)) {
                let at =
                    info.location().map(|l| format!(" (at {}:{})", l.file(), l.line())).unwrap_or_default();
                let text = format!("{}{at}", payload_text(info.payload()));
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

/// Runs the case and judges its result.
fn judge(case: &Case, settings: &RunSettings) -> Verdict {
    if let Some(problem) = &case.problem {
        return Verdict::new(Status::Fail, format!("bad case settings: {problem}"));
    }
    let text = match std::fs::read_to_string(&case.path) {
        Ok(t) => t,
        Err(e) => return Verdict::new(Status::Error, format!("cannot read the query: {e}")),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(format!("{CASE_THREAD}-worker"))
        .thread_stack_size(STACK_SIZE)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Verdict::new(Status::Error, format!("cannot start a runtime: {e}")),
    };

    let mut session = Session::new(SessionOptions { now: case.now, ..SessionOptions::default() });
    let shared = settings.data.iter().map(|p| (p, None));
    let own = case.data.iter().map(|d| (&d.path, d.table.as_deref()));
    for (path, table) in shared.chain(own) {
        if let Err(e) = load(&mut session, path, table) {
            runtime.shutdown_background();
            return Verdict::new(Status::Error, format!("cannot load data `{}`: {e}", path.display()));
        }
    }

    // Most plans yield often enough for this timeout to stop them; the run
    // keeps its own deadline for the ones that do not.
    let outcome = runtime.block_on(async { tokio::time::timeout(case.timeout, session.run(&text)).await });
    runtime.shutdown_background();
    match outcome {
        Err(_) => Verdict::timed_out(case.timeout),
        Ok(Err(error)) => judge_error(case, error, &text),
        Ok(Ok(results)) => judge_results(case, settings, results),
    }
}

fn load(session: &mut Session, path: &Path, table: Option<&str>) -> Result<(), kql_data::DataError> {
    if path.is_dir() && table.is_none() {
        session.load_dir(path).map(drop)
    } else {
        session.load_file(path, table).map(drop)
    }
}

fn judge_error(case: &Case, error: QueryError, text: &str) -> Verdict {
    let code = error.code_string();
    let message = error.to_string();
    let report = render_report(error, &case.path.display().to_string(), text);
    let mut verdict = match &case.expect_error {
        Some(want) if *want == code => return Verdict::new(Status::Pass, ""),
        Some(want) => Verdict::new(Status::Fail, format!("expected error `{want}`, got `{code}`: {message}"))
            .with_detail(report),
        None => {
            Verdict::new(Status::Error, format!("the query failed: [{code}] {message}")).with_detail(report)
        }
    };
    verdict.code = Some(code);
    verdict
}

/// The diagnostic with the query text under it, without colours.
fn render_report(error: QueryError, name: &str, text: &str) -> String {
    let report = error.into_report(name, text);
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        let _ = write!(out, "{report}");
    }
    out
}

fn judge_results(case: &Case, settings: &RunSettings, mut results: Vec<ResultSet>) -> Verdict {
    if let Some(want) = &case.expect_error {
        return Verdict::new(Status::Fail, format!("expected error `{want}`, but the query succeeded"));
    }
    if results.len() != 1 {
        return Verdict::new(
            Status::Fail,
            format!("the query returned {} tables; a case returns one", results.len()),
        );
    }
    let Some(result) = results.pop() else {
        return Verdict::new(Status::Fail, "the query returned no table");
    };
    let blessable = settings.bless && !case.from_docs;
    let bless = |mut verdict: Verdict| -> Verdict {
        if blessable {
            let mut csv = Vec::new();
            match write_csv(&mut csv, &result) {
                Ok(()) => verdict.bless = Some(csv),
                Err(e) => verdict.message.push_str(&format!(" (cannot bless: {e})")),
            }
        } else if settings.bless {
            verdict.message.push_str(" (not blessed: tables copied from documentation are never rewritten)");
        }
        verdict
    };

    let expected_name = file_name(&case.expected);
    let primary = match read_expected(&case.expected, case.docs_cells) {
        Ok(Some(t)) => t,
        Ok(None) => {
            let message = format!("no expected file `{expected_name}` (`kql test --bless` writes it)");
            return bless(Verdict::new(Status::Fail, message));
        }
        Err(e) => return bless(Verdict::new(Status::Fail, format!("cannot read `{expected_name}`: {e}"))),
    };
    let diff = compare(&primary, &result, case.compare);
    if diff.is_empty() {
        return Verdict::new(Status::Pass, "").with_detail(notes(&diff));
    }
    for alt in &case.alternatives {
        if let Ok(Some(table)) = read_expected(alt, case.docs_cells) {
            let alt_diff = compare(&table, &result, case.compare);
            if alt_diff.is_empty() {
                return Verdict::new(Status::Pass, format!("matches `{}`", file_name(alt)))
                    .with_detail(notes(&alt_diff));
            }
        }
    }
    let mut message = format!("result differs from `{expected_name}`");
    if !case.alternatives.is_empty() {
        message.push_str(&format!(" and its {} alternative(s)", case.alternatives.len()));
    }
    bless(Verdict::new(Status::Fail, message).with_detail(diff.render(&primary.columns)))
}

fn notes(diff: &TableDiff) -> String {
    diff.warnings.iter().map(|w| format!("note: {w}\n")).collect()
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The expected table, `None` when the file does not exist. Cells copied
/// from documentation are decoded first.
fn read_expected(path: &Path, docs_cells: bool) -> Result<Option<ExpectedTable>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut table = ExpectedTable::from_csv(&text).map_err(|e| e.to_string())?;
    if docs_cells {
        table.columns = table.columns.iter().map(|c| decode_cell(c)).collect();
        for row in &mut table.rows {
            for cell in row.iter_mut() {
                *cell = decode_cell(cell);
            }
        }
    }
    Ok(Some(table))
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_panicking_case_becomes_an_internal_error() {
        let (tx, rx) = mpsc::channel();
        #[allow(clippy::panic)]
        spawn_with(7, || panic!("boom in the planner"), tx).expect("spawn");
        let (index, verdict) = rx.recv_timeout(Duration::from_secs(10)).expect("a verdict");
        assert_eq!(index, 7);
        assert_eq!(verdict.status, Status::Error);
        assert!(
            verdict.message.starts_with("internal error: the case panicked: boom in the planner"),
            "{}",
            verdict.message
        );
        assert!(verdict.message.contains("execute.rs"), "the location is kept: {}", verdict.message);
    }
}
