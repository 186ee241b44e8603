//! `mv-expand`: one row per element of dynamic arrays and property bags.
//!
//! Each expanded expression becomes an Arrow list of dynamic texts
//! ([`kql_functions::mv_expand_items`]), DataFusion unnests all the lists of
//! a row together (zip-like, the shorter ones padded with nulls), and a last
//! projection restores Kusto's shape: an expanded input column stays where
//! it was, a new one is appended, the `with_itemindex` column comes last.

use datafusion::common::{Column, UnnestOptions};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use kql_functions::BagExpansion;
use kql_syntax::Span;
use kql_syntax::ast::{Expr, ExprKind, Operator, OperatorKind, ScalarType};

use super::{columns_of, project};
use crate::error::{PlanError, WithSpan, invalid, unsupported};
use crate::expr::{column, evaluate_constant};
use crate::names::{derived_name, unique_name};
use crate::planner::Planner;

/// The row limit of the legacy `mvexpand` spelling.
const LEGACY_LIMIT: usize = 128;

/// One expanded expression, planned.
struct Expansion {
    /// The output column name.
    name: String,
    /// The internal column holding the list, later its elements.
    list: String,
    /// `to typeof(T)`, else `dynamic`.
    ty: ScalarType,
}

impl Planner<'_> {
    /// `mv-expand [bagexpansion=bag|array] [with_itemindex=I] col [to typeof(T)], ... [limit n]`.
    pub(crate) async fn plan_mv_expand(
        &mut self,
        input: LogicalPlan,
        op: &Operator,
    ) -> Result<LogicalPlan, PlanError> {
        let OperatorKind::MvExpand { params, columns: items, types, limit } = &op.kind else {
            return invalid!(op.span, "not an `mv-expand` operator");
        };
        let span = op.span;
        // The legacy spelling `mvexpand` has a default row limit.
        let legacy = op.keyword.end - op.keyword.start == "mvexpand".len();

        // Parameters.
        let mut bags = BagExpansion::Bag;
        let mut index_name: Option<(String, Span)> = None;
        for p in params {
            let word = match &p.value.kind {
                ExprKind::Name(n) => n.node.clone(),
                _ => return invalid!(p.value.span, "`{}` takes a bare word", p.name.node),
            };
            match (p.name.node.as_str(), word.as_str()) {
                ("bagexpansion" | "kind", "bag") => bags = BagExpansion::Bag,
                ("bagexpansion" | "kind", "array") => bags = BagExpansion::Array,
                ("bagexpansion" | "kind", other) => {
                    return invalid!(p.value.span, "unknown bag expansion `{other}`: use `bag` or `array`");
                }
                ("with_itemindex", _) => index_name = Some((word, p.value.span)),
                (other, _) => return unsupported!(p.span, "the `mv-expand` parameter `{other}`"),
            }
        }
        let limit = match limit {
            Some(n) => self.row_limit(n).await?,
            None if legacy => LEGACY_LIMIT,
            None => usize::MAX,
        };

        // The lists, computed next to the input columns.
        let input_columns = columns_of(&input);
        let mut list_exprs: Vec<(DfExpr, String)> = Vec::new();
        let mut expansions: Vec<Expansion> = Vec::new();
        let mut unnamed = 0usize;
        for (i, item) in items.iter().enumerate() {
            if item.names.len() > 1 {
                return invalid!(item.span, "an expanded expression has a single name");
            }
            let t = self.plan_scalar(&item.expr, input.schema()).await?;
            if t.ty != ScalarType::Dynamic {
                return Err(PlanError::Type {
                    message: format!("`mv-expand` needs a `dynamic` value, got `{}`", t.ty),
                    span: item.expr.span,
                    help: Some("convert it with `todynamic(...)` or `parse_json(...)`".into()),
                });
            }
            let name = match (item.names.first(), derived_name(&item.expr)) {
                (Some(n), _) => n.node.clone(),
                (None, Some(n)) => n,
                (None, None) => {
                    unnamed += 1;
                    let taken = |n: &str| input_columns.iter().any(|(c, _)| c == n);
                    unique_name(&format!("Column{unnamed}"), taken)
                }
            };
            if expansions.iter().any(|e| e.name == name) {
                return invalid!(item.span, "the column `{name}` is expanded twice");
            }
            let ty = types.get(i).and_then(|t| t.as_ref()).map_or(ScalarType::Dynamic, |t| t.node);
            let list = self.fresh_name("mvx");
            list_exprs.push((kql_functions::mv_expand_items(t.expr, bags, limit), list.clone()));
            expansions.push(Expansion { name, list, ty });
        }
        let mut exprs: Vec<DfExpr> = input_columns.iter().map(|(n, _)| column(n)).collect();
        exprs.extend(list_exprs.into_iter().map(|(e, n)| e.alias(n)));
        let mut plan = LogicalPlanBuilder::from(input).project(exprs).at(span)?.build().at(span)?;

        // The item index, as long as the longest list of the row.
        let index = match index_name {
            Some((wanted, _)) => {
                let list = self.fresh_name("mvx_index");
                let lists = expansions.iter().map(|e| column(&e.list)).collect();
                let mut exprs: Vec<DfExpr> =
                    plan.schema().fields().iter().map(|f| column(f.name())).collect();
                exprs.push(kql_functions::mv_expand_index(lists).alias(&list));
                plan = LogicalPlanBuilder::from(plan).project(exprs).at(span)?.build().at(span)?;
                Some((wanted, list))
            }
            None => None,
        };

        // One row per element.
        let mut lists: Vec<Column> = expansions.iter().map(|e| Column::from_name(&e.list)).collect();
        if let Some((_, list)) = &index {
            lists.push(Column::from_name(list));
        }
        let options = UnnestOptions::new().with_preserve_nulls(true);
        let plan = LogicalPlanBuilder::from(plan)
            .unnest_columns_with_options(lists, options)
            .at(span)?
            .build()
            .at(span)?;

        // Kusto's shape.
        let value = |e: &Expansion| -> Result<DfExpr, PlanError> {
            let elem = column(&e.list);
            match kql_functions::convert(elem, ScalarType::Dynamic, e.ty) {
                Some(converted) => Ok(converted),
                None => invalid!(span, "a dynamic value cannot be converted to `{}`", e.ty),
            }
        };
        let mut out: Vec<(DfExpr, String, ScalarType)> = Vec::new();
        for (name, ty) in &input_columns {
            match expansions.iter().find(|e| e.name == *name) {
                Some(e) => out.push((value(e)?, name.clone(), e.ty)),
                None => out.push((column(name), name.clone(), *ty)),
            }
        }
        for e in expansions.iter().filter(|e| !input_columns.iter().any(|(n, _)| *n == e.name)) {
            out.push((value(e)?, e.name.clone(), e.ty));
        }
        if let Some((wanted, list)) = index {
            let name = unique_name(&wanted, |n| out.iter().any(|(_, o, _)| o == n));
            out.push((column(&list), name, ScalarType::Long));
        }
        project(plan, out, span)
    }

    /// The constant of `limit n`.
    async fn row_limit(&mut self, n: &Expr) -> Result<usize, PlanError> {
        let t = self.plan_scalar(n, &datafusion::common::DFSchema::empty()).await?;
        let value = evaluate_constant(&t.expr, n.span)?;
        let n_value = match value {
            datafusion::common::ScalarValue::Int64(Some(v)) => v,
            datafusion::common::ScalarValue::Int32(Some(v)) => i64::from(v),
            _ => return invalid!(n.span, "`limit` takes a constant whole number"),
        };
        match usize::try_from(n_value) {
            Ok(v) => Ok(v),
            Err(_) => invalid!(n.span, "`limit` cannot be negative"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{error_code, run};

    #[tokio::test]
    async fn arrays_expand_in_place_and_in_parallel() {
        let (header, rows) = run(
            r#"datatable (a: int, b: dynamic, c: dynamic)[1, dynamic(["x", "y", "z"]), dynamic([10, 20]), 2, dynamic([]), dynamic(null)]
               | mv-expand b, c"#,
        )
        .await;
        assert_eq!(header, ["a:int", "b:dynamic", "c:dynamic"]);
        // The empty array gives no row of its own, but the null of `c` is one element.
        assert_eq!(rows, [["1", "\"x\"", "10"], ["1", "\"y\"", "20"], ["1", "\"z\"", ""], ["2", "", ""],]);
    }

    #[tokio::test]
    async fn empty_arrays_drop_the_row() {
        let (_, rows) =
            run(r#"datatable (a: int, b: dynamic)[1, dynamic([]), 2, dynamic({}), 3, dynamic([7])] | mv-expand b"#).await;
        assert_eq!(rows, [["3", "7"]]);
    }

    #[tokio::test]
    async fn bags_expand_per_key() {
        let q = r#"print p = dynamic({"prop1": "a1", "prop2": "b1"})"#;
        let (_, rows) = run(&format!("{q} | mv-expand p")).await;
        assert_eq!(rows, [[r#"{"prop1":"a1"}"#], [r#"{"prop2":"b1"}"#]]);
        let (_, rows) = run(&format!("{q} | mv-expand bagexpansion=array p")).await;
        assert_eq!(rows, [[r#"["prop1","a1"]"#], [r#"["prop2","b1"]"#]]);
    }

    #[tokio::test]
    async fn typed_named_indexed_and_limited() {
        let (header, rows) = run(r#"datatable (a: int, b: dynamic)[1, dynamic([5, 6, 7])]
               | mv-expand with_itemindex=a z = b to typeof(long) limit 2"#)
        .await;
        assert_eq!(header, ["a:int", "b:dynamic", "z:long", "a1:long"]);
        assert_eq!(rows, [["1", "[5,6,7]", "5", "0"], ["1", "[5,6,7]", "6", "1"]]);
    }

    #[tokio::test]
    async fn expressions_get_kusto_names() {
        let (header, rows) = run(r#"print d = dynamic({"x": [1, 2]}) | mv-expand d.x, pack_array(3)"#).await;
        assert_eq!(header, ["d:dynamic", "d_x:dynamic", "Column1:dynamic"]);
        assert_eq!(rows, [[r#"{"x":[1,2]}"#, "1", "3"], [r#"{"x":[1,2]}"#, "2", ""]]);
    }

    #[tokio::test]
    async fn strings_to_typeof_string() {
        let (header, rows) = run(r#"print s = dynamic(["a", "b"]) | mv-expand s to typeof(string)"#).await;
        assert_eq!(header, ["s:string"]);
        assert_eq!(rows, [["a"], ["b"]]);
    }

    #[tokio::test]
    async fn non_dynamic_is_a_type_error() {
        assert_eq!(error_code(r#"print s = "x" | mv-expand s"#).await, "kql::plan::type_mismatch");
    }
}
