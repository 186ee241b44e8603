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

mod catalog;
mod csv;
mod external;
mod formats;

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

const DEVICE_INFO: &str =
    "\u{feff}Timestamp,DeviceId,DeviceName,OSBuild,IsAzureADJoined,LoggedOnUsers,Rack,Weight
2024-05-01T12:34:56.1234567Z,dev1,\"host, one\",22631,true,\"[{\"\"UserName\"\":\"\"a\"\"}]\",r1,1
2024-05-01 12:00:00,dev2,\"multi
line\",,False,,r2,2.5
2024-05-01T00:00:00Z,dev3,,17763,TRUE,,,3
2024-05-01T00:00:00.1Z,dev4,\"\",1,false,x,r4,
";
