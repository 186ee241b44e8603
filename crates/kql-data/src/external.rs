//! `externaldata`: read a table from URLs (or local files), after redirects.
//!
//! Formats (the `format` property, case-insensitive):
//! - `txt`: every line is a record of the single declared column;
//! - `csv`, `tsv`, `scsv` (`;`), `psv` (`|`): RFC 4180 records whose fields
//!   go to the declared columns in order; a short record leaves the rest
//!   empty, extra fields are ignored;
//! - `json` (one object per line) and `multijson` (objects or arrays of
//!   objects, spread over any lines): properties go to the declared columns
//!   by name. With a single `dynamic` column and no property of that name,
//!   the whole object is the value.
//!
//! `ignoreFirstRecord` skips the first record of each URI. Values convert to
//! the declared types; an empty field is `""` for strings and null otherwise.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use kql_functions::types::kql_field;
use kql_syntax::ast::ScalarType;
use serde_json::Value;

use crate::error::DataError;
use crate::redirect::{Redirect, Redirects};
use crate::value::ColumnBuilder;

/// A `with (...)` property value, as the planner evaluated it.
#[derive(Clone, Debug, PartialEq)]
pub enum PropertyValue {
    /// A string literal.
    String(String),
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal.
    Long(i64),
    /// A real literal.
    Real(f64),
}

impl PropertyValue {
    fn as_bool(&self) -> Option<bool> {
        match self {
            PropertyValue::Bool(b) => Some(*b),
            PropertyValue::String(s) => crate::value::parse_bool(s.trim()),
            PropertyValue::Long(0) => Some(false),
            PropertyValue::Long(1) => Some(true),
            _ => None,
        }
    }
}

impl std::fmt::Display for PropertyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PropertyValue::String(s) => write!(f, "{s:?}"),
            PropertyValue::Bool(b) => write!(f, "{b}"),
            PropertyValue::Long(n) => write!(f, "{n}"),
            PropertyValue::Real(x) => write!(f, "{x}"),
        }
    }
}

/// What an `externaldata` operator asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalRequest {
    /// The storage URIs, in order; their rows are concatenated.
    pub uris: Vec<String>,
    /// The declared columns.
    pub columns: Vec<(String, ScalarType)>,
    /// The `with (name = value)` properties.
    pub properties: Vec<(String, PropertyValue)>,
}

impl ExternalRequest {
    /// The schema of the result: the declared columns, with `kql.type`
    /// metadata.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(self.columns.iter().map(|(n, t)| kql_field(n.clone(), *t)).collect::<Vec<_>>()))
    }

    /// Checks the properties and columns without fetching anything, so the
    /// planner can report a bad request early.
    pub fn settings(&self) -> Result<ExternalSettings, DataError> {
        let mut format = ExternalFormat::CSV;
        let mut ignore_first_record = false;
        for (name, value) in &self.properties {
            if name.eq_ignore_ascii_case("format") {
                let PropertyValue::String(text) = value else {
                    return Err(format_error(format!("`format` must be a string, not {value}")));
                };
                format = ExternalFormat::from_name(text)?;
            } else if name.eq_ignore_ascii_case("ignoreFirstRecord") {
                ignore_first_record = value.as_bool().ok_or_else(|| {
                    format_error(format!("`ignoreFirstRecord` must be true or false, not {value}"))
                })?;
            } else {
                return Err(format_error(format!("unsupported property `{name}`")));
            }
        }
        if self.columns.is_empty() {
            return Err(format_error("no columns are declared".to_string()));
        }
        if format == ExternalFormat::Txt && self.columns.len() != 1 {
            return Err(format_error(format!(
                "format `txt` reads each line into one column, but {} columns are declared",
                self.columns.len()
            )));
        }
        if self.uris.is_empty() {
            return Err(format_error("no storage URI is given".to_string()));
        }
        Ok(ExternalSettings { format, ignore_first_record })
    }
}

fn format_error(message: String) -> DataError {
    DataError::ExternalFormat { message }
}

/// The data format of an `externaldata` source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalFormat {
    /// One record per line, one column.
    Txt,
    /// Delimiter-separated values; the byte is the delimiter.
    Delimited(u8),
    /// One JSON object per line.
    Json,
    /// JSON objects (or arrays of them) anywhere in the text.
    MultiJson,
}

impl ExternalFormat {
    /// Comma-separated values, the default.
    pub const CSV: ExternalFormat = ExternalFormat::Delimited(b',');

    /// Reads a `format` value (case-insensitive).
    pub fn from_name(name: &str) -> Result<Self, DataError> {
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "txt" => ExternalFormat::Txt,
            "csv" => ExternalFormat::Delimited(b','),
            "tsv" | "tsve" => ExternalFormat::Delimited(b'\t'),
            "scsv" => ExternalFormat::Delimited(b';'),
            "psv" => ExternalFormat::Delimited(b'|'),
            "json" => ExternalFormat::Json,
            "multijson" => ExternalFormat::MultiJson,
            _ => {
                return Err(format_error(format!(
                    "unsupported format `{name}` (supported: txt, csv, tsv, scsv, psv, json, multijson)"
                )));
            }
        })
    }
}

/// The checked properties of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalSettings {
    /// The data format.
    pub format: ExternalFormat,
    /// Skip the first record of each URI.
    pub ignore_first_record: bool,
}

/// Limits on fetching.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Connect timeout, and the longest wait for any read. Default 30 s.
    pub timeout: Duration,
    /// The largest body accepted, in bytes. Default 256 MiB.
    pub max_bytes: u64,
    /// Honour `HTTP(S)_PROXY` / `NO_PROXY` from the environment. Default on.
    pub proxy_from_env: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions { timeout: Duration::from_secs(30), max_bytes: 256 << 20, proxy_from_env: true }
    }
}

/// Fetches every URI of `req` (after `redirects`) and returns its rows as
/// batches of the declared schema, one batch per URI.
pub async fn fetch_external(
    req: &ExternalRequest,
    redirects: &Redirects,
    opts: &FetchOptions,
) -> Result<Vec<RecordBatch>, DataError> {
    let settings = req.settings()?;
    let schema = req.schema();
    let mut client = None;
    let mut batches = Vec::with_capacity(req.uris.len());
    for uri in &req.uris {
        let body = match redirects.get(uri) {
            Some(Redirect::File(path)) => read_local(uri, path, opts).await?,
            Some(Redirect::Url(target)) => {
                fetch_http(uri, target, &mut client, opts).await.map_err(|e| with_redirect_note(e, target))?
            }
            None => fetch_uri(uri, &mut client, opts).await?,
        };
        let text = decode(uri, body)?;
        let columns = parse_body(uri, &text, &req.columns, settings)?;
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(DataError::internal)?;
        batches.push(batch);
    }
    Ok(batches)
}

fn with_redirect_note(err: DataError, target: &str) -> DataError {
    match err {
        DataError::Fetch { url, message } => {
            DataError::Fetch { url, message: format!("{message} (redirected to `{target}`)") }
        }
        other => other,
    }
}

async fn fetch_uri(
    uri: &str,
    client: &mut Option<reqwest::Client>,
    opts: &FetchOptions,
) -> Result<Vec<u8>, DataError> {
    let lower = uri.trim().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return fetch_http(uri, uri.trim(), client, opts).await;
    }
    if lower.starts_with("file://") {
        let path =
            reqwest::Url::parse(uri.trim()).ok().and_then(|u| u.to_file_path().ok()).ok_or_else(|| {
                DataError::Fetch { url: uri.to_string(), message: "not a usable file URL".to_string() }
            })?;
        return read_local(uri, &path, opts).await;
    }
    if lower.contains("://") {
        return Err(DataError::Fetch {
            url: uri.to_string(),
            message: "only http(s) and file URLs can be fetched; redirect this one to a local copy"
                .to_string(),
        });
    }
    read_local(uri, Path::new(uri.trim()), opts).await
}

async fn read_local(uri: &str, path: &Path, opts: &FetchOptions) -> Result<Vec<u8>, DataError> {
    let fail = |message: String| DataError::Fetch { url: uri.to_string(), message };
    let path: PathBuf = path.to_path_buf();
    let meta =
        std::fs::metadata(&path).map_err(|e| fail(format!("cannot read `{}`: {e}", path.display())))?;
    if meta.len() > opts.max_bytes {
        return Err(DataError::FetchTooLarge { url: uri.to_string(), cap: opts.max_bytes });
    }
    std::fs::read(&path).map_err(|e| fail(format!("cannot read `{}`: {e}", path.display())))
}

/// GETs `target` (which is `uri`, or where `uri` is redirected), streaming
/// the body and stopping as soon as it passes the cap.
async fn fetch_http(
    uri: &str,
    target: &str,
    client: &mut Option<reqwest::Client>,
    opts: &FetchOptions,
) -> Result<Vec<u8>, DataError> {
    let client = match client {
        Some(c) => c,
        None => client.insert(build_client(uri, opts)?),
    };
    let net_error = |e: reqwest::Error| {
        if e.is_timeout() {
            DataError::FetchTimeout { url: uri.to_string(), seconds: opts.timeout.as_secs_f64() }
        } else {
            DataError::Fetch { url: uri.to_string(), message: error_chain(&e) }
        }
    };
    let mut response = client.get(target).send().await.map_err(net_error)?;
    let status = response.status();
    if !status.is_success() {
        return Err(DataError::Fetch {
            url: uri.to_string(),
            message: format!("the server answered HTTP {status}"),
        });
    }
    if response.content_length().is_some_and(|n| n > opts.max_bytes) {
        return Err(DataError::FetchTooLarge { url: uri.to_string(), cap: opts.max_bytes });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(net_error)? {
        if body.len() as u64 + chunk.len() as u64 > opts.max_bytes {
            return Err(DataError::FetchTooLarge { url: uri.to_string(), cap: opts.max_bytes });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn build_client(uri: &str, opts: &FetchOptions) -> Result<reqwest::Client, DataError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(opts.timeout)
        .read_timeout(opts.timeout)
        .user_agent(concat!("kql/", env!("CARGO_PKG_VERSION")));
    if !opts.proxy_from_env {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| DataError::Fetch {
        url: uri.to_string(),
        message: format!("cannot set up the HTTP client: {}", error_chain(&e)),
    })
}

/// An error and its causes, `a: b: c`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

fn decode(uri: &str, body: Vec<u8>) -> Result<String, DataError> {
    let mut text = String::from_utf8(body).map_err(|e| DataError::Fetch {
        url: uri.to_string(),
        message: format!(
            "the content is not UTF-8 text (bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    Ok(text)
}

/// Splits a body into records and converts them to columns.
fn parse_body(
    uri: &str,
    text: &str,
    columns: &[(String, ScalarType)],
    settings: ExternalSettings,
) -> Result<Vec<datafusion::arrow::array::ArrayRef>, DataError> {
    let mut builders: Vec<ColumnBuilder> = columns.iter().map(|(_, t)| ColumnBuilder::new(*t)).collect();
    let bad_value = |line: u64, col: usize, value: &str| DataError::ExternalValue {
        url: uri.to_string(),
        line,
        column: columns[col].0.clone(),
        value: value.to_string(),
        expected: columns[col].1,
    };
    let skip = usize::from(settings.ignore_first_record);
    match settings.format {
        ExternalFormat::Txt => {
            let body = text.strip_suffix('\n').unwrap_or(text);
            if !text.is_empty() {
                for (i, line) in body.split('\n').enumerate().skip(skip) {
                    let line_text = line.strip_suffix('\r').unwrap_or(line);
                    builders[0].append_text(line_text).map_err(|_| bad_value(i as u64 + 1, 0, line_text))?;
                }
            }
        }
        ExternalFormat::Delimited(delimiter) => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(text.as_bytes());
            for (n, record) in reader.records().enumerate() {
                let record = record.map_err(|e| DataError::Fetch {
                    url: uri.to_string(),
                    message: format!("malformed record: {e}"),
                })?;
                if n < skip {
                    continue;
                }
                let line = record.position().map_or(0, |p| p.line());
                for (col, builder) in builders.iter_mut().enumerate() {
                    match record.get(col) {
                        Some(value) => builder.append_text(value).map_err(|_| bad_value(line, col, value))?,
                        None => builder.append_missing(),
                    }
                }
            }
        }
        ExternalFormat::Json | ExternalFormat::MultiJson => {
            let mut objects = json_records(uri, text, settings.format)?;
            for (n, (line, value)) in objects.drain(..).enumerate() {
                if n < skip {
                    continue;
                }
                append_json_record(&mut builders, columns, &value)
                    .map_err(|col| bad_value(line, col, &value_text(&value, &columns[col].0)))?;
            }
        }
    }
    Ok(builders.iter_mut().map(ColumnBuilder::finish).collect())
}

/// The JSON records of a body, with the line each starts on.
fn json_records(uri: &str, text: &str, format: ExternalFormat) -> Result<Vec<(u64, Value)>, DataError> {
    let bad = |line: u64, e: &dyn std::fmt::Display| DataError::Fetch {
        url: uri.to_string(),
        message: format!("line {line}: not valid JSON: {e}"),
    };
    let mut out = Vec::new();
    if format == ExternalFormat::Json {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value = serde_json::from_str::<Value>(line).map_err(|e| bad(i as u64 + 1, &e))?;
            out.push((i as u64 + 1, value));
        }
        return Ok(out);
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        let line = 1 + text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() as u64;
        match stream.next() {
            None => break,
            Some(Ok(Value::Array(items))) => out.extend(items.into_iter().map(|v| (line, v))),
            Some(Ok(value)) => out.push((line, value)),
            Some(Err(e)) => return Err(bad(line, &e)),
        }
    }
    Ok(out)
}

/// Appends one JSON record; on a bad value returns the column index.
fn append_json_record(
    builders: &mut [ColumnBuilder],
    columns: &[(String, ScalarType)],
    record: &Value,
) -> Result<(), usize> {
    let whole_record =
        columns.len() == 1 && columns[0].1 == ScalarType::Dynamic && record.get(&columns[0].0).is_none();
    for (col, builder) in builders.iter_mut().enumerate() {
        let value = if whole_record { Some(record) } else { record.get(&columns[col].0) };
        match value {
            Some(v) => builder.append_json(v).map_err(|_| col)?,
            None => builder.append_missing(),
        }
    }
    Ok(())
}

fn value_text(record: &Value, column: &str) -> String {
    match record.get(column) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => record.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;

    use super::*;

    fn request(columns: &[(&str, ScalarType)], props: &[(&str, PropertyValue)]) -> ExternalRequest {
        ExternalRequest {
            uris: vec!["https://example.invalid/x".to_string()],
            columns: columns.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
            properties: props.iter().map(|(n, v)| (n.to_string(), v.clone())).collect(),
        }
    }

    #[test]
    fn properties_are_checked() {
        let txt = PropertyValue::String("TXT".to_string());
        let req = request(
            &[("Line", ScalarType::String)],
            &[("FORMAT", txt.clone()), ("IgnoreFirstRecord", PropertyValue::String("true".to_string()))],
        );
        let s = req.settings().expect("valid");
        assert_eq!(s.format, ExternalFormat::Txt);
        assert!(s.ignore_first_record);

        let two = request(&[("A", ScalarType::String), ("B", ScalarType::String)], &[("format", txt)]);
        assert!(matches!(two.settings(), Err(DataError::ExternalFormat { .. })));
        let unknown = request(&[("A", ScalarType::String)], &[("compressed", PropertyValue::Bool(true))]);
        assert!(unknown.settings().expect_err("unknown property").to_string().contains("`compressed`"));
        let bad_format =
            request(&[("A", ScalarType::String)], &[("format", PropertyValue::String("avro".into()))]);
        assert!(bad_format.settings().expect_err("avro").to_string().contains("`avro`"));
    }

    #[test]
    fn csv_fields_go_to_columns_in_order() {
        let settings = ExternalSettings { format: ExternalFormat::CSV, ignore_first_record: true };
        let columns = vec![("Name".to_string(), ScalarType::String), ("N".to_string(), ScalarType::Long)];
        let text = "name,n\n\"a, b\",1\nc\n\"d\"\"\",3,extra\n";
        let out = parse_body("u", text, &columns, settings).expect("parses");
        let names = out[0].as_string::<i32>();
        assert_eq!(names.iter().collect::<Vec<_>>(), vec![Some("a, b"), Some("c"), Some("d\"")]);
        let n = out[1].as_primitive::<Int64Type>();
        assert_eq!((n.value(0), n.is_null(1), n.value(2)), (1, true, 3));

        let err = parse_body(
            "u",
            "x,1\ny,zz\n",
            &columns,
            ExternalSettings { ignore_first_record: false, ..settings },
        )
        .expect_err("bad long");
        assert_eq!(err.to_string(), "u:2: column `N`: \"zz\" is not a long");
    }

    #[test]
    fn json_by_name_and_whole_records() {
        let settings = ExternalSettings { format: ExternalFormat::MultiJson, ignore_first_record: false };
        let columns = vec![("a".to_string(), ScalarType::Long), ("b".to_string(), ScalarType::String)];
        let out = parse_body("u", "[{\"a\":1,\"b\":\"x\"},\n{\"a\":2}]\n{\"b\":\"y\"}", &columns, settings)
            .expect("parses");
        assert_eq!(out[0].len(), 3);
        assert_eq!(out[1].as_string::<i32>().value(1), "");
        assert_eq!(out[1].as_string::<i32>().value(2), "y");

        let whole = vec![("doc".to_string(), ScalarType::Dynamic)];
        let out = parse_body(
            "u",
            "{\"k\": [1, 2]}\n",
            &whole,
            ExternalSettings { format: ExternalFormat::Json, ..settings },
        )
        .expect("parses");
        assert_eq!(out[0].as_string::<i32>().value(0), "{\"k\":[1,2]}");
    }
}
