//! Planning diagnostics.

use miette::Diagnostic;
use thiserror::Error;

use kql_syntax::Span;

/// Where to read about what `kql` supports.
pub const COMPATIBILITY_DOC: &str = "docs/compatibility.md";

/// An error found while turning the AST into a plan, or while evaluating a
/// part of the query that must be known before the plan runs
/// (`externaldata`, `materialize`, `toscalar`).
///
/// Every variant points at the text it is about.
#[derive(Debug, Error, Diagnostic)]
pub enum PlanError {
    /// A name that is no column of the input, `let`, or parameter.
    ///
    /// `DeviceInfo | where DeviceNam == "x"`
    #[error("unknown column or name `{name}`")]
    #[diagnostic(code(kql::plan::unknown_column))]
    UnknownColumn {
        /// The name as written.
        name: String,
        /// Where.
        #[label("not a column of the input")]
        span: Span,
        /// A did-you-mean or the available columns.
        #[help]
        help: Option<String>,
    },

    /// A table name that is neither loaded nor bound by `let`.
    ///
    /// `DeviceInfoo | take 1`
    #[error("unknown table `{name}`")]
    #[diagnostic(code(kql::plan::unknown_table))]
    UnknownTable {
        /// The name as written.
        name: String,
        /// Where.
        #[label("no table or tabular `let` of this name")]
        span: Span,
        /// A did-you-mean or the loaded tables.
        #[help]
        help: Option<String>,
    },

    /// A function name we do not know at all.
    ///
    /// `print foo(1)`
    #[error("unknown function `{name}`")]
    #[diagnostic(code(kql::plan::unknown_function))]
    UnknownFunction {
        /// The name as written.
        name: String,
        /// Where.
        #[label("not a KQL function kql knows")]
        span: Span,
        /// A did-you-mean.
        #[help]
        help: Option<String>,
    },

    /// Wrong number or types of arguments, or operands of the wrong type.
    ///
    /// `print strlen(1, 2)`
    #[error("{message}")]
    #[diagnostic(code(kql::plan::type_mismatch))]
    Type {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("here")]
        span: Span,
        /// How to fix it, when we know.
        #[help]
        help: Option<String>,
    },

    /// A query that is well-formed but does not make sense
    /// (a scalar where a table is needed, a duplicate column name, ...).
    #[error("{message}")]
    #[diagnostic(code(kql::plan::invalid))]
    Invalid {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("here")]
        span: Span,
        /// How to fix it, when we know.
        #[help]
        help: Option<String>,
    },

    /// Valid KQL that `kql` does not run yet.
    ///
    /// `T | render timechart`
    #[error("{what} is not supported yet")]
    #[diagnostic(code(kql::unsupported::feature), help("see {COMPATIBILITY_DOC} for what runs today{}", extra_help(.help)))]
    Unsupported {
        /// The construct, in backticks (`` `render` operator``).
        what: String,
        /// Where.
        #[label("not supported yet")]
        span: Span,
        /// Extra advice.
        help: Option<String>,
    },

    /// `externaldata` could not be read.
    #[error("externaldata could not be read: {message}")]
    #[diagnostic(code(kql::data::externaldata))]
    ExternalData {
        /// The cause, with the URL.
        message: String,
        /// The storage URI.
        #[label("read from here")]
        span: Span,
        /// How to fix it.
        #[help]
        help: Option<String>,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// Evaluating part of the query at planning time failed
    /// (`materialize`, `toscalar`).
    #[error("{message}")]
    #[diagnostic(code(kql::exec::failed))]
    Exec {
        /// What failed.
        message: String,
        /// The expression being evaluated.
        #[label("while evaluating this")]
        span: Span,
    },

    /// A bug in kql: DataFusion rejected a plan we built.
    #[error("internal error: {message}")]
    #[diagnostic(
        code(kql::internal),
        help("this is a bug in kql; please report it with the query that caused it")
    )]
    Internal {
        /// What went wrong.
        message: String,
        /// Near where.
        #[label("while planning this")]
        span: Span,
    },
}

fn extra_help(help: &Option<String>) -> String {
    match help {
        Some(h) => format!("; {h}"),
        None => String::new(),
    }
}

impl PlanError {
    /// The span this error points at.
    pub fn span(&self) -> Span {
        match self {
            PlanError::UnknownColumn { span, .. }
            | PlanError::UnknownTable { span, .. }
            | PlanError::UnknownFunction { span, .. }
            | PlanError::Type { span, .. }
            | PlanError::Invalid { span, .. }
            | PlanError::Unsupported { span, .. }
            | PlanError::ExternalData { span, .. }
            | PlanError::Exec { span, .. }
            | PlanError::Internal { span, .. } => *span,
        }
    }

    /// The stable diagnostic code, for tests and machine-readable output.
    pub fn code_str(&self) -> &'static str {
        match self {
            PlanError::UnknownColumn { .. } => "kql::plan::unknown_column",
            PlanError::UnknownTable { .. } => "kql::plan::unknown_table",
            PlanError::UnknownFunction { .. } => "kql::plan::unknown_function",
            PlanError::Type { .. } => "kql::plan::type_mismatch",
            PlanError::Invalid { .. } => "kql::plan::invalid",
            PlanError::Unsupported { .. } => "kql::unsupported::feature",
            PlanError::ExternalData { .. } => "kql::data::externaldata",
            PlanError::Exec { .. } => "kql::exec::failed",
            PlanError::Internal { .. } => "kql::internal",
        }
    }
}

/// `Err(PlanError::Unsupported)` for `what` at `span`.
macro_rules! unsupported {
    ($span:expr, $($arg:tt)*) => {
        Err($crate::error::PlanError::Unsupported {
            what: format!($($arg)*),
            span: $span,
            help: None,
        })
    };
}
pub(crate) use unsupported;

/// `Err(PlanError::Invalid)` with a message at `span`.
macro_rules! invalid {
    ($span:expr, $($arg:tt)*) => {
        Err($crate::error::PlanError::Invalid {
            message: format!($($arg)*),
            span: $span,
            help: None,
        })
    };
}
pub(crate) use invalid;

/// Adds a span to DataFusion errors: they can only come from plans we built,
/// so they are internal errors.
pub(crate) trait WithSpan<T> {
    /// Maps the error to [`PlanError::Internal`] at `span`.
    fn at(self, span: Span) -> Result<T, PlanError>;
}

impl<T> WithSpan<T> for datafusion::error::Result<T> {
    fn at(self, span: Span) -> Result<T, PlanError> {
        self.map_err(|e| PlanError::Internal { message: e.to_string(), span })
    }
}

/// A "did you mean" suggestion from `candidates`, by edit distance.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // A case-only difference is the most likely mistake: KQL is case-sensitive.
        let d = if c.to_lowercase() == lower { 0 } else { edit_distance(&lower, &c.to_lowercase()) };
        if d <= (name.len() / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_case_fix_first() {
        let s = did_you_mean("deviceid", ["DeviceName", "DeviceId"]);
        assert_eq!(s.as_deref(), Some("did you mean `DeviceId`?"));
    }

    #[test]
    fn no_suggestion_when_far() {
        assert_eq!(did_you_mean("Zebra", ["DeviceId", "Timestamp"]), None);
    }
}
