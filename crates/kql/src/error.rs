//! Errors of running a query, rendered as miette diagnostics.

use datafusion::error::DataFusionError;
use kql_data::DataError;
use kql_planner::PlanError;
use kql_syntax::{Span, SyntaxError};
use miette::{Diagnostic, NamedSource, Report};
use thiserror::Error;

/// Why a query did not produce its results.
#[derive(Debug, Error, Diagnostic)]
pub enum QueryError {
    /// The text is not valid KQL.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(SyntaxError),
    /// Names, types or an unsupported construct.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(PlanError),
    /// A table could not be read while the query ran.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Data(DataFailure),
    /// The query failed while running.
    #[error("the query failed while running: {message}")]
    #[diagnostic(code(kql::exec::failed))]
    Exec {
        /// What DataFusion reported.
        message: String,
        /// The statement that was running.
        #[label("while running this")]
        span: Span,
    },
}

impl QueryError {
    /// Wraps an execution error; loading errors keep their own diagnostic.
    pub fn exec(error: DataFusionError, span: Span) -> QueryError {
        if kql_data::find_data_error(&error).is_some() {
            return QueryError::Data(DataFailure(error));
        }
        QueryError::Exec { message: error.to_string(), span }
    }

    /// The stable diagnostic code, such as `kql::plan::unknown_column`.
    pub fn code_string(&self) -> String {
        self.code().map(|c| c.to_string()).unwrap_or_else(|| "kql::error".into())
    }

    /// The span in the query text the error points at, if any.
    pub fn span(&self) -> Option<Span> {
        match self {
            QueryError::Syntax(e) => Some(e.span()),
            QueryError::Plan(e) => Some(e.span()),
            QueryError::Data(_) => None,
            QueryError::Exec { span, .. } => Some(*span),
        }
    }

    /// A report that shows the query text under the message.
    pub fn into_report(self, source_name: &str, text: &str) -> Report {
        Report::new(self).with_source_code(NamedSource::new(source_name, text.to_string()))
    }
}

/// An execution error caused by reading data: shows the loader's diagnostic
/// (file, line, column) found inside DataFusion's error.
#[derive(Debug)]
pub struct DataFailure(DataFusionError);

impl DataFailure {
    fn data(&self) -> Option<&DataError> {
        kql_data::find_data_error(&self.0)
    }
}

impl std::fmt::Display for DataFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.data() {
            Some(d) => d.fmt(f),
            None => self.0.fmt(f),
        }
    }
}

impl std::error::Error for DataFailure {}

impl Diagnostic for DataFailure {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.data().and_then(|d| d.code())
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.data().and_then(|d| d.help())
    }
}
