//! Comparing a result with an expected table, as `kql test` and the
//! project's goldens do: cells are normalised by column type, rows compared
//! as a multiset unless order matters.
//!
//! The options cover what expected tables copied from documentation need:
//! tables that show only part of the output, elided values (`...`),
//! approximate aggregates and unordered set-valued arrays.

use std::collections::HashMap;

use kql_syntax::ast::ScalarType;

use crate::output::ResultSet;

/// A table read from an expected CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedTable {
    /// Header names.
    pub columns: Vec<String>,
    /// Rows of raw cell text.
    pub rows: Vec<Vec<String>>,
}

impl ExpectedTable {
    /// Reads CSV text with a header row. A leading byte order mark, which
    /// spreadsheet exports often carry, is ignored.
    pub fn from_csv(text: &str) -> Result<ExpectedTable, csv::Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader =
            csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
        let columns = reader.headers()?.iter().map(String::from).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(record?.iter().map(String::from).collect());
        }
        Ok(ExpectedTable { columns, rows })
    }
}

/// How to compare.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompareOptions {
    /// Rows must come in the same order.
    pub ordered: bool,
    /// The expected table shows only part of the result: each expected row
    /// must occur in the result (in the same relative order when `ordered`),
    /// and the row count is not checked.
    pub truncated: bool,
    /// The values cannot be reproduced (random numbers, the current time):
    /// only the columns and the row count are compared.
    pub shape_only: bool,
    /// The expected header names are not reliable: the column count must
    /// agree, and differing names are only reported as warnings.
    pub loose_column_names: bool,
    /// A run of three or more dots, or `…`, in an expected cell stands for
    /// any text.
    pub values_elided: bool,
    /// Numbers may differ by 1% relative (dcount, percentiles and the like).
    pub approximate: bool,
    /// The element order of arrays in dynamic values does not matter.
    pub set_valued_arrays: bool,
    /// The expected strings are text as a documentation page renders it,
    /// where a newline or a run of spaces shows as one space: strings
    /// that differ only so are equal.
    pub docs_text: bool,
}

/// What differs between an expected table and a result.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TableDiff {
    /// Column name or count differences.
    pub columns: Option<String>,
    /// Expected rows missing from the result (cells as written).
    pub missing: Vec<Vec<String>>,
    /// Result rows that were not expected.
    pub extra: Vec<Vec<String>>,
    /// Differing cells: (expected row, column, expected, actual). Rows are
    /// counted from 0 in the expected file.
    pub cells: Vec<(usize, String, String, String)>,
    /// When only the shape is compared: (expected, actual) row counts that
    /// disagree.
    pub row_count: Option<(usize, usize)>,
    /// Remarks that do not make the tables differ, such as column names
    /// that disagree where names are not checked.
    pub warnings: Vec<String>,
}

mod normalize;
mod render;
#[cfg(test)]
mod tests;

use normalize::{approx_eq, collapse_spaces, has_ellipsis, json_approx_eq, wildcard_match};
pub use normalize::{normalize, normalize_with};

/// Compares `actual` with `expected`, normalising cells by the result's
/// column types.
pub fn compare(expected: &ExpectedTable, actual: &ResultSet, options: CompareOptions) -> TableDiff {
    let mut diff = TableDiff::default();

    // Columns: names and order, or only the count when names are unreliable.
    let actual_names: Vec<String> = actual.columns.iter().map(|(n, _)| n.clone()).collect();
    let renamed: Vec<String> = expected
        .columns
        .iter()
        .zip(&actual.columns)
        .filter(|(e, (a, ty))| !same_column(e, a, *ty))
        .map(|(e, (a, _))| format!("`{e}` is `{a}`"))
        .collect();
    if expected.columns.len() != actual_names.len() || (!renamed.is_empty() && !options.loose_column_names) {
        diff.columns =
            Some(format!("expected [{}], got [{}]", expected.columns.join(", "), actual_names.join(", ")));
        return diff;
    }
    if !renamed.is_empty() {
        diff.warnings
            .push(format!("column names differ (not checked for this case): {}", renamed.join(", ")));
    }

    // Rows: normalise every cell once.
    let types: Vec<ScalarType> = actual.columns.iter().map(|(_, t)| *t).collect();
    let want: Vec<Row> = expected
        .rows
        .iter()
        .map(|r| Row::new(r.iter().map(|c| Some(c.as_str())), &types, options.set_valued_arrays))
        .collect();
    let got: Vec<Row> = actual
        .rows()
        .iter()
        .map(|r| Row::new(r.iter().map(|c| c.as_deref()), &types, options.set_valued_arrays))
        .collect();

    if options.shape_only {
        let short = if options.truncated { got.len() < want.len() } else { got.len() != want.len() };
        if short {
            diff.row_count = Some((want.len(), got.len()));
        }
        return diff;
    }

    let matcher = Matcher { types: &types, options };
    if options.ordered {
        compare_ordered(&matcher, &want, &got, &expected.columns, &mut diff);
    } else {
        compare_unordered(&matcher, &want, &got, &expected.columns, &mut diff);
    }
    diff
}

/// True when an expected header names the result column `actual`. Log
/// Analytics exports write datetime columns as `TimeGenerated [UTC]`.
fn same_column(expected: &str, actual: &str, ty: ScalarType) -> bool {
    expected == actual
        || (ty == ScalarType::DateTime && expected.strip_suffix(" [UTC]").is_some_and(|e| e == actual))
}

/// One row: the cells as written (trimmed) and their normal forms.
struct Row {
    raw: Vec<String>,
    norm: Vec<String>,
}

impl Row {
    fn new<'a>(cells: impl Iterator<Item = Option<&'a str>>, types: &[ScalarType], set_arrays: bool) -> Row {
        let mut raw = Vec::with_capacity(types.len());
        let mut norm = Vec::with_capacity(types.len());
        for (cell, ty) in cells.zip(types) {
            raw.push(cell.unwrap_or("").trim().to_string());
            norm.push(normalize_with(*ty, cell, set_arrays));
        }
        Row { raw, norm }
    }
}

/// Decides whether cells and rows agree under the options.
struct Matcher<'a> {
    types: &'a [ScalarType],
    options: CompareOptions,
}

impl Matcher<'_> {
    fn fuzzy(&self) -> bool {
        self.options.values_elided || self.options.approximate || self.options.docs_text
    }

    fn cell(&self, col: usize, want: &Row, got: &Row) -> bool {
        let (wn, gn) = (&want.norm[col], &got.norm[col]);
        if wn == gn {
            return true;
        }
        let ty = self.types[col];
        if self.options.docs_text
            && ty == ScalarType::String
            && collapse_spaces(&want.raw[col]) == collapse_spaces(&got.raw[col])
        {
            return true;
        }
        if self.options.values_elided && has_ellipsis(&want.raw[col]) {
            let pattern = &want.raw[col];
            if wildcard_match(pattern, &got.raw[col]) || wildcard_match(pattern, gn) {
                return true;
            }
            // Docs print JSON with spaces the engine does not write.
            let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            if wildcard_match(&squeeze(pattern), &squeeze(&got.raw[col])) {
                return true;
            }
        }
        if self.options.approximate {
            match ty {
                ScalarType::Int | ScalarType::Long | ScalarType::Real | ScalarType::Decimal => {
                    if let (Ok(a), Ok(b)) = (wn.parse::<f64>(), gn.parse::<f64>()) {
                        return approx_eq(a, b);
                    }
                }
                ScalarType::Dynamic => {
                    if let (Ok(a), Ok(b)) = (
                        serde_json::from_str::<serde_json::Value>(wn),
                        serde_json::from_str::<serde_json::Value>(gn),
                    ) {
                        return json_approx_eq(&a, &b);
                    }
                }
                _ => {}
            }
        }
        false
    }

    fn row(&self, want: &Row, got: &Row) -> bool {
        (0..self.types.len()).all(|c| self.cell(c, want, got))
    }

    /// How many cells of the two rows agree.
    fn agreeing(&self, want: &Row, got: &Row) -> usize {
        (0..self.types.len()).filter(|c| self.cell(*c, want, got)).count()
    }

    /// How many leading cells of the two rows agree: keys usually come
    /// first, so between equally close rows the one that shares them is the
    /// same row with other values.
    fn agreeing_prefix(&self, want: &Row, got: &Row) -> usize {
        (0..self.types.len()).take_while(|c| self.cell(*c, want, got)).count()
    }

    fn cell_diffs(&self, index: usize, want: &Row, got: &Row, names: &[String], diff: &mut TableDiff) {
        for (c, name) in names.iter().enumerate().take(self.types.len()) {
            if !self.cell(c, want, got) {
                diff.cells.push((index, name.clone(), want.raw[c].clone(), got.raw[c].clone()));
            }
        }
    }
}

fn compare_ordered(m: &Matcher, want: &[Row], got: &[Row], names: &[String], diff: &mut TableDiff) {
    if m.options.truncated {
        // Every expected row, in order, somewhere in the result.
        let mut next = 0;
        for w in want {
            match (next..got.len()).find(|j| m.row(w, &got[*j])) {
                Some(j) => next = j + 1,
                None => diff.missing.push(w.raw.clone()),
            }
        }
        return;
    }
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        m.cell_diffs(i, w, g, names, diff);
    }
    diff.missing.extend(want.iter().skip(got.len()).map(|r| r.raw.clone()));
    diff.extra.extend(got.iter().skip(want.len()).map(|r| r.raw.clone()));
}

fn compare_unordered(m: &Matcher, want: &[Row], got: &[Row], names: &[String], diff: &mut TableDiff) {
    // Exact matches of the normal forms first.
    let mut by_key: HashMap<&[String], Vec<usize>> = HashMap::new();
    for (j, g) in got.iter().enumerate().rev() {
        by_key.entry(g.norm.as_slice()).or_default().push(j);
    }
    let mut used = vec![false; got.len()];
    let mut unmatched: Vec<usize> = Vec::new();
    for (i, w) in want.iter().enumerate() {
        match by_key.get_mut(w.norm.as_slice()).and_then(Vec::pop) {
            Some(j) => used[j] = true,
            None => unmatched.push(i),
        }
    }

    // Then rows that only agree under elision or tolerance.
    if m.fuzzy() {
        unmatched.retain(|&i| match (0..got.len()).find(|&j| !used[j] && m.row(&want[i], &got[j])) {
            Some(j) => {
                used[j] = true;
                false
            }
            None => true,
        });
    }

    // What is left: pair rows that mostly agree and show their differing
    // cells; the rest are missing or extra.
    let columns = m.types.len();
    for i in unmatched {
        let best = (0..got.len())
            .filter(|&j| !used[j])
            .map(|j| (m.agreeing(&want[i], &got[j]), m.agreeing_prefix(&want[i], &got[j]), j))
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
        match best {
            Some((agree, _, j)) if !m.options.truncated && columns > 1 && agree * 2 >= columns => {
                used[j] = true;
                m.cell_diffs(i, &want[i], &got[j], names, diff);
            }
            _ => diff.missing.push(want[i].raw.clone()),
        }
    }
    if !m.options.truncated {
        diff.extra.extend(got.iter().zip(&used).filter(|(_, u)| !**u).map(|(g, _)| g.raw.clone()));
    }
}
