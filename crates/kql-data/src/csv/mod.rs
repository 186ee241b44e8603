//! CSV exports (Defender advanced hunting portal, Log Analytics) as lazily
//! scanned tables.
//!
//! Opening a file reads only its header (and a sample of rows when a column
//! type must be inferred). Scanning goes through DataFusion's CSV reader with
//! the typed schema, with projection pushdown, and splits big files into one
//! byte range per target partition. The split points come from
//! [`layout::scan_layout`], a quote-aware pass made on the first scan, so a
//! range never starts inside a quoted value that holds a newline.

pub(crate) mod layout;
pub(crate) mod locate;

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::config::CsvOptions;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{CsvSource, FileGroup, FileScanConfigBuilder};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result as DfResult;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::Expr;
use datafusion::object_store::path::Path as ObjectPath;
use datafusion::physical_plan::ExecutionPlan;
use kql_functions::types::kql_field;
use kql_syntax::ast::ScalarType;

use crate::catalog::{Flavor, catalog_table};
use crate::error::{DataError, Warning, WarningKind};
use crate::exec::{CsvCheck, ErrorContext, Fixup, KqlScanExec, SizeEstimate};
use crate::value::TypeGuess;
use crate::{LoadOptions, LoadedTable};
use layout::{Layout, line_of_offset, scan_layout};

/// Files up to this size are read whole to infer the types of columns the
/// catalog does not know; bigger files are sampled.
const INFER_WHOLE_FILE_BYTES: u64 = 32 << 20;

/// How many data rows are sampled from a big file to infer a type.
const INFER_SAMPLE_ROWS: usize = 10_000;

/// Opens a CSV file as table `name`. See [`crate::open_table`].
pub(crate) fn open_csv(
    path: &Path,
    name: &str,
    opts: &LoadOptions,
) -> Result<(LoadedTable, Vec<Warning>), DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let size = file.metadata().map_err(|e| DataError::io(path, e))?.len();
    let sample_rows = if size <= INFER_WHOLE_FILE_BYTES { usize::MAX } else { INFER_SAMPLE_ROWS };
    let sampled = if sample_rows == usize::MAX {
        "all rows".to_string()
    } else {
        format!("the first {sample_rows} rows")
    };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(BufReader::new(file));
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => return Err(header_error(path, e)),
        None => {
            return Err(DataError::CsvHeader {
                file: path.to_path_buf(),
                message: "the file is empty: there is no header row".to_string(),
            });
        }
    };
    let mut warnings = Vec::new();
    let names = column_names(path, &header, &mut warnings)?;

    let flavor = opts.flavor.unwrap_or_else(|| Flavor::detect(names.iter().map(String::as_str)));
    let known = catalog_table(flavor, name);

    // Read rows only when some type has to be inferred, and only until every
    // such column is known to be a string.
    let mut guesses: Vec<Option<TypeGuess>> = names
        .iter()
        .map(|n| known.and_then(|t| t.column_type(n)).map_or(Some(TypeGuess::new()), |_| None))
        .collect();
    if guesses.iter().any(Option::is_some) {
        for record in records.take(sample_rows) {
            // A bad record is reported by the scan, with its line.
            let Ok(record) = record else { break };
            for (guess, value) in guesses.iter_mut().zip(record.iter()) {
                if let Some(guess) = guess {
                    guess.observe(value);
                }
            }
            if guesses.iter().flatten().all(TypeGuess::is_string) {
                break;
            }
        }
    }

    let mut columns = Vec::with_capacity(names.len());
    let mut inferred = Vec::new();
    for (column, guess) in names.iter().zip(&guesses) {
        let ty = match (known.and_then(|t| t.column_type(column)), guess) {
            (Some(ty), _) => ty,
            (None, guess) => {
                let ty = guess.map_or(ScalarType::String, |g| g.finish());
                inferred.push(format!("{column}:{ty}"));
                ty
            }
        };
        columns.push((column.clone(), ty));
    }
    match known {
        None => warnings.push(Warning {
            kind: WarningKind::UnknownTable,
            file: path.to_path_buf(),
            message: format!(
                "table `{name}` is not in the {flavor} catalog; column types were inferred from \
                 {sampled}: {}",
                inferred.join(", ")
            ),
        }),
        Some(_) if !inferred.is_empty() => warnings.push(Warning {
            kind: WarningKind::ExtraColumn,
            file: path.to_path_buf(),
            message: format!(
                "column{} not in the {flavor} `{name}` table, types inferred from {sampled}: {}",
                if inferred.len() == 1 { "" } else { "s" },
                inferred.join(", ")
            ),
        }),
        Some(_) => {}
    }

    let table = Arc::new(CsvTable::new(path, columns)?);
    let schema = table.schema.clone();
    table.prefetch_layout();
    Ok((
        LoadedTable { name: name.to_string(), path: path.to_path_buf(), flavor, schema, provider: table },
        warnings,
    ))
}

fn header_error(path: &Path, e: csv::Error) -> DataError {
    let message = format!("cannot read the header row: {e}");
    match e.into_kind() {
        csv::ErrorKind::Io(io) => DataError::io(path, io),
        _ => DataError::CsvHeader { file: path.to_path_buf(), message },
    }
}

/// Header cells as column names: a byte-order mark is dropped, an empty cell
/// gets a `ColumnN` name (with a warning), a repeated name is an error.
fn column_names(
    path: &Path,
    header: &csv::StringRecord,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<String>, DataError> {
    let mut names = Vec::with_capacity(header.len());
    let mut seen = HashSet::new();
    for (i, cell) in header.iter().enumerate() {
        let cell = if i == 0 { cell.trim_start_matches('\u{feff}') } else { cell };
        let name = if cell.is_empty() {
            let generated = format!("Column{}", i + 1);
            warnings.push(Warning {
                kind: WarningKind::UnnamedColumn,
                file: path.to_path_buf(),
                message: format!("header cell {} is empty; the column is named `{generated}`", i + 1),
            });
            generated
        } else {
            cell.to_string()
        };
        if !seen.insert(name.clone()) {
            return Err(DataError::CsvHeader {
                file: path.to_path_buf(),
                message: format!("column `{name}` appears twice in the header"),
            });
        }
        names.push(name);
    }
    Ok(names)
}

/// A file's size and modification time.
type FileStamp = Option<(u64, Option<std::time::SystemTime>)>;

type LayoutResult = Result<Arc<Layout>, LayoutError>;

/// Why the layout pass failed; kept so that every scan reports it.
#[derive(Clone, Debug)]
enum LayoutError {
    Io(String),
    UnclosedQuote { line: u64 },
}

/// A CSV file as a DataFusion table.
pub(crate) struct CsvTable {
    path: PathBuf,
    location: ObjectPath,
    /// The table's schema: KQL types as Arrow types, `kql.type` metadata.
    schema: SchemaRef,
    /// What the CSV reader is asked for: like `schema`, with text for
    /// `timespan` columns, which it cannot parse.
    read_schema: SchemaRef,
    fixups: Vec<Fixup>,
    /// The header's columns with the types they are read as.
    columns: Arc<[(String, ScalarType)]>,
    /// The last layout pass, with the file size and time it saw.
    layout: Mutex<Option<(FileStamp, LayoutResult)>>,
}

impl fmt::Debug for CsvTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvTable").field("path", &self.path).finish_non_exhaustive()
    }
}

impl CsvTable {
    fn new(path: &Path, columns: Vec<(String, ScalarType)>) -> Result<Self, DataError> {
        let absolute = std::fs::canonicalize(path).map_err(|e| DataError::io(path, e))?;
        let location = ObjectPath::from_absolute_path(&absolute).map_err(|e| DataError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()),
        })?;
        let fields: Vec<Field> = columns.iter().map(|(n, t)| kql_field(n.clone(), *t)).collect();
        let read_fields: Vec<Field> = fields
            .iter()
            .zip(&columns)
            .map(|(f, (_, t))| match t {
                ScalarType::TimeSpan => f.clone().with_data_type(DataType::Utf8),
                _ => f.clone(),
            })
            .collect();
        let fixups = columns
            .iter()
            .map(|(_, t)| match t {
                ScalarType::String | ScalarType::Guid => Fixup::NonNullString,
                ScalarType::TimeSpan => Fixup::TimeSpanFromText,
                _ => Fixup::Keep,
            })
            .collect();
        Ok(CsvTable {
            path: path.to_path_buf(),
            location,
            schema: Arc::new(Schema::new(fields)),
            read_schema: Arc::new(Schema::new(read_fields)),
            fixups,
            columns: columns.into(),
            layout: Mutex::new(None),
        })
    }

    /// Starts the layout pass of a large file on a thread of its own, so
    /// that it overlaps with planning and with the scans of other tables
    /// instead of delaying this table's first scan. The pass runs under the
    /// cache's lock: a scan that needs it first waits for it, and nothing is
    /// computed twice. Small files are left to their first scan.
    fn prefetch_layout(self: &Arc<Self>) {
        const PREFETCH_MIN_BYTES: u64 = 32 << 20;
        let large = std::fs::metadata(&self.path).is_ok_and(|m| m.len() >= PREFETCH_MIN_BYTES);
        if !large {
            return;
        }
        let table = Arc::clone(self);
        // A failed pass is cached like any other and reported by the scan.
        let _ = std::thread::Builder::new().name("kql-csv-layout".into()).spawn(move || {
            let _ = table.layout();
        });
    }

    /// The layout pass, run on the first scan and again whenever the file's
    /// size or modification time has changed since.
    fn layout(&self) -> Result<Arc<Layout>, DataError> {
        let stamp = std::fs::metadata(&self.path).map(|m| (m.len(), m.modified().ok())).ok();
        let mut cached = self.layout.lock().map_err(|_| DataError::internal("layout cache poisoned"))?;
        let fresh = match cached.as_ref() {
            Some((seen, result)) if stamp.is_some() && *seen == stamp => result.clone(),
            _ => {
                let result = self.scan_layout();
                *cached = Some((stamp, result.clone()));
                result
            }
        };
        drop(cached);
        match fresh {
            Ok(layout) => Ok(layout),
            Err(LayoutError::Io(message)) => {
                Err(DataError::Io { path: self.path.clone(), source: std::io::Error::other(message) })
            }
            Err(LayoutError::UnclosedQuote { line }) => Err(DataError::CsvMalformed {
                file: self.path.clone(),
                line,
                message: "a quoted field opened here is never closed".to_string(),
            }),
        }
    }

    fn scan_layout(&self) -> Result<Arc<Layout>, LayoutError> {
        let mut file = File::open(&self.path).map_err(|e| LayoutError::Io(e.to_string()))?;
        let layout = scan_layout(&mut file).map_err(|e| LayoutError::Io(e.to_string()))?;
        if let Some(offset) = layout.unclosed_quote {
            let mut file = File::open(&self.path).map_err(|e| LayoutError::Io(e.to_string()))?;
            let line = line_of_offset(&mut file, offset).map_err(|e| LayoutError::Io(e.to_string()))?;
            return Err(LayoutError::UnclosedQuote { line });
        }
        Ok(Arc::new(layout))
    }

    /// One file group per partition: the whole file, or ranges of whole
    /// records.
    fn file_groups(&self, layout: &Layout, state: &dyn Session) -> Vec<FileGroup> {
        let options = state.config_options();
        let target = options.execution.target_partitions;
        let split = options.optimizer.repartition_file_scans
            && target > 1
            && layout.size >= options.optimizer.repartition_file_min_size as u64;
        let points = if split { layout.split_points(target) } else { Vec::new() };
        let file = |range: Option<(u64, u64)>| {
            let mut file = PartitionedFile::new(String::new(), layout.size);
            file.object_meta.location = self.location.clone();
            match range {
                Some((start, end)) => file.with_range(start as i64, end as i64),
                None => file,
            }
        };
        if points.is_empty() {
            return vec![FileGroup::new(vec![file(None)])];
        }
        let mut bounds = vec![0];
        bounds.extend(points);
        bounds.push(layout.size);
        bounds.windows(2).map(|w| FileGroup::new(vec![file(Some((w[0], w[1])))])).collect()
    }
}

#[async_trait]
impl TableProvider for CsvTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let layout = self.layout().map_err(DataError::into_datafusion)?;
        let options = CsvOptions {
            has_header: Some(true),
            delimiter: b',',
            quote: b'"',
            newlines_in_values: Some(layout.newlines_in_values),
            ..Default::default()
        };
        let source = CsvSource::new(self.read_schema.clone()).with_csv_options(options);
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
            .with_file_groups(self.file_groups(&layout, state))
            .with_limit(limit)
            .with_projection_indices(projection.cloned())?
            .build();
        let inner: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        let (schema, fixups) = project(&self.schema, &self.fixups, projection)?;
        let mut read = vec![projection.is_none(); self.columns.len()];
        for &i in projection.into_iter().flatten() {
            if let Some(flag) = read.get_mut(i) {
                *flag = true;
            }
        }
        let check = CsvCheck { columns: self.columns.clone(), read };
        let errors = ErrorContext::new(self.path.clone(), Some(check));
        let estimate = SizeEstimate {
            rows: None,
            bytes: Some(scaled_size(layout.size, schema.fields().len(), self.columns.len())),
        };
        Ok(Arc::new(KqlScanExec::new(inner, schema, fixups, Arc::new(errors), estimate)))
    }
}

/// `size` scaled to the share of columns read.
pub(crate) fn scaled_size(size: u64, read: usize, total: usize) -> usize {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    size.checked_div(total).map_or(size, |per_column| per_column * read)
}

/// The projected schema and fixups.
pub(crate) fn project(
    schema: &SchemaRef,
    fixups: &[Fixup],
    projection: Option<&Vec<usize>>,
) -> DfResult<(SchemaRef, Vec<Fixup>)> {
    match projection {
        None => Ok((schema.clone(), fixups.to_vec())),
        Some(indices) => {
            let projected = Arc::new(schema.project(indices)?);
            let fixups = indices.iter().map(|&i| fixups.get(i).copied().unwrap_or(Fixup::Keep)).collect();
            Ok((projected, fixups))
        }
    }
}
