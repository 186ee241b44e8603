//! Finding the record behind a failed scan.
//!
//! Parallel scans read byte ranges, so the line numbers in arrow-csv's errors
//! count from the start of a range, and its column numbers from the
//! projection. When a scan fails we read the file again from the start, one
//! record at a time, and report the first record that does not fit: its
//! 1-based line, column name, value and expected type.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use kql_syntax::ast::ScalarType;

use crate::error::DataError;
use crate::value::csv_accepts;

/// The first problem found in a CSV file; cheap to clone so several
/// partitions can share it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CsvProblem {
    /// A value that does not convert.
    Value { line: u64, column: String, value: String, expected: ScalarType },
    /// A record that does not split into the header's columns, or bad bytes.
    Malformed { line: u64, message: String },
}

impl CsvProblem {
    pub(crate) fn to_error(&self, file: &Path) -> DataError {
        match self.clone() {
            CsvProblem::Value { line, column, value, expected } => {
                DataError::CsvValue { file: file.to_path_buf(), line, column, value, expected }
            }
            CsvProblem::Malformed { line, message } => {
                DataError::CsvMalformed { file: file.to_path_buf(), line, message }
            }
        }
    }
}

/// Reads `path` sequentially and returns the first record that the typed
/// reader would reject, if any. `columns` are the header's columns with the
/// types they are read as; values are checked only in the columns whose
/// `checked` flag is set (those the failed scan read), field counts always.
pub(crate) fn find_first_problem(
    path: &Path,
    columns: &[(String, ScalarType)],
    checked: &[bool],
) -> Result<Option<CsvProblem>, DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => {
                let byte = e.position().map_or(0, |p| p.byte());
                let message = e.to_string();
                return match e.into_kind() {
                    csv::ErrorKind::Io(io) => Err(DataError::io(path, io)),
                    _ => Ok(Some(CsvProblem::Malformed { line: line_at(path, byte)?, message })),
                };
            }
        }
        if let Some(problem) = check_record(&record, 0, columns, checked) {
            // The csv crate counts lines by record terminators, one short per
            // record in CRLF files; count the newlines before the record.
            let line = line_at(path, record.position().map_or(0, |p| p.byte()))?;
            return Ok(Some(match problem {
                CsvProblem::Value { column, value, expected, .. } => {
                    CsvProblem::Value { line, column, value, expected }
                }
                CsvProblem::Malformed { message, .. } => CsvProblem::Malformed { line, message },
            }));
        }
    }
}

/// The 1-based line on which byte `offset` of the file lies.
fn line_at(path: &Path, offset: u64) -> Result<u64, DataError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e| DataError::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    // After a CRLF the csv crate places the next record at the `\n`, which
    // belongs to the line before: start counting past it.
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let at_newline = file.read(&mut byte).map_err(io)? == 1 && byte[0] == b'\n';
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    super::layout::line_of_offset(&mut file, offset + u64::from(at_newline)).map_err(io)
}

fn check_record(
    record: &csv::ByteRecord,
    line: u64,
    columns: &[(String, ScalarType)],
    checked: &[bool],
) -> Option<CsvProblem> {
    if record.len() != columns.len() {
        return Some(CsvProblem::Malformed {
            line,
            message: format!(
                "the record has {} field{} but the header has {} column{}",
                record.len(),
                plural(record.len()),
                columns.len(),
                plural(columns.len())
            ),
        });
    }
    for ((field, (name, ty)), _) in record.iter().zip(columns).zip(checked).filter(|(_, checked)| **checked) {
        let Ok(text) = std::str::from_utf8(field) else {
            return Some(CsvProblem::Malformed {
                line,
                message: format!("column `{name}` holds bytes that are not UTF-8"),
            });
        };
        if !text.is_empty() && !csv_accepts(*ty, text) {
            return Some(CsvProblem::Value {
                line,
                column: name.clone(),
                value: text.to_string(),
                expected: *ty,
            });
        }
    }
    None
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
