//! CSV exports: KQL value semantics, flavors, inference, errors, parallel ranges.

use super::*;

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
