//! Comparing a result with an expected table, as `kql test` and the
//! project's goldens do: cells are normalised by column type, rows compared
//! as a multiset unless order matters.
//!
//! The options cover what expected tables copied from documentation need:
//! tables that show only part of the output, elided values (`...`),
//! approximate aggregates and unordered set-valued arrays.

use std::collections::HashMap;
use std::fmt::Write as _;

use kql_functions::convert::{format_datetime, format_timespan, parse_datetime, parse_timespan};
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

/// Rows shown per section of a rendered diff.
const SHOWN_ROWS: usize = 20;
/// Characters shown of one cell in a rendered diff.
const SHOWN_CHARS: usize = 60;
/// Up to this many columns, missing and extra rows are drawn as a table.
const TABLE_COLUMNS: usize = 6;
/// Columns shown of a wider row.
const SHOWN_COLUMNS: usize = 10;

impl TableDiff {
    /// True when the tables agree.
    pub fn is_empty(&self) -> bool {
        self.columns.is_none()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.cells.is_empty()
            && self.row_count.is_none()
    }

    /// A readable report of the differences.
    pub fn render(&self, header: &[String]) -> String {
        let mut out = String::new();
        if let Some(c) = &self.columns {
            let _ = writeln!(out, "columns differ: {c}");
        }
        if let Some((want, got)) = self.row_count {
            let _ = writeln!(out, "row count differs: expected {want}, got {got} (values are not compared)");
        }
        if !self.missing.is_empty() {
            let _ = writeln!(out, "- {} expected row(s) missing from the result:", self.missing.len());
            render_rows(&mut out, '-', header, &self.missing);
        }
        if !self.extra.is_empty() {
            let _ = writeln!(out, "+ {} result row(s) not in the expected table:", self.extra.len());
            render_rows(&mut out, '+', header, &self.extra);
        }
        if !self.cells.is_empty() {
            let _ = writeln!(out, "~ {} differing cell(s):", self.cells.len());
            for (i, col, e, a) in self.cells.iter().take(SHOWN_ROWS) {
                let _ = writeln!(
                    out,
                    "~   row {}, column `{col}`: expected \"{}\", got \"{}\"",
                    i + 1,
                    clip(e),
                    clip(a)
                );
            }
            if self.cells.len() > SHOWN_ROWS {
                let _ = writeln!(out, "~   ... and {} more", self.cells.len() - SHOWN_ROWS);
            }
        }
        for w in &self.warnings {
            let _ = writeln!(out, "note: {w}");
        }
        out
    }
}

/// Draws rows under a marker: a small aligned table for narrow tables,
/// `column=value` lists for wide ones.
fn render_rows(out: &mut String, marker: char, header: &[String], rows: &[Vec<String>]) {
    let shown = &rows[..rows.len().min(SHOWN_ROWS)];
    if header.len() <= TABLE_COLUMNS {
        let cells: Vec<Vec<String>> = shown.iter().map(|r| r.iter().map(|c| clip(c)).collect()).collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for r in &cells {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |r: &[String]| -> String {
            let padded: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            padded.join(" | ").trim_end().to_string()
        };
        let _ = writeln!(out, "{marker}   {}", line(header));
        for r in &cells {
            let _ = writeln!(out, "{marker}   {}", line(r));
        }
    } else {
        for r in shown {
            let mut pairs: Vec<String> =
                header.iter().zip(r).take(SHOWN_COLUMNS).map(|(h, v)| format!("{h}={}", clip(v))).collect();
            if header.len() > SHOWN_COLUMNS {
                pairs.push(format!("… ({} more columns)", header.len() - SHOWN_COLUMNS));
            }
            let _ = writeln!(out, "{marker}   {}", pairs.join(", "));
        }
    }
    if rows.len() > shown.len() {
        let _ = writeln!(out, "{marker}   ... and {} more", rows.len() - shown.len());
    }
}

/// One line of at most [`SHOWN_CHARS`] characters.
fn clip(text: &str) -> String {
    let one_line = text.replace('\r', "").replace('\n', "\\n");
    if one_line.chars().count() <= SHOWN_CHARS {
        return one_line;
    }
    let head: String = one_line.chars().take(SHOWN_CHARS - 1).collect();
    format!("{head}…")
}

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

/// Whitespace runs (non-breaking spaces included) as one space.
fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when `text` holds an elision mark: `…` or three dots.
fn has_ellipsis(text: &str) -> bool {
    text.contains('…') || text.contains("...")
}

/// Splits a pattern at its elision marks (`…`, or runs of three or more
/// dots) into the literal pieces between them.
fn elision_pieces(pattern: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if pattern[i..].starts_with('…') {
            pieces.push(&pattern[start..i]);
            i += '…'.len_utf8();
            start = i;
        } else if bytes[i] == b'.' {
            let run = bytes[i..].iter().take_while(|b| **b == b'.').count();
            if run >= 3 {
                pieces.push(&pattern[start..i]);
                start = i + run;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    pieces.push(&pattern[start..]);
    pieces
}

/// Matches `text` against a pattern whose elision marks stand for any text.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pieces = elision_pieces(pattern);
    let (first, rest) = match pieces.split_first() {
        Some(p) => p,
        None => return pattern == text,
    };
    let Some(last) = rest.last() else {
        return pattern == text;
    };
    let middle = &rest[..rest.len() - 1];
    if !text.starts_with(first) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut pos = first.len();
    let end = text.len() - last.len();
    if !text.ends_with(last) {
        return false;
    }
    for piece in middle {
        match text.get(pos..end).and_then(|t| t.find(piece)) {
            Some(k) => pos += k + piece.len(),
            None => return false,
        }
    }
    pos <= end
}

/// Within 1% relative of each other.
fn approx_eq(a: f64, b: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    (a - b).abs() <= 0.01 * a.abs().max(b.abs())
}

fn json_approx_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => approx_eq(x, y),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_approx_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_approx_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The normal form of a cell of type `ty`. Null and the empty string are
/// the same. Values that do not parse as their type compare as text.
pub fn normalize(ty: ScalarType, cell: Option<&str>) -> String {
    normalize_with(ty, cell, false)
}

/// Like [`normalize`]; with `set_arrays`, the elements of arrays in dynamic
/// values are sorted, for results of `make_set` and the `set_*` functions
/// whose element order is not defined.
pub fn normalize_with(ty: ScalarType, cell: Option<&str>, set_arrays: bool) -> String {
    let text = cell.unwrap_or("").trim();
    if text.is_empty() || (ty != ScalarType::String && matches!(text, "null" | "(null)")) {
        return String::new();
    }
    match ty {
        ScalarType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => "true".into(),
            "false" | "0" => "false".into(),
            _ => text.into(),
        },
        ScalarType::Int | ScalarType::Long => {
            let plain = text.replace(',', "");
            match plain.parse::<i64>() {
                Ok(i) => i.to_string(),
                Err(_) => plain.parse::<f64>().map_or(text.into(), format_g6),
            }
        }
        ScalarType::Real | ScalarType::Decimal => {
            let plain = text.replace(',', "");
            match plain.to_ascii_lowercase().as_str() {
                "nan" | "-nan" => "NaN".into(),
                "infinity" | "+infinity" | "inf" | "+inf" | "∞" => "Infinity".into(),
                "-infinity" | "-inf" | "-∞" => "-Infinity".into(),
                _ => plain.parse::<f64>().map_or(text.into(), format_g6),
            }
        }
        ScalarType::DateTime => match parse_datetime_text(text) {
            Some(ns) => {
                let s = format_datetime(ns);
                // Trim trailing zeros of the fraction, and the dot with them.
                let s = s.trim_end_matches('Z').trim_end_matches('0').trim_end_matches('.');
                format!("{s}Z")
            }
            None => text.into(),
        },
        ScalarType::TimeSpan => match parse_timespan(text) {
            Some(ns) => {
                let s = format_timespan(ns);
                if s.contains('.') && s.rfind('.') > s.rfind(':') {
                    s.trim_end_matches('0').trim_end_matches('.').into()
                } else {
                    s
                }
            }
            None => text.into(),
        },
        ScalarType::Guid => text.to_lowercase(),
        ScalarType::Dynamic => match parse_dynamic_text(text) {
            Some(v) => canonical_json(&v, set_arrays),
            // A grid prints a dynamic string without quotes.
            None => canonical_json(&serde_json::Value::String(text.into()), set_arrays),
        },
        ScalarType::String => text.into(),
    }
}

/// A datetime as KQL literals, the docs and the portals write it: ISO 8601
/// with `T` or a space, an optional `Z` or `UTC`, or the US form of the
/// Log Analytics grid (`5/2/2024, 8:15:40.551 AM`).
fn parse_datetime_text(text: &str) -> Option<i64> {
    parse_datetime(text.strip_suffix("UTC").map_or(text, str::trim_end))
}

/// Parses dynamic cell text: JSON, or failing that KQL literal style with
/// single-quoted strings.
fn parse_dynamic_text(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text).ok().or_else(|| serde_json::from_str(&single_to_double_quotes(text)).ok())
}

/// Rewrites `'...'` strings as JSON `"..."` strings, leaving double-quoted
/// strings as they are.
fn single_to_double_quotes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                out.extend(&chars[i..(j + 1).min(chars.len())]);
                i = j + 1;
            }
            '\'' => {
                let mut j = i + 1;
                out.push('"');
                while j < chars.len() && chars[j] != '\'' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        out.push(chars[j]);
                        out.push(chars[j + 1]);
                        j += 2;
                        continue;
                    }
                    if chars[j] == '"' {
                        out.push('\\');
                    }
                    out.push(chars[j]);
                    j += 1;
                }
                out.push('"');
                i = j + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// `%.6g`-like: 6 significant digits, no trailing zeros, `-0` as `0`.
fn format_g6(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{:.5e}", v);
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or(0);
            if (-5..6).contains(&exp) {
                let decimals = (5 - exp).max(0) as usize;
                let f = format!("{v:.decimals$}");
                if f.contains('.') { f.trim_end_matches('0').trim_end_matches('.').to_string() } else { f }
            } else {
                let m = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{exp}")
            }
        }
        None => s,
    }
}

/// Compact JSON with sorted keys. Integers stay exact; other numbers are
/// rounded to 6 significant digits and written as integers when integral,
/// so `5.0` equals `5`.
fn canonical_json(v: &serde_json::Value, set_arrays: bool) -> String {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k], set_arrays)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let mut parts: Vec<String> = items.iter().map(|x| canonical_json(x, set_arrays)).collect();
            if set_arrays {
                parts.sort();
            }
            format!("[{}]", parts.join(","))
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (None, None, Some(f)) => {
                let rounded = format_g6(f);
                match rounded.parse::<f64>() {
                    Ok(r) if r.fract() == 0.0 && r.abs() < 1e15 => format!("{}", r as i64),
                    _ => rounded,
                }
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;

    use super::*;

    #[test]
    fn a_changed_value_is_shown_on_the_row_with_the_same_key() {
        let expected = table("OSPlatform,Devices\nLinux,2\nWindowsServer2019,3\n");
        let got = result(
            &["OSPlatform", "Devices"],
            vec![
                Arc::new(StringArray::from(vec!["Linux", "WindowsServer2022", "WindowsServer2019"]))
                    as ArrayRef,
                Arc::new(Int64Array::from(vec![2, 3, 2])) as ArrayRef,
            ],
            &[ScalarType::String, ScalarType::Long],
        );
        let diff = compare(&expected, &got, CompareOptions::default());
        assert_eq!(diff.cells, [(1, "Devices".to_string(), "3".to_string(), "2".to_string())]);
        assert_eq!(diff.extra, [vec!["WindowsServer2022".to_string(), "3".to_string()]]);
    }

    #[test]
    fn normal_forms() {
        assert_eq!(
            normalize(ScalarType::DateTime, Some("2018-07-01 00:00:00.0000000")),
            "2018-07-01T00:00:00Z"
        );
        assert_eq!(
            normalize(ScalarType::DateTime, Some("2024-05-01T10:11:12.1234500Z")),
            "2024-05-01T10:11:12.12345Z"
        );
        assert_eq!(normalize(ScalarType::Real, Some("3.14159265")), "3.14159");
        assert_eq!(normalize(ScalarType::Real, Some("5.0")), "5");
        assert_eq!(normalize(ScalarType::Long, Some("1,048,576")), "1048576");
        assert_eq!(normalize(ScalarType::Dynamic, Some(r#"{"b":1,"a":[1.0,2]}"#)), r#"{"a":[1,2],"b":1}"#);
        assert_eq!(normalize(ScalarType::Guid, Some("ABC-DEF")), "abc-def");
        assert_eq!(normalize(ScalarType::String, None), normalize(ScalarType::String, Some("")));
        assert_eq!(normalize(ScalarType::Bool, Some("True")), "true");
        assert_eq!(normalize(ScalarType::TimeSpan, Some("1.12:30:55.1230000")), "1.12:30:55.123");
        assert_eq!(normalize(ScalarType::TimeSpan, Some("-00:00:00")), "00:00:00");
    }

    #[test]
    fn more_normal_forms() {
        assert_eq!(normalize(ScalarType::DateTime, Some("2024-05-02 08:15:40 UTC")), "2024-05-02T08:15:40Z");
        assert_eq!(
            normalize(ScalarType::DateTime, Some("5/2/2024, 8:15:40.551 PM")),
            "2024-05-02T20:15:40.551Z"
        );
        assert_eq!(normalize(ScalarType::DateTime, Some("5/2/2024, 12:01:00 AM")), "2024-05-02T00:01:00Z");
        assert_eq!(
            normalize(ScalarType::Dynamic, Some("{'a': 'it\"s', 'b': [1]}")),
            r#"{"a":"it\"s","b":[1]}"#
        );
        assert_eq!(normalize(ScalarType::Dynamic, Some("hello")), r#""hello""#);
        assert_eq!(normalize(ScalarType::Dynamic, Some("1234567.0")), "1234570");
        assert_eq!(
            normalize_with(ScalarType::Dynamic, Some(r#"["b","a",["d","c"]]"#), true),
            r#"["a","b",["c","d"]]"#
        );
        assert_eq!(normalize(ScalarType::Dynamic, Some(r#"["b","a"]"#)), r#"["b","a"]"#);
        assert_eq!(normalize(ScalarType::Real, Some("-0")), "0");
        assert_eq!(normalize(ScalarType::Real, Some("-inf")), "-Infinity");
        assert_eq!(normalize(ScalarType::Long, Some("(null)")), "");
        assert_eq!(normalize(ScalarType::String, Some("(null)")), "(null)");
    }

    #[test]
    fn elision_marks_match_any_text() {
        assert!(wildcard_match("abc...", "abcdef"));
        assert!(wildcard_match("...", ""));
        assert!(wildcard_match("…", "anything"));
        assert!(wildcard_match("[1,.....,9]", "[1,2,3,9]"));
        assert!(wildcard_match("a...c...e", "abcde"));
        assert!(!wildcard_match("a...c...e", "abde"));
        assert!(!wildcard_match("ab...ba", "aba"));
        assert!(!wildcard_match("plain", "plainer"));
    }

    fn result(names: &[&str], columns: Vec<ArrayRef>, types: &[ScalarType]) -> ResultSet {
        let fields: Vec<Field> =
            names.iter().zip(&columns).map(|(n, c)| Field::new(*n, c.data_type().clone(), true)).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch");
        ResultSet {
            columns: names.iter().zip(types).map(|(n, t)| (n.to_string(), *t)).collect(),
            batches: vec![batch],
        }
    }

    fn people() -> ResultSet {
        result(
            &["Name", "Count"],
            vec![
                Arc::new(StringArray::from(vec!["alice", "bob", "carol"])) as ArrayRef,
                Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
            ],
            &[ScalarType::String, ScalarType::Long],
        )
    }

    fn table(csv: &str) -> ExpectedTable {
        ExpectedTable::from_csv(csv).expect("csv")
    }

    #[test]
    fn rows_compare_as_a_multiset_unless_ordered() {
        let shuffled = table("Name,Count\ncarol,3\nalice,1\nbob,2\n");
        assert!(compare(&shuffled, &people(), CompareOptions::default()).is_empty());
        let ordered = CompareOptions { ordered: true, ..CompareOptions::default() };
        let diff = compare(&shuffled, &people(), ordered);
        assert_eq!(diff.cells.len(), 6);
        assert_eq!(diff.cells[0], (0, "Name".into(), "carol".into(), "alice".into()));
    }

    #[test]
    fn a_changed_cell_is_reported_by_column() {
        let diff =
            compare(&table("Name,Count\nalice,1\nbob,5\ncarol,3\n"), &people(), CompareOptions::default());
        assert_eq!(diff.cells, vec![(1, "Count".to_string(), "5".to_string(), "2".to_string())]);
        assert!(diff.missing.is_empty() && diff.extra.is_empty());
        let text = diff.render(&["Name".into(), "Count".into()]);
        assert!(text.contains("row 2, column `Count`: expected \"5\", got \"2\""), "{text}");
    }

    #[test]
    fn missing_and_extra_rows_are_drawn_as_a_table() {
        let diff =
            compare(&table("Name,Count\nalice,1\nbob,2\ndave,9\n"), &people(), CompareOptions::default());
        assert_eq!(diff.missing, vec![vec!["dave".to_string(), "9".to_string()]]);
        assert_eq!(diff.extra, vec![vec!["carol".to_string(), "3".to_string()]]);
        let text = diff.render(&["Name".into(), "Count".into()]);
        assert!(text.contains("-   Name | Count\n-   dave | 9\n"), "{text}");
        assert!(text.contains("+   carol | 3\n"), "{text}");
    }

    #[test]
    fn truncated_tables_need_only_their_rows() {
        let opts = CompareOptions { truncated: true, ordered: true, ..CompareOptions::default() };
        assert!(compare(&table("Name,Count\nalice,1\ncarol,3\n"), &people(), opts).is_empty());
        let diff = compare(&table("Name,Count\ncarol,3\nalice,1\n"), &people(), opts);
        assert_eq!(diff.missing, vec![vec!["alice".to_string(), "1".to_string()]]);
    }

    #[test]
    fn shape_only_checks_the_row_count() {
        let opts = CompareOptions { shape_only: true, ..CompareOptions::default() };
        assert!(compare(&table("Name,Count\nx,7\ny,8\nz,9\n"), &people(), opts).is_empty());
        assert_eq!(compare(&table("Name,Count\nx,7\n"), &people(), opts).row_count, Some((1, 3)));
    }

    #[test]
    fn column_names_and_tolerances() {
        let diff =
            compare(&table("Who,Count\nalice,1\nbob,2\ncarol,3\n"), &people(), CompareOptions::default());
        assert!(diff.columns.is_some());
        let loose = CompareOptions { loose_column_names: true, ..CompareOptions::default() };
        let diff = compare(&table("Who,Count\nalice,1\nbob,2\ncarol,3\n"), &people(), loose);
        assert!(diff.is_empty() && diff.warnings.len() == 1, "{diff:?}");

        let reals = result(
            &["v"],
            vec![Arc::new(Float64Array::from(vec![100.0, 2000.0])) as ArrayRef],
            &[ScalarType::Real],
        );
        let approx = CompareOptions { approximate: true, ..CompareOptions::default() };
        assert!(compare(&table("v\n2010\n100.9\n"), &reals, approx).is_empty());
        assert!(!compare(&table("v\n2030\n100\n"), &reals, approx).is_empty());
        assert!(!compare(&table("v\n2010\n100.9\n"), &reals, CompareOptions::default()).is_empty());

        let text = result(
            &["s"],
            vec![Arc::new(StringArray::from(vec!["https://example.com/a?x=1"])) as ArrayRef],
            &[ScalarType::String],
        );
        let elided = CompareOptions { values_elided: true, ..CompareOptions::default() };
        assert!(compare(&table("s\nhttps://example.com/...\n"), &text, elided).is_empty());
        assert!(!compare(&table("s\nhttps://example.org/...\n"), &text, elided).is_empty());
    }

    #[test]
    fn documentation_text_collapses_whitespace() {
        let text = result(
            &["s"],
            vec![Arc::new(StringArray::from(vec!["class P {\n    int x;\n}", "a\u{a0}b"])) as ArrayRef],
            &[ScalarType::String],
        );
        let expected = table("s\nclass P { int x; }\na b\n");
        assert!(!compare(&expected, &text, CompareOptions::default()).is_empty());
        let docs = CompareOptions { docs_text: true, ..CompareOptions::default() };
        assert!(compare(&expected, &text, docs).is_empty());
        assert!(!compare(&table("s\nclass P {int x;}\na b\n"), &text, docs).is_empty());
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        assert_eq!(table("\u{feff}Name,Count\nalice,1\n").columns, ["Name", "Count"]);
    }
}
