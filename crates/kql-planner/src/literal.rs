//! Literal values: KQL text forms to Arrow scalars.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr as DfExpr;
use kql_functions::convert::{format_datetime, format_timespan, parse_datetime};
use kql_functions::types::{arrow_type, kql_metadata};
use kql_syntax::Span;
use kql_syntax::ast::{DynValue, Literal, ScalarType};

use crate::error::PlanError;

/// A literal as a DataFusion expression and its KQL type.
pub(crate) fn literal(lit: &Literal, span: Span) -> Result<(DfExpr, ScalarType), PlanError> {
    let (value, ty) = match lit {
        Literal::Bool(b) => (ScalarValue::Boolean(Some(*b)), ScalarType::Bool),
        Literal::Int(i) => (ScalarValue::Int32(Some(*i)), ScalarType::Int),
        Literal::Long(i) => (ScalarValue::Int64(Some(*i)), ScalarType::Long),
        Literal::Real(f) => (ScalarValue::Float64(Some(*f)), ScalarType::Real),
        Literal::Decimal(text) => (parse_decimal(text, span)?, ScalarType::Decimal),
        Literal::String(s) => (ScalarValue::Utf8(Some(s.clone())), ScalarType::String),
        Literal::DateTime(text) => {
            let ns = parse_datetime(text).ok_or_else(|| PlanError::Type {
                message: format!("`{text}` is not a datetime kql can read"),
                span,
                help: Some(
                    "write ISO 8601, e.g. datetime(2024-05-01) or datetime(2024-05-01T10:11:12.1234567Z)"
                        .into(),
                ),
            })?;
            (ScalarValue::TimestampNanosecond(Some(ns), None), ScalarType::DateTime)
        }
        Literal::TimeSpan(ticks) => {
            let ns = ticks.checked_mul(100).ok_or_else(|| PlanError::Type {
                message: "timespan out of range".into(),
                span,
                help: None,
            })?;
            (ScalarValue::DurationNanosecond(Some(ns)), ScalarType::TimeSpan)
        }
        Literal::Guid(text) => (ScalarValue::Utf8(Some(text.trim().to_lowercase())), ScalarType::Guid),
        Literal::Dynamic(value) => (ScalarValue::Utf8(Some(dynamic_to_json(value))), ScalarType::Dynamic),
        Literal::Null(ty) => {
            let value = ScalarValue::try_from(&arrow_type(*ty))
                .map_err(|e| PlanError::Internal { message: e.to_string(), span })?;
            (value, *ty)
        }
    };
    Ok((DfExpr::Literal(value, Some(kql_metadata(ty).into())), ty))
}

fn parse_decimal(text: &str, span: Span) -> Result<ScalarValue, PlanError> {
    let scale = kql_functions::types::DECIMAL_SCALE;
    let (int_part, frac_part) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let negative = int_part.starts_with('-');
    let digits =
        format!("{}{:0<width$}", int_part.trim_start_matches(['-', '+']), frac_part, width = scale as usize);
    let value: i128 = digits.parse().map_err(|_| PlanError::Type {
        message: format!("`{text}` is not a decimal"),
        span,
        help: None,
    })?;
    let value = if negative { -value } else { value };
    Ok(ScalarValue::Decimal128(Some(value), kql_functions::types::DECIMAL_PRECISION, scale))
}

/// Compact JSON text of a dynamic literal.
pub(crate) fn dynamic_to_json(value: &DynValue) -> String {
    to_json(value).to_string()
}

fn to_json(value: &DynValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        DynValue::Null => Value::Null,
        DynValue::Bool(b) => Value::Bool(*b),
        DynValue::Long(i) => Value::from(*i),
        DynValue::Real(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        DynValue::String(s) => Value::String(s.clone()),
        DynValue::DateTime(text) => match parse_datetime(text) {
            Some(ns) => Value::String(format_datetime(ns)),
            None => Value::String(text.clone()),
        },
        DynValue::TimeSpan(ticks) => Value::String(format_timespan(ticks.saturating_mul(100))),
        DynValue::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        DynValue::Object(entries) => {
            Value::Object(entries.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_forms() {
        let base = parse_datetime("2024-05-01").unwrap();
        assert_eq!(base, 1_714_521_600_000_000_000);
        assert_eq!(parse_datetime("2024-05-01T00:00:01Z").unwrap() - base, 1_000_000_000);
        assert_eq!(parse_datetime("2024-05-01 00:00:00.1234567").unwrap() - base, 123_456_700);
        assert_eq!(parse_datetime("2024-05-01 10:11").unwrap() - base, (10 * 3600 + 11 * 60) * 1_000_000_000);
        assert!(parse_datetime("2024-13-01").is_none());
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn formats_like_kusto() {
        let ns = parse_datetime("2024-05-01T10:11:12.1234567Z").unwrap();
        assert_eq!(format_datetime(ns), "2024-05-01T10:11:12.1234567Z");
        assert_eq!(format_timespan(3_600_000_000_000), "01:00:00");
        assert_eq!(format_timespan(86_400_000_000_000 + 500), "1.00:00:00.0000005");
        assert_eq!(format_timespan(-1_000_000_000), "-00:00:01");
    }
}
