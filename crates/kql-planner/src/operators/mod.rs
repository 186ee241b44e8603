//! One module per tabular operator. Each `plan_<op>` takes the input plan
//! and returns the output plan, with Kusto's column names, order and types.

mod extend;
mod join;
mod mv_expand;
mod parse;
mod project;
mod simple;
mod summarize;
mod union;
mod where_;

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use kql_syntax::Span;
use kql_syntax::ast::{Operator, OperatorKind, ScalarType};

use crate::error::{PlanError, WithSpan, unsupported};
use crate::expr::{column, named};
use crate::planner::Planner;

impl Planner<'_> {
    /// Plans one operator over `input`.
    pub(crate) async fn plan_operator(
        &mut self,
        input: LogicalPlan,
        op: &Operator,
    ) -> Result<LogicalPlan, PlanError> {
        let span = op.span;
        match &op.kind {
            OperatorKind::Where(predicate) => self.plan_where(input, predicate).await,
            OperatorKind::Extend(items) => self.plan_extend(input, items).await,
            OperatorKind::Project(items) => self.plan_project(input, items).await,
            OperatorKind::ProjectAway(patterns) => self.plan_project_away(input, patterns, span),
            OperatorKind::ProjectKeep(patterns) => self.plan_project_keep(input, patterns, span),
            OperatorKind::ProjectRename(pairs) => self.plan_project_rename(input, pairs, span),
            OperatorKind::ProjectReorder(items) => self.plan_project_reorder(input, items, span),
            OperatorKind::Summarize { params, aggregates, by } => {
                self.plan_summarize(input, params, aggregates, by, span).await
            }
            OperatorKind::Distinct(columns) => self.plan_distinct(input, columns, span).await,
            OperatorKind::Take(count) => self.plan_take(input, count).await,
            OperatorKind::Sort(keys) => self.plan_sort(input, keys, None, span).await,
            OperatorKind::Top { count, key } => {
                self.plan_sort(input, std::slice::from_ref(key), Some(count), span).await
            }
            OperatorKind::Count => self.plan_count(input, span),
            OperatorKind::Join { params, right, on } => {
                self.plan_join(input, params, right, on, span, false).await
            }
            OperatorKind::Lookup { params, right, on } => {
                self.plan_join(input, params, right, on, span, true).await
            }
            OperatorKind::Union(args) => self.plan_union(Some(input), args, span).await,
            OperatorKind::As(name) => {
                self.bind(&name.node, crate::env::Binding::Tabular(std::sync::Arc::new(input.clone())));
                Ok(input)
            }
            OperatorKind::GetSchema => self.plan_getschema(&input, span),
            OperatorKind::Serialize(items) => {
                if items.is_empty() {
                    Ok(input)
                } else {
                    self.plan_extend(input, items).await
                }
            }
            OperatorKind::MvExpand { .. } => self.plan_mv_expand(input, op).await,
            OperatorKind::Parse { params, expr, pattern, drop_unmatched } => {
                self.plan_parse(input, params, expr, pattern, *drop_unmatched, span).await
            }
            OperatorKind::Invoke(_) => unsupported!(op.keyword, "the `invoke` operator"),
            OperatorKind::Unsupported { name } => unsupported!(op.keyword, "the `{name}` operator"),
        }
    }

    /// Makes the final plan of a statement: every column unqualified and
    /// carrying its KQL type.
    pub(crate) fn finish(&self, plan: LogicalPlan, span: Span) -> Result<LogicalPlan, PlanError> {
        let columns = columns_of(&plan);
        project(plan, columns.into_iter().map(|(n, t)| (column(&n), n, t)).collect(), span)
    }
}

/// The (name, KQL type) of every column of `plan`, in order.
pub(crate) fn columns_of(plan: &LogicalPlan) -> Vec<(String, ScalarType)> {
    plan.schema()
        .fields()
        .iter()
        .map(|f| {
            let ty = kql_functions::types::kql_type_of(f).unwrap_or(ScalarType::String);
            (f.name().clone(), ty)
        })
        .collect()
}

/// Projects `(expr, name, type)` triples.
pub(crate) fn project(
    plan: LogicalPlan,
    items: Vec<(DfExpr, String, ScalarType)>,
    span: Span,
) -> Result<LogicalPlan, PlanError> {
    let exprs = items.into_iter().map(|(e, n, t)| named(e, &n, t));
    LogicalPlanBuilder::from(plan).project(exprs).at(span)?.build().at(span)
}
