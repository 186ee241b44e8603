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
        let mut with_source: Option<String> = None;
        for p in &args.params {
            match (p.name.node.as_str(), &p.value.kind) {
                ("kind", ExprKind::Name(n)) if n.node == "inner" => inner = true,
                ("kind", ExprKind::Name(n)) if n.node == "outer" => inner = false,
                ("withsource", ExprKind::Name(n)) => with_source = Some(n.node.clone()),
                ("isfuzzy", _) => {}
                _ => return unsupported!(p.span, "the union parameter `{}`", p.name.node),
            }
        }
        // Each input with the name `withsource=` reports for it: the table
        // name, or `union_argN` for an expression.
        let mut sources: Vec<String> = Vec::new();
        let mut plans: Vec<LogicalPlan> = Vec::new();
        if let Some(p) = input {
            sources.push("union_arg0".to_string());
            plans.push(p);
        }
        for t in &args.tables {
            if let ExprKind::Name(n) = &t.kind
                && n.node.contains('*')
            {
                let names: Vec<String> =
                    self.env.tables.keys().filter(|k| wildcard_match(&n.node, k)).cloned().collect();
                for name in names {
                    let table = kql_syntax::ast::Ident::new(name.clone(), n.span);
                    let e = kql_syntax::ast::Expr::new(ExprKind::Name(table), t.span);
                    plans.push(self.plan_tabular(&e).await?);
                    sources.push(name);
                }
                continue;
            }
            plans.push(self.plan_tabular(t).await?);
            sources.push(match &t.kind {
                ExprKind::Name(n) => n.node.clone(),
                _ => format!("union_arg{}", sources.len()),
            });
        }
        if plans.is_empty() {
            return invalid!(span, "`union` has no tables to combine");
        }

        // The output columns. A name that comes with different types becomes
        // one column per type, `Name_type`, as in Kusto.
        let mut seen: Vec<(String, Vec<ScalarType>)> = Vec::new();
        for p in &plans {
            for (n, t) in columns_of(p) {
                match seen.iter_mut().find(|(a, _)| *a == n) {
                    Some((_, types)) if !types.contains(&t) => types.push(t),
                    Some(_) => {}
                    None => seen.push((n, vec![t])),
                }
            }
        }
        let out_name = |n: &str, t: ScalarType| -> String {
            match seen.iter().find(|(a, _)| a == n) {
                Some((_, types)) if types.len() > 1 => format!("{n}_{t}"),
                _ => n.to_string(),
            }
        };
        let mut all: Vec<(String, ScalarType)> = Vec::new();
        if let Some(ws) = &with_source {
            all.push((ws.clone(), ScalarType::String));
        }
        for (n, types) in &seen {
            for t in types {
                all.push((out_name(n, *t), *t));
            }
        }
        if inner {
            let sets: Vec<Vec<(String, ScalarType)>> = plans.iter().map(columns_of).collect();
            all.retain(|(n, _)| sets.iter().all(|s| s.iter().any(|(m, _)| m == n)));
        }

        let mut aligned = Vec::new();
        for (p, source) in plans.into_iter().zip(&sources) {
            let have: Vec<(String, String, ScalarType)> =
                columns_of(&p).into_iter().map(|(n, t)| (out_name(&n, t), n, t)).collect();
            let items = all
                .iter()
                .map(|(n, t)| {
                    let e = if with_source.as_deref() == Some(n.as_str()) {
                        DfExpr::Literal(datafusion::common::ScalarValue::Utf8(Some(source.clone())), None)
                    } else if let Some((_, original, _)) = have.iter().find(|(o, _, _)| o == n) {
                        column(original)
                    } else {
                        let null =
                            datafusion::common::ScalarValue::try_from(&kql_functions::types::arrow_type(*t))
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
