//! `kql test`: regression cases for detection engineers.
//!
//! A case is `NAME.kql` with `NAME.expected.csv` beside it, the table as the
//! Defender portal or Log Analytics exports it. The data a case runs on
//! comes from `datatable` in the query, from directive comments at its top
//! (`// data: ../testdata/defender`, `// data: Alerts.csv as SecurityAlert`),
//! or from `kql-test.toml` in its folder:
//!
//! ```toml
//! [defaults]                      # every case in the folder
//! data = ["../testdata/defender"]
//!
//! [cases.lateral-movement]        # lateral-movement.kql
//! data = ["extra/Alerts.csv as SecurityAlert"]
//! ordered = true                  # row order matters
//! expect_error = "kql::plan::unknown_column"
//! skip = "why it is not run"
//! timeout = 60                    # seconds
//! ```
//!
//! Other directives: `// expect-error: CODE` (the case passes when the
//! query fails with that diagnostic code), `// order: exact`, `// skip:
//! REASON` and `// timeout: SECS`. Folders of cases copied from
//! documentation carry a `manifest.jsonl` (in the folder or its parent)
//! whose flags choose the comparison rules.
//!
//! Each case runs on its own thread under a timeout, so a case that hangs
//! or panics is reported as failed and the run goes on.

mod discover;
mod execute;
mod markdown;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use discover::Case;
use execute::{RunSettings, Status, Verdict};

/// How long past its timeout a case thread may take to report before the
/// run gives up on it (a query that never yields cannot be stopped).
const GRACE: Duration = Duration::from_secs(2);

/// Exit code when every case passed (or was skipped).
const EXIT_OK: u8 = 0;
/// Exit code when a case failed.
const EXIT_FAILED: u8 = 1;
/// Exit code for usage errors, such as a path that does not exist.
const EXIT_USAGE: u8 = 2;

/// How `kql test` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportFormat {
    /// A line per failing case with its diff, then a summary.
    #[default]
    Text,
    /// One JSON document, for CI.
    Json,
}

/// The arguments of `kql test`.
#[derive(Debug, Clone, clap::Args)]
pub struct TestArgs {
    /// Case files (`NAME.kql`) or folders to search for them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write the result of each failing case whose query runs as its
    /// expected file.
    #[arg(long)]
    pub bless: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// A folder of exports (or one file) loaded for every case. Repeatable.
    #[arg(long = "data", value_name = "PATH")]
    pub data: Vec<PathBuf>,
    /// Also list the cases that pass.
    #[arg(short, long)]
    pub verbose: bool,
    /// Seconds a case may run before it counts as failed.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Cases run at the same time (default: the number of CPUs).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
}

impl TestArgs {
    /// Arguments for running `paths` with the defaults of the command line.
    pub fn new(paths: Vec<PathBuf>) -> TestArgs {
        TestArgs {
            paths,
            bless: false,
            format: ReportFormat::Text,
            data: Vec::new(),
            verbose: false,
            timeout: 30,
            jobs: None,
        }
    }
}

/// Runs the cases, prints the report on standard output, and returns the
/// exit code: 0 when none failed, 1 when some failed, 2 on usage errors.
pub fn run_tests(args: &TestArgs) -> u8 {
    // A reader that stops early (`kql test . | head`) must not change the
    // outcome: the cases still run and the exit code still says if any failed.
    let stdout = io::stdout();
    let mut out = QuietOnClose { inner: stdout.lock(), closed: false };
    match run_tests_to(args, &mut out) {
        Ok(code) => code,
        Err(e) => {
            crate::err_line!("kql: cannot write the report: {e}");
            EXIT_USAGE
        }
    }
}

/// A writer that drops output once its reader has gone away.
struct QuietOnClose<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for QuietOnClose<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// Like [`run_tests`], writing the report to `out`.
pub fn run_tests_to(args: &TestArgs, out: &mut dyn Write) -> io::Result<u8> {
    for path in &args.data {
        if !path.exists() {
            crate::err_line!("kql: `--data {}` does not exist", path.display());
            return Ok(EXIT_USAGE);
        }
    }
    let cases = match discover::find_cases(&args.paths, Duration::from_secs(args.timeout)) {
        Ok(c) => c,
        Err(e) => {
            crate::err_line!("kql: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    if cases.is_empty() {
        let paths: Vec<String> = args.paths.iter().map(|p| format!("`{}`", p.display())).collect();
        crate::err_line!("kql: no `.kql` cases under {}", paths.join(", "));
        return Ok(EXIT_USAGE);
    }

    let settings = Arc::new(RunSettings { data: args.data.clone(), bless: args.bless });
    let jobs =
        args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)).max(1);
    let mut report = Report::new(args.format, args.verbose);
    run_all(&cases, &settings, jobs, |case, verdict| {
        let verdict = finish_bless(case, verdict);
        report.case(out, case, verdict)
    })?;
    report.finish(out)?;
    Ok(if report.failed > 0 { EXIT_FAILED } else { EXIT_OK })
}

/// Runs up to `jobs` cases at a time and hands each verdict to `done` in
/// case order. A case still running at its deadline is given up on.
fn run_all(
    cases: &[Case],
    settings: &Arc<RunSettings>,
    jobs: usize,
    mut done: impl FnMut(&Case, Verdict) -> io::Result<()>,
) -> io::Result<()> {
    let (tx, rx) = mpsc::channel();
    let mut verdicts: Vec<Option<Verdict>> = vec![None; cases.len()];
    let mut running: HashMap<usize, Instant> = HashMap::new();
    let (mut next, mut reported) = (0, 0);
    loop {
        while running.len() < jobs && next < cases.len() {
            let case = &cases[next];
            if let Some(reason) = &case.skip {
                verdicts[next] = Some(Verdict::skipped(reason));
            } else {
                match execute::spawn(next, case.clone(), settings.clone(), tx.clone()) {
                    Ok(()) => {
                        running.insert(next, Instant::now() + case.timeout + GRACE);
                    }
                    Err(e) => {
                        verdicts[next] = Some(Verdict::internal(format!("cannot start a thread: {e}")));
                    }
                }
            }
            next += 1;
        }
        while reported < cases.len() {
            match verdicts[reported].take() {
                Some(v) => {
                    done(&cases[reported], v)?;
                    reported += 1;
                }
                None => break,
            }
        }
        let Some(deadline) = running.values().min().copied() else {
            if next >= cases.len() {
                return Ok(());
            }
            continue;
        };
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((index, verdict)) => {
                if running.remove(&index).is_some() {
                    verdicts[index] = Some(verdict);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let expired: Vec<usize> =
                    running.iter().filter(|(_, d)| **d <= now).map(|(i, _)| *i).collect();
                for index in expired {
                    running.remove(&index);
                    verdicts[index] = Some(Verdict::timed_out(cases[index].timeout));
                }
            }
            // Unreachable while `tx` lives; give up on what is running.
            Err(RecvTimeoutError::Disconnected) => {
                for (index, _) in running.drain() {
                    verdicts[index] = Some(Verdict::internal("the case thread vanished".into()));
                }
            }
        }
    }
}

/// Writes the expected file of a case whose verdict carries its result,
/// and counts the case as passed.
fn finish_bless(case: &Case, mut verdict: Verdict) -> Verdict {
    let Some(csv) = verdict.bless.take() else { return verdict };
    if verdict.status != Status::Fail {
        return verdict;
    }
    match write_atomically(&case.expected, &csv) {
        Ok(()) => {
            verdict.status = Status::Pass;
            verdict.message = format!("wrote `{}`", case.expected.display());
            verdict.detail = None;
            verdict.blessed = true;
        }
        Err(e) => verdict.message.push_str(&format!(" (cannot write `{}`: {e})", case.expected.display())),
    }
    verdict
}

/// Writes to a temporary file beside `path` and renames it into place, so
/// an interrupted run never leaves a half-written expected file.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Collects verdicts and prints them.
struct Report {
    format: ReportFormat,
    verbose: bool,
    passed: usize,
    failed: usize,
    skipped: usize,
    unsupported: usize,
    timed_out: usize,
    json_cases: Vec<serde_json::Value>,
}

impl Report {
    fn new(format: ReportFormat, verbose: bool) -> Report {
        Report {
            format,
            verbose,
            passed: 0,
            failed: 0,
            skipped: 0,
            unsupported: 0,
            timed_out: 0,
            json_cases: Vec::new(),
        }
    }

    fn case(&mut self, out: &mut dyn Write, case: &Case, verdict: Verdict) -> io::Result<()> {
        match verdict.status {
            Status::Pass => self.passed += 1,
            Status::Skip => self.skipped += 1,
            Status::Fail | Status::Error => {
                self.failed += 1;
                if verdict.code.as_deref().is_some_and(|c| c.starts_with("kql::unsupported")) {
                    self.unsupported += 1;
                }
                if verdict.timed_out {
                    self.timed_out += 1;
                }
            }
        }
        let name = case.path.display().to_string();
        match self.format {
            ReportFormat::Json => {
                let text = |s: &str| if s.is_empty() { serde_json::Value::Null } else { s.into() };
                self.json_cases.push(serde_json::json!({
                    "name": name,
                    "status": verdict.status.name(),
                    "message": text(&verdict.message),
                    "diff": verdict.detail,
                    "code": verdict.code,
                    "blessed": verdict.blessed,
                    "duration_ms": u64::try_from(verdict.duration.as_millis()).unwrap_or(u64::MAX),
                }));
                Ok(())
            }
            ReportFormat::Text => self.text_case(out, &name, &verdict),
        }
    }

    fn text_case(&self, out: &mut dyn Write, name: &str, verdict: &Verdict) -> io::Result<()> {
        match verdict.status {
            Status::Pass if verdict.blessed => writeln!(out, "blessed {name}: {}", verdict.message)?,
            Status::Pass if self.verbose => {
                if verdict.message.is_empty() {
                    writeln!(out, "ok   {name}")?;
                } else {
                    writeln!(out, "ok   {name}: {}", verdict.message)?;
                }
                if let Some(detail) = &verdict.detail {
                    write_indented(out, detail)?;
                }
            }
            Status::Pass => {}
            Status::Skip => writeln!(out, "skip {name}: {}", verdict.message)?,
            Status::Fail | Status::Error => {
                writeln!(out, "FAIL {name}: {}", verdict.message)?;
                if let Some(detail) = &verdict.detail {
                    write_indented(out, detail)?;
                }
            }
        }
        out.flush()
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            ReportFormat::Json => {
                let doc = serde_json::json!({
                    "cases": std::mem::take(&mut self.json_cases),
                    "summary": {
                        "passed": self.passed,
                        "failed": self.failed,
                        "skipped": self.skipped,
                        "unsupported": self.unsupported,
                        "timed_out": self.timed_out,
                    },
                });
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)?;
            }
            ReportFormat::Text => {
                if self.unsupported > 0 {
                    writeln!(
                        out,
                        "{} of the {} failures: a KQL feature that is not supported yet \
                         (kql::unsupported::feature)",
                        self.unsupported, self.failed
                    )?;
                }
                if self.timed_out > 0 {
                    writeln!(out, "{} of the {} failures: timed out", self.timed_out, self.failed)?;
                }
                let mut summary = format!("{} passed, {} failed", self.passed, self.failed);
                if self.skipped > 0 {
                    summary.push_str(&format!(", {} skipped", self.skipped));
                }
                writeln!(out, "{summary}")?;
            }
        }
        out.flush()
    }
}

fn write_indented(out: &mut dyn Write, text: &str) -> io::Result<()> {
    for line in text.lines() {
        if line.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}
