//! Operators with one clause: `distinct`, `take`, `sort`/`top`, `count`,
//! `getschema`, `print`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int32Array, StringArray};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, SortExpr};
use kql_functions::types::kql_field;
use kql_syntax::Span;
use kql_syntax::ast::{Assignment, Expr, ExprKind, ScalarType, SortKey, SortOrder};

use super::{columns_of, project};
use crate::error::{PlanError, WithSpan, invalid};
use crate::expr::{column, evaluate_constant, named};
use crate::names::{derived_name, unique_name};
use crate::planner::Planner;

impl Planner<'_> {
    /// `distinct *` or `distinct a, b`.
    pub(crate) async fn plan_distinct(
        &mut self,
        input: LogicalPlan,
        columns: &[Expr],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let star = columns.is_empty() || columns.iter().any(|c| matches!(c.kind, ExprKind::Star));
        let mut keys = Vec::new();
        if star {
            keys = columns_of(&input).into_iter().map(|(n, t)| (column(&n), n, t)).collect();
        } else {
            for (i, c) in columns.iter().enumerate() {
                let t = self.plan_scalar(c, input.schema()).await?;
                let name = derived_name(c).unwrap_or_else(|| format!("Column{}", i + 1));
                keys.push((t.expr, name, t.ty));
            }
        }
        let group: Vec<DfExpr> =
            keys.iter().map(|(e, n, _)| super::summarize::plain_alias(e.clone(), n)).collect();
        let plan = LogicalPlanBuilder::from(input)
            .aggregate(group, Vec::<DfExpr>::new())
            .at(span)?
            .build()
            .at(span)?;
        project(plan, keys.into_iter().map(|(_, n, t)| (column(&n), n, t)).collect(), span)
    }

    /// `take n` / `limit n`.
    pub(crate) async fn plan_take(
        &mut self,
        input: LogicalPlan,
        count: &Expr,
    ) -> Result<LogicalPlan, PlanError> {
        let n = self.constant_count(count).await?;
        LogicalPlanBuilder::from(input).limit(0, Some(n)).at(count.span)?.build().at(count.span)
    }

    async fn constant_count(&mut self, count: &Expr) -> Result<usize, PlanError> {
        let t = self.plan_scalar(count, &datafusion::common::DFSchema::empty()).await?;
        let value = evaluate_constant(&t.expr, count.span)?;
        let n = match value {
            ScalarValue::Int64(Some(n)) => n,
            ScalarValue::Int32(Some(n)) => i64::from(n),
            _ => return invalid!(count.span, "expected a constant whole number of rows"),
        };
        match usize::try_from(n) {
            Ok(n) => Ok(n),
            Err(_) => invalid!(count.span, "the number of rows cannot be negative"),
        }
    }

    /// `sort by k [asc|desc] [nulls first|last], ...`, and with `limit` the
    /// `top n by k`. KQL sorts descending by default; nulls go last when
    /// descending and first when ascending unless told otherwise.
    pub(crate) async fn plan_sort(
        &mut self,
        input: LogicalPlan,
        keys: &[SortKey],
        limit: Option<&Expr>,
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let mut sort = Vec::new();
        for key in keys {
            let t = self.plan_scalar(&key.expr, input.schema()).await?;
            let asc = key.order.as_ref().is_some_and(|o| o.node == SortOrder::Asc);
            let nulls_first = key.nulls_first.unwrap_or(asc);
            sort.push(SortExpr::new(t.expr, asc, nulls_first));
        }
        let fetch = match limit {
            Some(n) => Some(self.constant_count(n).await?),
            None => None,
        };
        LogicalPlanBuilder::from(input).sort_with_limit(sort, fetch).at(span)?.build().at(span)
    }

    /// `count`: one row, one `Count` column.
    pub(crate) fn plan_count(&mut self, input: LogicalPlan, span: Span) -> Result<LogicalPlan, PlanError> {
        let count = datafusion::functions_aggregate::expr_fn::count(DfExpr::Literal(
            ScalarValue::Int64(Some(1)),
            None,
        ));
        let plan = LogicalPlanBuilder::from(input)
            .aggregate(Vec::<DfExpr>::new(), vec![named(count, "Count", ScalarType::Long)])
            .at(span)?
            .build()
            .at(span)?;
        project(plan, vec![(column("Count"), "Count".into(), ScalarType::Long)], span)
    }

    /// `getschema`: the input's columns as rows.
    pub(crate) fn plan_getschema(
        &mut self,
        input: &LogicalPlan,
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let columns = columns_of(input);
        let schema = Arc::new(Schema::new(vec![
            kql_field("ColumnName", ScalarType::String),
            kql_field("ColumnOrdinal", ScalarType::Int),
            kql_field("DataType", ScalarType::String),
            kql_field("ColumnType", ScalarType::String),
        ]));
        let names: ArrayRef =
            Arc::new(StringArray::from_iter_values(columns.iter().map(|(n, _)| n.as_str())));
        let ordinals: ArrayRef = Arc::new(Int32Array::from_iter_values(0..columns.len() as i32));
        let clr: ArrayRef =
            Arc::new(StringArray::from_iter_values(columns.iter().map(|(_, t)| clr_type(*t))));
        let types: ArrayRef = Arc::new(StringArray::from_iter_values(columns.iter().map(|(_, t)| t.name())));
        let batch = RecordBatch::try_new(schema.clone(), vec![names, ordinals, clr, types])
            .map_err(|e| PlanError::Internal { message: e.to_string(), span })?;
        let table = MemTable::try_new(schema, vec![vec![batch]]).at(span)?;
        let name = self.fresh_name("getschema");
        self.scan(&name, Arc::new(table), span)
    }

    /// `print a, x = b` over a one-row input.
    pub(crate) async fn plan_print(
        &mut self,
        one_row: LogicalPlan,
        items: &[Assignment],
    ) -> Result<LogicalPlan, PlanError> {
        let span = items.first().map_or(Span::default(), |a| a.span);
        let mut out: Vec<(DfExpr, String, ScalarType)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let t = self.plan_scalar(&item.expr, one_row.schema()).await?;
            let name = match item.names.first() {
                Some(n) => n.node.clone(),
                None => derived_name(&item.expr).unwrap_or_else(|| format!("print_{i}")),
            };
            let name = unique_name(&name, |n| out.iter().any(|(_, o, _)| o == n));
            out.push((t.expr, name, t.ty));
        }
        project(one_row, out, span)
    }
}

/// The .NET type name `getschema` prints in its `DataType` column.
fn clr_type(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::Bool => "System.SByte",
        ScalarType::Int => "System.Int32",
        ScalarType::Long => "System.Int64",
        ScalarType::Real => "System.Double",
        ScalarType::Decimal => "System.Data.SqlTypes.SqlDecimal",
        ScalarType::String => "System.String",
        ScalarType::DateTime => "System.DateTime",
        ScalarType::TimeSpan => "System.TimeSpan",
        ScalarType::Guid => "System.Guid",
        ScalarType::Dynamic => "System.Object",
    }
}
