//! Rendering a table diff for people.

use std::fmt::Write as _;

use super::TableDiff;

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
