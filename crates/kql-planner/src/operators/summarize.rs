//! `summarize`, with `arg_max` / `arg_min`.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, SortExpr};
use kql_functions::registry::{self, FunctionKind};
use kql_syntax::Span;
use kql_syntax::ast::{Assignment, Expr, ExprKind, NamedArg, ScalarType};

use super::{columns_of, project};
use crate::error::{PlanError, WithSpan, did_you_mean, invalid, unsupported};
use crate::expr::{column, fn_error, type_of};
use crate::names::{aggregate_name, derived_name, unique_name};
use crate::planner::Planner;

/// One `arg_max(E, cols...)` or `arg_min(E, cols...)`.
struct ArgExtreme<'a> {
    max: bool,
    by: &'a Expr,
    returns: &'a [Expr],
    name: Option<String>,
    span: Span,
}

impl Planner<'_> {
    /// `summarize aggs by keys`. Output: the keys, then the aggregates, in
    /// the order written.
    pub(crate) async fn plan_summarize(
        &mut self,
        input: LogicalPlan,
        params: &[NamedArg],
        aggregates: &[Assignment],
        by: &[Assignment],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        for p in params {
            if !p.name.node.starts_with("hint.") {
                return unsupported!(p.span, "the `summarize` parameter `{}`", p.name.node);
            }
        }

        // Grouping keys, computed and named first.
        let mut taken: Vec<String> = Vec::new();
        let mut keys: Vec<(DfExpr, String, ScalarType)> = Vec::new();
        let mut unnamed = 0;
        for key in by {
            if key.names.len() > 1 {
                return invalid!(key.span, "a grouping key has a single name");
            }
            let t = self.plan_scalar(&key.expr, input.schema()).await?;
            let name = match (key.names.first(), derived_name(&key.expr)) {
                (Some(n), _) => n.node.clone(),
                (None, Some(n)) => n,
                (None, None) => {
                    unnamed += 1;
                    format!("Column{unnamed}")
                }
            };
            let name = unique_name(&name, |n| taken.iter().any(|t| t == n));
            taken.push(name.clone());
            keys.push((t.expr, name, t.ty));
        }

        // A lone arg_max / arg_min keeps whole rows: number the rows of each
        // group by the maximised value and keep the first.
        if let [single] = aggregates
            && let Some(extreme) = as_arg_extreme(single)
        {
            return self.plan_arg_extreme(input, keys, taken, extreme).await;
        }

        let mut aggs: Vec<(DfExpr, String, ScalarType)> = Vec::new();
        for agg in aggregates {
            if let Some(extreme) = as_arg_extreme(agg) {
                let picked = self.arg_extreme_as_aggregates(&input, &keys, &mut taken, &extreme).await?;
                aggs.extend(picked);
                continue;
            }
            let (expr, ty) = self.plan_aggregate(&agg.expr, input.schema()).await?;
            let base = match (agg.names.first(), &agg.expr.kind) {
                (Some(n), _) => n.node.clone(),
                (None, ExprKind::Call { func, args }) => aggregate_name(&func.node, args),
                (None, _) => "Column1".to_string(),
            };
            let name = unique_name(&base, |n| taken.iter().any(|t| t == n));
            taken.push(name.clone());
            aggs.push((expr, name, ty));
        }

        // Plain aliases inside the aggregate: DataFusion's rewrite of a lone
        // distinct count loses alias metadata between its logical and
        // physical plans. The projection after it records the KQL types.
        let group: Vec<DfExpr> = keys.iter().map(|(e, n, _)| plain_alias(e.clone(), n)).collect();
        let agg_exprs: Vec<DfExpr> = aggs.iter().map(|(e, n, _)| plain_alias(e.clone(), n)).collect();
        let plan = LogicalPlanBuilder::from(input).aggregate(group, agg_exprs).at(span)?.build().at(span)?;
        let out = keys.iter().chain(&aggs).map(|(_, n, t)| (column(n), n.clone(), *t)).collect();
        project(plan, out, span)
    }

    /// Plans an aggregation call such as `count()` or `dcount(x)`.
    async fn plan_aggregate(
        &mut self,
        expr: &Expr,
        schema: &datafusion::common::DFSchema,
    ) -> Result<(DfExpr, ScalarType), PlanError> {
        let ExprKind::Call { func, args } = &expr.kind else {
            return invalid!(expr.span, "`summarize` needs an aggregation function here, such as `count()`");
        };
        let Some(def) = registry::lookup(&func.node) else {
            if let Some(why) = crate::expr::known_unsupported(&func.node) {
                return Err(PlanError::Unsupported {
                    what: format!("the KQL function `{}`", func.node),
                    span: func.span,
                    help: Some(why.to_string()),
                });
            }
            let help = did_you_mean(
                &func.node,
                registry::all().filter(|d| d.kind == FunctionKind::Aggregate).map(|d| d.name),
            );
            return Err(PlanError::UnknownFunction { name: func.node.clone(), span: func.span, help });
        };
        if def.kind != FunctionKind::Aggregate {
            return unsupported!(
                expr.span,
                "a scalar expression over aggregations in `summarize` (`{}` is not an aggregation)",
                func.node
            );
        }
        let planned = self.plan_args(args, schema).await?;
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        let typed =
            (def.build)(&self.call, planned).map_err(|e| fn_error(e, &func.node, func.span, &spans))?;
        Ok((typed.expr, typed.ty))
    }

    async fn plan_arg_extreme(
        &mut self,
        input: LogicalPlan,
        keys: Vec<(DfExpr, String, ScalarType)>,
        mut taken: Vec<String>,
        extreme: ArgExtreme<'_>,
    ) -> Result<LogicalPlan, PlanError> {
        let span = extreme.span;
        let by = self.plan_scalar(extreme.by, input.schema()).await?;
        let returns = self.expand_returns(&input, &keys, &extreme).await?;

        // Number rows within each group, the extreme first. Nulls of the
        // maximised value come last, so they are only picked when the whole
        // group is null, as in Kusto.
        let rn = self.fresh_name("rn");
        let partition: Vec<DfExpr> = keys.iter().map(|(e, _, _)| e.clone()).collect();
        let order = vec![SortExpr::new(by.expr.clone(), !extreme.max, false)];
        let window = datafusion::functions_window::expr_fn::row_number()
            .partition_by(partition)
            .order_by(order)
            .build()
            .at(span)?
            .alias(&rn);
        let plan = LogicalPlanBuilder::from(input).window(vec![window]).at(span)?.build().at(span)?;
        let plan = LogicalPlanBuilder::from(plan)
            .filter(column(&rn).eq(DfExpr::Literal(ScalarValue::UInt64(Some(1)), None)))
            .at(span)?
            .build()
            .at(span)?;

        let mut out: Vec<(DfExpr, String, ScalarType)> = keys;
        let by_name = extreme
            .name
            .clone()
            .or_else(|| derived_name(extreme.by))
            .unwrap_or_else(|| if extreme.max { "max_".to_string() } else { "min_".to_string() });
        let by_name = unique_name(&by_name, |n| taken.iter().any(|t| t == n));
        taken.push(by_name.clone());
        out.push((by.expr, by_name, by.ty));
        for (expr, name, ty) in returns {
            let name = unique_name(&name, |n| taken.iter().any(|t| t == n));
            taken.push(name.clone());
            out.push((expr, name, ty));
        }
        project(plan, out, span)
    }

    /// The columns an arg_max/arg_min returns: `*` is every input column
    /// but the grouping keys and the maximised column.
    async fn expand_returns(
        &mut self,
        input: &LogicalPlan,
        keys: &[(DfExpr, String, ScalarType)],
        extreme: &ArgExtreme<'_>,
    ) -> Result<Vec<(DfExpr, String, ScalarType)>, PlanError> {
        let by_column = match &extreme.by.kind {
            ExprKind::Name(n) => Some(n.node.as_str()),
            _ => None,
        };
        let key_columns: Vec<&str> = keys
            .iter()
            .filter_map(|(e, _, _)| match e {
                DfExpr::Column(c) => Some(c.name.as_str()),
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for r in extreme.returns {
            if let ExprKind::Star = r.kind {
                for (name, ty) in columns_of(input) {
                    if Some(name.as_str()) == by_column || key_columns.contains(&name.as_str()) {
                        continue;
                    }
                    out.push((column(&name), name, ty));
                }
                continue;
            }
            let t = self.plan_scalar(r, input.schema()).await?;
            let name = derived_name(r).unwrap_or_else(|| "Column1".to_string());
            out.push((t.expr, name, t.ty));
        }
        Ok(out)
    }

    /// arg_max/arg_min beside other aggregations: each returned column is a
    /// `first_value` ordered by the maximised value.
    async fn arg_extreme_as_aggregates(
        &mut self,
        input: &LogicalPlan,
        keys: &[(DfExpr, String, ScalarType)],
        taken: &mut Vec<String>,
        extreme: &ArgExtreme<'_>,
    ) -> Result<Vec<(DfExpr, String, ScalarType)>, PlanError> {
        let by = self.plan_scalar(extreme.by, input.schema()).await?;
        let order = || vec![SortExpr::new(by.expr.clone(), !extreme.max, false)];
        let first = datafusion::functions_aggregate::expr_fn::first_value;
        let mut out = Vec::new();
        let by_name =
            extreme.name.clone().or_else(|| derived_name(extreme.by)).unwrap_or_else(|| "max_".into());
        let by_name = unique_name(&by_name, |n| taken.iter().any(|t| t == n));
        taken.push(by_name.clone());
        let by_ty = type_of(&by.expr, input.schema(), extreme.span)?;
        out.push((first(by.expr.clone(), order()), by_name, by_ty));
        for (expr, name, ty) in self.expand_returns(input, keys, extreme).await? {
            let name = unique_name(&name, |n| taken.iter().any(|t| t == n));
            taken.push(name.clone());
            out.push((first(expr, order()), name, ty));
        }
        Ok(out)
    }
}

/// `expr AS name` without field metadata.
pub(crate) fn plain_alias(expr: DfExpr, name: &str) -> DfExpr {
    match expr {
        DfExpr::Alias(alias) => alias.expr.alias(name),
        other => other.alias(name),
    }
}

fn as_arg_extreme(agg: &Assignment) -> Option<ArgExtreme<'_>> {
    let ExprKind::Call { func, args } = &agg.expr.kind else { return None };
    let max = match func.node.as_str() {
        "arg_max" | "argmax" => true,
        "arg_min" | "argmin" => false,
        _ => return None,
    };
    let (by, returns) = args.split_first()?;
    Some(ArgExtreme { max, by, returns, name: agg.names.first().map(|n| n.node.clone()), span: agg.span })
}
