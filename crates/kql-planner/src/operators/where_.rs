//! `where` (and `filter`).

use datafusion::common::Column;
use datafusion::logical_expr::{JoinType, LogicalPlan, LogicalPlanBuilder};
use kql_syntax::ast::{BinaryOp, Expr, ExprKind, ScalarType, SetOp};

use crate::error::{PlanError, WithSpan};
use crate::expr::first_column;
use crate::planner::Planner;

impl Planner<'_> {
    /// `where predicate`.
    ///
    /// Top-level conjuncts of the form `x in (tabular)` become semi joins that
    /// build their hash table on the (usually small) set rather than on the
    /// filtered input; `x !in (tabular)` becomes an anti join. Everything else
    /// is one filter.
    pub(crate) async fn plan_where(
        &mut self,
        input: LogicalPlan,
        predicate: &Expr,
    ) -> Result<LogicalPlan, PlanError> {
        let mut conjuncts = Vec::new();
        split_and(predicate, &mut conjuncts);

        // Process plain conjuncts first, so that the set lookups see fewer rows.
        let mut plain = Vec::new();
        let mut set_tests = Vec::new();
        for c in conjuncts {
            match &c.kind {
                ExprKind::In { expr, op, list }
                    if matches!(op.node, SetOp::In | SetOp::NotIn)
                        && list.len() == 1
                        && self.is_tabular_operand(&list[0], input.schema()) =>
                {
                    set_tests.push((expr.as_ref(), op.node == SetOp::NotIn, &list[0], c.span));
                }
                _ => plain.push(c),
            }
        }

        let mut plan = input;
        if !plain.is_empty() {
            let mut filter = None;
            for c in plain {
                let t = self.plan_scalar(c, plan.schema()).await?;
                if t.ty != ScalarType::Bool {
                    return Err(PlanError::Type {
                        message: format!("`where` needs a bool predicate, this is `{}`", t.ty),
                        span: c.span,
                        help: None,
                    });
                }
                filter = Some(match filter {
                    None => t.expr,
                    Some(f) => datafusion::logical_expr::Expr::and(f, t.expr),
                });
            }
            if let Some(f) = filter {
                plan =
                    LogicalPlanBuilder::from(plan).filter(f).at(predicate.span)?.build().at(predicate.span)?;
            }
        }

        for (tested, negated, set, span) in set_tests {
            plan = self.plan_set_join(plan, tested, negated, set, span).await?;
        }
        Ok(plan)
    }

    async fn plan_set_join(
        &mut self,
        plan: LogicalPlan,
        tested: &Expr,
        negated: bool,
        set: &Expr,
        span: kql_syntax::Span,
    ) -> Result<LogicalPlan, PlanError> {
        let t = self.plan_scalar(tested, plan.schema()).await?;
        let set_plan = first_column(self.plan_tabular(set).await?, set.span)?;
        let set_name = self.fresh_name("in");
        let Some(set_field) = set_plan.schema().fields().first().cloned() else {
            return crate::error::invalid!(set.span, "the table has no columns");
        };
        let set_plan = LogicalPlanBuilder::from(set_plan)
            .project(vec![crate::expr::column(set_field.name()).alias(&set_name)])
            .at(span)?
            .build()
            .at(span)?;

        // The tested value as a column of the probe side.
        let (probe, key, extra) = match &t.expr {
            datafusion::logical_expr::Expr::Column(c) => (plan, c.name.clone(), None),
            _ => {
                let key = self.fresh_name("key");
                let mut exprs: Vec<_> =
                    plan.schema().fields().iter().map(|f| crate::expr::column(f.name())).collect();
                exprs.push(t.expr.clone().alias(&key));
                let p = LogicalPlanBuilder::from(plan).project(exprs).at(span)?.build().at(span)?;
                (p, key.clone(), Some(key))
            }
        };
        let original: Vec<String> = probe.schema().fields().iter().map(|f| f.name().clone()).collect();

        // The set is the build (left) side; the input streams through.
        let join_type = if negated { JoinType::RightAnti } else { JoinType::RightSemi };
        let joined = LogicalPlanBuilder::from(set_plan)
            .join(probe, join_type, (vec![Column::from_name(set_name)], vec![Column::from_name(key)]), None)
            .at(span)?
            .build()
            .at(span)?;
        match extra {
            None => Ok(joined),
            Some(extra) => {
                let keep = original.iter().filter(|n| **n != extra).map(|n| crate::expr::column(n));
                LogicalPlanBuilder::from(joined).project(keep).at(span)?.build().at(span)
            }
        }
    }
}

/// Splits `a and b and c` into its conjuncts.
fn split_and<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &expr.kind {
        ExprKind::Binary { op, left, right } if op.node == BinaryOp::And => {
            split_and(left, out);
            split_and(right, out);
        }
        _ => out.push(expr),
    }
}
