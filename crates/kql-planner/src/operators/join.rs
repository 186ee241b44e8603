//! `join` and `lookup`.

use datafusion::common::Column;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, JoinType, LogicalPlan, LogicalPlanBuilder};
use kql_syntax::Span;
use kql_syntax::ast::{Expr, ExprKind, JoinKey, NamedArg, ScalarType};

use super::{columns_of, project};
use crate::error::{PlanError, WithSpan, did_you_mean, invalid, unsupported};
use crate::expr::column;
use crate::names::unique_name;
use crate::planner::Planner;

/// The join kinds of KQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftSemi,
    LeftAnti,
    RightSemi,
    RightAnti,
}

impl Kind {
    fn parse(text: &str) -> Option<Kind> {
        Some(match text {
            "innerunique" => Kind::InnerUnique,
            "inner" => Kind::Inner,
            "leftouter" => Kind::LeftOuter,
            "rightouter" => Kind::RightOuter,
            "fullouter" | "outer" => Kind::FullOuter,
            "leftsemi" | "semi" => Kind::LeftSemi,
            "leftanti" | "anti" | "leftantisemi" => Kind::LeftAnti,
            "rightsemi" => Kind::RightSemi,
            "rightanti" | "rightantisemi" => Kind::RightAnti,
            _ => return None,
        })
    }
}

impl Planner<'_> {
    /// `join kind=K (right) on keys`, or `lookup` (`is_lookup`).
    ///
    /// Output columns follow Kusto: the left side's, then the right side's
    /// with clashing names suffixed (`DeviceId1`, skipping names taken on
    /// either side). Semi and anti joins keep one side only. `lookup` keeps
    /// the key columns once.
    pub(crate) async fn plan_join(
        &mut self,
        left: LogicalPlan,
        params: &[NamedArg],
        right: &Expr,
        on: &[JoinKey],
        span: Span,
        is_lookup: bool,
    ) -> Result<LogicalPlan, PlanError> {
        let mut kind = if is_lookup { Kind::LeftOuter } else { Kind::InnerUnique };
        for p in params {
            match p.name.node.as_str() {
                "kind" => {
                    let text = match &p.value.kind {
                        ExprKind::Name(n) => n.node.clone(),
                        _ => return invalid!(p.value.span, "`kind` takes a join kind such as `inner`"),
                    };
                    kind = match Kind::parse(&text) {
                        Some(k) if !is_lookup || matches!(k, Kind::LeftOuter | Kind::Inner) => k,
                        _ => {
                            return Err(PlanError::Invalid {
                                message: format!("unknown join kind `{text}`"),
                                span: p.value.span,
                                help: Some(
                                    "the kinds are innerunique, inner, leftouter, rightouter, fullouter, \
                                     leftsemi, leftanti, rightsemi and rightanti"
                                        .into(),
                                ),
                            });
                        }
                    };
                }
                name if name.starts_with("hint.") => {}
                name => return unsupported!(p.span, "the join parameter `{name}`"),
            }
        }
        if on.is_empty() {
            return unsupported!(span, "a join without `on` keys");
        }

        let right = self.plan_tabular(right).await?;
        let left_cols = columns_of(&left);
        let right_cols = columns_of(&right);

        // Resolve the key pairs.
        let mut pairs: Vec<(String, String)> = Vec::new();
        for key in on {
            let (l, r) = match key {
                JoinKey::Column(c) => (c, c),
                JoinKey::Equal { left, right, .. } => (left, right),
            };
            for (ident, cols, side) in [(l, &left_cols, "left"), (r, &right_cols, "right")] {
                if !cols.iter().any(|(n, _)| *n == ident.node) {
                    return Err(PlanError::UnknownColumn {
                        name: ident.node.clone(),
                        span: ident.span,
                        help: did_you_mean(&ident.node, cols.iter().map(|(n, _)| n.as_str()))
                            .or_else(|| Some(format!("not a column of the {side} side of the join"))),
                    });
                }
            }
            pairs.push((l.node.clone(), r.node.clone()));
        }

        // innerunique: one arbitrary left row per key value.
        let left = if kind == Kind::InnerUnique { self.dedup_on(left, &pairs, span)? } else { left };

        // Rename the right side so that every name is unique.
        let same_key_names: Vec<&str> = if is_lookup {
            pairs.iter().filter(|(l, r)| l == r).map(|(l, _)| l.as_str()).collect()
        } else {
            Vec::new()
        };
        let mut out_names: Vec<String> = left_cols.iter().map(|(n, _)| n.clone()).collect();
        let mut right_renamed: Vec<(String, String, ScalarType)> = Vec::new();
        let right_only = matches!(kind, Kind::RightSemi | Kind::RightAnti);
        for (name, ty) in &right_cols {
            let new = if right_only {
                name.clone()
            } else {
                let taken =
                    |n: &str| out_names.iter().any(|o| o == n) || right_cols.iter().any(|(r, _)| r == n);
                if out_names.contains(name) { unique_name(name, taken) } else { name.clone() }
            };
            if !right_only {
                out_names.push(new.clone());
            }
            right_renamed.push((name.clone(), new, *ty));
        }
        let internal = |n: &str| format!("__kql_r_{n}");
        let right = project(
            right,
            right_renamed.iter().map(|(old, new, ty)| (column(old), internal(new), *ty)).collect(),
            span,
        )?;
        let lkeys: Vec<Column> = pairs.iter().map(|(l, _)| Column::from_name(l)).collect();
        let rkeys: Vec<Column> = pairs
            .iter()
            .map(|(_, r)| {
                let new = right_renamed
                    .iter()
                    .find(|(old, _, _)| old == r)
                    .map_or(r.clone(), |(_, n, _)| n.clone());
                Column::from_name(internal(&new))
            })
            .collect();

        let left_size = self.estimate(&left);
        let right_size = self.estimate(&right);
        let df_kind = match kind {
            Kind::InnerUnique | Kind::Inner => JoinType::Inner,
            Kind::LeftOuter => JoinType::Left,
            Kind::RightOuter => JoinType::Right,
            Kind::FullOuter => JoinType::Full,
            Kind::LeftSemi => JoinType::LeftSemi,
            Kind::LeftAnti => JoinType::LeftAnti,
            Kind::RightSemi => JoinType::RightSemi,
            Kind::RightAnti => JoinType::RightAnti,
        };
        // DataFusion builds its hash table on the left input. For an inner
        // join, put the smaller side there; the projection below restores
        // Kusto's column order either way.
        let joined = if df_kind == JoinType::Inner && right_size < left_size {
            LogicalPlanBuilder::from(right).join(left, JoinType::Inner, (rkeys, lkeys), None)
        } else {
            LogicalPlanBuilder::from(left).join(right, df_kind, (lkeys, rkeys), None)
        }
        .at(span)?
        .build()
        .at(span)?;

        let mut out: Vec<(DfExpr, String, ScalarType)> = Vec::new();
        if !right_only {
            for (n, t) in &left_cols {
                out.push((column(n), n.clone(), *t));
            }
        }
        if !matches!(kind, Kind::LeftSemi | Kind::LeftAnti) {
            for (_, new, ty) in &right_renamed {
                if is_lookup && same_key_names.contains(&new.as_str()) {
                    continue;
                }
                // lookup drops the right copy of same-named keys (renamed to `X1`).
                if is_lookup
                    && let Some((orig, _, _)) = right_renamed.iter().find(|(_, n, _)| n == new)
                    && same_key_names.contains(&orig.as_str())
                {
                    continue;
                }
                out.push((column(&internal(new)), new.clone(), *ty));
            }
        }
        project(joined, out, span)
    }

    /// Keeps one row per distinct value of the left keys.
    fn dedup_on(
        &mut self,
        plan: LogicalPlan,
        pairs: &[(String, String)],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let rn = self.fresh_name("rn");
        let window = datafusion::functions_window::expr_fn::row_number()
            .partition_by(pairs.iter().map(|(l, _)| column(l)).collect())
            .build()
            .at(span)?
            .alias(&rn);
        let columns = columns_of(&plan);
        let plan = LogicalPlanBuilder::from(plan).window(vec![window]).at(span)?.build().at(span)?;
        let plan = LogicalPlanBuilder::from(plan)
            .filter(column(&rn).eq(DfExpr::Literal(datafusion::common::ScalarValue::UInt64(Some(1)), None)))
            .at(span)?
            .build()
            .at(span)?;
        project(plan, columns.into_iter().map(|(n, t)| (column(&n), n, t)).collect(), span)
    }

    /// A rough size of what a plan produces, in bytes of its sources, to
    /// choose the build side of a join without statistics.
    pub(crate) fn estimate(&self, plan: &LogicalPlan) -> u64 {
        match plan {
            LogicalPlan::TableScan(scan) => {
                let name = scan.table_name.table();
                if let Some(t) = self.env.tables.get(name) {
                    return t.size_hint.unwrap_or(u64::MAX / 4);
                }
                // In-memory results (materialize, externaldata, datatable):
                // small by construction.
                1 << 20
            }
            LogicalPlan::Aggregate(a) => self.estimate(&a.input) / 16,
            LogicalPlan::Filter(f) => self.estimate(&f.input) / 4,
            LogicalPlan::Limit(_) => 1 << 10,
            LogicalPlan::Join(j) => self.estimate(&j.left).max(self.estimate(&j.right)),
            other => other.inputs().iter().map(|p| self.estimate(p)).max().unwrap_or(1 << 20),
        }
    }
}
