//! Operators and expressions beyond the reference hunt, checked on small
//! inline data with real values.

use kql::{Session, SessionOptions};

use super::{root, runtime};

/// Runs `query` (with the Defender sample loaded) and returns the header and
/// the rows of its single result, as Kusto prints the cells.
fn table(query: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut s = Session::new(SessionOptions::default());
    s.load_dir(&root().join("testdata/defender")).expect("load");
    let mut results = runtime().block_on(s.run(query)).unwrap_or_else(|e| panic!("{query}: {e}"));
    let r = results.pop().expect("one result");
    let header = r.columns.iter().map(|(n, t)| format!("{n}:{t}")).collect();
    let rows =
        r.rows().into_iter().map(|row| row.into_iter().map(Option::unwrap_or_default).collect()).collect();
    (header, rows)
}

fn cells(query: &str) -> Vec<Vec<String>> {
    table(query).1
}

#[test]
fn range_of_numbers_and_times() {
    assert_eq!(cells("range x from 1 to 7 step 3"), [["1"], ["4"], ["7"]]);
    assert_eq!(cells("range x from 5 to 1 step 1"), Vec::<Vec<String>>::new());
    let (header, rows) = table("range t from datetime(2024-01-01) to datetime(2024-01-01 12:00) step 6h");
    assert_eq!(header, ["t:datetime"]);
    assert_eq!(rows[2], ["2024-01-01T12:00:00.0000000Z"]);
}

#[test]
fn temporal_arithmetic() {
    let rows = cells(
        "print a = datetime(2024-01-01) + 1d, b = 2h * 3, c = datetime(2024-01-02 06:00) - datetime(2024-01-01), d = 1d / 1h",
    );
    assert_eq!(rows, [["2024-01-02T00:00:00.0000000Z", "06:00:00", "1.06:00:00", "24"]]);
}

#[test]
fn dynamic_members_and_json() {
    let rows = cells(
        r#"print d = dynamic({"a": {"b": [10, 20, {"c": "x"}]}}) | project e = d.a.b[2].c, f = toint(d["a"]["b"][1]), g = d.missing"#,
    );
    assert_eq!(rows, [["x", "20", ""]]);
}

#[test]
fn summarize_names_and_values() {
    let (header, rows) = table(
        "DeviceInfo | where isnotempty(DeviceName) | summarize count(), dcount(DeviceName), max(OSBuild) by IsInternetFacing | where IsInternetFacing == true",
    );
    assert_eq!(
        header,
        ["IsInternetFacing:bool", "count_:long", "dcount_DeviceName:long", "max_OSBuild:long"]
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "true");
}

#[test]
fn union_withsource_and_clashing_types() {
    let (header, mut rows) =
        table(r#"union withsource=Src (datatable(A: long)[1]), (datatable(A: string)["x"])"#);
    assert_eq!(header, ["Src:string", "A_long:long", "A_string:string"]);
    rows.sort();
    assert_eq!(rows, [vec!["union_arg0", "1", ""], vec!["union_arg1", "", "x"]]);
}

#[test]
fn set_operators_over_tabular_lets() {
    let rows = cells(
        r#"let Words = datatable(W: string)["mail", "dmz"]; DeviceInfo | where DeviceName has_any (Words) | distinct DeviceName | sort by DeviceName asc"#,
    );
    assert_eq!(rows, [["mail-gw-03.corp.example"], ["web-dmz-01.corp.example"]]);
    let rows = cells(
        r#"let Ids = DeviceInfo | where DeviceName startswith "web" | project DeviceId; DeviceNetworkEvents | where DeviceId !in (Ids) and DeviceId in (Ids) | count"#,
    );
    assert_eq!(rows, [["0"]]);
}

#[test]
fn join_kinds_shape_the_columns() {
    let q = |kind: &str| {
        format!(
            "datatable(K: long, V: string)[1, 'a', 2, 'b'] | join kind={kind} (datatable(K: long, W: string)[2, 'x', 3, 'y']) on K"
        )
    };
    let (header, rows) = table(&q("inner"));
    assert_eq!(header, ["K:long", "V:string", "K1:long", "W:string"]);
    assert_eq!(rows, [["2", "b", "2", "x"]]);
    let (header, rows) = table(&q("leftanti"));
    assert_eq!(header, ["K:long", "V:string"]);
    assert_eq!(rows, [["1", "a"]]);
    let (_, mut rows) = table(&q("fullouter"));
    rows.sort();
    assert_eq!(rows.len(), 3);
}

#[test]
fn user_functions_and_case() {
    let rows = cells(
        "let Grade = (n: long) { case(n > 10, 'high', n > 5, 'mid', 'low') }; range x from 3 to 12 step 4 | project Grade(x)",
    );
    assert_eq!(rows, [["low"], ["mid"], ["high"]]);
}

#[test]
fn dynamic_values_compare_as_the_scalar_they_meet() {
    let rows = cells(
        r#"print d = dynamic({"r": "PublicScan", "p": 443}) | where d.r == "PublicScan" and d.p > 100 and d.p == 443 | project ok = true"#,
    );
    assert_eq!(rows, [["true"]]);
}

#[test]
fn unrelated_types_are_not_compared() {
    let mut s = Session::new(SessionOptions::default());
    s.load_dir(&root().join("testdata/defender")).expect("load");
    let q = r#"DeviceInfo | where OSBuild == "20348""#;
    let e = match runtime().block_on(s.run(q)) {
        Ok(_) => panic!("a long compared with a string must be refused"),
        Err(e) => e,
    };
    assert_eq!(e.code_string(), "kql::plan::type_mismatch");
    let span = e.span().expect("span");
    assert_eq!(&q[span.start..span.end], "==");
}

#[test]
fn known_functions_we_do_not_run_are_named_as_such() {
    let mut s = Session::new(SessionOptions::default());
    for q in ["print ingestion_time()", "print x = 1 | summarize percentile(x, 50)"] {
        let e = match runtime().block_on(s.run(q)) {
            Ok(_) => panic!("{q} must be refused"),
            Err(e) => e,
        };
        assert_eq!(e.code_string(), "kql::unsupported::feature", "{q}");
        let span = e.span().expect("span");
        assert!(
            ["ingestion_time", "percentile"].contains(&&q[span.start..span.end]),
            "{q}: points at the name"
        );
    }
}

/// Counts below were taken from the sample CSVs directly, not from kql.
#[test]
fn dynamic_arrays_as_sets() {
    let count = |q: &str| cells(q)[0][0].clone();
    let ips = r#"let IOCs = dynamic(["203.0.113.5", "192.0.2.66"]);"#;
    assert_eq!(count(&format!("{ips} DeviceNetworkEvents | where RemoteIP in (IOCs) | count")), "6");
    assert_eq!(count(&format!("{ips} DeviceNetworkEvents | where RemoteIP !in (IOCs) | count")), "29");
    assert_eq!(count("DeviceNetworkEvents | where LocalPort in (dynamic([3389, 445])) | count"), "7");
}

#[test]
fn summaries_by_computed_keys_and_time_windows() {
    let count = |q: &str| cells(q)[0][0].clone();
    // 22 distinct hours hold a DeviceInfo snapshot.
    assert_eq!(count("DeviceInfo | summarize dcount(DeviceId) by bin(Timestamp, 1h) | count"), "22");
    assert_eq!(
        count("DeviceNetworkEvents | where Timestamp between (datetime(2024-05-02) .. 12h) | count"),
        "15"
    );
}
