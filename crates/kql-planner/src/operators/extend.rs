//! `extend`, including the fusion of several `extractjson` calls over one
//! document into a single parse.

use std::collections::HashMap;

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan};
use kql_syntax::Span;
use kql_syntax::ast::{Assignment, Expr, ExprKind, Literal, ScalarType};

use super::{columns_of, project};
use crate::error::{PlanError, WithSpan};
use crate::expr::column;
use crate::names::{derived_name, unique_name};
use crate::planner::Planner;

/// An `extractjson("$.path", json, typeof(T))` call found in an `extend`.
struct JsonPick<'a> {
    item: usize,
    path: String,
    ty: ScalarType,
    json: &'a Expr,
}

impl Planner<'_> {
    /// `extend a = x, b = y`: a new name is appended, an existing name is
    /// replaced in place. Assignments see the columns made by the ones before
    /// them.
    pub(crate) async fn plan_extend(
        &mut self,
        input: LogicalPlan,
        items: &[Assignment],
    ) -> Result<LogicalPlan, PlanError> {
        let span = items
            .first()
            .map_or(Span::default(), |a| a.span)
            .to(items.last().map_or(Span::default(), |a| a.span));
        let mut plan = input;

        // Several extractjson calls over the same document: parse it once.
        let fused = self.fuse_extractjson(&mut plan, items, span).await?;

        let mut columns = columns_of(&plan);
        let mut exprs: Vec<DfExpr> = columns.iter().map(|(n, _)| column(n)).collect();
        let mut unnamed = 0usize;
        let mut made_here: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if item.names.len() > 1 {
                return crate::error::unsupported!(item.span, "assigning several names at once in `extend`");
            }
            // A later assignment that reads a column made in this extend needs
            // the earlier ones materialised first.
            if references_any(&item.expr, &made_here) {
                plan = project(plan, zip_named(&exprs, &columns), span)?;
                columns = columns_of(&plan);
                exprs = columns.iter().map(|(n, _)| column(n)).collect();
                made_here.clear();
            }
            let typed = match fused.get(&i) {
                Some(t) => t.clone(),
                None => self.plan_scalar(&item.expr, plan.schema()).await?,
            };
            let name = match (item.names.first(), derived_name(&item.expr)) {
                (Some(n), _) => n.node.clone(),
                (None, Some(n)) => n,
                (None, None) => {
                    unnamed += 1;
                    let taken = |n: &str| columns.iter().any(|(c, _)| c == n);
                    unique_name(&format!("Column{unnamed}"), taken)
                }
            };
            match columns.iter().position(|(n, _)| *n == name) {
                Some(pos) => {
                    columns[pos].1 = typed.ty;
                    exprs[pos] = typed.expr;
                }
                None => {
                    columns.push((name.clone(), typed.ty));
                    exprs.push(typed.expr);
                }
            }
            made_here.push(name);
        }
        let plan = project(plan, zip_named(&exprs, &columns), span)?;
        strip_internal(plan, span)
    }

    /// Finds groups of `extractjson` calls with a constant path over the
    /// same document expression. For each group of two or more, adds one
    /// column holding a struct of all picked values (one parse per row) and
    /// returns, per assignment index, the field access that replaces the call.
    async fn fuse_extractjson(
        &mut self,
        plan: &mut LogicalPlan,
        items: &[Assignment],
        span: Span,
    ) -> Result<HashMap<usize, crate::expr::Typed>, PlanError> {
        let mut picks: Vec<JsonPick<'_>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(p) = as_json_pick(i, &item.expr) {
                picks.push(p);
            }
        }
        let mut groups: Vec<(&Expr, Vec<&JsonPick<'_>>)> = Vec::new();
        for p in &picks {
            match groups.iter_mut().find(|(json, _)| same_expr(json, p.json)) {
                Some((_, g)) => g.push(p),
                None => groups.push((p.json, vec![p])),
            }
        }
        let made: Vec<String> =
            items.iter().filter_map(|a| a.names.first().map(|n| n.node.clone())).collect();
        let mut out = HashMap::new();
        let mut columns = columns_of(plan);
        let mut exprs: Vec<DfExpr> = columns.iter().map(|(n, _)| column(n)).collect();
        let mut struct_cols = Vec::new();
        for (json, group) in groups {
            // Only documents that do not depend on this extend's own outputs.
            if group.len() < 2 || references_any(json, &made) {
                continue;
            }
            let doc = self.plan_scalar(json, plan.schema()).await?;
            let wanted: Vec<(String, ScalarType)> = group.iter().map(|p| (p.path.clone(), p.ty)).collect();
            let fused = kql_functions::extract_json_many(doc.expr, wanted)
                .map_err(|e| crate::expr::fn_error(e, "extractjson", json.span, &[]))?;
            let name = self.fresh_name("json");
            columns.push((name.clone(), ScalarType::Dynamic));
            exprs.push(fused);
            struct_cols.push(name.clone());
            for (field, p) in group.iter().enumerate() {
                let access =
                    datafusion::functions::core::expr_fn::get_field(column(&name), format!("f{field}"));
                out.insert(p.item, crate::expr::Typed { expr: access, ty: p.ty });
            }
        }
        if !struct_cols.is_empty() {
            // The struct columns are internal: a plain alias, no KQL type.
            let items = exprs.into_iter().zip(columns).map(|(e, (n, t))| {
                if struct_cols.contains(&n) { e.alias(n) } else { crate::expr::named(e, &n, t) }
            });
            let projected = datafusion::logical_expr::LogicalPlanBuilder::from(plan.clone())
                .project(items)
                .at(span)?
                .build()
                .at(span)?;
            *plan = projected;
        }
        Ok(out)
    }
}

fn zip_named(exprs: &[DfExpr], columns: &[(String, ScalarType)]) -> Vec<(DfExpr, String, ScalarType)> {
    exprs.iter().cloned().zip(columns.iter().cloned()).map(|(e, (n, t))| (e, n, t)).collect()
}

/// Drops the internal struct columns added by the fusion.
fn strip_internal(plan: LogicalPlan, span: Span) -> Result<LogicalPlan, PlanError> {
    let columns = columns_of(&plan);
    if !columns.iter().any(|(n, _)| n.starts_with("__kql_json_")) {
        return Ok(plan);
    }
    let keep =
        columns.into_iter().filter(|(n, _)| !n.starts_with("__kql_json_")).map(|(n, t)| (column(&n), n, t));
    project(plan, keep.collect(), span)
}

fn as_json_pick(item: usize, expr: &Expr) -> Option<JsonPick<'_>> {
    let ExprKind::Call { func, args } = &expr.kind else { return None };
    if !matches!(func.node.as_str(), "extractjson" | "extract_json") {
        return None;
    }
    let [path, json, rest @ ..] = args.as_slice() else { return None };
    let ExprKind::Literal(Literal::String(path)) = &path.kind else { return None };
    let ty = match rest {
        [] => ScalarType::String,
        [t] => match &t.kind {
            ExprKind::TypeOf(t) => t.node,
            _ => return None,
        },
        _ => return None,
    };
    Some(JsonPick { item, path: path.clone(), ty, json })
}

/// Structural equality of two expressions, spans ignored.
fn same_expr(a: &Expr, b: &Expr) -> bool {
    match (&a.kind, &b.kind) {
        (ExprKind::Name(x), ExprKind::Name(y)) => x.node == y.node,
        (ExprKind::Literal(x), ExprKind::Literal(y)) => x == y,
        (ExprKind::Call { func: f1, args: a1 }, ExprKind::Call { func: f2, args: a2 }) => {
            f1.node == f2.node && a1.len() == a2.len() && a1.iter().zip(a2).all(|(x, y)| same_expr(x, y))
        }
        (ExprKind::Member { expr: e1, name: n1 }, ExprKind::Member { expr: e2, name: n2 }) => {
            n1.node == n2.node && same_expr(e1, e2)
        }
        _ => false,
    }
}

/// Whether `expr` mentions any of `names`.
fn references_any(expr: &Expr, names: &[String]) -> bool {
    if names.is_empty() {
        return false;
    }
    let mut found = false;
    visit_names(expr, &mut |n| found |= names.iter().any(|m| m == n));
    found
}

fn visit_names(expr: &Expr, f: &mut dyn FnMut(&str)) {
    match &expr.kind {
        ExprKind::Name(n) => f(&n.node),
        ExprKind::Call { args, .. } => args.iter().for_each(|a| visit_names(a, f)),
        ExprKind::Member { expr, .. } | ExprKind::Unary { expr, .. } => visit_names(expr, f),
        ExprKind::Index { expr, index } => {
            visit_names(expr, f);
            visit_names(index, f);
        }
        ExprKind::Binary { left, right, .. } => {
            visit_names(left, f);
            visit_names(right, f);
        }
        ExprKind::In { expr, list, .. } => {
            visit_names(expr, f);
            list.iter().for_each(|a| visit_names(a, f));
        }
        ExprKind::Between { expr, low, high, .. } => {
            visit_names(expr, f);
            visit_names(low, f);
            visit_names(high, f);
        }
        _ => {}
    }
}
