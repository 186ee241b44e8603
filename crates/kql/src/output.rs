//! Rendering results: Kusto's text forms of values, and the table, CSV and
//! JSON writers.

use std::io::{self, Write};

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, DurationNanosecondArray, Float64Array, Int32Array, Int64Array,
    TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use kql_functions::convert::{format_datetime, format_timespan};
use kql_syntax::ast::ScalarType;

/// One result table: the columns with their KQL types, and the rows.
#[derive(Debug, Clone)]
pub struct ResultSet {
    /// Column names and KQL types, in order.
    pub columns: Vec<(String, ScalarType)>,
    /// The rows, in batches.
    pub batches: Vec<RecordBatch>,
}

impl ResultSet {
    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Every cell as Kusto prints it, row by row; `None` is null.
    pub fn rows(&self) -> Vec<Vec<Option<String>>> {
        let mut rows = Vec::with_capacity(self.num_rows());
        for batch in &self.batches {
            let mut columns: Vec<Vec<Option<String>>> = batch.columns().iter().map(format_column).collect();
            // Kusto shows a dynamic value that is a string without its JSON quotes.
            for (cells, (_, ty)) in columns.iter_mut().zip(&self.columns) {
                if *ty == ScalarType::Dynamic {
                    for cell in cells.iter_mut().flatten() {
                        if cell.starts_with('"')
                            && let Ok(serde_json::Value::String(s)) = serde_json::from_str(cell)
                        {
                            *cell = s;
                        }
                    }
                }
            }
            for r in 0..batch.num_rows() {
                rows.push(columns.iter().map(|c| c[r].clone()).collect());
            }
        }
        rows
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    #[default]
    Table,
    /// CSV with a header row, as the portals export.
    Csv,
    /// JSON Lines: one object per row.
    Json,
    /// Apache Parquet (one result, to a file given with `--output`).
    Parquet,
}

/// Kusto's text form of every value in a column.
pub fn format_column(array: &ArrayRef) -> Vec<Option<String>> {
    let n = array.len();
    let mut out = Vec::with_capacity(n);
    macro_rules! each {
        ($ty:ty, $f:expr) => {{
            if let Some(a) = array.as_any().downcast_ref::<$ty>() {
                for i in 0..n {
                    out.push(if a.is_null(i) { None } else { Some($f(a.value(i))) });
                }
                return out;
            }
        }};
    }
    match array.data_type() {
        DataType::Boolean => each!(BooleanArray, |v: bool| v.to_string()),
        DataType::Int32 => each!(Int32Array, |v: i32| v.to_string()),
        DataType::Int64 => each!(Int64Array, |v: i64| v.to_string()),
        DataType::Float64 => each!(Float64Array, format_real),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            each!(TimestampNanosecondArray, format_datetime)
        }
        DataType::Duration(TimeUnit::Nanosecond) => {
            each!(DurationNanosecondArray, format_timespan)
        }
        _ => {}
    }
    let options = FormatOptions::default().with_null("");
    match ArrayFormatter::try_new(array.as_ref(), &options) {
        Ok(f) => {
            for i in 0..n {
                out.push(if array.is_null(i) { None } else { Some(f.value(i).to_string()) });
            }
        }
        Err(_) => out.resize(n, None),
    }
    out
}

/// Kusto's form of a real: shortest round-trip digits, `NaN`, `Infinity`.
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        format!("{v}")
    }
}

/// Writes `result` in `format`.
pub fn write_result(out: &mut dyn Write, result: &ResultSet, format: Format) -> io::Result<()> {
    match format {
        Format::Table => write_table(out, result),
        Format::Csv => write_csv(out, result),
        Format::Json => write_json(out, result),
        Format::Parquet => write_parquet(out, result),
    }
}

/// An aligned text table with a header, a rule, and a row count.
pub fn write_table(out: &mut dyn Write, result: &ResultSet) -> io::Result<()> {
    write_table_limited(out, result, usize::MAX)
}

/// Like [`write_table`], showing at most `limit` rows and saying how many
/// were left out.
pub fn write_table_limited(out: &mut dyn Write, result: &ResultSet, limit: usize) -> io::Result<()> {
    let rows = result.rows();
    let shown = &rows[..rows.len().min(limit)];
    let mut widths: Vec<usize> = result.columns.iter().map(|(n, _)| n.chars().count()).collect();
    for row in shown {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.as_deref().map_or(0, display_width));
        }
    }
    let line = |cells: Vec<String>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - display_width(c))))
            .collect();
        padded.join(" | ").trim_end().to_string()
    };
    writeln!(out, "{}", line(result.columns.iter().map(|(n, _)| n.clone()).collect()))?;
    writeln!(out, "{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"))?;
    for row in shown {
        let cells = row.iter().map(|c| c.as_deref().map(one_line).unwrap_or_default()).collect();
        writeln!(out, "{}", line(cells))?;
    }
    let total = rows.len();
    if total > shown.len() {
        writeln!(out, "({total} rows, {} not shown)", total - shown.len())?;
    } else {
        writeln!(out, "({total} row{})", if total == 1 { "" } else { "s" })?;
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn display_width(s: &str) -> usize {
    s.chars().filter(|c| *c != '\n' && *c != '\r').count()
}

/// Apache Parquet, the Arrow columns as they are; each field keeps its KQL
/// type in the `kql.type` metadata.
pub fn write_parquet(out: &mut dyn Write, result: &ResultSet) -> io::Result<()> {
    let schema = match result.batches.first() {
        Some(b) => b.schema(),
        None => {
            let fields: Vec<_> =
                result.columns.iter().map(|(n, t)| kql_functions::types::kql_field(n.clone(), *t)).collect();
            std::sync::Arc::new(datafusion::arrow::datatypes::Schema::new(fields))
        }
    };
    let mut buffer = Vec::new();
    let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(&mut buffer, schema, None)
        .map_err(|e| io::Error::other(e.to_string()))?;
    for batch in &result.batches {
        writer.write(batch).map_err(|e| io::Error::other(e.to_string()))?;
    }
    writer.close().map_err(|e| io::Error::other(e.to_string()))?;
    out.write_all(&buffer)
}

/// CSV with a header row; nulls are empty fields.
pub fn write_csv(out: &mut dyn Write, result: &ResultSet) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(result.columns.iter().map(|(n, _)| n.as_str()))?;
    for row in result.rows() {
        w.write_record(row.iter().map(|c| c.as_deref().unwrap_or("")))?;
    }
    w.flush()
}

/// JSON Lines: one object per row, keys in column order, values typed
/// (numbers, bools, dynamic values as JSON, others as strings).
pub fn write_json(out: &mut dyn Write, result: &ResultSet) -> io::Result<()> {
    for row in result.rows() {
        let mut obj = serde_json::Map::new();
        for ((name, ty), cell) in result.columns.iter().zip(row) {
            obj.insert(name.clone(), json_value(*ty, cell));
        }
        serde_json::to_writer(&mut *out, &serde_json::Value::Object(obj))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn json_value(ty: ScalarType, cell: Option<String>) -> serde_json::Value {
    use serde_json::Value;
    let Some(text) = cell else { return Value::Null };
    match ty {
        ScalarType::Bool => Value::Bool(text == "true"),
        ScalarType::Int | ScalarType::Long => text.parse::<i64>().map_or(Value::String(text), Value::from),
        ScalarType::Real => match text.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            Some(n) => Value::Number(n),
            None => Value::String(text),
        },
        ScalarType::Dynamic => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        _ => Value::String(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kusto_text_forms() {
        assert_eq!(format_datetime(1_714_558_272_123_456_700), "2024-05-01T10:11:12.1234567Z");
        assert_eq!(format_timespan(3_600_000_000_000), "01:00:00");
        assert_eq!(format_timespan(-1_500), "-00:00:00.0000015");
        assert_eq!(format_real(0.5), "0.5");
        assert_eq!(format_real(f64::NAN), "NaN");
    }
}
