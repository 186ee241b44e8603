//! The spinner shown on stderr while a query runs for more than a second.
//!
//! indicatif pads its line with spaces up to the terminal width so that the
//! cursor waits at the right edge. The `^C` the terminal echoes when Ctrl-C
//! cancels the query would then wrap to a new line, and clearing the spinner
//! would leave its old line behind. So the spinner draws to a target that
//! claims a narrow width: the line is padded only that far and `^C` lands on
//! the same line.

use std::io::{self, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// The width the spinner's line is padded to.
const LINE_WIDTH: u16 = 48;

/// The spinner's text; stays well under [`LINE_WIDTH`] ("⠋ running 1h 20m (Ctrl-C cancels)").
const TEMPLATE: &str = "{spinner} running {elapsed} (Ctrl-C cancels)";

/// Starts a spinner whose clock starts at `already` (the time the query ran
/// before the spinner appeared). `None` when the terminal is too narrow to
/// keep the line from wrapping.
pub(crate) fn start(terminal_columns: u16, already: Duration) -> Option<ProgressBar> {
    // Room for the line and the two characters of an echoed `^C`.
    if terminal_columns < LINE_WIDTH + 2 {
        return None;
    }
    let target = ProgressDrawTarget::term_like(Box::new(NarrowStderr));
    let bar = ProgressBar::with_draw_target(None, target).with_elapsed(already);
    if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}

/// Standard error, presented to indicatif as [`LINE_WIDTH`] columns wide.
#[derive(Debug)]
struct NarrowStderr;

impl NarrowStderr {
    fn write(s: &str) -> io::Result<()> {
        io::stderr().lock().write_all(s.as_bytes())
    }
}

impl TermLike for NarrowStderr {
    fn width(&self) -> u16 {
        LINE_WIDTH
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n == 0 { Ok(()) } else { Self::write(&format!("\x1b[{n}A")) }
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n == 0 { Ok(()) } else { Self::write(&format!("\x1b[{n}B")) }
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n == 0 { Ok(()) } else { Self::write(&format!("\x1b[{n}C")) }
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n == 0 { Ok(()) } else { Self::write(&format!("\x1b[{n}D")) }
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        Self::write(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        Self::write(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        Self::write("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_get_no_spinner() {
        assert!(start(LINE_WIDTH, Duration::ZERO).is_none());
    }

    #[test]
    fn template_fits_the_padded_width() {
        // The longest line: a wide spinner frame and an elapsed time in hours.
        let longest = TEMPLATE.replace("{spinner}", "⠋").replace("{elapsed}", "12h 59m");
        assert!(longest.chars().count() < usize::from(LINE_WIDTH), "{longest}");
    }
}
