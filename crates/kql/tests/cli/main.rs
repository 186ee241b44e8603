//! End-to-end tests of `kql`: the reference hunting queries on the shipped
//! sample data, their result shape against Microsoft's analyzer, diagnostics,
//! externaldata over a real local HTTP server, and the command line.
//!
//! One test binary for the crate (DataFusion links slowly): the REPL and
//! `kql test` cases live in modules beside this file.

mod corpus;
mod docs;
mod language;
mod repl;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use kql::compare::{CompareOptions, ExpectedTable, compare};
use kql::{QueryError, ResultSet, Session, SessionOptions};
use kql_data::Redirects;

mod test_runner;

const FEED_URL: &str = "https://raw.githubusercontent.com/stamparm/ipsum/master/levels/4.txt";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The read-only material beside the project, when present.
fn shared() -> Option<PathBuf> {
    let p = root().join("../shared");
    p.is_dir().then_some(p)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime")
}

fn session_with(data: &str, options: SessionOptions) -> Session {
    let mut s = Session::new(options);
    s.load_dir(&root().join(data)).expect("load testdata");
    s
}

fn run(session: &mut Session, text: &str) -> Result<Vec<ResultSet>, QueryError> {
    runtime().block_on(session.run(text))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("read file")
}

fn assert_matches_expected(result: &ResultSet, expected_path: &str) {
    let expected = ExpectedTable::from_csv(&read(expected_path)).expect("expected csv");
    let diff = compare(&expected, result, CompareOptions::default());
    assert!(diff.is_empty(), "result differs from {expected_path}:\n{}", diff.render(&expected.columns));
}

#[test]
fn defender_reference_query_matches_hand_written_result() {
    let mut s = session_with("testdata/defender", SessionOptions::default());
    let results = run(&mut s, &read("queries/defender.kql")).expect("query runs");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].num_rows(), 8);
    assert_matches_expected(&results[0], "queries/defender.expected.csv");
}

#[test]
fn sentinel_reference_query_matches_hand_written_result() {
    let mut s = session_with("testdata/sentinel", SessionOptions::default());
    let results = run(&mut s, &read("queries/sentinel.kql")).expect("query runs");
    assert_eq!(results[0].num_rows(), 9);
    assert_matches_expected(&results[0], "queries/sentinel.expected.csv");
}

#[test]
fn reference_queries_are_byte_for_byte_the_users() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is not present");
        return;
    };
    for name in ["defender.kql", "sentinel.kql"] {
        let ours = std::fs::read(root().join("queries").join(name)).expect("ours");
        let theirs = std::fs::read(shared.join("reference").join(name)).expect("theirs");
        assert_eq!(ours, theirs, "queries/{name} must equal the reference query byte for byte");
    }
}

/// Result columns, order and types equal what Microsoft's analyzer infers.
#[test]
fn result_columns_match_the_analyzer() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is not present");
        return;
    };
    let oracle = shared.join("tools/kql-oracle/kql-oracle");
    if !oracle.exists() || Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipped: the analyzer or node is not available");
        return;
    }
    for (form, schema) in [("defender", "defender.json"), ("sentinel", "sentinel.json")] {
        let query = root().join(format!("queries/{form}.kql"));
        let out = Command::new(&oracle)
            .arg("--schema")
            .arg(shared.join("schemas").join(schema))
            .arg(&query)
            .output()
            .expect("run analyzer");
        if !out.status.success() {
            eprintln!("skipped: the analyzer failed: {}", String::from_utf8_lossy(&out.stderr));
            return;
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let json: serde_json::Value = serde_json::from_str(line.trim()).expect("analyzer json");
        let want: Vec<(String, String)> = json["result_columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| {
                (c["name"].as_str().unwrap_or("").to_string(), c["type"].as_str().unwrap_or("").to_string())
            })
            .collect();

        let mut s = session_with(&format!("testdata/{form}"), SessionOptions::default());
        let results = run(&mut s, &read(&format!("queries/{form}.kql"))).expect("query runs");
        let got: Vec<(String, String)> =
            results[0].columns.iter().map(|(n, t)| (n.clone(), t.name().to_string())).collect();
        assert_eq!(got, want, "{form}: result columns differ from the analyzer's");
    }
}

fn error_of(session: &mut Session, text: &str) -> QueryError {
    match run(session, text) {
        Ok(_) => panic!("expected an error for {text}"),
        Err(e) => e,
    }
}

fn span_text(error: &QueryError, text: &str) -> String {
    let span = error.span().expect("a span");
    text[span.start..span.end].to_string()
}

#[test]
fn wrong_column_points_at_the_name() {
    let mut s = session_with("testdata/defender", SessionOptions::default());
    let q = "DeviceInfo\n| where IsInternetFacng\n| take 1";
    let e = error_of(&mut s, q);
    assert_eq!(e.code_string(), "kql::plan::unknown_column");
    assert_eq!(span_text(&e, q), "IsInternetFacng");
}

#[test]
fn unknown_table_points_at_the_name() {
    let mut s = session_with("testdata/defender", SessionOptions::default());
    let q = "DeviceNetworkEvent | take 1";
    let e = error_of(&mut s, q);
    assert_eq!(e.code_string(), "kql::plan::unknown_table");
    assert_eq!(span_text(&e, q), "DeviceNetworkEvent");
}

#[test]
fn syntax_error_points_at_the_token() {
    let mut s = session_with("testdata/defender", SessionOptions::default());
    let q = "DeviceInfo | where DeviceName == | take 1";
    let e = error_of(&mut s, q);
    assert_eq!(e.code_string(), "kql::syntax::unexpected_token");
    let span = e.span().expect("span");
    assert_eq!(span.start, q.find("| take").expect("pipe"));
}

#[test]
fn unsupported_operator_is_named_not_ignored() {
    let mut s = session_with("testdata/defender", SessionOptions::default());
    let q = "DeviceInfo | render timechart";
    let e = error_of(&mut s, q);
    assert_eq!(e.code_string(), "kql::unsupported::feature");
    assert_eq!(span_text(&e, q), "render");
}

/// A tiny HTTP/1.1 server on 127.0.0.1 for the test's own files. Stops when
/// dropped.
struct Server {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Server {
    fn start(routes: Vec<(&'static str, Vec<u8>)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let mut buf = [0u8; 4096];
                        let n = stream.read(&mut buf).unwrap_or(0);
                        let request = String::from_utf8_lossy(&buf[..n]);
                        let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                        let response = match routes.iter().find(|(p, _)| *p == path) {
                            Some((_, body)) => {
                                let mut r = format!(
                                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                    body.len()
                                )
                                .into_bytes();
                                r.extend_from_slice(body);
                                r
                            }
                            None => {
                                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                    .to_vec()
                            }
                        };
                        let _ = stream.write_all(&response);
                    }
                    Err(_) => thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        Server { addr, stop, handle: Some(handle) }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[test]
fn feed_served_over_http_gives_the_same_result() {
    let feed = std::fs::read(root().join("testdata/defender/ipsum-level4.txt")).expect("feed");
    let server = Server::start(vec![("/levels/4.txt", feed)]);
    let mut redirects = Redirects::default();
    redirects.add_arg(&format!("{FEED_URL}={}", server.url("/levels/4.txt"))).expect("redirect");
    let mut s = session_with("testdata/defender", SessionOptions { redirects, ..SessionOptions::default() });
    let results = run(&mut s, &read("queries/defender.kql")).expect("query runs");
    assert_matches_expected(&results[0], "queries/defender.expected.csv");
}

#[test]
fn unreachable_feed_points_at_the_url() {
    let server = Server::start(vec![]);
    let missing = server.url("/missing.txt");
    let mut s = session_with("testdata/defender", SessionOptions::default());
    let q = format!("externaldata(DestIP: string)[@\"{missing}\"] with (format=\"txt\") | take 1");
    let e = error_of(&mut s, &q);
    assert_eq!(e.code_string(), "kql::data::externaldata");
    assert!(span_text(&e, &q).contains(&missing), "span: {}", span_text(&e, &q));
    assert!(e.to_string().contains("404"), "message names the status: {e}");
}

fn kql(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kql")).current_dir(root()).args(args).output().expect("run kql")
}

#[test]
fn cli_runs_the_reference_query_as_csv() {
    let out = kql(&["run", "queries/defender.kql", "--data", "testdata/defender", "--format", "csv"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let table = ExpectedTable::from_csv(&text).expect("csv output");
    assert_eq!(table.rows.len(), 8);
    assert_eq!(&table.columns[..3], ["Timestamp", "DeviceName", "ThreatIntelligenceIP"]);
}

#[test]
fn the_same_table_from_two_folders_is_refused() {
    let out = kql(&[
        "run",
        "-c",
        "DeviceInfo | count",
        "--data",
        "testdata/defender",
        "--data",
        "testdata/sentinel",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kql::data::duplicate_table"), "stderr: {stderr}");
}

#[test]
fn output_files_are_written_whole_and_keep_their_permissions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let parquet = dir.path().join("hits.parquet");
    let out = kql(&[
        "run",
        "queries/defender.kql",
        "--data",
        "testdata/defender",
        "-o",
        parquet.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&parquet).expect("parquet written");
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"), "a parquet file");

    // A failed run leaves the previous file untouched.
    let csv = dir.path().join("hits.csv");
    std::fs::write(&csv, "old\n").expect("seed file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    let failed = kql(&[
        "run",
        "-c",
        "DeviceInfo | where Nope",
        "--data",
        "testdata/defender",
        "-o",
        csv.to_str().expect("path"),
    ]);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&csv).expect("read"), "old\n");
    let ok = kql(&[
        "run",
        "-c",
        "DeviceInfo | count",
        "--data",
        "testdata/defender/DeviceInfo.csv",
        "-o",
        csv.to_str().expect("path"),
    ]);
    assert!(ok.status.success(), "stderr: {}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(std::fs::read_to_string(&csv).expect("read"), "Count\n24\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&csv).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "the replaced file keeps its permissions");
    }
}

#[test]
fn malformed_rows_are_located_in_crlf_exports_too() {
    let text = read("testdata/defender/DeviceNetworkEvents.csv");
    for terminator in ["\n", "\r\n"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| if i + 1 == 30 { format!("{l},EXTRA") } else { l.to_string() })
            .collect();
        std::fs::write(dir.path().join("DeviceNetworkEvents.csv"), lines.join(terminator) + terminator)
            .expect("write export");
        let out =
            kql(&["run", "-c", "DeviceNetworkEvents | count", "--data", dir.path().to_str().expect("path")]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("DeviceNetworkEvents.csv:30:"), "line 30 with {terminator:?}: {stderr}");
    }
}

#[test]
fn cli_exit_codes() {
    let failed = kql(&["run", "-c", "DeviceInfo | where Nope == 1", "--data", "testdata/defender"]);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("kql::plan::unknown_column"), "stderr: {stderr}");

    let usage = kql(&["run", "-c", "print 1", "--data", "no/such/folder"]);
    assert_eq!(usage.status.code(), Some(2));
}

/// The Defender hunt on data from the benchmark generator (set
/// `KQL_GENERATED_DATA` to a folder it wrote, e.g. 1M events), with the feed
/// served over HTTP by this test, gives exactly the rows of the independent
/// Python evaluation beside the project: same count, same fingerprint.
#[test]
#[ignore = "needs generated data: KQL_GENERATED_DATA=DIR"]
fn generated_data_matches_the_python_oracle() {
    use sha2::{Digest, Sha256};
    let (Some(dir), Some(shared)) = (std::env::var_os("KQL_GENERATED_DATA"), shared()) else {
        eprintln!("skipped: set KQL_GENERATED_DATA and keep ../shared beside the project");
        return;
    };
    let dir = PathBuf::from(dir);
    let feed = std::fs::read(dir.join("ipsum_level4.txt")).expect("feed file");
    let server = Server::start(vec![("/levels/4.txt", feed)]);
    let mut redirects = Redirects::default();
    redirects.add_arg(&format!("{FEED_URL}={}", server.url("/levels/4.txt"))).expect("redirect");
    let mut s = Session::new(SessionOptions { redirects, ..SessionOptions::default() });
    s.load_dir(&dir).expect("load generated data");
    let results = run(&mut s, &read("queries/defender.kql")).expect("query runs");
    let result = &results[0];

    // The oracle's canonical form: timestamps as `YYYY-MM-DD hh:mm:ss.ffffff`.
    let is_time: Vec<bool> =
        result.columns.iter().map(|(_, t)| *t == kql_syntax::ast::ScalarType::DateTime).collect();
    let mut lines: Vec<String> = result
        .rows()
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&is_time)
                .map(|(cell, time)| {
                    let cell = cell.unwrap_or_default();
                    if *time && cell.len() >= 26 {
                        format!("{} {}", &cell[..10], &cell[11..26])
                    } else {
                        cell
                    }
                })
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect();
    lines.sort();
    let mut hash = Sha256::new();
    for l in &lines {
        hash.update(l.as_bytes());
        hash.update(b"\n");
    }
    let ours: String = hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();

    let out = Command::new("python3")
        .arg(shared.join("bench/reference_check.py"))
        .arg("--data")
        .arg(&dir)
        .output()
        .expect("run the oracle");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.split_whitespace().find_map(|w| w.strip_prefix(key)).map(str::to_string).unwrap_or_default()
    };
    assert_eq!(result.num_rows().to_string(), field("rows="), "row count differs from the oracle");
    assert_eq!(ours, field("fingerprint="), "rows differ from the oracle");
}
