//! `parse` and `parse-where`: the pattern becomes one regular expression
//! with a named group per column ([`kql_functions::parse_pattern`]); the
//! columns are the fields of the struct it returns.
//!
//! How each kind reads the pattern:
//!
//! | | `simple` (default) | `relaxed` | `regex` |
//! |---|---|---|---|
//! | string constant | found literally | found literally | a regular expression |
//! | `*` | shortest skip | shortest skip | `.*` (the `U` flag makes it shortest) |
//! | string column | shortest text | shortest text | `(.*)` |
//! | number column | digits | text up to the next constant | digits |
//! | a value that does not convert | the row does not match | that column is null | the row does not match |
//!
//! `simple` and `relaxed` match from the start of the text, and a column at
//! the end of the pattern takes the rest of it.

use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use kql_syntax::Span;
use kql_syntax::ast::{Expr, ExprKind, Literal, NamedArg, ParsePart, ScalarType};

use super::{columns_of, project};
use crate::error::{PlanError, WithSpan, invalid};
use crate::expr::column;
use crate::planner::Planner;

/// `parse kind=`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Relaxed,
    Regex,
}

impl Planner<'_> {
    /// `parse [kind=k] [flags=f] expr with pattern`; with `drop_unmatched`,
    /// `parse-where`.
    pub(crate) async fn plan_parse(
        &mut self,
        input: LogicalPlan,
        params: &[NamedArg],
        text: &Expr,
        pattern: &[ParsePart],
        drop_unmatched: bool,
        span: Span,
    ) -> Result<LogicalPlan, PlanError> {
        // Parameters.
        let mut kind = Kind::Simple;
        let mut flags: Option<(String, Span)> = None;
        for p in params {
            let value = match &p.value.kind {
                ExprKind::Name(n) => n.node.clone(),
                ExprKind::Literal(Literal::String(s)) => s.clone(),
                _ => return invalid!(p.value.span, "`{}` takes a bare word", p.name.node),
            };
            match p.name.node.as_str() {
                "kind" => {
                    kind = match value.as_str() {
                        "simple" => Kind::Simple,
                        "relaxed" => Kind::Relaxed,
                        "regex" => Kind::Regex,
                        other => {
                            return invalid!(
                                p.value.span,
                                "unknown parse kind `{other}`: use simple, regex or relaxed"
                            );
                        }
                    }
                }
                "flags" => flags = Some((value, p.value.span)),
                other => return crate::error::unsupported!(p.span, "the `parse` parameter `{other}`"),
            }
        }
        let flags = match flags {
            Some((_, s)) if kind != Kind::Regex => {
                return invalid!(s, "`flags` applies to `kind=regex` only");
            }
            Some((f, s)) => {
                if let Some(bad) = f.chars().find(|c| !matches!(c, 'U' | 'm' | 's' | 'i')) {
                    return invalid!(s, "unknown regex flag `{bad}`: the flags are U, m, s and i");
                }
                f
            }
            None => String::new(),
        };

        // The text, as a string.
        let t = self.plan_scalar(text, input.schema()).await?;
        let text_expr = match kql_functions::convert(t.expr, t.ty, ScalarType::String) {
            Some(e) => e,
            None => return invalid!(text.span, "a `{}` value cannot be parsed as text", t.ty),
        };

        // The regular expression and the columns it captures.
        let (regex, columns) = pattern_regex(pattern, kind, &flags)?;
        let types: Vec<ScalarType> = columns.iter().map(|(_, ty)| *ty).collect();
        let call = kql_functions::parse_pattern(text_expr, &regex, types, kind == Kind::Relaxed)
            .map_err(|e| PlanError::Invalid { message: format!("invalid regex: {e}"), span, help: None })?;

        // The match, next to the input columns.
        let input_columns = columns_of(&input);
        let parsed = self.fresh_name("parse");
        let mut exprs: Vec<DfExpr> = input_columns.iter().map(|(n, _)| column(n)).collect();
        exprs.push(call.alias(&parsed));
        let mut plan = LogicalPlanBuilder::from(input).project(exprs).at(span)?.build().at(span)?;
        if drop_unmatched {
            let matched = get_field(column(&parsed), kql_functions::PARSE_MATCHED_FIELD);
            plan = LogicalPlanBuilder::from(plan).filter(matched).at(span)?.build().at(span)?;
        }

        // The columns: an existing name is replaced in place, a new one appended.
        let mut out: Vec<(DfExpr, String, ScalarType)> =
            input_columns.iter().map(|(n, t)| (column(n), n.clone(), *t)).collect();
        for (i, (name, ty)) in columns.into_iter().enumerate() {
            let value = get_field(column(&parsed), kql_functions::parse_field(i));
            match out.iter().position(|(_, n, _)| *n == name) {
                Some(pos) => out[pos] = (value, name, ty),
                None => out.push((value, name, ty)),
            }
        }
        project(plan, out, span)
    }
}

/// The regex of a pattern, and the (name, type) of each column in order.
fn pattern_regex(
    pattern: &[ParsePart],
    kind: Kind,
    flags: &str,
) -> Result<(String, Vec<(String, ScalarType)>), PlanError> {
    let mut regex = match kind {
        // `.` must cross line breaks: the text is matched as a whole.
        Kind::Simple | Kind::Relaxed => String::from("^(?s)"),
        Kind::Regex if flags.is_empty() => String::new(),
        Kind::Regex => format!("(?{flags})"),
    };
    let mut columns: Vec<(String, ScalarType)> = Vec::new();
    for (i, part) in pattern.iter().enumerate() {
        let next = pattern.get(i + 1);
        match part {
            ParsePart::Star(star) => {
                if let Some(ParsePart::Column { ty, .. }) = i.checked_sub(1).and_then(|p| pattern.get(p))
                    && ty.as_ref().is_none_or(|t| t.node == ScalarType::String)
                {
                    return invalid!(*star, "`*` right after a string column is ambiguous");
                }
                regex.push_str(if kind == Kind::Regex { ".*" } else { ".*?" });
            }
            ParsePart::Text(text) => match kind {
                Kind::Regex => {
                    regex.push_str("(?:");
                    regex.push_str(&text.node);
                    regex.push(')');
                }
                Kind::Simple | Kind::Relaxed => regex.push_str(&regex::escape(&text.node)),
            },
            ParsePart::Column { name, ty } => {
                let ty = ty.as_ref().map_or(ScalarType::String, |t| t.node);
                if columns.iter().any(|(n, _)| *n == name.node) {
                    return invalid!(name.span, "the column `{}` appears twice in the pattern", name.node);
                }
                let followed_by_text = matches!(next, Some(ParsePart::Text(_)));
                let group = column_regex(ty, kind, followed_by_text);
                regex.push_str(&format!("(?P<{}>{group})", kql_functions::parse_field(columns.len())));
                if kind == Kind::Relaxed && !followed_by_text && ty != ScalarType::String {
                    regex.push('?');
                }
                columns.push((name.node.clone(), ty));
            }
        }
    }
    // A column at the end takes the rest of the text.
    if kind != Kind::Regex && matches!(pattern.last(), Some(ParsePart::Column { .. })) {
        regex.push('$');
    }
    Ok((regex, columns))
}

/// The group body that captures a column of type `ty`.
fn column_regex(ty: ScalarType, kind: Kind, followed_by_text: bool) -> &'static str {
    let any = if kind == Kind::Regex { ".*" } else { ".*?" };
    match ty {
        // Relaxed: whatever stands before the next constant, converted if it can be.
        _ if kind == Kind::Relaxed && followed_by_text => any,
        ScalarType::Int | ScalarType::Long => r"-?\d+",
        ScalarType::Real | ScalarType::Decimal => r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?",
        _ => any,
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{error_code, run};

    const TRACE: &str = r#"datatable (EventText: string)[
        "Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=23, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01, previousLockTime=02/17/2016 08:39:01)",
        "Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=bad, sliceNumber=15, lockTime=02/17/2016 08:40:00, releaseTime=02/17/2016 08:40:00, previousLockTime=02/17/2016 08:39:00)"]"#;

    #[tokio::test]
    async fn simple_kind_extracts_typed_columns() {
        let (header, rows) = run(&format!(
            r#"{TRACE} | parse EventText with * "resourceName=" resourceName ", totalSlices=" totalSlices:long * "sliceNumber=" sliceNumber:long * "releaseTime=" releaseTime:date "," * | project-away EventText"#
        ))
        .await;
        assert_eq!(
            header,
            ["resourceName:string", "totalSlices:long", "sliceNumber:long", "releaseTime:datetime"]
        );
        assert_eq!(rows[0], ["PipelineScheduler", "27", "23", "2016-02-17T08:40:01"]);
        // `bad` is no long: the whole row does not match.
        assert_eq!(rows[1], ["", "", "", ""]);
    }

    #[tokio::test]
    async fn relaxed_kind_keeps_what_converts() {
        let (_, rows) = run(&format!(
            r#"{TRACE} | parse kind=relaxed EventText with * "resourceName=" resourceName ", totalSlices=" totalSlices:long ", sliceNumber=" sliceNumber:long * | project-away EventText"#
        ))
        .await;
        assert_eq!(rows, [["PipelineScheduler", "27", "23"], ["PipelineScheduler", "", "15"]]);
    }

    #[tokio::test]
    async fn regex_kind_is_greedy_unless_ungreedy() {
        let q = r#"print t = "a=1, b=2, c=3" | parse kind=regex"#;
        let (_, rows) = run(&format!(r#"{q} t with "a=" v ',' * | project v"#)).await;
        assert_eq!(rows, [["1, b=2"]]);
        let (_, rows) = run(&format!(r#"{q} flags=U t with "A=" v ',' * | project v"#)).await;
        assert_eq!(rows, [[""]]);
        let (_, rows) = run(&format!(r#"{q} flags=Ui t with "A=" v ',' * | project v"#)).await;
        assert_eq!(rows, [["1"]]);
        let (_, rows) = run(&format!(r#"{q} t with "[bc]=" n:long | project n"#)).await;
        assert_eq!(rows, [["2"]]);
    }

    #[tokio::test]
    async fn existing_columns_are_replaced_and_the_last_column_takes_the_rest() {
        let (header, rows) = run(r#"print a = 1, t = "k=v=w" | parse t with a "=" rest"#).await;
        assert_eq!(header, ["a:string", "t:string", "rest:string"]);
        assert_eq!(rows, [["k", "k=v=w", "v=w"]]);
    }

    #[tokio::test]
    async fn parse_where_drops_rows_that_do_not_match() {
        let (_, rows) = run(&format!(
            r#"{TRACE} | parse-where EventText with * "totalSlices=" n:long "," * | project n"#
        ))
        .await;
        assert_eq!(rows, [["27"]]);
    }

    #[tokio::test]
    async fn misuse_is_reported() {
        assert_eq!(error_code(r#"print t = "x" | parse t with a * "b""#).await, "kql::plan::invalid");
        assert_eq!(error_code(r#"print t = "x" | parse flags=U t with a "b""#).await, "kql::plan::invalid");
        assert_eq!(
            error_code(r#"print t = "x" | parse kind=fuzzy t with a "b""#).await,
            "kql::plan::invalid"
        );
    }
}
