//! The errors and warnings of loading data.

use std::fmt;
use std::path::PathBuf;

use datafusion::error::DataFusionError;
use kql_syntax::ast::ScalarType;
use miette::Diagnostic;
use thiserror::Error;

/// Everything that can go wrong while reading tables, externaldata or redirect
/// maps. Each variant has a stable code under `kql::data::`.
#[derive(Debug, Error, Diagnostic)]
pub enum DataError {
    /// A file or folder could not be opened or read.
    #[error("cannot read `{}`: {source}", .path.display())]
    #[diagnostic(code(kql::data::io), help("check that the path exists and is readable"))]
    Io {
        /// The path as given.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },

    /// `--data` names something that is not a folder.
    #[error("`{}` is not a folder", .path.display())]
    #[diagnostic(code(kql::data::not_a_folder), help("`--data` takes a folder of exported tables"))]
    NotAFolder {
        /// The path as given.
        path: PathBuf,
    },

    /// A CSV value does not convert to its column's type.
    #[error("{}:{line}: column `{column}`: {value:?} is not {} {expected}", .file.display(), article(*.expected))]
    #[diagnostic(
        code(kql::data::csv_parse),
        help(
            "fix the value, or force the flavor with `--schema` if the catalog picked the \
             wrong table layout"
        )
    )]
    CsvValue {
        /// The file.
        file: PathBuf,
        /// 1-based line where the record starts.
        line: u64,
        /// Column name from the header.
        column: String,
        /// The raw text.
        value: String,
        /// The column's type.
        expected: ScalarType,
    },

    /// A CSV record that cannot be split into the header's columns.
    #[error("{}:{line}: {message}", .file.display())]
    #[diagnostic(
        code(kql::data::csv_malformed),
        help(
            "every record needs one field per header column; quote fields with `\"` and double inner quotes"
        )
    )]
    CsvMalformed {
        /// The file.
        file: PathBuf,
        /// 1-based line where the bad record starts.
        line: u64,
        /// What is wrong with it.
        message: String,
    },

    /// A header row that cannot name the columns.
    #[error("{}: {message}", .file.display())]
    #[diagnostic(
        code(kql::data::csv_header),
        help("the first line must be a header row naming each column once")
    )]
    CsvHeader {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// A JSON-lines record that is not a JSON object or whose value does not fit its column.
    #[error("{}:{line}: {message}", .file.display())]
    #[diagnostic(code(kql::data::json_parse), help("each line must hold one JSON object"))]
    JsonLine {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },

    /// A Parquet file that cannot be read.
    #[error("{}: {message}", .file.display())]
    #[diagnostic(code(kql::data::parquet))]
    Parquet {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// An error raised while a table was being scanned, that could not be
    /// traced to one record.
    #[error("reading `{}` failed: {message}", .file.display())]
    #[diagnostic(code(kql::data::scan))]
    Scan {
        /// The file.
        file: PathBuf,
        /// The underlying error.
        message: String,
    },

    /// A file in the data folder whose format we do not read.
    #[error("`{}`: no loader for `.{extension}` files", .file.display())]
    #[diagnostic(
        code(kql::data::unsupported_file),
        help("tables load from `.csv`, `.json`, `.jsonl` and `.parquet` files")
    )]
    UnsupportedFile {
        /// The file.
        file: PathBuf,
        /// Its extension.
        extension: String,
    },

    /// Two files in the data folder make tables of the same name.
    #[error("`{}` and `{}` both make table `{table}`", .first.display(), .second.display())]
    #[diagnostic(code(kql::data::duplicate_table), help("keep one file per table in the data folder"))]
    DuplicateTable {
        /// The table name.
        table: String,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },

    /// A `--schema` value that is neither `defender` nor `sentinel`.
    #[error("unknown schema flavor `{0}`")]
    #[diagnostic(code(kql::data::flavor), help("use `defender` or `sentinel`"))]
    UnknownFlavor(String),

    /// A bad `--externaldata URL=TARGET` argument or `externaldata.toml`.
    #[error("{message}")]
    #[diagnostic(
        code(kql::data::redirect),
        help(
            "write `--externaldata URL=TARGET`, or a `[redirect]` table of `\"URL\" = \"TARGET\"` in externaldata.toml"
        )
    )]
    Redirect {
        /// What is wrong.
        message: String,
    },

    /// An externaldata `format` or property we do not support, or columns that
    /// do not fit the format.
    #[error("externaldata: {message}")]
    #[diagnostic(
        code(kql::data::externaldata_format),
        help("supported: format = txt, csv, tsv, json, multijson; ignoreFirstRecord = true/false")
    )]
    ExternalFormat {
        /// What is wrong.
        message: String,
    },

    /// An externaldata value that does not convert to its declared type.
    #[error("{url}:{line}: column `{column}`: {value:?} is not {} {expected}", article(*.expected))]
    #[diagnostic(code(kql::data::externaldata_parse), help("fix the declared column type, or the data"))]
    ExternalValue {
        /// The URL (or file) read.
        url: String,
        /// 1-based line.
        line: u64,
        /// Declared column name.
        column: String,
        /// The raw text.
        value: String,
        /// The declared type.
        expected: ScalarType,
    },

    /// Fetching an externaldata URL failed: network, status or file error.
    #[error("cannot fetch `{url}`: {message}")]
    #[diagnostic(
        code(kql::data::fetch),
        help("redirect the URL to a local copy with `--externaldata URL=path` or externaldata.toml")
    )]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },

    /// No response in time.
    #[error("fetching `{url}` timed out after {seconds} s")]
    #[diagnostic(
        code(kql::data::fetch_timeout),
        help("redirect the URL to a local copy with `--externaldata URL=path`, or raise the timeout")
    )]
    FetchTimeout {
        /// The URL.
        url: String,
        /// The timeout.
        seconds: f64,
    },

    /// The body is larger than the cap.
    #[error("`{url}` is larger than the {cap} byte limit")]
    #[diagnostic(
        code(kql::data::fetch_too_large),
        help("raise the size limit, or redirect the URL to a smaller local file")
    )]
    FetchTooLarge {
        /// The URL.
        url: String,
        /// The cap in bytes.
        cap: u64,
    },

    /// An Arrow or DataFusion error in building data; our bug if seen.
    #[error("internal error while loading data: {0}")]
    #[diagnostic(
        code(kql::data::internal),
        help("this is a bug in kql; please report it with the data file's header")
    )]
    Internal(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io { path: path.into(), source }
    }

    pub(crate) fn internal(err: impl fmt::Display) -> Self {
        DataError::Internal(err.to_string())
    }

    /// Wraps this error so it can travel through DataFusion; [`find_data_error`]
    /// gets it back.
    pub fn into_datafusion(self) -> DataFusionError {
        DataFusionError::External(Box::new(self))
    }
}

/// Finds a [`DataError`] raised by one of our scans inside a DataFusion error,
/// looking through the wrappers DataFusion adds (context, shared, Arrow
/// external errors).
pub fn find_data_error(err: &DataFusionError) -> Option<&DataError> {
    match err {
        DataFusionError::External(inner) => find_in_dyn(inner.as_ref()),
        DataFusionError::Context(_, inner) => find_data_error(inner),
        DataFusionError::Shared(inner) => find_data_error(inner),
        DataFusionError::ArrowError(inner, _) => find_in_dyn(inner.as_ref()),
        DataFusionError::Diagnostic(_, inner) => find_data_error(inner),
        DataFusionError::Collection(errs) => errs.iter().find_map(find_data_error),
        _ => None,
    }
}

fn find_in_dyn<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a DataError> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<DataError>() {
            return Some(found);
        }
        if let Some(df) = e.downcast_ref::<DataFusionError>() {
            return find_data_error(df);
        }
        if let Some(datafusion::arrow::error::ArrowError::ExternalError(inner)) =
            e.downcast_ref::<datafusion::arrow::error::ArrowError>()
        {
            current = Some(inner.as_ref());
            continue;
        }
        current = e.source();
    }
    None
}

/// "a" or "an" before a type name.
pub(crate) fn article(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::Int => "an",
        _ => "a",
    }
}

/// What a [`Warning`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// A column not in the catalog's table; its type was inferred.
    ExtraColumn,
    /// A file whose table is not in the catalog; every column was inferred.
    UnknownTable,
    /// A header cell was empty and the column got a generated name.
    UnnamedColumn,
}

/// Something the user should know about a load that still succeeded. The
/// library never prints these; the caller decides.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    /// What kind of warning.
    pub kind: WarningKind,
    /// The file it is about.
    pub file: PathBuf,
    /// Human-readable text, without the file name.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}
