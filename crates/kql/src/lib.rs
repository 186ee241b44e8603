//! `kql`: run KQL hunting queries locally over exported Defender XDR and
//! Sentinel logs.
//!
//! The library side holds the [`Session`] (tables, `let`s, the query
//! pipeline) and the output writers; the binary adds the command line.

#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic, clippy::todo, clippy::unimplemented))]

/// Writes a line to standard error, ignoring failures: a closed stderr (as
/// in `kql ... 2>&1 | head -1`) must not turn a diagnostic into a panic.
#[macro_export]
macro_rules! err_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod compare;
pub mod error;
pub mod output;
pub mod repl;
pub mod session;
pub mod testrun;

pub use error::QueryError;
pub use output::{Format, ResultSet};
pub use session::{Session, SessionOptions};
