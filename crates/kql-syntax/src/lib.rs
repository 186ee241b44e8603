//! Syntax of the Kusto Query Language (KQL): a nom parser from query text to
//! an [`ast::Query`] whose every node carries a byte [`Span`].
//!
//! This crate knows nothing of tables, types of columns or execution: it only
//! checks that the text is well-formed KQL. Names are kept exactly as written.
//!
//! ```
//! let query = kql_syntax::parse("DeviceInfo | where IsInternetFacing").unwrap();
//! assert_eq!(query.statements.len(), 1);
//! ```

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::panic, clippy::todo, clippy::unimplemented)]

pub mod ast;
mod error;
mod parser;
mod span;

pub use error::SyntaxError;
pub use parser::{parse, parse_expr};
pub use span::{Span, Spanned};
