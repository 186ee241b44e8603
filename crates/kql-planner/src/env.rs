//! What the planner can see: loaded tables, `let` bindings, and a way to
//! fetch `externaldata`.

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;
use kql_syntax::ast::{FunctionDef, ScalarType};

/// A table loaded from a log export.
#[derive(Clone)]
pub struct TableRef {
    /// Reads the table.
    pub provider: Arc<dyn TableProvider>,
    /// Its size on disk in bytes, when known: the planner uses it to pick
    /// the build side of joins.
    pub size_hint: Option<u64>,
}

/// An `externaldata` operator, with its URIs and `with (...)` properties
/// evaluated.
#[derive(Clone, Debug)]
pub struct ExternalRequest {
    /// The declared columns.
    pub columns: Vec<(String, ScalarType)>,
    /// The storage URIs.
    pub uris: Vec<String>,
    /// `with (...)` properties as written (`format`, `ignoreFirstRecord`, ...),
    /// values as text.
    pub properties: Vec<(String, String)>,
}

/// Fetches `externaldata`. The CLI implements it over HTTP and local files.
pub trait ExternalDataProvider: Send + Sync {
    /// Reads the data described by `request`. The error should name the URI.
    fn fetch<'a>(
        &'a self,
        request: &'a ExternalRequest,
    ) -> BoxFuture<'a, Result<Vec<RecordBatch>, Box<dyn Error + Send + Sync>>>;
}

/// Everything a query can refer to besides its own `let`s. Cloning is
/// cheap: tables and the session context are shared.
#[derive(Clone)]
pub struct Environment {
    /// The DataFusion session that evaluates `materialize` and `toscalar`
    /// while planning, and later runs the plan.
    pub ctx: SessionContext,
    /// Loaded tables by their (case-exact) name.
    pub tables: BTreeMap<String, TableRef>,
    /// Reads `externaldata`; `None` refuses it with a diagnostic.
    pub external: Option<Arc<dyn ExternalDataProvider>>,
}

impl Environment {
    /// An environment with no tables.
    pub fn new(ctx: SessionContext) -> Self {
        Environment { ctx, tables: BTreeMap::new(), external: None }
    }
}

/// What a `let` name stands for.
#[derive(Clone, Debug)]
pub enum Binding {
    /// A tabular expression, already planned.
    Tabular(Arc<LogicalPlan>),
    /// A scalar expression and its KQL type.
    Scalar(Expr, ScalarType),
    /// A user-defined function, planned at each call.
    Function(Arc<FunctionDef>),
}

/// `let` bindings that outlive one query, as in a REPL session.
#[derive(Clone, Debug, Default)]
pub struct Bindings {
    pub(crate) names: HashMap<String, Binding>,
}

impl Bindings {
    /// The bound names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.names.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// What `name` is bound to.
    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.names.get(name)
    }
}
