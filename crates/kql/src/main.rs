//! The `kql` command line.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use kql::{Format, QueryError, ResultSet, Session, SessionOptions};
use kql_data::{Flavor, Redirects};

/// Exit codes, as documented in the README.
const EXIT_OK: u8 = 0;
const EXIT_QUERY_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "kql",
    version,
    about = "Run KQL hunting queries locally over exported Defender and Sentinel logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run query files (or `-c QUERY`, or `-` for stdin) and print the results.
    Run(RunArgs),
    /// Show the optimized logical plan and the physical plan of a query
    /// (`--analyze` runs it and shows each operator's rows and time).
    Explain(RunArgs),
    /// An interactive shell (also what `kql` alone starts on a terminal).
    Repl(ReplArgs),
    /// Run regression cases (`NAME.kql` beside `NAME.expected.csv`) and diff the results.
    Test(kql::testrun::TestArgs),
}

#[derive(Args)]
struct ReplArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Output format of results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Table output shows at most this many rows.
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_rows: usize,
}

#[derive(Args, Default)]
struct DataArgs {
    /// A folder of exports (or one export file); each file is a table named after its stem
    /// (`DeviceInfo.csv` is `DeviceInfo`). Repeatable.
    #[arg(long = "data", value_name = "DIR")]
    data: Vec<PathBuf>,
    /// Read an externaldata URL from a local file or another URL instead. Repeatable.
    #[arg(long = "externaldata", value_name = "URL=TARGET")]
    externaldata: Vec<String>,
    /// Force the table layout of loaded files instead of reading it from their header.
    #[arg(long = "schema", value_name = "defender|sentinel")]
    schema: Option<String>,
    /// The time `now()` and `ago()` start from, to replay a hunt over old
    /// exports (for example `2024-05-03` or `2024-05-03T12:00:00Z`).
    #[arg(long = "now", value_name = "DATETIME")]
    now: Option<String>,
}

#[derive(Args)]
struct RunArgs {
    /// Query files (`.kql`); `-` reads the query from standard input.
    files: Vec<PathBuf>,
    /// A query given on the command line.
    #[arg(short = 'c', long = "command", value_name = "QUERY")]
    command: Option<String>,
    #[command(flatten)]
    data: DataArgs,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the results to this file (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    output: Option<PathBuf>,
    /// With `explain`: run the query and show per-operator metrics.
    #[arg(long)]
    analyze: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `kql test` runs each case on a runtime of its own.
    if let Some(Command::Test(args)) = &cli.command {
        return ExitCode::from(kql::testrun::run_tests(args));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            kql::err_line!("kql: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Some(Command::Run(args)) => run(args, false).await,
            Some(Command::Explain(args)) => run(args, true).await,
            Some(Command::Repl(args)) => repl(args).await,
            Some(Command::Test(_)) => EXIT_USAGE,
            // `kql` alone: a shell on a terminal, else the query on standard input.
            None if io::stdin().is_terminal() => repl(ReplArgs::default()).await,
            None => {
                let args = RunArgs {
                    files: vec![PathBuf::from("-")],
                    command: None,
                    data: DataArgs::default(),
                    format: None,
                    output: None,
                    analyze: false,
                };
                run(args, false).await
            }
        }
    });
    ExitCode::from(code)
}

async fn repl(args: ReplArgs) -> u8 {
    if args.format == Format::Parquet {
        kql::err_line!("kql: the shell prints table, csv or json; use `kql run -o FILE.parquet` for parquet");
        return EXIT_USAGE;
    }
    let session = match open_session(&args.data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let options = kql::repl::ReplOptions {
        format: args.format,
        history: kql::repl::default_history_path(),
        max_rows: args.max_rows,
    };
    kql::repl::run_repl(session, options).await
}

impl Default for ReplArgs {
    fn default() -> Self {
        ReplArgs { data: DataArgs::default(), format: Format::Table, max_rows: 100 }
    }
}

/// A query text and the name to show in diagnostics.
struct Source {
    name: String,
    text: String,
}

fn read_sources(args: &RunArgs) -> Result<Vec<Source>, String> {
    let mut sources = Vec::new();
    if let Some(q) = &args.command {
        sources.push(Source { name: "<command line>".into(), text: q.clone() });
    }
    for f in &args.files {
        if f.as_os_str() == "-" {
            let mut text = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut text)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            sources.push(Source { name: "<stdin>".into(), text });
        } else {
            let text =
                std::fs::read_to_string(f).map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
            sources.push(Source { name: f.display().to_string(), text });
        }
    }
    if sources.is_empty() {
        return Err("nothing to run: give query files, `-c QUERY`, or `-` for standard input".into());
    }
    Ok(sources)
}

/// Builds a session from the data flags; reports and returns the exit code on failure.
fn open_session(data: &DataArgs) -> Result<Session, u8> {
    let mut options = SessionOptions::default();
    if let Some(s) = &data.schema {
        match s.parse::<Flavor>() {
            Ok(f) => options.flavor = Some(f),
            Err(_) => {
                kql::err_line!("kql: `--schema` takes `defender` or `sentinel`, not `{s}`");
                return Err(EXIT_USAGE);
            }
        }
    }
    if let Some(text) = &data.now {
        match kql_functions::convert::parse_datetime(text) {
            Some(ns) => options.now = Some(ns),
            None => {
                kql::err_line!("kql: `--now` takes a datetime such as 2024-05-03T12:00:00Z, not `{text}`");
                return Err(EXIT_USAGE);
            }
        }
    }
    let mut redirects = Redirects::default();
    for arg in &data.externaldata {
        match redirects.add_arg(arg) {
            Ok(()) => {}
            Err(e) => {
                kql::err_line!("{:?}", miette::Report::new(e));
                return Err(EXIT_USAGE);
            }
        }
    }
    options.redirects = redirects;
    let mut session = Session::new(options);
    for dir in &data.data {
        let loaded = if dir.is_file() { session.load_file(dir, None) } else { session.load_dir(dir) };
        match loaded {
            Ok(warnings) => {
                for w in warnings {
                    kql::err_line!("warning: {w}");
                }
            }
            Err(e) => {
                kql::err_line!("{:?}", miette::Report::new(e));
                return Err(EXIT_USAGE);
            }
        }
    }
    Ok(session)
}

async fn run(args: RunArgs, explain: bool) -> u8 {
    let sources = match read_sources(&args) {
        Ok(s) => s,
        Err(e) => {
            kql::err_line!("kql: {e}");
            return EXIT_USAGE;
        }
    };
    let mut session = match open_session(&args.data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    // Without `--format`: a table on a terminal, else what the output file's
    // extension says, else CSV.
    let by_extension =
        args.output.as_ref().and_then(|p| p.extension()).and_then(|e| e.to_str()).and_then(|e| {
            match e.to_ascii_lowercase().as_str() {
                "json" | "jsonl" => Some(Format::Json),
                "parquet" => Some(Format::Parquet),
                "csv" => Some(Format::Csv),
                _ => None,
            }
        });
    let format =
        args.format.or(by_extension).unwrap_or(if to_terminal { Format::Table } else { Format::Csv });
    if args.analyze && !explain {
        kql::err_line!("kql: `--analyze` goes with `kql explain`");
        return EXIT_USAGE;
    }
    if format == Format::Parquet && args.output.is_none() {
        kql::err_line!("kql: parquet output needs a file: add `--output PATH.parquet`");
        return EXIT_USAGE;
    }

    let mut buffer: Vec<u8> = Vec::new();
    let mut results: Vec<(String, ResultSet)> = Vec::new();
    for source in &sources {
        if explain {
            match session.explain(&source.text, args.analyze).await {
                Ok(plans) => {
                    for p in plans {
                        let _ = writeln!(buffer, "{p}");
                    }
                }
                Err(e) => return report(e, source),
            }
            continue;
        }
        match session.run(&source.text).await {
            Ok(sets) => results.extend(sets.into_iter().map(|r| (source.name.clone(), r))),
            Err(e) => return report(e, source),
        }
    }

    let many = results.len() > 1;
    if many && format == Format::Parquet {
        kql::err_line!(
            "kql: a parquet file holds one table, and this run made {}: run one query per file",
            results.len()
        );
        return EXIT_USAGE;
    }
    for (i, (name, result)) in results.iter().enumerate() {
        if many {
            if i > 0 {
                let _ = writeln!(buffer);
            }
            if format == Format::Table {
                let _ = writeln!(buffer, "# result {} of {} ({name})", i + 1, results.len());
            }
        }
        if let Err(e) = kql::output::write_result(&mut buffer, result, format) {
            kql::err_line!("kql: cannot format the results: {e}");
            return EXIT_USAGE;
        }
    }
    match &args.output {
        Some(path) => match write_atomically(path, &buffer) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                kql::err_line!("kql: cannot write `{}`: {e}", path.display());
                EXIT_USAGE
            }
        },
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(&buffer).and_then(|()| out.flush()) {
                Ok(()) => EXIT_OK,
                // `kql run q.kql | head` closes the pipe early: not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
                Err(e) => {
                    kql::err_line!("kql: cannot write the results: {e}");
                    EXIT_USAGE
                }
            }
        }
    }
}

fn report(error: QueryError, source: &Source) -> u8 {
    let data_error = matches!(error, QueryError::Data(_));
    kql::err_line!("{:?}", error.into_report(&source.name, &source.text));
    if data_error { EXIT_USAGE } else { EXIT_QUERY_FAILED }
}

#[cfg(unix)]
fn default_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

/// Writes to a temporary file beside `path` and renames it into place, so a
/// failed run never leaves a half-written or emptied file.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create a file in `{}`: {e}", dir.display())))?;
    tmp.write_all(bytes)?;
    // The temporary file is private (0600); the result gets the permissions
    // of the file it replaces, or the usual ones for a new file.
    #[cfg(unix)]
    {
        let permissions = match std::fs::metadata(path) {
            Ok(m) => m.permissions(),
            Err(_) => default_permissions(),
        };
        std::fs::set_permissions(tmp.path(), permissions)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
