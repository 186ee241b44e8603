//! Literal values: KQL text forms to Arrow scalars, and back (Kusto's text
//! forms of datetimes and timespans).

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr as DfExpr;
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
        DynValue::TimeSpan(ticks) => Value::String(format_timespan(*ticks)),
        DynValue::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        DynValue::Object(entries) => {
            Value::Object(entries.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// Parses a datetime as `datetime(...)` and `todatetime` read it (ISO 8601
/// with optional offset, the US `M/d/yyyy` form, RFC 2822). Returns
/// nanoseconds since the Unix epoch, UTC.
pub fn parse_datetime(text: &str) -> Option<i64> {
    kql_functions::convert::parse_datetime(text)
}

/// Kusto's text form of a datetime: `2024-05-01T10:11:12.1234567Z`.
pub fn format_datetime(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let sub = ns.rem_euclid(1_000_000_000);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => format!("{}.{:07}Z", dt.format("%Y-%m-%dT%H:%M:%S"), sub / 100),
        None => ns.to_string(),
    }
}

/// Kusto's text form of a timespan in ticks: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.unsigned_abs();
    let frac = t % 10_000_000;
    let total_secs = t / 10_000_000;
    let (d, h, m, s) = (total_secs / 86_400, total_secs / 3600 % 24, total_secs / 60 % 60, total_secs % 60);
    let mut out = String::from(sign);
    if d > 0 {
        out.push_str(&format!("{d}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if frac > 0 {
        out.push_str(&format!(".{frac:07}"));
    }
    out
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
        assert_eq!(format_timespan(36_000_000_000), "01:00:00");
        assert_eq!(format_timespan(864_000_000_000 + 5), "1.00:00:00.0000005");
        assert_eq!(format_timespan(-10_000_000), "-00:00:01");
    }
}
