//! Scalar expressions: AST to DataFusion `Expr`, with KQL types.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema, TimeUnit};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::execution::context::ExecutionProps;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprSchemable, LogicalPlanBuilder, Operator as DfOp, binary_expr, cast, in_list,
    in_subquery, not,
};
use datafusion::physical_expr::create_physical_expr;
use futures::future::BoxFuture;
use kql_functions::Member;
use kql_functions::registry::{self, Arg, FnError, FunctionKind};
use kql_functions::types::{kql_metadata, kql_type_of};
use kql_syntax::Span;
use kql_syntax::ast::{BinaryOp, Expr, ExprKind, Literal, ScalarType, SetOp, StrOp, UnaryOp};

use crate::env::Binding;
use crate::error::{PlanError, WithSpan, did_you_mean, invalid, unsupported};
use crate::literal::literal;
use crate::planner::Planner;

pub(crate) use kql_functions::registry::Typed;

/// A reference to a column by its exact name.
pub(crate) fn column(name: &str) -> DfExpr {
    DfExpr::Column(Column::from_name(name))
}

/// The KQL type of `expr` over `schema`.
pub(crate) fn type_of(expr: &DfExpr, schema: &DFSchema, span: Span) -> Result<ScalarType, PlanError> {
    let (_, field) = expr.to_field(schema).at(span)?;
    kql_type_of(&field).ok_or_else(|| PlanError::Internal {
        message: format!("no KQL type for Arrow type {}", field.data_type()),
        span,
    })
}

/// `expr AS name`, recording `ty` in the field metadata.
pub(crate) fn named(expr: DfExpr, name: &str, ty: ScalarType) -> DfExpr {
    let expr = match expr {
        // Re-aliasing an alias would nest; keep the inner expression.
        DfExpr::Alias(alias) => *alias.expr,
        other => other,
    };
    expr.alias_with_metadata(name, Some(kql_metadata(ty).into()))
}

/// Evaluates an expression that refers to no column.
pub(crate) fn evaluate_constant(expr: &DfExpr, span: Span) -> Result<ScalarValue, PlanError> {
    let schema = DFSchema::empty();
    let physical =
        create_physical_expr(expr, &schema, &ExecutionProps::new(), &PhysicalPlanningContext::default())
            .map_err(|e| PlanError::Invalid {
                message: format!("expected a constant: {e}"),
                span,
                help: None,
            })?;
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .map_err(|e| PlanError::Internal { message: e.to_string(), span })?;
    let value = physical
        .evaluate(&batch)
        .and_then(|v| v.into_array(1))
        .and_then(|a| ScalarValue::try_from_array(&a, 0))
        .map_err(|e| PlanError::Exec { message: e.to_string(), span })?;
    Ok(value)
}

impl Planner<'_> {
    /// Plans a scalar expression over rows of `schema`.
    pub(crate) fn plan_scalar<'a>(
        &'a mut self,
        expr: &'a Expr,
        schema: &'a DFSchema,
    ) -> BoxFuture<'a, Result<Typed, PlanError>> {
        Box::pin(async move {
            let span = expr.span;
            match &expr.kind {
                ExprKind::Literal(lit) => {
                    let (expr, ty) = literal(lit, span)?;
                    Ok(Typed { expr, ty })
                }
                ExprKind::Name(name) => self.plan_name(&name.node, name.span, schema),
                ExprKind::Call { func, args } => self.plan_call(func, args, span, schema).await,
                ExprKind::Binary { op, left, right } => {
                    self.plan_binary(op.node, op.span, left, right, schema).await
                }
                ExprKind::Unary { op, expr: inner } => {
                    let t = self.plan_scalar(inner, schema).await?;
                    match op {
                        UnaryOp::Plus => Ok(t),
                        UnaryOp::Neg => Ok(Typed { expr: DfExpr::Negative(Box::new(t.expr)), ty: t.ty }),
                    }
                }
                ExprKind::In { expr: tested, op, list } => {
                    self.plan_in(tested, op.node, op.span, list, schema).await
                }
                ExprKind::Between { expr: tested, low, high, negated } => {
                    let t = self.plan_scalar(tested, schema).await?;
                    let lo = self.plan_scalar(low, schema).await?;
                    let mut hi = self.plan_scalar(high, schema).await?;
                    // `datetime between (start .. 3d)`: the end is start + 3d.
                    if lo.ty == ScalarType::DateTime && hi.ty == ScalarType::TimeSpan {
                        hi = Typed {
                            expr: kql_functions::add_timespan(lo.expr.clone(), hi.expr, false),
                            ty: ScalarType::DateTime,
                        };
                    }
                    if !comparable(t.ty, lo.ty) || !comparable(t.ty, hi.ty) {
                        return Err(PlanError::Type {
                            message: format!(
                                "a `{}` cannot lie between a `{}` and a `{}`",
                                t.ty, lo.ty, hi.ty
                            ),
                            span,
                            help: None,
                        });
                    }
                    let between = DfExpr::Between(datafusion::logical_expr::Between::new(
                        Box::new(t.expr),
                        *negated,
                        Box::new(lo.expr),
                        Box::new(hi.expr),
                    ));
                    Ok(Typed { expr: between, ty: ScalarType::Bool })
                }
                ExprKind::Member { .. } | ExprKind::Index { .. } => self.plan_member(expr, schema).await,
                ExprKind::TypeOf(_) => {
                    invalid!(span, "`typeof(...)` is only valid as a function argument")
                }
                ExprKind::Star => invalid!(span, "`*` is only valid as a function argument"),
                _ if self.is_tabular(expr) => {
                    invalid!(span, "a tabular expression cannot be used as a scalar here")
                }
                _ => invalid!(span, "not a scalar expression"),
            }
        })
    }

    fn plan_name(&mut self, name: &str, span: Span, schema: &DFSchema) -> Result<Typed, PlanError> {
        if let Ok(field) = schema.field_with_unqualified_name(name) {
            let ty = kql_type_of(field).unwrap_or(ScalarType::String);
            return Ok(Typed { expr: column(name), ty });
        }
        match self.lookup(name) {
            Some(Binding::Scalar(expr, ty)) => return Ok(Typed { expr: expr.clone(), ty: *ty }),
            Some(Binding::Tabular(_)) => {
                return invalid!(span, "`{name}` is a table; a scalar is needed here");
            }
            Some(Binding::Function(_)) => {
                return invalid!(span, "`{name}` is a function; call it as `{name}()`");
            }
            None => {}
        }
        if self.env.tables.contains_key(name) {
            return invalid!(span, "`{name}` is a table; a scalar is needed here");
        }
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let help = did_you_mean(name, columns.iter().copied().chain(self.bound_names()))
            .or_else(|| (!columns.is_empty()).then(|| format!("the input has: {}", abbreviate(&columns))));
        Err(PlanError::UnknownColumn { name: name.to_string(), span, help })
    }

    /// `d.key`, `d['key']` and `d[i]` on a dynamic value: the chain of
    /// constant members down to its base, read in one pass.
    async fn plan_member(&mut self, expr: &Expr, schema: &DFSchema) -> Result<Typed, PlanError> {
        let mut path = Vec::new();
        let mut base = expr;
        loop {
            match &base.kind {
                ExprKind::Member { expr: object, name } => {
                    path.push(Member::Key(name.node.clone()));
                    base = object;
                }
                ExprKind::Index { expr: object, index } => {
                    let member = match &index.kind {
                        ExprKind::Literal(Literal::String(key)) => Member::Key(key.clone()),
                        ExprKind::Literal(Literal::Long(i)) if *i >= 0 => Member::Index(*i as usize),
                        ExprKind::Literal(Literal::Int(i)) if *i >= 0 => Member::Index(*i as usize),
                        _ => {
                            return unsupported!(
                                index.span,
                                "an index that is not a constant key or a non-negative number"
                            );
                        }
                    };
                    path.push(member);
                    base = object;
                }
                _ => break,
            }
        }
        path.reverse();
        let t = self.plan_scalar(base, schema).await?;
        if !matches!(t.ty, ScalarType::Dynamic | ScalarType::String) {
            return Err(PlanError::Type {
                message: format!("properties can only be read from `dynamic` values, this is `{}`", t.ty),
                span: base.span,
                help: Some("convert it first with `parse_json(...)`".into()),
            });
        }
        Ok(Typed {
            expr: kql_functions::dynamic_get(t.expr, path, ScalarType::Dynamic),
            ty: ScalarType::Dynamic,
        })
    }

    async fn plan_call(
        &mut self,
        func: &kql_syntax::ast::Ident,
        args: &[Expr],
        span: Span,
        schema: &DFSchema,
    ) -> Result<Typed, PlanError> {
        let name = func.node.as_str();
        match name {
            "toscalar" => return self.plan_toscalar(args, span).await,
            "not" => {
                let [arg] = args else {
                    return invalid!(span, "`not` takes one argument");
                };
                let t = self.plan_scalar(arg, schema).await?;
                return Ok(Typed { expr: not(t.expr), ty: ScalarType::Bool });
            }
            "case" => return self.plan_case(args, span, schema).await,
            _ => {}
        }
        if let Some(Binding::Function(def)) = self.lookup(name).cloned() {
            return self.call_user_scalar(&def, args, span, schema).await;
        }
        let Some(def) = registry::lookup(name) else {
            if matches!(name, "arg_max" | "arg_min" | "argmax" | "argmin") {
                return invalid!(func.span, "`{name}` is an aggregation: use it in `summarize`");
            }
            if let Some(why) = known_unsupported(name) {
                return Err(PlanError::Unsupported {
                    what: format!("the KQL function `{name}`"),
                    span: func.span,
                    help: Some(why.to_string()),
                });
            }
            let help = did_you_mean(name, registry::all().map(|d| d.name));
            return Err(PlanError::UnknownFunction { name: name.to_string(), span: func.span, help });
        };
        if def.kind == FunctionKind::Aggregate {
            return invalid!(func.span, "`{name}` is an aggregation function: use it in `summarize`");
        }
        let planned = self.plan_args(args, schema).await?;
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        (def.build)(&self.call, planned).map_err(|e| fn_error(e, name, func.span, &spans))
    }

    /// `case(p1, v1, p2, v2, ..., else)`.
    async fn plan_case(&mut self, args: &[Expr], span: Span, schema: &DFSchema) -> Result<Typed, PlanError> {
        if args.len() < 3 || args.len().is_multiple_of(2) {
            return invalid!(
                span,
                "`case` takes pairs of predicate and value, then a value for the else branch"
            );
        }
        let mut whens = Vec::new();
        let mut ty = None;
        for pair in args[..args.len() - 1].chunks(2) {
            let p = self.plan_scalar(&pair[0], schema).await?;
            let v = self.plan_scalar(&pair[1], schema).await?;
            ty.get_or_insert(v.ty);
            whens.push((Box::new(p.expr), Box::new(v.expr)));
        }
        let last = &args[args.len() - 1];
        let otherwise = self.plan_scalar(last, schema).await?;
        let ty = ty.unwrap_or(otherwise.ty);
        let expr =
            DfExpr::Case(datafusion::logical_expr::Case::new(None, whens, Some(Box::new(otherwise.expr))));
        let ty = type_of(&expr, schema, span).unwrap_or(ty);
        Ok(Typed { expr, ty })
    }

    /// Plans call arguments: `typeof(T)` and `*` become their own kinds.
    pub(crate) async fn plan_args(
        &mut self,
        args: &[Expr],
        schema: &DFSchema,
    ) -> Result<Vec<Arg>, PlanError> {
        let mut out = Vec::with_capacity(args.len());
        for arg in args {
            out.push(match &arg.kind {
                ExprKind::TypeOf(ty) => Arg::Type(ty.node),
                ExprKind::Star => Arg::Star,
                _ => {
                    let t = self.plan_scalar(arg, schema).await?;
                    Arg::Expr { expr: t.expr, ty: t.ty }
                }
            });
        }
        Ok(out)
    }

    async fn plan_toscalar(&mut self, args: &[Expr], span: Span) -> Result<Typed, PlanError> {
        let [arg] = args else {
            return invalid!(span, "`toscalar` takes one argument");
        };
        if !self.is_tabular(arg) {
            return self.plan_scalar(arg, &DFSchema::empty()).await;
        }
        let plan = self.plan_tabular(arg).await?;
        let Some(field) = plan.schema().fields().first().cloned() else {
            return invalid!(arg.span, "`toscalar` needs a table with at least one column");
        };
        let ty = kql_type_of(&field).unwrap_or(ScalarType::String);
        let batches = self.execute(plan, arg.span).await?;
        let value = match batches.iter().find(|b| b.num_rows() > 0) {
            Some(b) => ScalarValue::try_from_array(b.column(0), 0).at(arg.span)?,
            None => ScalarValue::try_from(field.data_type()).at(arg.span)?,
        };
        Ok(Typed { expr: DfExpr::Literal(value, Some(kql_metadata(ty).into())), ty })
    }

    async fn call_user_scalar(
        &mut self,
        def: &kql_syntax::ast::FunctionDef,
        args: &[Expr],
        span: Span,
        schema: &DFSchema,
    ) -> Result<Typed, PlanError> {
        self.enter_function(def, args, span, schema).await?;
        let result = match self.function_result(def, span).await {
            Ok(e) => self.plan_scalar(e, schema).await,
            Err(e) => Err(e),
        };
        self.leave_function();
        result
    }

    async fn plan_binary(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        left: &Expr,
        right: &Expr,
        schema: &DFSchema,
    ) -> Result<Typed, PlanError> {
        let mut l = self.plan_scalar(left, schema).await?;
        let mut r = self.plan_scalar(right, schema).await?;
        // A dynamic value meets a scalar: compare it as that scalar, the way
        // Kusto does (`d.Name == "x"` compares the string, not its JSON text).
        if matches!(
            op,
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
        ) {
            if l.ty == ScalarType::Dynamic && r.ty != ScalarType::Dynamic {
                if let Some(e) = kql_functions::convert(l.expr.clone(), ScalarType::Dynamic, r.ty) {
                    l = Typed { expr: e, ty: r.ty };
                }
            } else if r.ty == ScalarType::Dynamic
                && l.ty != ScalarType::Dynamic
                && let Some(e) = kql_functions::convert(r.expr.clone(), ScalarType::Dynamic, l.ty)
            {
                r = Typed { expr: e, ty: l.ty };
            }
        }
        if let Some(t) = temporal_arithmetic(op, &l, &r) {
            return Ok(t);
        }
        // Kusto refuses to compare values of unrelated types; DataFusion
        // would quietly cast one side (`OSBuild == "20348"`).
        if matches!(
            op,
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
        ) && !comparable(l.ty, r.ty)
        {
            return Err(PlanError::Type {
                message: format!("a `{}` cannot be compared with a `{}`", l.ty, r.ty),
                span: op_span,
                help: Some(format!("convert one side first, e.g. `to{}(...)`", conversion_name(l.ty))),
            });
        }
        let arith = |df: DfOp| binary_expr(l.expr.clone(), df, r.expr.clone());
        let (expr, fixed_ty) = match op {
            BinaryOp::Add => (arith(DfOp::Plus), None),
            BinaryOp::Sub => (arith(DfOp::Minus), None),
            BinaryOp::Mul => (arith(DfOp::Multiply), None),
            BinaryOp::Div => (arith(DfOp::Divide), None),
            BinaryOp::Mod => (arith(DfOp::Modulo), None),
            BinaryOp::Eq => (arith(DfOp::Eq), Some(ScalarType::Bool)),
            BinaryOp::NotEq => (arith(DfOp::NotEq), Some(ScalarType::Bool)),
            BinaryOp::Lt => (arith(DfOp::Lt), Some(ScalarType::Bool)),
            BinaryOp::LtEq => (arith(DfOp::LtEq), Some(ScalarType::Bool)),
            BinaryOp::Gt => (arith(DfOp::Gt), Some(ScalarType::Bool)),
            BinaryOp::GtEq => (arith(DfOp::GtEq), Some(ScalarType::Bool)),
            BinaryOp::And => (arith(DfOp::And), Some(ScalarType::Bool)),
            BinaryOp::Or => (arith(DfOp::Or), Some(ScalarType::Bool)),
            BinaryOp::EqTilde => (
                kql_functions::string::equals_ignore_case(l.expr.clone(), r.expr.clone()),
                Some(ScalarType::Bool),
            ),
            BinaryOp::NotEqTilde => (
                not(kql_functions::string::equals_ignore_case(l.expr.clone(), r.expr.clone())),
                Some(ScalarType::Bool),
            ),
            BinaryOp::Str(StrOp::MatchesRegex, _) => {
                if !matches!(r.expr, DfExpr::Literal(..)) {
                    return unsupported!(right.span, "a non-constant regular expression");
                }
                let regex = datafusion::functions::expr_fn::regexp_like(l.expr.clone(), r.expr.clone(), None);
                (regex, Some(ScalarType::Bool))
            }
            BinaryOp::Str(StrOp::Like, _) => return unsupported!(op_span, "the `like` operator"),
            BinaryOp::Str(str_op, mode) => {
                let e = kql_functions::string::string_op(
                    str_op,
                    mode.case_sensitive,
                    l.expr.clone(),
                    r.expr.clone(),
                );
                (if mode.negated { not(e) } else { e }, Some(ScalarType::Bool))
            }
        };
        let ty = match fixed_ty {
            Some(t) => t,
            None => type_of(&expr, schema, left.span.to(right.span)).map_err(|_| PlanError::Type {
                message: format!("`{}` and `{}` cannot be combined with this operator", l.ty, r.ty),
                span: op_span,
                help: None,
            })?,
        };
        // Ask DataFusion now whether the operand types fit, so that the error
        // points at the operator rather than surfacing at execution.
        if fixed_ty.is_some() && !matches!(op, BinaryOp::Str(..) | BinaryOp::EqTilde | BinaryOp::NotEqTilde) {
            expr.to_field(schema).map_err(|_| PlanError::Type {
                message: format!("`{}` and `{}` cannot be compared", l.ty, r.ty),
                span: op_span,
                help: None,
            })?;
        }
        Ok(Typed { expr, ty })
    }

    async fn plan_in(
        &mut self,
        tested: &Expr,
        op: SetOp,
        op_span: Span,
        list: &[Expr],
        schema: &DFSchema,
    ) -> Result<Typed, PlanError> {
        let t = self.plan_scalar(tested, schema).await?;
        if let [single] = list
            && self.is_tabular_operand(single, schema)
        {
            let plan = self.plan_tabular(single).await?;
            let plan = first_column(plan, single.span)?;
            if matches!(op, SetOp::In | SetOp::NotIn) {
                let expr = in_subquery(t.expr, Arc::new(plan));
                let expr = if op == SetOp::NotIn { not(expr) } else { expr };
                return Ok(Typed { expr, ty: ScalarType::Bool });
            }
            // The other set operators take the table's values as a list,
            // read now (Kusto evaluates the operand once per query).
            let items = self.values_of(plan, single.span).await?;
            return self.plan_in_list(t, op, op_span, items);
        }
        let mut items = Vec::new();
        for item in list {
            let i = self.plan_scalar(item, schema).await?;
            if i.ty == ScalarType::Dynamic {
                // A dynamic array stands for its elements (`let IOCs =
                // dynamic([...]); ... in (IOCs)`).
                items.extend(dynamic_elements(&i.expr, item.span)?);
            } else {
                items.push(i.expr);
            }
        }
        self.plan_in_list(t, op, op_span, items)
    }

    /// The values of a one-column plan, as literals.
    async fn values_of(
        &mut self,
        plan: datafusion::logical_expr::LogicalPlan,
        span: Span,
    ) -> Result<Vec<DfExpr>, PlanError> {
        const LIMIT: usize = 1_000_000;
        let batches = self.execute(plan, span).await?;
        let mut out = Vec::new();
        for batch in &batches {
            for row in 0..batch.num_rows() {
                if out.len() >= LIMIT {
                    return unsupported!(span, "a set of more than {LIMIT} values with this operator");
                }
                out.push(DfExpr::Literal(ScalarValue::try_from_array(batch.column(0), row).at(span)?, None));
            }
        }
        Ok(out)
    }

    fn plan_in_list(
        &mut self,
        t: Typed,
        op: SetOp,
        op_span: Span,
        items: Vec<DfExpr>,
    ) -> Result<Typed, PlanError> {
        let _ = op_span;
        let expr = match op {
            SetOp::In => in_list(t.expr, items, false),
            SetOp::NotIn => in_list(t.expr, items, true),
            SetOp::InCi | SetOp::NotInCi => {
                let lower = datafusion::functions::expr_fn::lower;
                in_list(lower(t.expr), items.into_iter().map(lower).collect(), op == SetOp::NotInCi)
            }
            SetOp::HasAny | SetOp::HasAll => {
                if items.is_empty() {
                    return Ok(Typed {
                        expr: DfExpr::Literal(ScalarValue::Boolean(Some(op == SetOp::HasAll)), None),
                        ty: ScalarType::Bool,
                    });
                }
                let terms = items
                    .into_iter()
                    .map(|i| kql_functions::string::string_op(StrOp::Has, false, t.expr.clone(), i));
                let combine = if op == SetOp::HasAny { DfExpr::or } else { DfExpr::and };
                terms.reduce(combine).unwrap_or(DfExpr::Literal(ScalarValue::Boolean(Some(false)), None))
            }
        };
        Ok(Typed { expr, ty: ScalarType::Bool })
    }

    /// Whether the single operand of `in (...)` is a table: a pipeline, or a
    /// name that is a tabular `let` or a table and not a column.
    pub(crate) fn is_tabular_operand(&self, expr: &Expr, schema: &DFSchema) -> bool {
        if let ExprKind::Name(n) = &expr.kind
            && schema.field_with_unqualified_name(&n.node).is_ok()
        {
            return false;
        }
        self.is_tabular(expr)
    }
}

/// KQL functions that exist but that kql does not run, with the reason, so
/// that they are not reported as typos.
pub(crate) fn known_unsupported(name: &str) -> Option<&'static str> {
    Some(match name {
        "ingestion_time" => "exports do not record when Kusto ingested a row",
        "geo_info_from_ip_address" => "it needs Microsoft's IP geolocation data",
        "current_cluster_endpoint"
        | "current_database"
        | "current_principal"
        | "current_principal_details"
        | "current_principal_is_member_of"
        | "cursor_after"
        | "cursor_before_or_at"
        | "cursor_current"
        | "extent_id"
        | "extent_tags"
        | "estimate_data_size" => "it describes a Kusto cluster, which a local run does not have",
        "FileProfile" | "DeviceFromIP" | "AssignedIPAddresses" | "SeenBy" => {
            "it is a Defender XDR service function that looks data up in Microsoft's cloud"
        }
        "hash" | "hash_md5" | "hash_sha1" | "hash_sha256" | "hash_xxhash64" | "hash_combine"
        | "hash_many" => "hash functions are not implemented yet",
        "percentile" | "percentiles" | "percentiles_array" | "percentilew" | "percentilesw" | "tdigest"
        | "tdigest_merge" | "hll" | "hll_merge" | "dcount_hll" => {
            "percentile and sketch aggregations are not implemented yet"
        }
        "series_decompose"
        | "series_decompose_anomalies"
        | "series_fir"
        | "series_iir"
        | "series_fit_line"
        | "series_stats"
        | "series_outliers" => "series functions are not implemented yet (nor `make-series`)",
        "row_number" | "row_cumsum" | "row_rank_dense" | "row_rank_min" | "row_window_session" | "prev"
        | "next" => "window functions over serialized rows are not implemented yet",
        name if name.starts_with("geo_") => "geospatial functions are not implemented yet",
        _ => return None,
    })
}

/// The elements of a constant dynamic value, as literals: an array gives
/// its elements, any other value itself. Nested values stay JSON text.
fn dynamic_elements(expr: &DfExpr, span: Span) -> Result<Vec<DfExpr>, PlanError> {
    let value = match evaluate_constant(expr, span) {
        Ok(v) => v,
        Err(_) => return unsupported!(span, "a set operator over a non-constant dynamic value"),
    };
    let text = match value {
        ScalarValue::Utf8(Some(t)) | ScalarValue::LargeUtf8(Some(t)) | ScalarValue::Utf8View(Some(t)) => t,
        _ => return Ok(Vec::new()),
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => serde_json::Value::String(text),
    };
    let elements = match json {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    let literal = |v: serde_json::Value| -> Option<DfExpr> {
        let scalar = match v {
            serde_json::Value::Null => return None,
            serde_json::Value::Bool(b) => ScalarValue::Boolean(Some(b)),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => ScalarValue::Int64(Some(i)),
                None => ScalarValue::Float64(n.as_f64()),
            },
            serde_json::Value::String(s) => ScalarValue::Utf8(Some(s)),
            nested => ScalarValue::Utf8(Some(nested.to_string())),
        };
        Some(DfExpr::Literal(scalar, None))
    };
    Ok(elements.into_iter().filter_map(literal).collect())
}

/// Whether Kusto compares values of these two types.
fn comparable(a: ScalarType, b: ScalarType) -> bool {
    use ScalarType::*;
    let numeric = |t| matches!(t, Int | Long | Real | Decimal);
    let text = |t| matches!(t, String | Guid);
    a == b || (numeric(a) && numeric(b)) || (text(a) && text(b)) || a == Dynamic || b == Dynamic
}

/// The `to...` conversion function for a type.
fn conversion_name(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::Int => "int",
        ScalarType::Long => "long",
        ScalarType::Real | ScalarType::Decimal => "real",
        ScalarType::DateTime => "datetime",
        ScalarType::TimeSpan => "timespan",
        ScalarType::Bool => "bool",
        ScalarType::Guid => "guid",
        ScalarType::String | ScalarType::Dynamic => "string",
    }
}

/// Arithmetic on datetimes and timespans, which DataFusion does not do the
/// Kusto way: `datetime ± timespan`, `timespan * n`, `timespan / n`,
/// `timespan / timespan`, `datetime - datetime`.
fn temporal_arithmetic(op: BinaryOp, l: &Typed, r: &Typed) -> Option<Typed> {
    use ScalarType::{DateTime, Int, Long, Real, TimeSpan};
    let ns = |e: &DfExpr| cast(e.clone(), DataType::Int64);
    let to_span = |e: DfExpr| cast(e, DataType::Duration(TimeUnit::Nanosecond));
    let span = |expr| Some(Typed { expr, ty: TimeSpan });
    match (op, l.ty, r.ty) {
        (BinaryOp::Add, DateTime, TimeSpan) => Some(Typed {
            expr: kql_functions::add_timespan(l.expr.clone(), r.expr.clone(), false),
            ty: DateTime,
        }),
        (BinaryOp::Add, TimeSpan, DateTime) => Some(Typed {
            expr: kql_functions::add_timespan(r.expr.clone(), l.expr.clone(), false),
            ty: DateTime,
        }),
        (BinaryOp::Sub, DateTime, TimeSpan) => Some(Typed {
            expr: kql_functions::add_timespan(l.expr.clone(), r.expr.clone(), true),
            ty: DateTime,
        }),
        (BinaryOp::Sub, DateTime, DateTime) => {
            span(to_span(binary_expr(ns(&l.expr), DfOp::Minus, ns(&r.expr))))
        }
        (BinaryOp::Add | BinaryOp::Sub, TimeSpan, TimeSpan) => {
            let df = if op == BinaryOp::Add { DfOp::Plus } else { DfOp::Minus };
            span(to_span(binary_expr(ns(&l.expr), df, ns(&r.expr))))
        }
        (BinaryOp::Mul, TimeSpan, Int | Long) => {
            span(to_span(binary_expr(ns(&l.expr), DfOp::Multiply, ns(&r.expr))))
        }
        (BinaryOp::Mul, Int | Long, TimeSpan) => {
            span(to_span(binary_expr(ns(&l.expr), DfOp::Multiply, ns(&r.expr))))
        }
        (BinaryOp::Mul, TimeSpan, Real) | (BinaryOp::Div, TimeSpan, Real) => {
            let df = if op == BinaryOp::Mul { DfOp::Multiply } else { DfOp::Divide };
            let f = binary_expr(cast(ns(&l.expr), DataType::Float64), df, r.expr.clone());
            span(to_span(cast(f, DataType::Int64)))
        }
        (BinaryOp::Mul, Real, TimeSpan) => {
            let f = binary_expr(l.expr.clone(), DfOp::Multiply, cast(ns(&r.expr), DataType::Float64));
            span(to_span(cast(f, DataType::Int64)))
        }
        (BinaryOp::Div, TimeSpan, Int | Long) => {
            span(to_span(binary_expr(ns(&l.expr), DfOp::Divide, ns(&r.expr))))
        }
        (BinaryOp::Div, TimeSpan, TimeSpan) => Some(Typed {
            expr: binary_expr(
                cast(ns(&l.expr), DataType::Float64),
                DfOp::Divide,
                cast(ns(&r.expr), DataType::Float64),
            ),
            ty: Real,
        }),
        _ => None,
    }
}

/// Keeps only the first column of a plan (the set that `in` tests against).
pub(crate) fn first_column(
    plan: datafusion::logical_expr::LogicalPlan,
    span: Span,
) -> Result<datafusion::logical_expr::LogicalPlan, PlanError> {
    let Some(first) = plan.schema().fields().first().cloned() else {
        return invalid!(span, "the table has no columns");
    };
    if plan.schema().fields().len() == 1 {
        return Ok(plan);
    }
    LogicalPlanBuilder::from(plan).project(vec![column(first.name())]).at(span)?.build().at(span)
}

/// Turns a registry error into a diagnostic at the argument it is about.
pub(crate) fn fn_error(error: FnError, name: &str, span: Span, arg_spans: &[Span]) -> PlanError {
    let at = |i: usize| arg_spans.get(i).copied().unwrap_or(span);
    match error {
        FnError::ArgCount { min, max, got } => {
            let expected = match max {
                Some(max) if max == min => format!("{min}"),
                Some(max) => format!("{min} to {max}"),
                None => format!("at least {min}"),
            };
            PlanError::Type {
                message: format!("`{name}` takes {expected} arguments, {got} given"),
                span,
                help: None,
            }
        }
        FnError::ArgType { index, expected, got } => PlanError::Type {
            message: format!("argument {} of `{name}` must be {expected}, found `{got}`", index + 1),
            span: at(index),
            help: None,
        },
        FnError::Invalid { index, message } => {
            PlanError::Invalid { message, span: index.map_or(span, at), help: None }
        }
    }
}

fn abbreviate(names: &[&str]) -> String {
    if names.len() <= 12 {
        return names.join(", ");
    }
    format!("{}, ... ({} columns)", names[..12].join(", "), names.len())
}
