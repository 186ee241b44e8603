//! `project` and its relatives: `-away`, `-keep`, `-rename`, `-reorder`.

use datafusion::logical_expr::LogicalPlan;
use kql_syntax::Span;
use kql_syntax::ast::{Assignment, ColumnPattern, Ident, SortOrder, Spanned};

use super::{columns_of, project};
use crate::error::{PlanError, did_you_mean, invalid};
use crate::expr::column;
use crate::names::{derived_name, unique_name, wildcard_match};
use crate::planner::Planner;

impl Planner<'_> {
    /// `project a, b = x, f(c)`: exactly these columns, in this order.
    pub(crate) async fn plan_project(
        &mut self,
        input: LogicalPlan,
        items: &[Assignment],
    ) -> Result<LogicalPlan, PlanError> {
        let span = items.first().map_or(Span::default(), |a| a.span);
        let mut out = Vec::new();
        let mut unnamed = 0;
        for item in items {
            if item.names.len() > 1 {
                return crate::error::unsupported!(item.span, "assigning several names at once in `project`");
            }
            // `project Col*` selects by wildcard.
            if let kql_syntax::ast::ExprKind::Name(n) = &item.expr.kind
                && item.names.is_empty()
                && n.node.contains('*')
            {
                for (name, ty) in columns_of(&input) {
                    if wildcard_match(&n.node, &name) && !out.iter().any(|(_, o, _)| *o == name) {
                        out.push((column(&name), name, ty));
                    }
                }
                continue;
            }
            let t = self.plan_scalar(&item.expr, input.schema()).await?;
            let name = match (item.names.first(), derived_name(&item.expr)) {
                (Some(n), _) => n.node.clone(),
                (None, Some(n)) => n,
                (None, None) => {
                    unnamed += 1;
                    format!("Column{unnamed}")
                }
            };
            if out.iter().any(|(_, o, _)| *o == name) {
                if item.names.is_empty() {
                    let name = unique_name(&name, |n| out.iter().any(|(_, o, _)| o == n));
                    out.push((t.expr, name, t.ty));
                    continue;
                }
                return invalid!(item.span, "the column `{name}` is projected twice");
            }
            out.push((t.expr, name, t.ty));
        }
        project(input, out, span)
    }

    /// `project-away a, b*`: every column but these.
    pub(crate) fn plan_project_away(
        &mut self,
        input: LogicalPlan,
        patterns: &[ColumnPattern],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let columns = columns_of(&input);
        check_patterns(patterns, &columns)?;
        let keep = columns
            .into_iter()
            .filter(|(n, _)| !patterns.iter().any(|p| wildcard_match(&p.pattern.node, n)))
            .map(|(n, t)| (column(&n), n, t))
            .collect();
        project(input, keep, span)
    }

    /// `project-keep a, b*`: only these columns, in input order.
    pub(crate) fn plan_project_keep(
        &mut self,
        input: LogicalPlan,
        patterns: &[ColumnPattern],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let columns = columns_of(&input);
        check_patterns(patterns, &columns)?;
        let keep = columns
            .into_iter()
            .filter(|(n, _)| patterns.iter().any(|p| wildcard_match(&p.pattern.node, n)))
            .map(|(n, t)| (column(&n), n, t))
            .collect();
        project(input, keep, span)
    }

    /// `project-rename new = old`: renamed in place.
    pub(crate) fn plan_project_rename(
        &mut self,
        input: LogicalPlan,
        pairs: &[(Ident, Ident)],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let mut columns = columns_of(&input);
        let originals = columns.clone();
        for (new, old) in pairs {
            let Some(pos) = originals.iter().position(|(n, _)| *n == old.node) else {
                return Err(unknown(&old.node, old.span, &originals));
            };
            columns[pos].0 = new.node.clone();
        }
        let mut seen = std::collections::HashSet::new();
        for ((name, _), (new, _)) in columns.iter().zip(pairs.iter().cycle()) {
            if !seen.insert(name.clone()) {
                return invalid!(new.span, "renaming makes two columns named `{name}`");
            }
        }
        let items = originals
            .iter()
            .zip(&columns)
            .map(|((old, _), (new, ty))| (column(old), new.clone(), *ty))
            .collect();
        project(input, items, span)
    }

    /// `project-reorder a, b* asc`: the named columns first, in the order
    /// given (a wildcard's matches in input order, or sorted by name with
    /// `asc`/`desc`), then the rest where they were.
    pub(crate) fn plan_project_reorder(
        &mut self,
        input: LogicalPlan,
        items: &[(ColumnPattern, Option<Spanned<SortOrder>>)],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let columns = columns_of(&input);
        let patterns: Vec<ColumnPattern> = items.iter().map(|(p, _)| p.clone()).collect();
        check_patterns(&patterns, &columns)?;
        let mut first: Vec<(String, kql_syntax::ast::ScalarType)> = Vec::new();
        for (pattern, order) in items {
            let mut matched: Vec<_> = columns
                .iter()
                .filter(|(n, _)| wildcard_match(&pattern.pattern.node, n))
                .filter(|(n, _)| !first.iter().any(|(f, _)| f == n))
                .cloned()
                .collect();
            match order.as_ref().map(|o| o.node) {
                Some(SortOrder::Asc) => matched.sort_by(|a, b| a.0.cmp(&b.0)),
                Some(SortOrder::Desc) => matched.sort_by(|a, b| b.0.cmp(&a.0)),
                None => {}
            }
            first.extend(matched);
        }
        let rest = columns.iter().filter(|(n, _)| !first.iter().any(|(f, _)| f == n)).cloned();
        let all = first.clone().into_iter().chain(rest).map(|(n, t)| (column(&n), n, t)).collect();
        project(input, all, span)
    }
}

/// A plain (wildcard-free) name must exist.
fn check_patterns(
    patterns: &[ColumnPattern],
    columns: &[(String, kql_syntax::ast::ScalarType)],
) -> Result<(), PlanError> {
    for p in patterns {
        if !p.is_wildcard() && !columns.iter().any(|(n, _)| *n == p.pattern.node) {
            return Err(unknown(&p.pattern.node, p.pattern.span, columns));
        }
    }
    Ok(())
}

fn unknown(name: &str, span: Span, columns: &[(String, kql_syntax::ast::ScalarType)]) -> PlanError {
    PlanError::UnknownColumn {
        name: name.to_string(),
        span,
        help: did_you_mean(name, columns.iter().map(|(n, _)| n.as_str())),
    }
}
