//! One quick pass over a CSV file to learn where records start.
//!
//! Splitting a CSV file into byte ranges at the next `\n` is wrong when a
//! quoted value holds a newline: the split lands inside the value. This pass
//! follows RFC 4180 quoting (a `"` opens a quoted field only at the start of a
//! field; `""` inside one is an escaped quote) and notes, for every block of
//! [`BLOCK`] bytes, the first offset at which a record starts. Scans then
//! split the file only at those offsets, so every partition holds whole
//! records. The pass also finds a quoted field left open at the end of the
//! file, which the CSV parsers would otherwise accept silently.
//!
//! It looks only at `"` and `\n` bytes (with `memchr`), so it runs at a few
//! GB/s.

use std::fs::File;
use std::io::{self, Read};

use memchr::{memchr, memchr2};

/// Granularity of the record-start index.
pub(crate) const BLOCK: u64 = 256 << 10;

const READ_SIZE: usize = 4 << 20;

/// What the pass learned.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    /// File size in bytes when scanned.
    pub size: u64,
    /// `block_starts[k]` is the first record start at or after `k * BLOCK`,
    /// for the blocks that have one. The header's record start (0) is not
    /// listed: the first entry is where the first data record begins.
    pub block_starts: Vec<u64>,
    /// Whether some quoted value holds a newline.
    pub newlines_in_values: bool,
    /// Offset of the opening quote of a field still open at the end of the file.
    pub unclosed_quote: Option<u64>,
}

impl Layout {
    /// Offsets at which to cut the file into about `parts` ranges of whole
    /// records. Sorted, distinct, each strictly inside the file.
    pub(crate) fn split_points(&self, parts: usize) -> Vec<u64> {
        let mut points = Vec::new();
        if parts < 2 || self.size == 0 {
            return points;
        }
        let first_data = self.block_starts.first().copied().unwrap_or(self.size);
        for i in 1..parts as u64 {
            let target = first_data + (self.size - first_data) * i / parts as u64;
            // The first record start in the target's block, which may lie a
            // little before the target.
            let block = (target / BLOCK) as usize;
            let Some(&start) = self.block_starts.get(block) else {
                break;
            };
            if start > first_data && start < self.size && points.last().is_none_or(|&p| p < start) {
                points.push(start);
            }
        }
        points
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    /// Outside any quoted field.
    Out,
    /// Inside a quoted field.
    In,
    /// Just read a `"` inside a quoted field: it closes the field, unless the
    /// next byte is another `"`.
    QuoteInQuoted,
}

/// Reads the whole file once.
pub(crate) fn scan_layout(file: &mut File) -> io::Result<Layout> {
    let mut buf = vec![0u8; READ_SIZE];
    let mut state = State::Out;
    // The byte before the current one; a newline stands for "start of file".
    let mut prev_last = b'\n';
    let mut base: u64 = 0;
    let mut layout =
        Layout { size: 0, block_starts: Vec::new(), newlines_in_values: false, unclosed_quote: None };
    let mut open_quote: u64 = 0;
    loop {
        let n = read_full(file, &mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        let mut i = 0;
        while i < n {
            match state {
                State::Out => {
                    let Some(j) = memchr2(b'"', b'\n', &chunk[i..]) else {
                        break;
                    };
                    let p = i + j;
                    if chunk[p] == b'\n' {
                        note_record_start(&mut layout.block_starts, base + p as u64 + 1);
                    } else {
                        let before = if p > 0 { chunk[p - 1] } else { prev_last };
                        if matches!(before, b',' | b'\n' | b'\r') {
                            state = State::In;
                            open_quote = base + p as u64;
                        }
                    }
                    i = p + 1;
                }
                State::In => {
                    let found = if layout.newlines_in_values {
                        memchr(b'"', &chunk[i..])
                    } else {
                        memchr2(b'"', b'\n', &chunk[i..])
                    };
                    let Some(j) = found else {
                        break;
                    };
                    let p = i + j;
                    if chunk[p] == b'\n' {
                        layout.newlines_in_values = true;
                    } else {
                        state = State::QuoteInQuoted;
                    }
                    i = p + 1;
                }
                State::QuoteInQuoted => {
                    if chunk[i] == b'"' {
                        state = State::In;
                        i += 1;
                    } else {
                        // The field closed; look at this byte again outside quotes.
                        state = State::Out;
                    }
                }
            }
        }
        prev_last = chunk[n - 1];
        base += n as u64;
    }
    layout.size = base;
    if state == State::In {
        layout.unclosed_quote = Some(open_quote);
    }
    // A record start at the very end of the file is no record at all.
    while layout.block_starts.last().is_some_and(|&s| s >= layout.size) {
        layout.block_starts.pop();
    }
    Ok(layout)
}

/// Records `start` for every block that has no record start yet and begins
/// at or before it.
fn note_record_start(block_starts: &mut Vec<u64>, start: u64) {
    while (block_starts.len() as u64) * BLOCK <= start {
        block_starts.push(start);
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The 1-based line on which byte `offset` lies.
pub(crate) fn line_of_offset(file: &mut File, offset: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; READ_SIZE];
    let mut line = 1;
    let mut remaining = offset;
    while remaining > 0 {
        let want = remaining.min(buf.len() as u64) as usize;
        let n = read_full(file, &mut buf[..want])?;
        if n == 0 {
            break;
        }
        line += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        remaining -= n as u64;
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, Write};

    use super::*;

    fn layout_of(text: &str) -> Layout {
        let mut f = tempfile::tempfile().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        f.rewind().expect("rewind");
        scan_layout(&mut f).expect("scan")
    }

    #[test]
    fn plain_records() {
        let l = layout_of("a,b\n1,2\n3,4\n");
        assert_eq!(l.block_starts, vec![4]);
        assert!(!l.newlines_in_values);
        assert_eq!(l.unclosed_quote, None);
        assert_eq!(l.size, 12);
    }

    #[test]
    fn newline_inside_quotes_is_not_a_record_start() {
        let l = layout_of("a,b\n\"x\ny\",2\n");
        assert!(l.newlines_in_values);
        assert_eq!(l.block_starts, vec![4]);
        assert_eq!(l.unclosed_quote, None);
    }

    #[test]
    fn doubled_quotes_and_literal_quotes() {
        // `""` inside quotes is an escaped quote; a quote in the middle of an
        // unquoted field is a plain character.
        let l = layout_of("a,b\n\"say \"\"hi\"\"\",x\"y\n3,4\n");
        assert!(!l.newlines_in_values);
        assert_eq!(l.unclosed_quote, None);
    }

    #[test]
    fn unclosed_quote_at_end() {
        let l = layout_of("a,b\n1,\"open\n2,3\n");
        assert_eq!(l.unclosed_quote, Some(6));
        let mut f = tempfile::tempfile().expect("temp file");
        f.write_all(b"a,b\n1,\"open\n2,3\n").expect("write");
        f.rewind().expect("rewind");
        assert_eq!(line_of_offset(&mut f, 6).expect("count"), 2);
    }

    #[test]
    fn split_points_fall_on_record_starts() {
        // Records of 100 bytes whose middle holds a quoted newline, over
        // several blocks.
        let mut text = String::from("h1,h2\n");
        let record = format!("\"{}\n{}\",x\n", "a".repeat(40), "b".repeat(54));
        assert_eq!(record.len(), 100);
        while text.len() < 12 * BLOCK as usize {
            text.push_str(&record);
        }
        let l = layout_of(&text);
        assert!(l.newlines_in_values);
        let points = l.split_points(4);
        assert_eq!(points.len(), 3);
        for p in points {
            assert_eq!((p - 6) % 100, 0, "split at {p} is inside a record");
        }
    }
}
