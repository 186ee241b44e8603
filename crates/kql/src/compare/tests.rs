//! Tests of the comparison and its normal forms.
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;

use super::normalize::*;
use super::*;

#[test]
fn a_changed_value_is_shown_on_the_row_with_the_same_key() {
    let expected = table("OSPlatform,Devices\nLinux,2\nWindowsServer2019,3\n");
    let got = result(
        &["OSPlatform", "Devices"],
        vec![
            Arc::new(StringArray::from(vec!["Linux", "WindowsServer2022", "WindowsServer2019"])) as ArrayRef,
            Arc::new(Int64Array::from(vec![2, 3, 2])) as ArrayRef,
        ],
        &[ScalarType::String, ScalarType::Long],
    );
    let diff = compare(&expected, &got, CompareOptions::default());
    assert_eq!(diff.cells, [(1, "Devices".to_string(), "3".to_string(), "2".to_string())]);
    assert_eq!(diff.extra, [vec!["WindowsServer2022".to_string(), "3".to_string()]]);
}

#[test]
fn normal_forms() {
    assert_eq!(normalize(ScalarType::DateTime, Some("2018-07-01 00:00:00.0000000")), "2018-07-01T00:00:00Z");
    assert_eq!(
        normalize(ScalarType::DateTime, Some("2024-05-01T10:11:12.1234500Z")),
        "2024-05-01T10:11:12.12345Z"
    );
    assert_eq!(normalize(ScalarType::Real, Some("3.14159265")), "3.14159");
    assert_eq!(normalize(ScalarType::Real, Some("5.0")), "5");
    assert_eq!(normalize(ScalarType::Long, Some("1,048,576")), "1048576");
    assert_eq!(normalize(ScalarType::Dynamic, Some(r#"{"b":1,"a":[1.0,2]}"#)), r#"{"a":[1,2],"b":1}"#);
    assert_eq!(normalize(ScalarType::Guid, Some("ABC-DEF")), "abc-def");
    assert_eq!(normalize(ScalarType::String, None), normalize(ScalarType::String, Some("")));
    assert_eq!(normalize(ScalarType::Bool, Some("True")), "true");
    assert_eq!(normalize(ScalarType::TimeSpan, Some("1.12:30:55.1230000")), "1.12:30:55.123");
    assert_eq!(normalize(ScalarType::TimeSpan, Some("-00:00:00")), "00:00:00");
}

#[test]
fn more_normal_forms() {
    assert_eq!(normalize(ScalarType::DateTime, Some("2024-05-02 08:15:40 UTC")), "2024-05-02T08:15:40Z");
    assert_eq!(normalize(ScalarType::DateTime, Some("5/2/2024, 8:15:40.551 PM")), "2024-05-02T20:15:40.551Z");
    assert_eq!(normalize(ScalarType::DateTime, Some("5/2/2024, 12:01:00 AM")), "2024-05-02T00:01:00Z");
    assert_eq!(normalize(ScalarType::Dynamic, Some("{'a': 'it\"s', 'b': [1]}")), r#"{"a":"it\"s","b":[1]}"#);
    assert_eq!(normalize(ScalarType::Dynamic, Some("hello")), r#""hello""#);
    assert_eq!(normalize(ScalarType::Dynamic, Some("1234567.0")), "1234570");
    assert_eq!(
        normalize_with(ScalarType::Dynamic, Some(r#"["b","a",["d","c"]]"#), true),
        r#"["a","b",["c","d"]]"#
    );
    assert_eq!(normalize(ScalarType::Dynamic, Some(r#"["b","a"]"#)), r#"["b","a"]"#);
    assert_eq!(normalize(ScalarType::Real, Some("-0")), "0");
    assert_eq!(normalize(ScalarType::Real, Some("-inf")), "-Infinity");
    assert_eq!(normalize(ScalarType::Long, Some("(null)")), "");
    assert_eq!(normalize(ScalarType::String, Some("(null)")), "(null)");
}

#[test]
fn elision_marks_match_any_text() {
    assert!(wildcard_match("abc...", "abcdef"));
    assert!(wildcard_match("...", ""));
    assert!(wildcard_match("…", "anything"));
    assert!(wildcard_match("[1,.....,9]", "[1,2,3,9]"));
    assert!(wildcard_match("a...c...e", "abcde"));
    assert!(!wildcard_match("a...c...e", "abde"));
    assert!(!wildcard_match("ab...ba", "aba"));
    assert!(!wildcard_match("plain", "plainer"));
}

fn result(names: &[&str], columns: Vec<ArrayRef>, types: &[ScalarType]) -> ResultSet {
    let fields: Vec<Field> =
        names.iter().zip(&columns).map(|(n, c)| Field::new(*n, c.data_type().clone(), true)).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch");
    ResultSet {
        columns: names.iter().zip(types).map(|(n, t)| (n.to_string(), *t)).collect(),
        batches: vec![batch],
    }
}

fn people() -> ResultSet {
    result(
        &["Name", "Count"],
        vec![
            Arc::new(StringArray::from(vec!["alice", "bob", "carol"])) as ArrayRef,
            Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
        ],
        &[ScalarType::String, ScalarType::Long],
    )
}

fn table(csv: &str) -> ExpectedTable {
    ExpectedTable::from_csv(csv).expect("csv")
}

#[test]
fn rows_compare_as_a_multiset_unless_ordered() {
    let shuffled = table("Name,Count\ncarol,3\nalice,1\nbob,2\n");
    assert!(compare(&shuffled, &people(), CompareOptions::default()).is_empty());
    let ordered = CompareOptions { ordered: true, ..CompareOptions::default() };
    let diff = compare(&shuffled, &people(), ordered);
    assert_eq!(diff.cells.len(), 6);
    assert_eq!(diff.cells[0], (0, "Name".into(), "carol".into(), "alice".into()));
}

#[test]
fn a_changed_cell_is_reported_by_column() {
    let diff = compare(&table("Name,Count\nalice,1\nbob,5\ncarol,3\n"), &people(), CompareOptions::default());
    assert_eq!(diff.cells, vec![(1, "Count".to_string(), "5".to_string(), "2".to_string())]);
    assert!(diff.missing.is_empty() && diff.extra.is_empty());
    let text = diff.render(&["Name".into(), "Count".into()]);
    assert!(text.contains("row 2, column `Count`: expected \"5\", got \"2\""), "{text}");
}

#[test]
fn missing_and_extra_rows_are_drawn_as_a_table() {
    let diff = compare(&table("Name,Count\nalice,1\nbob,2\ndave,9\n"), &people(), CompareOptions::default());
    assert_eq!(diff.missing, vec![vec!["dave".to_string(), "9".to_string()]]);
    assert_eq!(diff.extra, vec![vec!["carol".to_string(), "3".to_string()]]);
    let text = diff.render(&["Name".into(), "Count".into()]);
    assert!(text.contains("-   Name | Count\n-   dave | 9\n"), "{text}");
    assert!(text.contains("+   carol | 3\n"), "{text}");
}

#[test]
fn truncated_tables_need_only_their_rows() {
    let opts = CompareOptions { truncated: true, ordered: true, ..CompareOptions::default() };
    assert!(compare(&table("Name,Count\nalice,1\ncarol,3\n"), &people(), opts).is_empty());
    let diff = compare(&table("Name,Count\ncarol,3\nalice,1\n"), &people(), opts);
    assert_eq!(diff.missing, vec![vec!["alice".to_string(), "1".to_string()]]);
}

#[test]
fn shape_only_checks_the_row_count() {
    let opts = CompareOptions { shape_only: true, ..CompareOptions::default() };
    assert!(compare(&table("Name,Count\nx,7\ny,8\nz,9\n"), &people(), opts).is_empty());
    assert_eq!(compare(&table("Name,Count\nx,7\n"), &people(), opts).row_count, Some((1, 3)));
}

#[test]
fn column_names_and_tolerances() {
    let diff = compare(&table("Who,Count\nalice,1\nbob,2\ncarol,3\n"), &people(), CompareOptions::default());
    assert!(diff.columns.is_some());
    let loose = CompareOptions { loose_column_names: true, ..CompareOptions::default() };
    let diff = compare(&table("Who,Count\nalice,1\nbob,2\ncarol,3\n"), &people(), loose);
    assert!(diff.is_empty() && diff.warnings.len() == 1, "{diff:?}");

    let reals = result(
        &["v"],
        vec![Arc::new(Float64Array::from(vec![100.0, 2000.0])) as ArrayRef],
        &[ScalarType::Real],
    );
    let approx = CompareOptions { approximate: true, ..CompareOptions::default() };
    assert!(compare(&table("v\n2010\n100.9\n"), &reals, approx).is_empty());
    assert!(!compare(&table("v\n2030\n100\n"), &reals, approx).is_empty());
    assert!(!compare(&table("v\n2010\n100.9\n"), &reals, CompareOptions::default()).is_empty());

    let text = result(
        &["s"],
        vec![Arc::new(StringArray::from(vec!["https://example.com/a?x=1"])) as ArrayRef],
        &[ScalarType::String],
    );
    let elided = CompareOptions { values_elided: true, ..CompareOptions::default() };
    assert!(compare(&table("s\nhttps://example.com/...\n"), &text, elided).is_empty());
    assert!(!compare(&table("s\nhttps://example.org/...\n"), &text, elided).is_empty());
}

#[test]
fn documentation_text_collapses_whitespace() {
    let text = result(
        &["s"],
        vec![Arc::new(StringArray::from(vec!["class P {\n    int x;\n}", "a\u{a0}b"])) as ArrayRef],
        &[ScalarType::String],
    );
    let expected = table("s\nclass P { int x; }\na b\n");
    assert!(!compare(&expected, &text, CompareOptions::default()).is_empty());
    let docs = CompareOptions { docs_text: true, ..CompareOptions::default() };
    assert!(compare(&expected, &text, docs).is_empty());
    assert!(!compare(&table("s\nclass P {int x;}\na b\n"), &text, docs).is_empty());
}

#[test]
fn byte_order_mark_is_ignored() {
    assert_eq!(table("\u{feff}Name,Count\nalice,1\n").columns, ["Name", "Count"]);
}
