//! Tabular sources (tables, `let`s, `externaldata`, `datatable`, `print`,
//! `materialize`, user functions) and the walk down a pipeline.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use futures::future::BoxFuture;
use kql_functions::types::{kql_field, kql_metadata, kql_type_of};
use kql_syntax::Span;
use kql_syntax::ast::{self, Expr, ExprKind, FunctionDef, ParamType, Statement};

use crate::env::{Binding, ExternalRequest};
use crate::error::{PlanError, WithSpan, did_you_mean, invalid, unsupported};
use crate::expr::Typed;
use crate::planner::Planner;

impl Planner<'_> {
    /// Plans a tabular expression.
    pub(crate) fn plan_tabular<'a>(
        &'a mut self,
        expr: &'a Expr,
    ) -> BoxFuture<'a, Result<LogicalPlan, PlanError>> {
        Box::pin(async move {
            match &expr.kind {
                ExprKind::Pipe { input, op } => {
                    let input = self.plan_tabular(input).await?;
                    self.plan_operator(input, op).await
                }
                ExprKind::Name(name) => self.plan_table_name(name).await,
                ExprKind::Call { func, args } => self.plan_tabular_call(func, args, expr.span).await,
                ExprKind::ExternalData { columns, uris, properties } => {
                    self.plan_externaldata(columns, uris, properties, expr.span).await
                }
                ExprKind::DataTable { columns, values } => {
                    self.plan_datatable(columns, values, expr.span).await
                }
                ExprKind::Print(items) => {
                    let one_row = LogicalPlanBuilder::empty(true).build().at(expr.span)?;
                    self.plan_print(one_row, items).await
                }
                ExprKind::Union(args) => self.plan_union(None, args, expr.span).await,
                ExprKind::Range { name, from, to, step } => {
                    self.plan_range(name, from, to, step, expr.span).await
                }
                ExprKind::UnsupportedSource { keyword } => {
                    unsupported!(keyword.span, "the `{}` operator", keyword.node)
                }
                _ => invalid!(expr.span, "a scalar expression cannot be used as a table here"),
            }
        })
    }

    /// A bare name in tabular position: a `let`, a parameterless function,
    /// or a loaded table.
    async fn plan_table_name(&mut self, name: &ast::Ident) -> Result<LogicalPlan, PlanError> {
        match self.lookup(&name.node).cloned() {
            Some(Binding::Tabular(plan)) => return Ok(plan.as_ref().clone()),
            Some(Binding::Function(def)) => {
                return self.call_user_function(&def, &[], name.span).await;
            }
            Some(Binding::Scalar(..)) => {
                return invalid!(name.span, "`{}` is a scalar, not a table", name.node);
            }
            None => {}
        }
        let Some(table) = self.env.tables.get(&name.node) else {
            let names: Vec<&str> =
                self.env.tables.keys().map(String::as_str).chain(self.bound_table_names()).collect();
            let help = did_you_mean(&name.node, names.iter().copied()).or_else(|| {
                if self.env.tables.is_empty() {
                    Some(
                        "no tables are loaded: pass `--data DIR` with exports such as `DeviceInfo.csv` \
                         (files ending in .csv, .json, .jsonl or .parquet)"
                            .into(),
                    )
                } else {
                    Some(format!("loaded tables: {}", names.join(", ")))
                }
            });
            return Err(PlanError::UnknownTable { name: name.node.clone(), span: name.span, help });
        };
        self.scan(&name.node, table.provider.clone(), name.span)
    }

    /// Scans a provider and renames its columns to plain, unqualified names
    /// carrying their KQL types.
    pub(crate) fn scan(
        &mut self,
        name: &str,
        provider: Arc<dyn TableProvider>,
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let schema = provider.schema();
        let source = provider_as_source(provider);
        // The table reference is bare and never parsed: names are case-exact
        // and may contain dots.
        let table_ref = datafusion::common::TableReference::bare(name);
        let scan = LogicalPlanBuilder::scan(table_ref, source, None).at(span)?.build().at(span)?;
        let exprs = schema.fields().iter().map(|f| {
            let ty = kql_type_of(f).unwrap_or(kql_syntax::ast::ScalarType::String);
            DfExpr::Column(Column::new(Some(datafusion::common::TableReference::bare(name)), f.name()))
                .alias_with_metadata(f.name(), Some(kql_metadata(ty).into()))
        });
        LogicalPlanBuilder::from(scan).project(exprs).at(span)?.build().at(span)
    }

    /// A call in tabular position: `materialize(...)`, `table("name")`, or a
    /// user-defined function.
    async fn plan_tabular_call(
        &mut self,
        func: &ast::Ident,
        args: &[Expr],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        match func.node.as_str() {
            "materialize" => {
                let [inner] = args else {
                    return invalid!(span, "`materialize` takes one tabular argument");
                };
                let plan = self.plan_tabular(inner).await?;
                self.materialize(plan, inner.span).await
            }
            "table" => {
                let [arg] = args else {
                    return invalid!(span, "`table` takes the table name as its argument");
                };
                let ExprKind::Literal(ast::Literal::String(name)) = &arg.kind else {
                    return invalid!(arg.span, "`table` needs a constant string");
                };
                let ident = ast::Ident::new(name.clone(), arg.span);
                self.plan_table_name(&ident).await
            }
            name => match self.lookup(name).cloned() {
                Some(Binding::Function(def)) => self.call_user_function(&def, args, span).await,
                _ => invalid!(func.span, "`{name}(...)` does not produce a table"),
            },
        }
    }

    /// Runs `plan` now and returns a scan of its result, as Kusto's
    /// `materialize` caches a tabular value for the rest of the query.
    pub(crate) async fn materialize(
        &mut self,
        plan: LogicalPlan,
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let schema = Arc::new(plan.schema().as_arrow().clone());
        let batches = self.execute(plan, span).await?;
        let table = MemTable::try_new(schema, vec![batches]).at(span)?;
        let name = self.fresh_name("materialized");
        self.scan(&name, Arc::new(table), span)
    }

    /// Executes a plan while planning (for `materialize` and `toscalar`).
    pub(crate) async fn execute(
        &mut self,
        plan: LogicalPlan,
        span: Span,
    ) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, PlanError> {
        let df = self
            .env
            .ctx
            .execute_logical_plan(plan)
            .await
            .map_err(|e| PlanError::Exec { message: e.to_string(), span })?;
        df.collect().await.map_err(|e| PlanError::Exec { message: e.to_string(), span })
    }

    /// Inlines a user-defined function: binds its parameters in a new scope
    /// and plans its body.
    pub(crate) fn call_user_function<'a>(
        &'a mut self,
        def: &'a FunctionDef,
        args: &'a [Expr],
        span: Span,
    ) -> BoxFuture<'a, Result<LogicalPlan, PlanError>> {
        Box::pin(async move {
            self.enter_function(def, args, span, &DFSchema::empty()).await?;
            let result = match self.function_result(def, span).await {
                Ok(e) => self.plan_tabular(e).await,
                Err(e) => Err(e),
            };
            self.leave_function();
            result
        })
    }

    /// Pushes a scope holding a function's parameters bound to `args`,
    /// which are planned over the caller's rows (`schema`).
    pub(crate) async fn enter_function(
        &mut self,
        def: &FunctionDef,
        args: &[Expr],
        span: Span,
        schema: &DFSchema,
    ) -> Result<(), PlanError> {
        if self.depth > 64 {
            return invalid!(
                span,
                "user-defined functions nest too deeply (recursion is not allowed in KQL)"
            );
        }
        if args.len() > def.params.len() {
            return Err(PlanError::Type {
                message: format!("this function takes {} arguments, {} given", def.params.len(), args.len()),
                span,
                help: None,
            });
        }
        let mut scope = std::collections::HashMap::new();
        for (i, param) in def.params.iter().enumerate() {
            let arg = args.get(i).or(param.default.as_ref());
            let Some(arg) = arg else {
                return Err(PlanError::Type {
                    message: format!("missing argument `{}`", param.name.node),
                    span,
                    help: None,
                });
            };
            let binding = match &param.ty {
                ParamType::Tabular(_) => Binding::Tabular(Arc::new(self.plan_tabular(arg).await?)),
                ParamType::Scalar(_) => {
                    let Typed { expr, ty } = self.plan_scalar(arg, schema).await?;
                    Binding::Scalar(expr, ty)
                }
            };
            scope.insert(param.name.node.clone(), binding);
        }
        self.scopes.push(scope);
        self.depth += 1;
        Ok(())
    }

    /// Binds the `let`s of a function body (in the scope `enter_function`
    /// pushed) and returns its result expression.
    pub(crate) async fn function_result<'d>(
        &mut self,
        def: &'d FunctionDef,
        span: Span,
    ) -> Result<&'d Expr, PlanError> {
        let mut result = None;
        for statement in &def.body {
            match statement {
                Statement::Let(l) => {
                    let binding = self.plan_let_value(&l.value).await?;
                    self.bind(&l.name.node, binding);
                }
                Statement::Query(e) => result = Some(e),
                Statement::Unsupported { keyword, span } => {
                    return unsupported!(*span, "the `{}` statement", keyword.node);
                }
            }
        }
        match result {
            Some(e) => Ok(e),
            None => invalid!(span, "the function body has no result expression"),
        }
    }

    /// Pops the scope of the function `enter_function` entered.
    pub(crate) fn leave_function(&mut self) {
        self.scopes.pop();
        self.depth -= 1;
    }

    /// `externaldata`: fetched now, through the environment's provider.
    async fn plan_externaldata(
        &mut self,
        columns: &[ast::ColumnDecl],
        uris: &[Expr],
        properties: &[ast::NamedArg],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        let empty = DFSchema::empty();
        let mut uri_texts = Vec::new();
        for uri in uris {
            uri_texts.push(self.constant_string(uri, &empty).await?);
        }
        let mut props = Vec::new();
        for p in properties {
            let value = match &p.value.kind {
                ExprKind::Name(n) => n.node.clone(),
                ExprKind::Literal(ast::Literal::Bool(b)) => b.to_string(),
                ExprKind::Literal(ast::Literal::String(s)) => s.clone(),
                ExprKind::Literal(ast::Literal::Long(n)) => n.to_string(),
                _ => return invalid!(p.value.span, "an `externaldata` property must be a constant"),
            };
            props.push((p.name.node.clone(), value));
        }
        let request = ExternalRequest {
            columns: columns.iter().map(|c| (c.name.node.clone(), c.ty.node)).collect(),
            uris: uri_texts,
            properties: props,
        };
        let uri_span = uris.first().map_or(span, |u| u.span);
        let Some(provider) = self.env.external.clone() else {
            return unsupported!(uri_span, "`externaldata` in this context");
        };
        let batches = provider.fetch(&request).await.map_err(|e| PlanError::ExternalData {
            message: e.to_string(),
            span: uri_span,
            help: Some(
                "to read a local copy instead, map the URL with `--externaldata URL=PATH` \
                 or an `externaldata.toml` beside the data"
                    .into(),
            ),
            source: Some(e),
        })?;
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(
            columns.iter().map(|c| kql_field(c.name.node.clone(), c.ty.node)).collect::<Vec<_>>(),
        ));
        let batches = batches
            .into_iter()
            .map(|b| b.with_schema(schema.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PlanError::ExternalData {
                message: format!("the fetched data does not match the declared columns: {e}"),
                span: uri_span,
                help: None,
                source: None,
            })?;
        let table = MemTable::try_new(schema, vec![batches]).at(span)?;
        let name = self.fresh_name("externaldata");
        self.scan(&name, Arc::new(table), span)
    }

    /// `datatable (a: long, ...) [ values ]`.
    async fn plan_datatable(
        &mut self,
        columns: &[ast::ColumnDecl],
        values: &[Expr],
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        if columns.is_empty() {
            return invalid!(span, "`datatable` needs at least one column");
        }
        if !values.len().is_multiple_of(columns.len()) {
            return invalid!(
                span,
                "`datatable` has {} values, not a multiple of its {} columns",
                values.len(),
                columns.len()
            );
        }
        let empty = DFSchema::empty();
        let mut rows = Vec::new();
        for chunk in values.chunks(columns.len()) {
            let mut row = Vec::new();
            for (value, column) in chunk.iter().zip(columns) {
                let scalar = self.constant_of_type(value, column.ty.node, &empty).await?;
                row.push(scalar);
            }
            rows.push(row);
        }
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(
            columns.iter().map(|c| kql_field(c.name.node.clone(), c.ty.node)).collect::<Vec<_>>(),
        ));
        let mut arrays = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            let column: Vec<ScalarValue> = rows.iter().map(|r| r[i].clone()).collect();
            let array = if column.is_empty() {
                datafusion::arrow::array::new_empty_array(field.data_type())
            } else {
                ScalarValue::iter_to_array(column).at(span)?
            };
            arrays.push(array);
        }
        let batch = datafusion::arrow::record_batch::RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|e| PlanError::Internal { message: e.to_string(), span })?;
        let table = MemTable::try_new(schema, vec![vec![batch]]).at(span)?;
        let name = self.fresh_name("datatable");
        self.scan(&name, Arc::new(table), span)
    }

    /// `range x from a to b step s`: a one-column table of `a`, `a + s`, ...
    /// up to `b` inclusive, for numbers, datetimes (with a timespan step)
    /// and timespans.
    async fn plan_range(
        &mut self,
        name: &ast::Ident,
        from: &Expr,
        to: &Expr,
        step: &Expr,
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        use datafusion::arrow::array::{
            ArrayRef, DurationNanosecondArray, Float64Array, Int64Array, TimestampNanosecondArray,
        };
        use kql_syntax::ast::ScalarType as T;
        const MAX_ROWS: usize = 10_000_000;
        let (from_ty, a) = self.constant_value(from).await?;
        let (_, b) = self.constant_value(to).await?;
        let (step_ty, s) = self.constant_value(step).await?;
        let too_many = || PlanError::Invalid {
            message: format!("`range` would make more than {MAX_ROWS} rows"),
            span,
            help: Some("use a larger step or a smaller range".into()),
        };
        let as_i64 = |v: &ScalarValue| -> Option<i64> {
            match v {
                ScalarValue::Int64(Some(x)) => Some(*x),
                ScalarValue::Int32(Some(x)) => Some(i64::from(*x)),
                ScalarValue::TimestampNanosecond(Some(x), _) => Some(*x),
                ScalarValue::DurationNanosecond(Some(x)) => Some(*x),
                _ => None,
            }
        };
        let ints = |a: i64, b: i64, s: i64| -> Result<Vec<i64>, PlanError> {
            if s == 0 {
                return invalid!(step.span, "the `range` step cannot be zero");
            }
            let n = if (s > 0 && a > b) || (s < 0 && a < b) {
                0
            } else {
                (i128::from(b) - i128::from(a)) / i128::from(s) + 1
            };
            if n > MAX_ROWS as i128 {
                return Err(too_many());
            }
            // Every value lies between `a` and `b`, so none overflows.
            Ok((0..n as i64).map(|i| a + i * s).collect())
        };
        let (ty, array): (T, ArrayRef) = match (from_ty, step_ty) {
            (T::Int | T::Long, T::Int | T::Long) => {
                let (Some(a), Some(b), Some(s)) = (as_i64(&a), as_i64(&b), as_i64(&s)) else {
                    return invalid!(span, "`range` needs constant, non-null bounds and step");
                };
                (T::Long, Arc::new(Int64Array::from(ints(a, b, s)?)))
            }
            (T::DateTime, T::TimeSpan) | (T::TimeSpan, T::TimeSpan) => {
                let (Some(a), Some(b), Some(s)) = (as_i64(&a), as_i64(&b), as_i64(&s)) else {
                    return invalid!(span, "`range` needs constant, non-null bounds and step");
                };
                let values = ints(a, b, s)?;
                if from_ty == T::DateTime {
                    (T::DateTime, Arc::new(TimestampNanosecondArray::from(values)))
                } else {
                    (T::TimeSpan, Arc::new(DurationNanosecondArray::from(values)))
                }
            }
            (T::Real | T::Int | T::Long, T::Real | T::Int | T::Long) => {
                let f = |v: &ScalarValue| v.cast_to(&datafusion::arrow::datatypes::DataType::Float64).ok();
                let (
                    Some(ScalarValue::Float64(Some(a))),
                    Some(ScalarValue::Float64(Some(b))),
                    Some(ScalarValue::Float64(Some(s))),
                ) = (f(&a), f(&b), f(&s))
                else {
                    return invalid!(span, "`range` needs constant, non-null bounds and step");
                };
                if s == 0.0 || !s.is_finite() {
                    return invalid!(step.span, "the `range` step must be a non-zero number");
                }
                let n = ((b - a) / s).floor();
                if n >= MAX_ROWS as f64 {
                    return Err(too_many());
                }
                let n = if n < 0.0 { 0 } else { n as usize + 1 };
                (T::Real, Arc::new(Float64Array::from((0..n).map(|i| a + i as f64 * s).collect::<Vec<_>>())))
            }
            (f, st) => {
                return Err(PlanError::Type {
                    message: format!("`range` cannot step a `{f}` by a `{st}`"),
                    span,
                    help: None,
                });
            }
        };
        let schema =
            Arc::new(datafusion::arrow::datatypes::Schema::new(vec![kql_field(name.node.clone(), ty)]));
        let batch = datafusion::arrow::record_batch::RecordBatch::try_new(schema.clone(), vec![array])
            .map_err(|e| PlanError::Internal { message: e.to_string(), span })?;
        let table = MemTable::try_new(schema, vec![vec![batch]]).at(span)?;
        let table_name = self.fresh_name("range");
        self.scan(&table_name, Arc::new(table), span)
    }

    /// A constant expression's KQL type and value.
    async fn constant_value(
        &mut self,
        e: &Expr,
    ) -> Result<(kql_syntax::ast::ScalarType, ScalarValue), PlanError> {
        let t = self.plan_scalar(e, &DFSchema::empty()).await?;
        let v = crate::expr::evaluate_constant(&t.expr, e.span)?;
        Ok((t.ty, v))
    }

    /// A constant string (a literal or a scalar `let`).
    pub(crate) async fn constant_string(
        &mut self,
        expr: &Expr,
        schema: &DFSchema,
    ) -> Result<String, PlanError> {
        match self.constant_of_type(expr, kql_syntax::ast::ScalarType::String, schema).await? {
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                Ok(s)
            }
            _ => invalid!(expr.span, "expected a constant string"),
        }
    }

    /// Evaluates a constant expression to a value of KQL type `ty`.
    pub(crate) async fn constant_of_type(
        &mut self,
        expr: &Expr,
        ty: kql_syntax::ast::ScalarType,
        schema: &DFSchema,
    ) -> Result<ScalarValue, PlanError> {
        let typed = self.plan_scalar(expr, schema).await?;
        let target = kql_functions::types::arrow_type(ty);
        let value = crate::expr::evaluate_constant(&typed.expr, expr.span)?;
        if value.data_type() == target {
            return Ok(value);
        }
        if value.is_null() {
            return ScalarValue::try_from(&target).at(expr.span);
        }
        value.cast_to(&target).map_err(|_| PlanError::Type {
            message: format!("expected a value of type `{ty}`, found `{}`", typed.ty),
            span: expr.span,
            help: None,
        })
    }
}
