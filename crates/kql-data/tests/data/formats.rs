//! JSON lines, Parquet, and whole data folders.

use super::*;

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
