//! `KqlScanExec`: the leaf of every file scan.
//!
//! It holds DataFusion's own scan of the file (CSV or Parquet) and, on the
//! way out:
//! - gives string columns KQL semantics: a string is never null, so the null
//!   buffer is dropped (readers write zero-length values at null slots, which
//!   we check);
//! - converts text read for `timespan` columns;
//! - turns any error into a [`DataError`] that names the file and, for CSV,
//!   the exact line and column (see [`crate::csv`]).
//!
//! It is a leaf on purpose: the inner scan's partitions are cut at record
//! boundaries we computed, and the optimizer must not re-split them.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, DurationNanosecondBuilder, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PhysicalExpr, PlanProperties,
    ReplaceChildrenOptions, Statistics, StatisticsArgs,
};
use futures::StreamExt;
use kql_syntax::ast::ScalarType;

use crate::csv::locate::{CsvProblem, find_first_problem};
use crate::error::DataError;
use crate::value::parse_timespan;

/// What to do to one output column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Fixup {
    /// Pass through.
    Keep,
    /// A KQL `string`/`guid`: nulls become `""`.
    NonNullString,
    /// Read as text, convert to `Duration(ns)`.
    TimeSpanFromText,
}

/// The columns of a CSV file, for finding the record a scan choked on.
#[derive(Debug)]
pub(crate) struct CsvCheck {
    /// The header's columns with the types they are read as.
    pub columns: Arc<[(String, ScalarType)]>,
    /// Which of them the scan reads (values of the others are not checked).
    pub read: Vec<bool>,
}

/// How to explain a failed scan of one file.
#[derive(Debug)]
pub(crate) struct ErrorContext {
    pub file: PathBuf,
    /// For CSV: what the rescan checks.
    pub csv: Option<CsvCheck>,
    /// The rescan's answer, shared by all partitions.
    located: OnceLock<std::result::Result<Option<CsvProblem>, String>>,
}

impl ErrorContext {
    pub(crate) fn new(file: PathBuf, csv: Option<CsvCheck>) -> Self {
        ErrorContext { file, csv, located: OnceLock::new() }
    }

    /// The error to report for `err`. May read the whole file again; call it
    /// off the async threads.
    fn explain(&self, err: &DataFusionError) -> DataError {
        if let Some(check) = &self.csv {
            let located = self.located.get_or_init(|| {
                find_first_problem(&self.file, &check.columns, &check.read).map_err(|e| e.to_string())
            });
            match located {
                Ok(Some(problem)) => return problem.to_error(&self.file),
                Ok(None) => {}
                Err(message) => {
                    return DataError::Scan { file: self.file.clone(), message: message.clone() };
                }
            }
        }
        DataError::Scan { file: self.file.clone(), message: err.to_string() }
    }
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct KqlScanExec {
    inner: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    fixups: Arc<[Fixup]>,
    errors: Arc<ErrorContext>,
    properties: Arc<PlanProperties>,
    estimate: SizeEstimate,
}

/// Rough size of a scan's output, so that DataFusion puts the smaller side
/// of a join on the build side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SizeEstimate {
    /// Exact row count, when known (Parquet metadata).
    pub rows: Option<usize>,
    /// Approximate output bytes.
    pub bytes: Option<usize>,
}

impl KqlScanExec {
    /// `schema` is the output schema (the projected table schema); `fixups`
    /// has one entry per output column.
    pub(crate) fn new(
        inner: Arc<dyn ExecutionPlan>,
        schema: SchemaRef,
        fixups: Vec<Fixup>,
        errors: Arc<ErrorContext>,
        estimate: SizeEstimate,
    ) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            inner.output_partitioning().clone(),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        KqlScanExec {
            inner,
            schema,
            fixups: fixups.into(),
            errors,
            properties: Arc::new(properties),
            estimate,
        }
    }
}

impl DisplayAs for KqlScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "KqlScanExec: file={}, partitions={}",
            self.errors.file.display(),
            self.properties.partitioning.partition_count()
        )?;
        if matches!(t, DisplayFormatType::Verbose) {
            write!(f, ", inner={}", self.inner.name())?;
        }
        Ok(())
    }
}

impl ExecutionPlan for KqlScanExec {
    fn name(&self) -> &str {
        "KqlScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal("KqlScanExec is a leaf and takes no children".to_string()))
        }
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(datafusion::physical_plan::ChildrenPropertiesMode::Recompute),
        )
    }

    fn repartitioned(
        &self,
        _target_partitions: usize,
        _config: &ConfigOptions,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        // Partitions were cut at record boundaries when the scan was planned.
        Ok(None)
    }

    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<Statistics>],
        args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        let parts = match args.partition() {
            Some(_) => self.properties.partitioning.partition_count().max(1),
            None => 1,
        };
        let mut stats = Statistics::new_unknown(&self.schema);
        if let Some(rows) = self.estimate.rows {
            stats.num_rows =
                if parts == 1 { Precision::Exact(rows) } else { Precision::Inexact(rows / parts) };
        }
        if let Some(bytes) = self.estimate.bytes {
            stats.total_byte_size = Precision::Inexact(bytes / parts);
        }
        Ok(Arc::new(stats))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        self.inner.metrics()
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let inner = match self.inner.execute(partition, context) {
            Ok(stream) => stream,
            Err(e) => {
                return Err(DataError::Scan { file: self.errors.file.clone(), message: e.to_string() }
                    .into_datafusion());
            }
        };
        let schema = self.schema.clone();
        let fixups = self.fixups.clone();
        let errors = self.errors.clone();
        let stream = futures::stream::unfold(Some(inner), move |state| {
            let schema = schema.clone();
            let fixups = fixups.clone();
            let errors = errors.clone();
            async move {
                let mut inner = state?;
                let err = match inner.next().await? {
                    Ok(batch) => match apply_fixups(&batch, &schema, &fixups) {
                        Ok(batch) => return Some((Ok(batch), Some(inner))),
                        Err(e) => e,
                    },
                    Err(e) => e,
                };
                // The stream ends after its first error.
                Some((Err(explain_off_thread(errors, err).await), None))
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream)))
    }
}

/// Runs [`ErrorContext::explain`] on its own thread, as it may read a large
/// file.
async fn explain_off_thread(errors: Arc<ErrorContext>, err: DataFusionError) -> DataFusionError {
    if let Some(found) = crate::error::find_data_error(&err) {
        // Already ours (e.g. a load error raised inside the scan).
        return DataError::Scan { file: errors.file.clone(), message: found.to_string() }.into_datafusion();
    }
    let (tx, rx) = futures::channel::oneshot::channel();
    let file = errors.file.clone();
    let message = err.to_string();
    let spawned = std::thread::Builder::new().name("kql-csv-locate".to_string()).spawn(move || {
        let _ = tx.send(errors.explain(&err));
    });
    let explained = match spawned {
        Ok(_) => rx.await.ok(),
        Err(_) => None,
    };
    explained.unwrap_or(DataError::Scan { file, message }).into_datafusion()
}

fn apply_fixups(batch: &RecordBatch, schema: &SchemaRef, fixups: &[Fixup]) -> Result<RecordBatch> {
    if fixups.iter().all(|f| *f == Fixup::Keep) && batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (i, column) in batch.columns().iter().enumerate() {
        let fixup = fixups.get(i).copied().unwrap_or(Fixup::Keep);
        columns.push(match fixup {
            Fixup::Keep => column.clone(),
            Fixup::NonNullString => non_null_strings(column)?,
            Fixup::TimeSpanFromText => timespans_from_text(column, schema.field(i).name())?,
        });
    }
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Replaces nulls by `""`. For `Utf8` whose null slots are already empty
/// (what the CSV and Parquet readers produce) this only drops the null buffer.
pub(crate) fn non_null_strings(column: &ArrayRef) -> Result<ArrayRef> {
    if column.null_count() == 0 && column.data_type() == &DataType::Utf8 {
        return Ok(column.clone());
    }
    let utf8 =
        if column.data_type() == &DataType::Utf8 { column.clone() } else { cast(column, &DataType::Utf8)? };
    let strings = utf8.as_string::<i32>();
    if strings.null_count() == 0 {
        return Ok(utf8);
    }
    let offsets = strings.value_offsets();
    let null_slots_empty = strings
        .nulls()
        .is_none_or(|nulls| (0..strings.len()).all(|i| nulls.is_valid(i) || offsets[i] == offsets[i + 1]));
    if null_slots_empty {
        let (offsets, values, _) = strings.clone().into_parts();
        return Ok(Arc::new(StringArray::try_new(offsets, values, None)?));
    }
    let mut builder = StringBuilder::with_capacity(strings.len(), strings.values().len());
    for value in strings.iter() {
        builder.append_value(value.unwrap_or(""));
    }
    Ok(Arc::new(builder.finish()))
}

fn timespans_from_text(column: &ArrayRef, name: &str) -> Result<ArrayRef> {
    let strings = column
        .as_string_opt::<i32>()
        .ok_or_else(|| DataFusionError::Internal(format!("timespan column `{name}` was not read as text")))?;
    let mut builder = DurationNanosecondBuilder::with_capacity(strings.len());
    for value in strings.iter() {
        match value {
            None | Some("") => builder.append_null(),
            Some(text) => match parse_timespan(text) {
                Some(nanos) => builder.append_value(nanos),
                None => {
                    return Err(DataFusionError::Execution(format!(
                        "column `{name}`: {text:?} is not a timespan"
                    )));
                }
            },
        }
    }
    Ok(Arc::new(builder.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_become_empty_strings() {
        let input: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("b")]));
        let out = non_null_strings(&input).expect("fixup");
        let out = out.as_string::<i32>();
        assert_eq!(out.null_count(), 0);
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some("a"), Some(""), Some("b")]);
    }

    #[test]
    fn timespans_parse_or_fail() {
        let input: ArrayRef = Arc::new(StringArray::from(vec![Some("00:00:02"), Some(""), None]));
        let out = timespans_from_text(&input, "T").expect("parse");
        let out = out.as_primitive::<datafusion::arrow::datatypes::DurationNanosecondType>();
        assert_eq!(out.value(0), 2_000_000_000);
        assert!(out.is_null(1) && out.is_null(2));
        let bad: ArrayRef = Arc::new(StringArray::from(vec!["soon"]));
        assert!(timespans_from_text(&bad, "T").is_err());
    }
}
