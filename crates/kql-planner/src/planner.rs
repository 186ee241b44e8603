//! The planner: statements, scopes and the dispatch of tabular expressions.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::DFSchema;
use datafusion::logical_expr::LogicalPlan;
use kql_functions::registry::CallContext;
use kql_syntax::Span;
use kql_syntax::ast::{Expr, ExprKind, LetValue, Query, Statement};

use crate::env::{Binding, Bindings, Environment};
use crate::error::{PlanError, unsupported};

/// One query statement of a text, planned.
#[derive(Debug, Clone)]
pub struct PlannedStatement {
    /// The plan; its schema's fields carry their KQL types in metadata.
    pub plan: LogicalPlan,
    /// The statement's text.
    pub span: Span,
}

/// Plans queries against an [`Environment`].
///
/// `let` bindings live in a stack of scopes: the outermost is the session's
/// [`Bindings`] (kept between queries in a REPL), inner ones come from
/// function bodies.
pub struct Planner<'e> {
    pub(crate) env: &'e Environment,
    pub(crate) call: CallContext,
    pub(crate) scopes: Vec<HashMap<String, Binding>>,
    /// Counter for internal column names that never reach the user.
    pub(crate) fresh: usize,
    /// Guards against runaway recursion through user functions.
    pub(crate) depth: usize,
}

impl<'e> Planner<'e> {
    /// A planner whose `now()` is the current time.
    pub fn new(env: &'e Environment) -> Self {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
        Planner::with_now(env, now)
    }

    /// A planner whose `now()` is `now_ns` (nanoseconds since the Unix epoch).
    pub fn with_now(env: &'e Environment, now_ns: i64) -> Self {
        Planner {
            env,
            call: CallContext { now_ticks_ns: now_ns },
            scopes: vec![HashMap::new()],
            fresh: 0,
            depth: 0,
        }
    }

    /// Plans every statement of `query`. `let`s are bound into `bindings`,
    /// so that they stay defined for later queries of a session; each query
    /// statement yields a plan.
    pub async fn plan_query(
        &mut self,
        query: &Query,
        bindings: &mut Bindings,
    ) -> Result<Vec<PlannedStatement>, PlanError> {
        self.scopes = vec![bindings.names.clone()];
        let mut out = Vec::new();
        for statement in &query.statements {
            match statement {
                Statement::Let(let_stmt) => {
                    let binding = self.plan_let_value(&let_stmt.value).await?;
                    self.bind(&let_stmt.name.node, binding.clone());
                    bindings.names.insert(let_stmt.name.node.clone(), binding);
                }
                Statement::Query(expr) => {
                    let plan = self.plan_tabular(expr).await?;
                    let plan = self.finish(plan, expr.span)?;
                    out.push(PlannedStatement { plan, span: expr.span });
                }
                Statement::Unsupported { keyword, span } => {
                    return unsupported!(*span, "the `{}` statement", keyword.node);
                }
            }
        }
        Ok(out)
    }

    /// Plans a `let` right-hand side.
    pub(crate) async fn plan_let_value(&mut self, value: &LetValue) -> Result<Binding, PlanError> {
        match value {
            LetValue::Function(def) => Ok(Binding::Function(Arc::new(def.clone()))),
            LetValue::Expr(expr) => {
                if self.is_tabular(expr) {
                    let plan = self.plan_tabular(expr).await?;
                    Ok(Binding::Tabular(Arc::new(plan)))
                } else {
                    let empty = DFSchema::empty();
                    let typed = self.plan_scalar(expr, &empty).await?;
                    Ok(Binding::Scalar(typed.expr, typed.ty))
                }
            }
        }
    }

    /// Binds `name` in the innermost scope.
    pub(crate) fn bind(&mut self, name: &str, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), binding);
        }
    }

    /// Looks `name` up from the innermost scope out.
    pub(crate) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// All names bound in any scope, for did-you-mean.
    pub(crate) fn bound_names(&self) -> Vec<&str> {
        self.scopes.iter().flat_map(|s| s.keys().map(String::as_str)).collect()
    }

    /// Names bound to tables (tabular `let`s and functions), for the
    /// suggestions of an unknown table.
    pub(crate) fn bound_table_names(&self) -> Vec<&str> {
        self.scopes
            .iter()
            .flat_map(|s| s.iter())
            .filter(|(_, b)| !matches!(b, Binding::Scalar(..)))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// A fresh internal column name.
    pub(crate) fn fresh_name(&mut self, what: &str) -> String {
        self.fresh += 1;
        format!("__kql_{what}_{}", self.fresh)
    }

    /// Whether `expr` denotes a table rather than a scalar. Decided from the
    /// syntax and from what names are bound to.
    pub(crate) fn is_tabular(&self, expr: &Expr) -> bool {
        match &expr.kind {
            ExprKind::Pipe { .. }
            | ExprKind::ExternalData { .. }
            | ExprKind::DataTable { .. }
            | ExprKind::Print(_)
            | ExprKind::Range { .. }
            | ExprKind::Union(_)
            | ExprKind::UnsupportedSource { .. } => true,
            ExprKind::Name(name) => match self.lookup(&name.node) {
                Some(Binding::Tabular(_)) => true,
                Some(Binding::Scalar(..)) => false,
                Some(Binding::Function(f)) => f.params.is_empty() && self.function_is_tabular(f),
                None => self.env.tables.contains_key(&name.node),
            },
            ExprKind::Call { func, .. } => match func.node.as_str() {
                "materialize" | "table" | "view" => true,
                "toscalar" => false,
                name => {
                    matches!(self.lookup(name), Some(Binding::Function(f)) if self.function_is_tabular(f))
                }
            },
            _ => false,
        }
    }

    fn function_is_tabular(&self, def: &kql_syntax::ast::FunctionDef) -> bool {
        def.body.iter().rev().find_map(|s| match s {
            Statement::Query(e) => Some(self.is_tabular(e)),
            _ => None,
        }) == Some(true)
    }
}
