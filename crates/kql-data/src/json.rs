//! JSON-lines exports (one object per line, as Log Analytics and the
//! Defender streaming API write them), loaded into memory.
//!
//! Columns are the object keys in order of first appearance. Types come from
//! the catalog; other columns are inferred from all their values. Nested
//! objects and arrays in `dynamic` columns are kept as compact JSON text.
//! These files are small in practice, so they are read eagerly.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use kql_functions::types::kql_field;
use kql_syntax::ast::ScalarType;
use serde_json::{Map, Value};

use crate::catalog::{Flavor, catalog_table};
use crate::error::{DataError, Warning, WarningKind};
use crate::value::{ColumnBuilder, infer_json_type};
use crate::{LoadOptions, LoadedTable};

pub(crate) fn open_json_lines(
    path: &Path,
    name: &str,
    opts: &LoadOptions,
) -> Result<(LoadedTable, Vec<Warning>), DataError> {
    let bad_line =
        |line: u64, message: String| DataError::JsonLine { file: path.to_path_buf(), line, message };
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| DataError::JsonLine {
        file: path.to_path_buf(),
        line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64,
        message: "the file is not UTF-8 text".to_string(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);

    // Parse every line; collect the keys in order of first appearance.
    let mut records: Vec<(u64, Map<String, Value>)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut known_names = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => {
                for key in map.keys() {
                    if known_names.insert(key.clone()) {
                        names.push(key.clone());
                    }
                }
                records.push((line_no, map));
            }
            Ok(_) => return Err(bad_line(line_no, "the line is not a JSON object".to_string())),
            Err(e) => return Err(bad_line(line_no, format!("not valid JSON: {e}"))),
        }
    }

    let flavor = opts.flavor.unwrap_or_else(|| Flavor::detect(names.iter().map(String::as_str)));
    let known = catalog_table(flavor, name);
    let mut inferred = Vec::new();
    let columns: Vec<(String, ScalarType)> = names
        .iter()
        .map(|column| {
            let ty = known.and_then(|t| t.column_type(column)).unwrap_or_else(|| {
                let ty = infer_json_type(records.iter().filter_map(|(_, r)| r.get(column)));
                inferred.push(format!("{column}:{ty}"));
                ty
            });
            (column.clone(), ty)
        })
        .collect();

    let mut builders: Vec<ColumnBuilder> = columns.iter().map(|(_, t)| ColumnBuilder::new(*t)).collect();
    for (line, record) in &records {
        for (builder, (column, ty)) in builders.iter_mut().zip(&columns) {
            match record.get(column) {
                None => builder.append_missing(),
                Some(value) => builder.append_json(value).map_err(|_| {
                    bad_line(*line, format!("column `{column}`: {value} is not {}", with_article(*ty)))
                })?,
            }
        }
    }
    let schema =
        Arc::new(Schema::new(columns.iter().map(|(n, t)| kql_field(n.clone(), *t)).collect::<Vec<_>>()));
    let arrays = builders.iter_mut().map(ColumnBuilder::finish).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(DataError::internal)?;
    let provider = MemTable::try_new(schema.clone(), vec![vec![batch]]).map_err(DataError::internal)?;

    let mut warnings = Vec::new();
    if known.is_none() {
        warnings.push(Warning {
            kind: WarningKind::UnknownTable,
            file: path.to_path_buf(),
            message: format!(
                "table `{name}` is not in the {flavor} catalog; column types were inferred: {}",
                inferred.join(", ")
            ),
        });
    } else if !inferred.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::ExtraColumn,
            file: path.to_path_buf(),
            message: format!(
                "columns not in the {flavor} `{name}` table, types inferred: {}",
                inferred.join(", ")
            ),
        });
    }
    Ok((
        LoadedTable {
            name: name.to_string(),
            path: path.to_path_buf(),
            flavor,
            schema,
            provider: Arc::new(provider),
        },
        warnings,
    ))
}

pub(crate) fn with_article(ty: ScalarType) -> String {
    format!("{} {ty}", crate::error::article(ty))
}
