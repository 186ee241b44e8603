//! `kql test`: the regression runner, run as the real binary on folders of
//! cases written by each test.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use super::{root, shared};

/// Runs `kql test ARGS` from `dir`; returns stdout and the exit code.
fn kql_test(dir: &Path, args: &[&str]) -> (String, i32) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_kql"))
        .current_dir(dir)
        .arg("test")
        .args(args)
        .output()
        .expect("run kql test");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "kql test panicked:\n{stderr}");
    (stdout, out.status.code().unwrap_or(-1))
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(path, text).expect("write case file");
}

fn last_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or("")
}

/// One passing case, one whose result differs, one whose query fails.
fn three_cases(dir: &Path) {
    write(dir, "good.kql", "datatable(Name: string, Count: long)[\"a\", 1, \"b\", 2]\n");
    write(dir, "good.expected.csv", "Name,Count\nb,2\na,1\n");
    write(dir, "wrong.kql", "print x = 1, y = \"two\"\n");
    write(dir, "wrong.expected.csv", "x,y\n1,three\n");
    write(dir, "broken.kql", "datatable(a: long)[1]\n| project b\n");
    write(dir, "broken.expected.csv", "b\n7\n");
}

#[test]
fn pass_fail_and_error_then_bless() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    three_cases(dir);

    let (stdout, code) = kql_test(dir, &["."]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(last_line(&stdout), "1 passed, 2 failed", "{stdout}");
    assert!(stdout.contains("FAIL ./wrong.kql: result differs from `wrong.expected.csv`"), "{stdout}");
    assert!(stdout.contains("row 1, column `y`: expected \"three\", got \"two\""), "{stdout}");
    assert!(stdout.contains("FAIL ./broken.kql: the query failed: [kql::plan::unknown_column]"), "{stdout}");
    assert!(!stdout.contains("good.kql"), "passing cases are quiet without -v: {stdout}");

    let (stdout, code) = kql_test(dir, &[".", "--bless"]);
    assert_eq!(code, 1, "the erroring case still fails: {stdout}");
    assert!(stdout.contains("blessed ./wrong.kql"), "{stdout}");
    assert_eq!(fs::read_to_string(dir.join("wrong.expected.csv")).expect("blessed"), "x,y\n1,two\n");
    assert_eq!(fs::read_to_string(dir.join("broken.expected.csv")).expect("kept"), "b\n7\n");
    assert_eq!(fs::read_to_string(dir.join("good.expected.csv")).expect("kept"), "Name,Count\nb,2\na,1\n");
    let files = fs::read_dir(dir).expect("list").count();
    assert_eq!(files, 6, "blessing leaves no temporary files");

    let (stdout, code) = kql_test(dir, &["."]);
    assert_eq!(code, 1);
    assert_eq!(last_line(&stdout), "2 passed, 1 failed", "{stdout}");
}

#[test]
fn bless_never_creates_an_expected_file_for_a_failing_query() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "new.kql", "print n = 42\n");
    write(dir, "broken.kql", "datatable(a: long)[1] | where nosuch > 1\n");

    let (stdout, code) = kql_test(dir, &["new.kql", "broken.kql"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("FAIL new.kql: no expected file `new.expected.csv`"), "{stdout}");
    assert_eq!(last_line(&stdout), "0 passed, 2 failed");

    let (stdout, _) = kql_test(dir, &["new.kql", "broken.kql", "--bless"]);
    assert_eq!(last_line(&stdout), "1 passed, 1 failed", "{stdout}");
    assert_eq!(fs::read_to_string(dir.join("new.expected.csv")).expect("written"), "n\n42\n");
    assert!(!dir.join("broken.expected.csv").exists(), "no expected file for a query that failed");
}

#[test]
fn expected_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(
        dir,
        "declared.kql",
        "// expect-error: kql::plan::unknown_column\ndatatable(a: long)[1] | project b\n",
    );
    write(
        dir,
        "other-code.kql",
        "// expect-error: kql::plan::unknown_table\ndatatable(a: long)[1] | project b\n",
    );
    write(dir, "succeeds.kql", "print a = 1\n");
    write(dir, "kql-test.toml", "[cases.succeeds]\nexpect_error = \"kql::plan::unknown_column\"\n");

    let (stdout, code) = kql_test(dir, &["."]);
    assert_eq!(code, 1);
    assert_eq!(last_line(&stdout), "1 passed, 2 failed", "{stdout}");
    assert!(
        stdout.contains(
            "FAIL ./other-code.kql: expected error `kql::plan::unknown_table`, \
             got `kql::plan::unknown_column`"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "FAIL ./succeeds.kql: expected error `kql::plan::unknown_column`, but the query succeeded"
        ),
        "{stdout}"
    );

    let (stdout, code) = kql_test(dir, &["declared.kql", "-v"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "ok   declared.kql\n1 passed, 0 failed\n");
}

#[test]
fn the_projects_goldens_pass() {
    let (stdout, code) = kql_test(&root(), &["queries/"]);
    assert_eq!(last_line(&stdout), "2 passed, 0 failed", "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn data_from_directives_and_settings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "data/Logons.csv", "Account,Failures\nalice,3\nbob,12\ncarol,7\n");
    write(dir, "exports/people.csv", "Name,Team\nalice,red\nbob,blue\n");
    write(dir, "cases/kql-test.toml", "[defaults]\ndata = [\"../data\"]\n");
    write(
        dir,
        "cases/noisy.kql",
        "// Accounts with many failed logons.\n// data: ../exports/people.csv as Staff\n// order: exact\n\
         Logons\n| where Failures > 5\n| join kind=inner (Staff) on $left.Account == $right.Name\n\
         | project Account, Team, Failures\n| order by Failures desc\n",
    );
    write(dir, "cases/noisy.expected.csv", "Account,Team,Failures\nbob,blue,12\n");
    write(dir, "cases/sorted.kql", "// order: exact\nLogons | order by Failures asc | project Account\n");
    write(dir, "cases/sorted.expected.csv", "Account\ncarol\nalice\nbob\n");
    write(dir, "cases/later.kql", "// skip: waits for the watchlist export\nWatchlist | take 1\n");

    let (stdout, code) = kql_test(dir, &["cases"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(last_line(&stdout), "1 passed, 1 failed, 1 skipped", "{stdout}");
    assert!(stdout.contains("skip cases/later.kql: waits for the watchlist export"), "{stdout}");
    assert!(stdout.contains("FAIL cases/sorted.kql"), "row order matters with `// order: exact`: {stdout}");
    assert!(stdout.contains("row 1, column `Account`: expected \"carol\", got \"alice\""), "{stdout}");
}

#[test]
fn portal_exports_compare_by_type() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(
        dir,
        "typed.kql",
        "datatable(TimeGenerated: datetime, Score: real, Id: guid, Props: dynamic, Note: string)\n\
         [datetime(2024-05-02T08:15:40.5512340Z), 0.1, guid(6F9619FF-8B86-D011-B42D-00C04FC964FF), \
         dynamic({\"b\": 2, \"a\": 1}), \"\"]\n",
    );
    write(
        dir,
        "typed.expected.csv",
        "\u{feff}TimeGenerated [UTC],Score,Id,Props,Note\n\
         2024-05-02 08:15:40.551234,0.10000,6f9619ff-8b86-d011-b42d-00c04fc964ff,\
         \"{\"\"a\"\": 1, \"\"b\"\": 2}\",\n",
    );
    let (stdout, code) = kql_test(dir, &["typed.kql"]);
    assert_eq!(last_line(&stdout), "1 passed, 0 failed", "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn json_report_for_ci() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    three_cases(dir);
    let (stdout, code) = kql_test(dir, &[".", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let statuses: Vec<(&str, &str)> = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or(""), c["status"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(statuses, [("./broken.kql", "error"), ("./good.kql", "pass"), ("./wrong.kql", "fail")]);
    assert_eq!(doc["cases"][0]["code"], "kql::plan::unknown_column");
    assert!(doc["cases"][2]["diff"].as_str().unwrap_or("").contains("column `y`"));
    assert_eq!(doc["summary"]["passed"], 1);
    assert_eq!(doc["summary"]["failed"], 2);
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, code) = kql_test(tmp.path(), &["no/such/folder"]);
    assert_eq!(code, 2);
    let (_, code) = kql_test(tmp.path(), &["."]);
    assert_eq!(code, 2, "a folder without cases is a usage error");
}

#[test]
fn a_case_that_runs_too_long_fails_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // Five copies of a 100-row table joined on a constant key: 10^10 rows.
    let numbers: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let slow = format!(
        "let t = datatable(a: long)[{}] | extend k = 1;\n\
         t | join kind=inner (t | join kind=inner (t \
         | join kind=inner (t | join kind=inner (t) on k) on k) on k) on k\n\
         | summarize s = sum(a + a1 + a2)\n",
        numbers.join(", ")
    );
    write(dir, "a-slow.kql", &slow);
    write(dir, "a-slow.expected.csv", "s\n0\n");
    write(dir, "b-quick.kql", "print n = 1\n");
    write(dir, "b-quick.expected.csv", "n\n1\n");
    let started = std::time::Instant::now();
    let (stdout, code) = kql_test(dir, &[".", "--timeout", "1", "--jobs", "1"]);
    assert!(started.elapsed().as_secs() < 60, "the run did not wait for the slow case");
    assert_eq!(code, 1);
    assert!(stdout.contains("FAIL ./a-slow.kql: timed out after 1 s"), "{stdout}");
    assert_eq!(last_line(&stdout), "1 passed, 1 failed", "{stdout}");
}

/// The documentation conformance cases: reports the pass rate. Run with
/// `cargo test -p kql --test cli conformance -- --ignored --nocapture`.
#[test]
#[ignore = "slow: runs every documentation case"]
fn conformance_pass_rate() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is not present");
        return;
    };
    let cases = shared.join("conformance/cases");
    let count = fs::read_dir(&cases)
        .expect("cases folder")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "kql"))
        .count();
    let (stdout, code) = kql_test(&root(), &[cases.to_str().expect("utf-8 path"), "--format", "json"]);
    assert!(code == 0 || code == 1, "exit code {code}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let list = doc["cases"].as_array().expect("cases");
    assert_eq!(list.len(), count, "every case got an outcome");
    let panicked: Vec<&str> = list
        .iter()
        .filter(|c| c["message"].as_str().is_some_and(|m| m.contains("panicked")))
        .filter_map(|c| c["name"].as_str())
        .collect();
    let passed = doc["summary"]["passed"].as_u64().unwrap_or(0);
    let failed = doc["summary"]["failed"].as_u64().unwrap_or(0);
    let unsupported = doc["summary"]["unsupported"].as_u64().unwrap_or(0);
    let timed_out = doc["summary"]["timed_out"].as_u64().unwrap_or(0);
    eprintln!(
        "conformance: {passed} passed, {failed} failed ({unsupported} unsupported, \
         {timed_out} timed out) of {count}: {:.1}%",
        100.0 * passed as f64 / count.max(1) as f64
    );
    assert!(panicked.is_empty(), "cases panicked: {panicked:?}");
}

/// A detection that looks back with `ago()` gives the same answer on old
/// sample logs when the case fixes `now`.
#[test]
fn a_case_can_fix_the_current_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = root().join("testdata/defender");
    let query = format!(
        "// data: {}\nDeviceInfo\n| where Timestamp > ago(1d) and Timestamp < now()\n| summarize Devices = dcount(DeviceId)\n",
        data.display()
    );
    // Ten devices reported a snapshot in the day before 2024-05-03.
    write(dir.path(), "recent.kql", &format!("// now: 2024-05-03\n{query}"));
    write(dir.path(), "recent.expected.csv", "Devices\n10\n");
    let (out, code) = kql_test(dir.path(), &["."]);
    assert_eq!((last_line(&out), code), ("1 passed, 0 failed", 0), "{out}");

    // The same detection a month earlier (set in kql-test.toml) sees none.
    write(dir.path(), "recent.kql", &query);
    write(dir.path(), "kql-test.toml", "[cases.recent]\nnow = \"2024-04-01\"\n");
    let (out, code) = kql_test(dir.path(), &["."]);
    assert_eq!((last_line(&out), code), ("0 passed, 1 failed", 1), "{out}");
}
