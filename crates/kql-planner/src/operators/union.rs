//! `union`.

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use kql_syntax::Span;
use kql_syntax::ast::{ExprKind, ScalarType, UnionArgs};

use super::{columns_of, project};
use crate::error::{PlanError, WithSpan, invalid, unsupported};
use crate::expr::column;
use crate::names::wildcard_match;
use crate::planner::Planner;

impl Planner<'_> {
    /// `union T1, T2` (as a source, or after a pipe with the input first).
    /// Columns are the union of all inputs' columns in order of appearance
    /// (`kind=outer`, the default), or only the common ones (`kind=inner`);
    /// a column missing from an input is null there.
    pub(crate) async fn plan_union(
        &mut self,
        input: Option<LogicalPlan>,
        args: &UnionArgs,
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let mut inner = false;
        for p in &args.params {
            match (p.name.node.as_str(), &p.value.kind) {
                ("kind", ExprKind::Name(n)) if n.node == "inner" => inner = true,
                ("kind", ExprKind::Name(n)) if n.node == "outer" => inner = false,
                ("isfuzzy", _) => {}
                _ => return unsupported!(p.span, "the union parameter `{}`", p.name.node),
            }
        }
        let mut plans: Vec<LogicalPlan> = input.into_iter().collect();
        for t in &args.tables {
            if let ExprKind::Name(n) = &t.kind
                && n.node.contains('*')
            {
                let names: Vec<String> =
                    self.env.tables.keys().filter(|k| wildcard_match(&n.node, k)).cloned().collect();
                for name in names {
                    let table = kql_syntax::ast::Ident::new(name, n.span);
                    let e = kql_syntax::ast::Expr::new(ExprKind::Name(table), t.span);
                    plans.push(self.plan_tabular(&e).await?);
                }
                continue;
            }
            plans.push(self.plan_tabular(t).await?);
        }
        if plans.is_empty() {
            return invalid!(span, "`union` has no tables to combine");
        }

        // The output columns.
        let mut all: Vec<(String, ScalarType)> = Vec::new();
        for p in &plans {
            for (n, t) in columns_of(p) {
                match all.iter().find(|(a, _)| *a == n) {
                    Some((_, at)) if *at != t => {
                        return unsupported!(span, "`union` of column `{n}` with types `{at}` and `{t}`");
                    }
                    Some(_) => {}
                    None => all.push((n, t)),
                }
            }
        }
        if inner {
            let sets: Vec<Vec<(String, ScalarType)>> = plans.iter().map(columns_of).collect();
            all.retain(|(n, _)| sets.iter().all(|s| s.iter().any(|(m, _)| m == n)));
        }

        let mut aligned = Vec::new();
        for p in plans {
            let have = columns_of(&p);
            let items = all
                .iter()
                .map(|(n, t)| {
                    let e = if have.iter().any(|(h, _)| h == n) {
                        column(n)
                    } else {
                        let null = datafusion::common::ScalarValue::try_from(&kql_functions::types::arrow_type(*t))
                            .unwrap_or(datafusion::common::ScalarValue::Null);
                        DfExpr::Literal(null, None)
                    };
                    (e, n.clone(), *t)
                })
                .collect();
            aligned.push(project(p, items, span)?);
        }
        let mut iter = aligned.into_iter();
        let Some(first) = iter.next() else {
            return invalid!(span, "`union` has no tables to combine");
        };
        let mut builder = LogicalPlanBuilder::from(first);
        for p in iter {
            builder = builder.union(p).at(span)?;
        }
        builder.build().at(span)
    }
}
