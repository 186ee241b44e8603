//! Parquet files as lazily scanned tables.
//!
//! The file's own schema says which columns exist. Catalog columns get their
//! catalog type and other columns the KQL type that holds their Arrow type;
//! DataFusion's Parquet reader casts each file column to that type
//! (`Utf8View` to `Utf8`, `Timestamp(µs, UTC)` to `Timestamp(ns)`, …).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result as DfResult;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::Expr;
use datafusion::object_store::path::Path as ObjectPath;
use datafusion::parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use datafusion::physical_plan::ExecutionPlan;
use kql_functions::types::{kql_field, kql_type_of};
use kql_syntax::ast::ScalarType;

use crate::catalog::{Flavor, catalog_table};
use crate::csv::{project, scaled_size};
use crate::error::{DataError, Warning, WarningKind};
use crate::exec::{ErrorContext, Fixup, KqlScanExec, SizeEstimate};
use crate::{LoadOptions, LoadedTable};

pub(crate) fn open_parquet(
    path: &Path,
    name: &str,
    opts: &LoadOptions,
) -> Result<(LoadedTable, Vec<Warning>), DataError> {
    let parquet_error = |message: String| DataError::Parquet { file: path.to_path_buf(), message };
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let size = file.metadata().map_err(|e| DataError::io(path, e))?.len();
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
        .map_err(|e| parquet_error(e.to_string()))?;
    let file_schema = metadata.schema();
    let parquet_meta = metadata.metadata();
    let rows = usize::try_from(parquet_meta.file_metadata().num_rows()).ok();
    let bytes: i64 = parquet_meta.row_groups().iter().map(|g| g.total_byte_size()).sum();
    let bytes = u64::try_from(bytes).unwrap_or(size);

    let flavor =
        opts.flavor.unwrap_or_else(|| Flavor::detect(file_schema.fields().iter().map(|f| f.name().as_str())));
    let known = catalog_table(flavor, name);
    let mut columns: Vec<(String, ScalarType)> = Vec::new();
    let mut extra = Vec::new();
    for field in file_schema.fields() {
        let ty = match known.and_then(|t| t.column_type(field.name())) {
            Some(ty) => ty,
            None => {
                let ty = kql_type_of(field).ok_or_else(|| {
                    parquet_error(format!(
                        "column `{}` has type {}, which no KQL type holds",
                        field.name(),
                        field.data_type()
                    ))
                })?;
                extra.push(format!("{}:{ty}", field.name()));
                ty
            }
        };
        columns.push((field.name().clone(), ty));
    }

    let mut warnings = Vec::new();
    match known {
        None => warnings.push(Warning {
            kind: WarningKind::UnknownTable,
            file: path.to_path_buf(),
            message: format!(
                "table `{name}` is not in the {flavor} catalog; column types come from the file: {}",
                extra.join(", ")
            ),
        }),
        Some(_) if !extra.is_empty() => warnings.push(Warning {
            kind: WarningKind::ExtraColumn,
            file: path.to_path_buf(),
            message: format!(
                "columns not in the {flavor} `{name}` table, types from the file: {}",
                extra.join(", ")
            ),
        }),
        Some(_) => {}
    }

    let absolute = std::fs::canonicalize(path).map_err(|e| DataError::io(path, e))?;
    let location = ObjectPath::from_absolute_path(&absolute).map_err(|e| parquet_error(e.to_string()))?;
    let schema =
        Arc::new(Schema::new(columns.iter().map(|(n, t)| kql_field(n.clone(), *t)).collect::<Vec<_>>()));
    let fixups = columns
        .iter()
        .map(|(_, t)| match t {
            ScalarType::String | ScalarType::Guid => Fixup::NonNullString,
            _ => Fixup::Keep,
        })
        .collect();
    let table = ParquetTable {
        path: path.to_path_buf(),
        location,
        size,
        schema: schema.clone(),
        fixups,
        errors: Arc::new(ErrorContext::new(path.to_path_buf(), None)),
        rows,
        bytes,
    };
    Ok((
        LoadedTable {
            name: name.to_string(),
            path: path.to_path_buf(),
            flavor,
            schema,
            provider: Arc::new(table),
        },
        warnings,
    ))
}

#[derive(Debug)]
struct ParquetTable {
    path: PathBuf,
    location: ObjectPath,
    size: u64,
    schema: SchemaRef,
    fixups: Vec<Fixup>,
    errors: Arc<ErrorContext>,
    /// Rows in the file, from its metadata.
    rows: Option<usize>,
    /// Uncompressed size of the row groups.
    bytes: u64,
}

#[async_trait]
impl TableProvider for ParquetTable {
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
        // No filter pushdown: row-group pruning would treat a null string as
        // null, where KQL reads it as "".
        let mut file = PartitionedFile::new(self.path.to_string_lossy().to_string(), self.size);
        file.object_meta.location = self.location.clone();
        let source = ParquetSource::new(self.schema.clone());
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
            .with_file_groups(vec![FileGroup::new(vec![file])])
            .with_limit(limit)
            .with_projection_indices(projection.cloned())?
            .build();
        let inner: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        // Parquet splits at row groups, so DataFusion's own byte ranges are safe.
        let options = state.config_options();
        let inner = if options.optimizer.repartition_file_scans {
            inner.repartitioned(options.execution.target_partitions, options)?.unwrap_or(inner)
        } else {
            inner
        };
        let (schema, fixups) = project(&self.schema, &self.fixups, projection)?;
        let estimate = SizeEstimate {
            rows: self.rows.map(|r| limit.map_or(r, |l| r.min(l))),
            bytes: Some(scaled_size(self.bytes, schema.fields().len(), self.schema.fields().len())),
        };
        Ok(Arc::new(KqlScanExec::new(inner, schema, fixups, self.errors.clone(), estimate)))
    }
}
