//! The table catalog and the samples beside the project.

use super::*;

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
