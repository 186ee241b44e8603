//! Loading exports, querying them through DataFusion, and externaldata over a
//! local HTTP server that the tests start themselves on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampNanosecondType,
};
use datafusion::error::DataFusionError;
use datafusion::physical_plan::displayable;
use datafusion::prelude::{SessionConfig, SessionContext, ident, lit};
use kql_data::{
    DataError, ExternalRequest, FetchOptions, Flavor, LoadOptions, LoadedTable, PropertyValue, Redirect,
    Redirects, WarningKind, catalog_table, catalog_tables, fetch_external, find_data_error, load_dir,
    open_table,
};
use kql_syntax::ast::ScalarType;

// ---------------------------------------------------------------- helpers

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

fn open(path: &Path, opts: &LoadOptions) -> (LoadedTable, Vec<kql_data::Warning>) {
    open_table(path, None, opts).expect("table opens")
}

fn kql_type(table: &LoadedTable, column: &str) -> String {
    let field = table.schema.field_with_name(column).expect("column exists");
    field.metadata().get("kql.type").cloned().unwrap_or_default()
}

fn context(partitions: usize) -> SessionContext {
    let config = SessionConfig::new().with_target_partitions(partitions).with_repartition_file_min_size(1);
    SessionContext::new_with_config(config)
}

async fn collect_all(table: &LoadedTable, partitions: usize) -> Result<Vec<RecordBatch>, DataFusionError> {
    let ctx = context(partitions);
    ctx.register_table(table.name.as_str(), table.provider.clone())?;
    ctx.table(table.name.as_str()).await?.collect().await
}

fn concat(batches: &[RecordBatch]) -> RecordBatch {
    let schema = batches.first().map(|b| b.schema()).expect("at least one batch");
    datafusion::arrow::compute::concat_batches(&schema, batches).expect("same schema")
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let col = batch.column_by_name(column).expect("column");
    col.as_string::<i32>().iter().map(|s| s.map(str::to_string)).collect()
}

fn longs(batch: &RecordBatch, column: &str) -> Vec<Option<i64>> {
    let col = batch.column_by_name(column).expect("column");
    col.as_primitive::<Int64Type>().iter().collect()
}

fn data_error(err: &DataFusionError) -> &DataError {
    find_data_error(err).unwrap_or_else(|| panic!("not a data error: {err}"))
}

// ---------------------------------------------------------------- catalog

#[test]
fn catalog_has_both_flavors() {
    assert_eq!(catalog_tables(Flavor::Defender).len(), 13);
    assert_eq!(catalog_tables(Flavor::Sentinel).len(), 13);

    let info = catalog_table(Flavor::Defender, "DeviceInfo").expect("DeviceInfo");
    assert_eq!(
        info.columns.first().map(|(n, t)| (n.as_str(), *t)),
        Some(("Timestamp", ScalarType::DateTime))
    );
    assert_eq!(info.column_type("OSBuild"), Some(ScalarType::Long));
    assert_eq!(info.column_type("IsAzureADJoined"), Some(ScalarType::Bool));
    assert_eq!(info.column_type("AdditionalFields"), Some(ScalarType::String));
    assert_eq!(info.column_type("TimeGenerated"), None);

    let sentinel = catalog_table(Flavor::Sentinel, "DeviceInfo").expect("DeviceInfo");
    assert_eq!(sentinel.column_type("TimeGenerated"), Some(ScalarType::DateTime));
    assert_eq!(sentinel.column_type("AdditionalFields"), Some(ScalarType::Dynamic));

    let logons = catalog_table(Flavor::Sentinel, "IdentityLogonEvents").expect("IdentityLogonEvents");
    assert_eq!(logons.column_type("ISP"), Some(ScalarType::String));
    assert_eq!(
        catalog_table(Flavor::Defender, "IdentityLogonEvents").and_then(|t| t.column_type("Port")),
        Some(ScalarType::Int)
    );

    // Names are case-exact.
    assert!(catalog_table(Flavor::Defender, "deviceinfo").is_none());
    assert!(catalog_table(Flavor::Defender, "SigninLogs").is_none());

    // The Arrow schema carries the KQL type.
    let schema = sentinel.arrow_schema();
    let field = schema.field_with_name("AdditionalFields").expect("field");
    assert_eq!(field.data_type(), &DataType::Utf8);
    assert_eq!(field.metadata().get("kql.type").map(String::as_str), Some("dynamic"));
}

/// The shared reference folder next to the workspace, when it is there.
fn shared(sub: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(sub);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: {} is absent", path.display());
        None
    }
}

#[test]
fn catalog_matches_the_schema_sources() {
    let Some(dir) = shared("schemas") else { return };
    for (file, flavor) in [("defender.json", Flavor::Defender), ("sentinel.json", Flavor::Sentinel)] {
        let text = std::fs::read_to_string(dir.join(file)).expect("schema file");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let tables = doc["tables"].as_object().expect("tables");
        assert_eq!(tables.len(), catalog_tables(flavor).len(), "{file}");
        for (name, columns) in tables {
            let ours = catalog_table(flavor, name).unwrap_or_else(|| panic!("{flavor} {name} missing"));
            let theirs: Vec<(String, String)> = columns
                .as_object()
                .expect("columns")
                .iter()
                .map(|(c, t)| (c.clone(), t.as_str().unwrap_or_default().to_string()))
                .collect();
            let mine: Vec<(String, String)> =
                ours.columns.iter().map(|(c, t)| (c.clone(), t.to_string())).collect();
            assert_eq!(mine, theirs, "{flavor} {name}");
        }
    }
}

#[tokio::test]
async fn shared_samples_load() {
    let Some(data) = shared("data") else { return };
    let expected = [
        ("msticpy/SecurityAlert_alertlist.csv", 189, 25),
        ("msticpy/OfficeActivity_exchange_subset.csv", 1334, 5),
        ("otrf-security-datasets/GoldenSAMLADFSMailAccess/AADAuditEvents.json", 4, 38),
    ];
    for (file, rows, columns) in expected {
        let (table, _) = open(&data.join(file), &LoadOptions::default());
        assert_eq!(table.flavor, Flavor::Sentinel, "{file}");
        let batches = collect_all(&table, 2).await.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            (batches.iter().map(RecordBatch::num_rows).sum::<usize>(), table.schema.fields().len()),
            (rows, columns),
            "{file}"
        );
        assert_eq!(kql_type(&table, "TimeGenerated"), "datetime", "{file}");
    }
}

// ---------------------------------------------------------------- CSV

const DEVICE_INFO: &str =
    "\u{feff}Timestamp,DeviceId,DeviceName,OSBuild,IsAzureADJoined,LoggedOnUsers,Rack,Weight
2024-05-01T12:34:56.1234567Z,dev1,\"host, one\",22631,true,\"[{\"\"UserName\"\":\"\"a\"\"}]\",r1,1
2024-05-01 12:00:00,dev2,\"multi
line\",,False,,r2,2.5
2024-05-01T00:00:00Z,dev3,,17763,TRUE,,,3
2024-05-01T00:00:00.1Z,dev4,\"\",1,false,x,r4,
";

#[tokio::test]
async fn csv_values_follow_kql_semantics() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "DeviceInfo.csv", DEVICE_INFO);
    let (table, warnings) = open(&path, &LoadOptions::default());

    assert_eq!(table.name, "DeviceInfo");
    assert_eq!(table.flavor, Flavor::Defender);
    let names: Vec<_> = table.schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "Timestamp",
            "DeviceId",
            "DeviceName",
            "OSBuild",
            "IsAzureADJoined",
            "LoggedOnUsers",
            "Rack",
            "Weight"
        ]
    );
    assert_eq!(kql_type(&table, "OSBuild"), "long");
    assert_eq!(kql_type(&table, "Rack"), "string");
    assert_eq!(kql_type(&table, "Weight"), "real");
    assert_eq!(
        table.schema.field_with_name("Timestamp").map(|f| f.data_type().clone()).ok(),
        Some(DataType::Timestamp(TimeUnit::Nanosecond, None))
    );
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].kind, WarningKind::ExtraColumn);
    assert!(
        warnings[0].message.contains("Rack:string") && warnings[0].message.contains("Weight:real"),
        "{}",
        warnings[0]
    );

    let batch = concat(&collect_all(&table, 1).await.expect("scan"));
    assert_eq!(batch.num_rows(), 4);
    let ts = batch.column_by_name("Timestamp").expect("col").as_primitive::<TimestampNanosecondType>();
    assert_eq!(ts.value(0), 1_714_566_896_123_456_700);
    assert_eq!(ts.value(1), 1_714_564_800_000_000_000);
    assert_eq!(ts.value(3), 1_714_521_600_100_000_000);
    assert_eq!(
        strings(&batch, "DeviceName"),
        [Some("host, one"), Some("multi\nline"), Some(""), Some("")].map(|s| s.map(str::to_string))
    );
    assert_eq!(batch.column_by_name("DeviceName").expect("col").null_count(), 0);
    assert_eq!(longs(&batch, "OSBuild"), [Some(22631), None, Some(17763), Some(1)]);
    let joined = batch.column_by_name("IsAzureADJoined").expect("col").as_boolean();
    assert_eq!(joined.iter().collect::<Vec<_>>(), [Some(true), Some(false), Some(true), Some(false)]);
    assert_eq!(strings(&batch, "LoggedOnUsers")[0].as_deref(), Some("[{\"UserName\":\"a\"}]"));
    assert_eq!(strings(&batch, "Rack")[2].as_deref(), Some(""));
    let weight = batch.column_by_name("Weight").expect("col").as_primitive::<Float64Type>();
    assert_eq!((weight.value(1), weight.is_null(3)), (2.5, true));

    // Through the DataFrame API: an empty string matches "", never null.
    let ctx = context(2);
    ctx.register_table("DeviceInfo", table.provider.clone()).expect("register");
    let empty = ctx
        .table("DeviceInfo")
        .await
        .expect("table")
        .filter(ident("DeviceName").eq(lit("")))
        .expect("filter")
        .select(vec![ident("DeviceId")])
        .expect("select")
        .collect()
        .await
        .expect("collect");
    assert_eq!(strings(&concat(&empty), "DeviceId"), [Some("dev3".to_string()), Some("dev4".to_string())]);
    let joined = ctx
        .table("DeviceInfo")
        .await
        .expect("table")
        .filter(ident("IsAzureADJoined").eq(lit(true)).and(ident("OSBuild").gt(lit(20000_i64))))
        .expect("filter")
        .collect()
        .await
        .expect("collect");
    assert_eq!(strings(&concat(&joined), "DeviceId"), [Some("dev1".to_string())]);
}

#[tokio::test]
async fn flavor_is_detected_or_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sentinel = write(
        dir.path(),
        "DeviceInfo.csv",
        "TenantId,DeviceId,AdditionalFields,TimeGenerated,Timestamp\nt1,d1,\"{\"\"a\"\":1}\",2024-05-01T00:00:00Z,2024-05-01T00:00:00Z\nt1,d2,,2024-05-01T00:00:00Z,\n",
    );
    let (table, warnings) = open(&sentinel, &LoadOptions::default());
    assert_eq!(table.flavor, Flavor::Sentinel);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(kql_type(&table, "AdditionalFields"), "dynamic");
    let batch = concat(&collect_all(&table, 1).await.expect("scan"));
    // dynamic keeps JSON text, and an empty field is null (not "").
    assert_eq!(strings(&batch, "AdditionalFields"), [Some("{\"a\":1}".to_string()), None]);
    assert_eq!(strings(&batch, "TenantId"), [Some("t1".to_string()), Some("t1".to_string())]);

    let other = tempfile::tempdir().expect("temp dir");
    let defender = write(other.path(), "DeviceInfo.csv", "DeviceId,LoggedOnUsers\nd1,[]\n");
    let (table, _) = open(&defender, &LoadOptions::default());
    assert_eq!((table.flavor, kql_type(&table, "LoggedOnUsers")), (Flavor::Defender, "string".to_string()));
    let forced = LoadOptions { flavor: Some("sentinel".parse().expect("flavor")) };
    let (table, _) = open(&defender, &forced);
    assert_eq!((table.flavor, kql_type(&table, "LoggedOnUsers")), (Flavor::Sentinel, "dynamic".to_string()));
}

#[tokio::test]
async fn unknown_tables_are_inferred_with_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(
        dir.path(),
        "Feed.csv",
        ",Flag,Count,Score,Seen,Note\n0,True,1,1,2024-05-01T00:00:00Z,a\n1,false,-2,0.5,2024-05-01 10:00:00.1234567,7\n2,,,,,\n",
    );
    let (table, warnings) = open(&path, &LoadOptions::default());
    let types: Vec<_> =
        table.schema.fields().iter().map(|f| (f.name().clone(), kql_type(&table, f.name()))).collect();
    let expected = [
        ("Column1", "long"),
        ("Flag", "bool"),
        ("Count", "long"),
        ("Score", "real"),
        ("Seen", "datetime"),
        ("Note", "string"),
    ];
    assert_eq!(types, expected.map(|(n, t)| (n.to_string(), t.to_string())));
    let kinds: Vec<_> = warnings.iter().map(|w| w.kind).collect();
    assert_eq!(kinds, [WarningKind::UnnamedColumn, WarningKind::UnknownTable]);
    let batch = concat(&collect_all(&table, 1).await.expect("scan"));
    assert_eq!(longs(&batch, "Count"), [Some(1), Some(-2), None]);
    let flags = batch.column_by_name("Flag").expect("col").as_boolean();
    assert_eq!(flags.iter().collect::<Vec<_>>(), [Some(true), Some(false), None]);
    let seen = batch.column_by_name("Seen").expect("col").as_primitive::<TimestampNanosecondType>();
    assert_eq!(
        seen.iter().collect::<Vec<_>>(),
        [Some(1_714_521_600_000_000_000), Some(1_714_557_600_123_456_700), None]
    );
    let score = batch.column_by_name("Score").expect("col").as_primitive::<Float64Type>();
    assert_eq!(score.iter().collect::<Vec<_>>(), [Some(1.0), Some(0.5), None]);

    assert_eq!(strings(&batch, "Note"), [Some("a"), Some("7"), Some("")].map(|s| s.map(str::to_string)));

    // A small file is read whole: a word after thousands of numbers still
    // makes the column a string, and the scan does not fail on it.
    let mut text = String::from("Code\n");
    for i in 0..5000 {
        text.push_str(&format!("{i}\n"));
    }
    text.push_str("n/a\n");
    let path = write(dir.path(), "Codes.csv", &text);
    let (table, _) = open(&path, &LoadOptions::default());
    assert_eq!(kql_type(&table, "Code"), "string");
    let batch = concat(&collect_all(&table, 1).await.expect("scan"));
    assert_eq!(strings(&batch, "Code").last().cloned().flatten().as_deref(), Some("n/a"));
}

#[tokio::test]
async fn bad_values_name_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("Timestamp,DeviceId,OSBuild\n");
    for i in 2..17 {
        text.push_str(&format!("2024-05-01T00:00:00Z,d{i},{i}\n"));
    }
    text.push_str("2024-05-01T00:00:00Z,d17,abc\n2024-05-01T00:00:00Z,d18,xyz\n");
    let path = write(dir.path(), "DeviceInfo.csv", &text);
    let (table, _) = open(&path, &LoadOptions::default());
    let err = collect_all(&table, 1).await.expect_err("bad long");
    let found = data_error(&err);
    assert!(matches!(found, DataError::CsvValue { line: 17, .. }), "{found:?}");
    assert_eq!(found.to_string(), format!("{}:17: column `OSBuild`: \"abc\" is not a long", path.display()));
    assert_eq!(
        miette::Diagnostic::code(found).map(|c| c.to_string()).as_deref(),
        Some("kql::data::csv_parse")
    );

    // A query that does not read the bad column is fine; one that reads a
    // later bad column hears about that column, not about OSBuild.
    let mut text = String::from("Timestamp,DeviceId,OSBuild\n2024-05-01T00:00:00Z,d1,bad\n");
    text.push_str("2024-05-01T00:00:00Z,d2,1\nnot-a-date,d3,2\n");
    let path = write(dir.path(), "DeviceInfo.csv", &text);
    let (table, _) = open(&path, &LoadOptions::default());
    let ctx = context(1);
    ctx.register_table("DeviceInfo", table.provider.clone()).expect("register");
    let ids = ctx
        .table("DeviceInfo")
        .await
        .expect("table")
        .select(vec![ident("DeviceId")])
        .expect("select")
        .limit(0, Some(2))
        .expect("limit")
        .collect()
        .await
        .expect("DeviceId only");
    assert_eq!(strings(&concat(&ids), "DeviceId"), [Some("d1".to_string()), Some("d2".to_string())]);
    let err = ctx
        .table("DeviceInfo")
        .await
        .expect("table")
        .select(vec![ident("Timestamp")])
        .expect("select")
        .collect()
        .await
        .expect_err("bad datetime");
    assert!(
        matches!(data_error(&err), DataError::CsvValue { line: 4, column, .. } if column == "Timestamp"),
        "{err}"
    );

    let path = write(
        dir.path(),
        "DeviceLogonEvents.csv",
        "Timestamp,DeviceId\n2024-05-01T00:00:00Z,a\n2024-02-30T00:00:00Z,b\n",
    );
    let (table, _) = open(&path, &LoadOptions::default());
    let err = collect_all(&table, 1).await.expect_err("bad datetime");
    match data_error(&err) {
        DataError::CsvValue { line, column, value, expected, .. } => {
            assert_eq!(
                (*line, column.as_str(), value.as_str(), *expected),
                (3, "Timestamp", "2024-02-30T00:00:00Z", ScalarType::DateTime)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn malformed_rows_are_errors_not_dropped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "DeviceInfo.csv", "DeviceId,DeviceName\na,\"x\ny\"\nb,c\nc,d,e\nf,g\n");
    let (table, _) = open(&path, &LoadOptions::default());
    let err = collect_all(&table, 1).await.expect_err("extra field");
    match data_error(&err) {
        DataError::CsvMalformed { file, line, message } => {
            assert_eq!((file.as_path(), *line), (path.as_path(), 5));
            assert!(message.contains("3 fields") && message.contains("2 columns"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }

    let path = write(dir.path(), "DeviceEvents.csv", "DeviceId,DeviceName\na,b\nc,\"never closed\nd,e\n");
    let (table, _) = open(&path, &LoadOptions::default());
    let err = collect_all(&table, 1).await.expect_err("unclosed quote");
    match data_error(&err) {
        DataError::CsvMalformed { line, message, .. } => {
            assert_eq!(*line, 3);
            assert!(message.contains("never closed"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }

    // A file rewritten after a first scan is looked at afresh.
    let path = write(dir.path(), "DeviceFileEvents.csv", "DeviceId,FileName\na,b\n");
    let (table, _) = open(&path, &LoadOptions::default());
    assert_eq!(concat(&collect_all(&table, 1).await.expect("first scan")).num_rows(), 1);
    write(dir.path(), "DeviceFileEvents.csv", "DeviceId,FileName\na,b\nc,\"d\ne,f\n");
    let err = collect_all(&table, 1).await.expect_err("now unclosed");
    assert!(matches!(data_error(&err), DataError::CsvMalformed { line: 3, .. }), "{err}");

    let empty = write(dir.path(), "Empty.csv", "");
    assert!(matches!(open_table(&empty, None, &LoadOptions::default()), Err(DataError::CsvHeader { .. })));
    let twice = write(dir.path(), "Twice.csv", "A,B,A\n1,2,3\n");
    let err = open_table(&twice, None, &LoadOptions::default()).expect_err("duplicate column");
    assert!(err.to_string().contains("`A` appears twice"), "{err}");
}

/// A file big enough to be split into byte ranges, with newlines inside
/// quoted values, so that naive splitting at `\n` would go wrong.
fn big_events(rows: usize, bad_row: Option<usize>) -> (String, usize) {
    let mut text = String::from("Timestamp,DeviceId,RemotePort,InitiatingProcessCommandLine\n");
    let mut line = 2;
    let mut bad_line = 0;
    for i in 0..rows {
        if Some(i) == bad_row {
            bad_line = line;
            text.push_str(&format!("2024-05-01T00:00:00Z,d{i},oops,plain\n"));
        } else if i % 3 == 0 {
            text.push_str(&format!(
                "2024-05-01T00:00:00.1234567Z,d{i},{},\"cmd.exe /c \"\"echo\"\"\nsecond, line {i}\"\n",
                i % 65536
            ));
        } else {
            text.push_str(&format!("2024-05-01T00:00:00Z,d{i},{},plain {i}\n", i % 65536));
        }
        line += if i % 3 == 0 && Some(i) != bad_row { 2 } else { 1 };
    }
    (text, bad_line)
}

#[tokio::test]
async fn parallel_ranges_split_between_whole_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = 30_000;
    let (text, _) = big_events(rows, None);
    let path = write(dir.path(), "DeviceNetworkEvents.csv", &text);
    let (table, _) = open(&path, &LoadOptions::default());

    let ctx = context(4);
    ctx.register_table("DeviceNetworkEvents", table.provider.clone()).expect("register");
    let df = ctx.table("DeviceNetworkEvents").await.expect("table");
    let plan = df.clone().create_physical_plan().await.expect("plan");
    let shown = displayable(plan.as_ref()).indent(false).to_string();
    assert!(shown.contains("partitions=4"), "{shown}");

    let batch = concat(&df.collect().await.expect("scan"));
    assert_eq!(batch.num_rows(), rows);
    let ports = batch.column_by_name("RemotePort").expect("col").as_primitive::<Int32Type>();
    let sum: i64 = ports.iter().map(|p| i64::from(p.unwrap_or(0))).sum();
    assert_eq!(sum, (0..rows as i64).map(|i| i % 65536).sum::<i64>());
    let lines = strings(&batch, "InitiatingProcessCommandLine");
    let multi = lines
        .iter()
        .filter(|l| l.as_deref().is_some_and(|l| l.starts_with("cmd.exe /c \"echo\"\nsecond, line ")))
        .count();
    assert_eq!(multi, rows.div_ceil(3));

    // Projection pushdown: one column only.
    let one = ctx
        .table("DeviceNetworkEvents")
        .await
        .expect("table")
        .select(vec![ident("DeviceId")])
        .expect("select")
        .collect()
        .await
        .expect("scan");
    assert_eq!(concat(&one).num_columns(), 1);
    assert_eq!(concat(&one).num_rows(), rows);

    // Size estimates put the small table on the build side of a join, even
    // when it is written second.
    let info = write(dir.path(), "DeviceInfo.csv", "DeviceId,DeviceName\nd1,h1\nd4,h4\n");
    let (info, _) = open(&info, &LoadOptions::default());
    ctx.register_table("DeviceInfo", info.provider.clone()).expect("register");
    let small = ctx
        .table("DeviceInfo")
        .await
        .expect("table")
        .select(vec![ident("DeviceId").alias("Id"), ident("DeviceName")])
        .expect("select");
    let joined = ctx
        .table("DeviceNetworkEvents")
        .await
        .expect("table")
        .join_on(small, datafusion::common::JoinType::Inner, [ident("DeviceId").eq(ident("Id"))])
        .expect("join");
    let plan = joined.clone().create_physical_plan().await.expect("plan");
    let shown = displayable(plan.as_ref()).indent(false).to_string();
    let first_scan = shown.lines().find(|l| l.contains("KqlScanExec")).unwrap_or_default();
    assert!(first_scan.contains("DeviceInfo.csv"), "{shown}");
    let out = concat(&joined.collect().await.expect("join runs"));
    let mut names = strings(&out, "DeviceName");
    names.sort();
    assert_eq!(names, [Some("h1".to_string()), Some("h4".to_string())]);
}

#[tokio::test]
async fn parallel_errors_report_absolute_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (text, bad_line) = big_events(30_000, Some(25_000));
    let path = write(dir.path(), "DeviceNetworkEvents.csv", &text);
    let (table, _) = open(&path, &LoadOptions::default());
    let err = collect_all(&table, 4).await.expect_err("bad port");
    match data_error(&err) {
        DataError::CsvValue { line, column, value, expected, .. } => {
            assert_eq!(
                (*line as usize, column.as_str(), value.as_str(), *expected),
                (bad_line, "RemotePort", "oops", ScalarType::Int)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(bad_line > 30_000, "the bad record is late in the file: {bad_line}");
}

// ---------------------------------------------------------------- JSON lines and Parquet

#[tokio::test]
async fn json_lines_load_with_catalog_types() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(
        dir.path(),
        "DeviceInfo.jsonl",
        "{\"TimeGenerated\":\"2021-08-02T13:11:39.7724491Z\",\"DeviceId\":\"d1\",\"OSBuild\":22631,\"AdditionalFields\":{\"a\":[1,2]},\"Extra\":1.5}\r\n\
         {\"TimeGenerated\":\"2021-08-02T13:11:40Z\",\"DeviceId\":null,\"OSBuild\":null,\"AdditionalFields\":\"{\\\"b\\\":true}\"}\r\n",
    );
    let (table, warnings) = open(&path, &LoadOptions::default());
    assert_eq!(table.flavor, Flavor::Sentinel);
    assert_eq!(kql_type(&table, "AdditionalFields"), "dynamic");
    assert_eq!(kql_type(&table, "Extra"), "real");
    assert_eq!(warnings.len(), 1);
    let batch = concat(&collect_all(&table, 1).await.expect("scan"));
    assert_eq!(strings(&batch, "DeviceId"), [Some("d1".to_string()), Some(String::new())]);
    assert_eq!(longs(&batch, "OSBuild"), [Some(22631), None]);
    assert_eq!(
        strings(&batch, "AdditionalFields"),
        [Some("{\"a\":[1,2]}".to_string()), Some("{\"b\":true}".to_string())]
    );
    let ts = batch.column_by_name("TimeGenerated").expect("col").as_primitive::<TimestampNanosecondType>();
    assert_eq!(ts.value(0) % 1_000_000_000, 772_449_100);

    let bad = write(dir.path(), "Bad.json", "{\"a\":1}\n[1,2]\n");
    let err = open_table(&bad, None, &LoadOptions::default()).expect_err("not an object");
    assert!(matches!(err, DataError::JsonLine { line: 2, .. }), "{err:?}");
}

#[tokio::test]
async fn parquet_columns_are_cast_to_kql_types() {
    use datafusion::arrow::array::{StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("DeviceInfo.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("Timestamp", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), true),
        Field::new("DeviceName", DataType::Utf8, true),
        Field::new("OSBuild", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(1_714_566_896_123_456), None]).with_timezone("UTC"),
            ),
            Arc::new(StringArray::from(vec![Some("h1"), None])),
            Arc::new(datafusion::arrow::array::Int64Array::from(vec![Some(1), None])),
        ],
    )
    .expect("batch");
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = ArrowWriter::try_new(file, schema, None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");

    let (table, warnings) = open(&path, &LoadOptions::default());
    assert!(warnings.is_empty(), "{warnings:?}");
    let out = concat(&collect_all(&table, 2).await.expect("scan"));
    assert_eq!(out.schema().field(0).data_type(), &DataType::Timestamp(TimeUnit::Nanosecond, None));
    let ts = out.column(0).as_primitive::<TimestampNanosecondType>();
    assert_eq!((ts.value(0), ts.is_null(1)), (1_714_566_896_123_456_000, true));
    assert_eq!(strings(&out, "DeviceName"), [Some("h1".to_string()), Some(String::new())]);
    assert_eq!(longs(&out, "OSBuild"), [Some(1), None]);
}

// ---------------------------------------------------------------- data folders

#[tokio::test]
async fn load_dir_reads_tables_and_redirects() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "DeviceInfo.csv", DEVICE_INFO);
    write(dir.path(), "AlertInfo.csv", "Timestamp,AlertId,Title\n2024-05-01T00:00:00Z,a1,t\n");
    write(dir.path(), "README.md", "notes");
    write(dir.path(), ".hidden.csv", "x\n1\n");
    write(dir.path(), "ipsum-level4.txt", "# feed\n1.2.3.4\n5.6.7.8\n");
    write(
        dir.path(),
        "externaldata.toml",
        "[redirect]\n\"https://raw.githubusercontent.com/stamparm/ipsum/master/levels/4.txt\" = \"ipsum-level4.txt\"\n",
    );
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    let names: Vec<_> = loaded.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["AlertInfo", "DeviceInfo"]);
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let url = "https://raw.githubusercontent.com/stamparm/ipsum/master/levels/4.txt";
    assert_eq!(loaded.redirects.get(url), Some(&Redirect::File(dir.path().join("ipsum-level4.txt"))));

    let req = ExternalRequest {
        uris: vec![url.to_string()],
        columns: vec![("IP".to_string(), ScalarType::String)],
        properties: vec![
            ("format".to_string(), PropertyValue::String("txt".to_string())),
            ("ignoreFirstRecord".to_string(), PropertyValue::Bool(true)),
        ],
    };
    let batches =
        fetch_external(&req, &loaded.redirects, &FetchOptions::default()).await.expect("redirected read");
    assert_eq!(strings(&concat(&batches), "IP"), [Some("1.2.3.4".to_string()), Some("5.6.7.8".to_string())]);

    write(dir.path(), "AlertInfo.json", "{\"AlertId\":\"x\"}\n");
    let err = load_dir(dir.path(), &LoadOptions::default()).expect_err("two AlertInfo files");
    assert!(matches!(err, DataError::DuplicateTable { ref table, .. } if table == "AlertInfo"), "{err:?}");

    let missing = dir.path().join("nope");
    let err = load_dir(&missing, &LoadOptions::default()).expect_err("missing folder");
    assert!(err.to_string().contains("nope"), "{err}");
}

// ---------------------------------------------------------------- externaldata over HTTP

/// A tiny HTTP/1.1 server on 127.0.0.1 with canned routes.
struct TestServer {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    workers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl TestServer {
    fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let stop = stop.clone();
            let workers = workers.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let stop = stop.clone();
                    let handle = std::thread::spawn(move || serve(conn, &stop));
                    workers.lock().expect("lock").push(handle);
                }
            })
        };
        TestServer { port, stop, accept: Some(accept), workers }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn shutdown(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            accept.join().expect("accept thread");
        }
        for worker in self.workers.lock().expect("lock").drain(..) {
            worker.join().expect("worker thread");
        }
    }
}

fn serve(mut conn: TcpStream, stop: &AtomicBool) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request);
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let ok = |body: &[u8]| {
        let mut response =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                .into_bytes();
        response.extend_from_slice(body);
        response
    };
    let response = match path.as_str() {
        "/ipsum/4.txt" => ok(b"# IPsum level 4\r\n10.0.0.1\r\n10.0.0.2\r\n\r\nnot-an-ip\r\n"),
        "/kev.csv" => ok(b"cveID,vendor,dateAdded,known\nCVE-2024-0001,\"Acme, Inc.\",2024-05-01,true\nCVE-2024-0002,Other,2024-05-02 10:00:00,False\n"),
        "/bad.csv" => ok(b"CVE-1,notanumber\n"),
        "/big-with-length" => ok(&[b'x'; 5000]),
        "/big-streamed" => {
            // No Content-Length: the body ends when the connection closes.
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            for _ in 0..50 {
                if conn.write_all(&[b'y'; 1000]).is_err() {
                    break;
                }
            }
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
        "/silent" => {
            // Accept and never answer, until the server stops.
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found".to_vec(),
    };
    let _ = conn.write_all(&response);
    let _ = conn.shutdown(Shutdown::Both);
}

fn txt_request(url: String) -> ExternalRequest {
    ExternalRequest {
        uris: vec![url],
        columns: vec![("IP".to_string(), ScalarType::String)],
        properties: vec![
            ("format".to_string(), PropertyValue::String("txt".to_string())),
            ("ignorefirstrecord".to_string(), PropertyValue::String("true".to_string())),
        ],
    }
}

fn local_options() -> FetchOptions {
    FetchOptions { timeout: Duration::from_secs(1), max_bytes: 4096, proxy_from_env: false }
}

#[tokio::test]
async fn externaldata_over_http() {
    let server = TestServer::start();
    let opts = local_options();
    let none = Redirects::new();

    // txt, first record skipped, CRLF lines, empty lines kept.
    let batches = fetch_external(&txt_request(server.url("/ipsum/4.txt")), &none, &opts).await.expect("txt");
    assert_eq!(
        strings(&concat(&batches), "IP"),
        ["10.0.0.1", "10.0.0.2", "", "not-an-ip"].map(|s| Some(s.to_string()))
    );

    // csv with typed columns.
    let csv = ExternalRequest {
        uris: vec![server.url("/kev.csv")],
        columns: vec![
            ("cveID".to_string(), ScalarType::String),
            ("vendor".to_string(), ScalarType::String),
            ("dateAdded".to_string(), ScalarType::DateTime),
            ("known".to_string(), ScalarType::Bool),
        ],
        properties: vec![
            ("format".to_string(), PropertyValue::String("csv".to_string())),
            ("ignoreFirstRecord".to_string(), PropertyValue::Bool(true)),
        ],
    };
    let batch = concat(&fetch_external(&csv, &none, &opts).await.expect("csv"));
    assert_eq!(strings(&batch, "vendor"), [Some("Acme, Inc.".to_string()), Some("Other".to_string())]);
    let dates = batch.column_by_name("dateAdded").expect("col").as_primitive::<TimestampNanosecondType>();
    assert_eq!((dates.value(0), dates.value(1)), (1_714_521_600_000_000_000, 1_714_644_000_000_000_000));
    assert_eq!(
        batch.column_by_name("known").expect("col").as_boolean().iter().collect::<Vec<_>>(),
        [Some(true), Some(false)]
    );
    assert_eq!(batch.schema().field(2).metadata().get("kql.type").map(String::as_str), Some("datetime"));

    // A value that does not convert names URL, line and column.
    let bad = ExternalRequest {
        uris: vec![server.url("/bad.csv")],
        columns: vec![("id".to_string(), ScalarType::String), ("n".to_string(), ScalarType::Long)],
        properties: vec![],
    };
    let err = fetch_external(&bad, &none, &opts).await.expect_err("bad long");
    assert_eq!(
        err.to_string(),
        format!("{}:1: column `n`: \"notanumber\" is not a long", server.url("/bad.csv"))
    );

    // 404.
    let err = fetch_external(&txt_request(server.url("/missing.txt")), &none, &opts).await.expect_err("404");
    assert!(matches!(err, DataError::Fetch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&server.url("/missing.txt")) && text.contains("404"), "{text}");

    // The server accepts and never answers.
    let started = Instant::now();
    let err = fetch_external(&txt_request(server.url("/silent")), &none, &opts).await.expect_err("timeout");
    assert!(matches!(err, DataError::FetchTimeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.to_string().contains("/silent"), "{err}");

    // Size cap, announced and streamed.
    for path in ["/big-with-length", "/big-streamed"] {
        let err = fetch_external(&txt_request(server.url(path)), &none, &opts).await.expect_err("too large");
        assert!(matches!(err, DataError::FetchTooLarge { cap: 4096, .. }), "{path}: {err:?}");
        assert!(err.to_string().contains(path), "{err}");
    }

    // Redirects: to another local URL and to a local file.
    let dir = tempfile::tempdir().expect("temp dir");
    let local = write(dir.path(), "feed.txt", "header\n192.0.2.1\n");
    let mut redirects = Redirects::new();
    redirects
        .add_arg(&format!("https://feeds.example.invalid/level4.txt?ver=2={}", server.url("/ipsum/4.txt")))
        .expect("url redirect");
    redirects
        .add_arg(&format!("https://feeds.example.invalid/other.txt={}", local.display()))
        .expect("file redirect");
    let batches = fetch_external(
        &txt_request("https://feeds.example.invalid/level4.txt?ver=2".to_string()),
        &redirects,
        &opts,
    )
    .await
    .expect("url redirect");
    assert_eq!(concat(&batches).num_rows(), 4);
    let batches = fetch_external(
        &txt_request("https://feeds.example.invalid/other.txt".to_string()),
        &redirects,
        &opts,
    )
    .await
    .expect("file redirect");
    assert_eq!(strings(&concat(&batches), "IP"), [Some("192.0.2.1".to_string())]);

    // A file:// URL with two URIs: rows are concatenated.
    let file_url = format!("file://{}", local.display());
    let mut two = txt_request(file_url);
    two.uris.push(server.url("/ipsum/4.txt"));
    let batches = fetch_external(&two, &none, &opts).await.expect("file and http");
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 5);

    // Unknown format or property.
    let mut odd = txt_request(server.url("/ipsum/4.txt"));
    odd.properties[0].1 = PropertyValue::String("avro".to_string());
    let err = fetch_external(&odd, &none, &opts).await.expect_err("avro");
    assert_eq!(
        miette::Diagnostic::code(&err).map(|c| c.to_string()).as_deref(),
        Some("kql::data::externaldata_format")
    );

    server.shutdown();
}
