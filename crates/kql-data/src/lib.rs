//! Data for kql: the catalog of known security tables, loaders that expose
//! exported log files as DataFusion tables, and `externaldata` fetching.
//!
//! ```text
//!  --data DIR ──► load_dir ──► LoadedTable { name, schema, provider } per file
//!                    │            (CSV, JSON lines, Parquet)
//!                    └─► externaldata.toml ──► Redirects ◄── --externaldata URL=TARGET
//!
//!  externaldata (...) [uri] with (...) ──► fetch_external(req, redirects, opts)
//!                                            ──► Vec<RecordBatch>
//! ```
//!
//! Column types come from the [catalog]: the Defender XDR or Sentinel layout
//! of a table, picked from the file's header (a `TimeGenerated` column means
//! Sentinel) or forced with [`LoadOptions::flavor`]. The header decides which
//! columns exist; columns the catalog does not know get an inferred type and
//! a [`Warning`]. Every Arrow field carries its KQL type in the `kql.type`
//! metadata (see [`kql_functions::types`]).
//!
//! KQL strings are never null: an empty CSV field in a `string` column reads
//! as `""`, while in other types it reads as null.
//!
//! The library never prints: warnings are returned as data.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::panic, clippy::todo, clippy::unimplemented)]

pub mod catalog;
mod csv;
mod error;
mod exec;
pub mod external;
mod json;
mod parquet;
pub mod redirect;
mod value;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::TableProvider;

pub use catalog::{Flavor, TableSchema, catalog_table, catalog_tables};
pub use error::{DataError, Warning, WarningKind, find_data_error};
pub use external::{
    ExternalFormat, ExternalRequest, ExternalSettings, FetchOptions, PropertyValue, fetch_external,
};
pub use redirect::{REDIRECT_FILE, Redirect, Redirects};

/// How to load tables.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Force the catalog flavor (`--schema`); `None` detects it per file from
    /// the header.
    pub flavor: Option<Flavor>,
}

/// A file opened as a table.
#[derive(Clone, Debug)]
pub struct LoadedTable {
    /// The table name: the file stem, or the name asked for.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// The catalog flavor used for its types.
    pub flavor: Flavor,
    /// Its columns in file order, with `kql.type` metadata on every field.
    pub schema: SchemaRef,
    /// What DataFusion scans. CSV and Parquet are read lazily, with
    /// projection pushdown and parallel partitions.
    pub provider: Arc<dyn TableProvider>,
}

/// The tables of a data folder.
#[derive(Clone, Debug, Default)]
pub struct LoadedDir {
    /// One table per data file, sorted by name.
    pub tables: Vec<LoadedTable>,
    /// The redirects of the folder's `externaldata.toml`, if any.
    pub redirects: Redirects,
    /// Everything worth telling the user.
    pub warnings: Vec<Warning>,
}

/// The kind of data file, from its extension (case-insensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Csv,
    JsonLines,
    Parquet,
}

fn file_kind(path: &Path) -> Option<FileKind> {
    let ext = path.extension().and_then(OsStr::to_str)?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(FileKind::Csv),
        "json" | "jsonl" | "ndjson" => Some(FileKind::JsonLines),
        "parquet" => Some(FileKind::Parquet),
        _ => None,
    }
}

/// Opens one file as a table named `name`, or after the file stem
/// (`DeviceInfo.csv` is `DeviceInfo`).
///
/// CSV files must have a header row; `.json`/`.jsonl` files hold one JSON
/// object per line; `.parquet` files carry their own schema. Catalog types
/// win over what the file says, so that the same table has the same types
/// whatever its format.
pub fn open_table(
    path: &Path,
    name: Option<&str>,
    opts: &LoadOptions,
) -> Result<(LoadedTable, Vec<Warning>), DataError> {
    let name = match name {
        Some(n) => n.to_string(),
        None => path.file_stem().and_then(OsStr::to_str).map(str::to_string).ok_or_else(|| {
            DataError::UnsupportedFile { file: path.to_path_buf(), extension: String::new() }
        })?,
    };
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if meta.is_dir() {
        return Err(DataError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "a folder, not a file"),
        ));
    }
    match file_kind(path) {
        Some(FileKind::Csv) => csv::open_csv(path, &name, opts),
        Some(FileKind::JsonLines) => json::open_json_lines(path, &name, opts),
        Some(FileKind::Parquet) => parquet::open_parquet(path, &name, opts),
        None => Err(DataError::UnsupportedFile {
            file: path.to_path_buf(),
            extension: path.extension().and_then(OsStr::to_str).unwrap_or("").to_string(),
        }),
    }
}

/// Opens every data file of a folder (not recursively) as a table named
/// after its stem, and reads its `externaldata.toml`.
///
/// Skipped: dotfiles, `README*`, the redirect file, sub-folders, and files
/// whose extension is not a data format (`.txt` feeds, for instance, which
/// redirects point to). Two files with the same stem are an error.
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<LoadedDir, DataError> {
    let meta = std::fs::metadata(dir).map_err(|e| DataError::io(dir, e))?;
    if !meta.is_dir() {
        return Err(DataError::NotAFolder { path: dir.to_path_buf() });
    }
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        let entry = entry.map_err(|e| DataError::io(dir, e))?;
        let path = entry.path();
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name.starts_with('.')
            || file_name.to_ascii_lowercase().starts_with("readme")
            || file_name == REDIRECT_FILE
            || !path.is_file()
            || file_kind(&path).is_none()
        {
            continue;
        }
        paths.push(path);
    }
    paths.sort();

    let mut out = LoadedDir::default();
    let mut by_name: HashMap<String, PathBuf> = HashMap::new();
    for path in paths {
        let (table, warnings) = open_table(&path, None, opts)?;
        if let Some(first) = by_name.insert(table.name.clone(), path.clone()) {
            return Err(DataError::DuplicateTable { table: table.name, first, second: path });
        }
        out.tables.push(table);
        out.warnings.extend(warnings);
    }
    out.tables.sort_by(|a, b| a.name.cmp(&b.name));

    let redirect_file = dir.join(REDIRECT_FILE);
    if redirect_file.is_file() {
        out.redirects = Redirects::from_file(&redirect_file)?;
    }
    Ok(out)
}
