//! Text to typed values: the parsers every loader shares, type inference, and
//! an Arrow column builder fed with text or JSON values.
//!
//! The parsers accept exactly what arrow-csv accepts for the same Arrow type,
//! so that a CSV record the fast path rejects is also rejected when we look
//! for it again to report its line.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Decimal128Builder, DurationNanosecondBuilder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use datafusion::arrow::compute::kernels::cast_utils::{Parser, parse_decimal, string_to_timestamp_nanos};
use datafusion::arrow::datatypes::{Decimal128Type, Float64Type, Int32Type, Int64Type};
use kql_functions::types::{DECIMAL_PRECISION, DECIMAL_SCALE};
use kql_syntax::ast::ScalarType;
use serde_json::Value;

/// `true` / `false` in any case.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub(crate) fn parse_long(s: &str) -> Option<i64> {
    Int64Type::parse(s)
}

pub(crate) fn parse_int(s: &str) -> Option<i32> {
    Int32Type::parse(s)
}

pub(crate) fn parse_real(s: &str) -> Option<f64> {
    Float64Type::parse(s)
}

pub(crate) fn parse_decimal128(s: &str) -> Option<i128> {
    parse_decimal::<Decimal128Type>(s, DECIMAL_PRECISION, DECIMAL_SCALE).ok()
}

/// ISO 8601 date and time, `T` or space between them, 0 to 9 fractional
/// digits; no zone or `Z` means UTC. Nanoseconds since the Unix epoch.
pub(crate) fn parse_datetime(s: &str) -> Option<i64> {
    // A bare date (10 chars) is accepted too, as midnight.
    string_to_timestamp_nanos(s).ok()
}

/// KQL's timespan text (`[-][d.]hh:mm[:ss[.fffffff]]`, or `1.5h`), in
/// nanoseconds: the same reader as `totimespan`.
pub(crate) fn parse_timespan(s: &str) -> Option<i64> {
    kql_functions::convert::parse_timespan(s)
}

/// A GUID as `8-4-4-4-12` hex digits, optionally in braces; returned in
/// lower case.
pub(crate) fn parse_guid(s: &str) -> Option<String> {
    let inner = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(s);
    let groups: Vec<&str> = inner.split('-').collect();
    let shape_ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    shape_ok.then(|| inner.to_ascii_lowercase())
}

/// Whether the CSV reader accepts `s` (non-empty) for a column of type `ty`.
pub(crate) fn csv_accepts(ty: ScalarType, s: &str) -> bool {
    match ty {
        ScalarType::Bool => parse_bool(s).is_some(),
        ScalarType::Int => parse_int(s).is_some(),
        ScalarType::Long => parse_long(s).is_some(),
        ScalarType::Real => parse_real(s).is_some(),
        ScalarType::Decimal => parse_decimal128(s).is_some(),
        ScalarType::DateTime => parse_datetime(s).is_some(),
        ScalarType::TimeSpan => parse_timespan(s).is_some(),
        ScalarType::String | ScalarType::Guid | ScalarType::Dynamic => true,
    }
}

/// Infers a column type from sample text values: all booleans give `bool`,
/// all integers `long`, all numbers `real`, all ISO datetimes `datetime`,
/// anything else `string`. Empty values say nothing; no value at all gives
/// `string`.
pub(crate) fn infer_text_type<'a>(values: impl IntoIterator<Item = &'a str>) -> ScalarType {
    let mut guess = TypeGuess::new();
    for v in values {
        guess.observe(v);
    }
    guess.finish()
}

/// [`infer_text_type`], one value at a time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TypeGuess {
    seen: bool,
    bool_ok: bool,
    long_ok: bool,
    real_ok: bool,
    date_ok: bool,
}

impl TypeGuess {
    pub(crate) fn new() -> Self {
        TypeGuess { seen: false, bool_ok: true, long_ok: true, real_ok: true, date_ok: true }
    }

    pub(crate) fn observe(&mut self, v: &str) {
        if v.is_empty() || self.is_string() {
            return;
        }
        self.seen = true;
        self.bool_ok = self.bool_ok && parse_bool(v).is_some();
        self.long_ok = self.long_ok && parse_long(v).is_some();
        // `inf`, `NaN` and the like parse as floats but read as words.
        self.real_ok = self.real_ok && v.bytes().any(|b| b.is_ascii_digit()) && parse_real(v).is_some();
        // Demand a time part so that numbers or bare dates in text do not
        // turn a column into datetimes by accident.
        self.date_ok = self.date_ok && v.len() >= 19 && parse_datetime(v).is_some();
    }

    /// Whether no further value can change the answer from `string`.
    pub(crate) fn is_string(&self) -> bool {
        self.seen && !(self.bool_ok || self.long_ok || self.real_ok || self.date_ok)
    }

    pub(crate) fn finish(&self) -> ScalarType {
        if !self.seen {
            ScalarType::String
        } else if self.bool_ok {
            ScalarType::Bool
        } else if self.long_ok {
            ScalarType::Long
        } else if self.real_ok {
            ScalarType::Real
        } else if self.date_ok {
            ScalarType::DateTime
        } else {
            ScalarType::String
        }
    }
}

/// Infers a column type from sample JSON values: objects or arrays make
/// `dynamic`, strings go through [`infer_text_type`], numbers give `long` or
/// `real`; a mix of kinds gives `dynamic`.
pub(crate) fn infer_json_type<'a>(values: impl IntoIterator<Item = &'a Value>) -> ScalarType {
    let mut kinds = [false; 4]; // bool, integer, float, string
    let mut strings = Vec::new();
    for v in values {
        match v {
            Value::Null => {}
            Value::Bool(_) => kinds[0] = true,
            Value::Number(n) if n.is_i64() => kinds[1] = true,
            Value::Number(_) => kinds[2] = true,
            Value::String(s) => {
                kinds[3] = true;
                strings.push(s.as_str());
            }
            Value::Array(_) | Value::Object(_) => return ScalarType::Dynamic,
        }
    }
    match kinds {
        [false, false, false, false] => ScalarType::String,
        [true, false, false, false] => ScalarType::Bool,
        [false, true, false, false] => ScalarType::Long,
        [false, _, true, false] => ScalarType::Real,
        [false, false, false, true] => match infer_text_type(strings) {
            ScalarType::DateTime => ScalarType::DateTime,
            _ => ScalarType::String,
        },
        _ => ScalarType::Dynamic,
    }
}

/// Why a value could not be appended.
#[derive(Debug, PartialEq)]
pub(crate) struct BadValue;

/// Builds one Arrow column of a KQL type from text or JSON values.
pub(crate) enum ColumnBuilder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Decimal(Decimal128Builder),
    DateTime(TimestampNanosecondBuilder),
    TimeSpan(DurationNanosecondBuilder),
    /// `string`, `guid` or `dynamic`, told apart by the second field.
    Text(StringBuilder, ScalarType),
}

impl ColumnBuilder {
    pub(crate) fn new(ty: ScalarType) -> Self {
        match ty {
            ScalarType::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            ScalarType::Int => ColumnBuilder::Int(Int32Builder::new()),
            ScalarType::Long => ColumnBuilder::Long(Int64Builder::new()),
            ScalarType::Real => ColumnBuilder::Real(Float64Builder::new()),
            ScalarType::Decimal => ColumnBuilder::Decimal(
                Decimal128Builder::new().with_data_type(kql_functions::types::arrow_type(ty)),
            ),
            ScalarType::DateTime => ColumnBuilder::DateTime(TimestampNanosecondBuilder::new()),
            ScalarType::TimeSpan => ColumnBuilder::TimeSpan(DurationNanosecondBuilder::new()),
            ScalarType::String | ScalarType::Guid | ScalarType::Dynamic => {
                ColumnBuilder::Text(StringBuilder::new(), ty)
            }
        }
    }

    /// Appends a missing value: `""` for strings, null otherwise.
    pub(crate) fn append_missing(&mut self) {
        match self {
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Long(b) => b.append_null(),
            ColumnBuilder::Real(b) => b.append_null(),
            ColumnBuilder::Decimal(b) => b.append_null(),
            ColumnBuilder::DateTime(b) => b.append_null(),
            ColumnBuilder::TimeSpan(b) => b.append_null(),
            ColumnBuilder::Text(b, ScalarType::String) => b.append_value(""),
            ColumnBuilder::Text(b, _) => b.append_null(),
        }
    }

    /// Appends a value given as text. An empty text is a missing value.
    pub(crate) fn append_text(&mut self, s: &str) -> Result<(), BadValue> {
        if s.is_empty() {
            self.append_missing();
            return Ok(());
        }
        match self {
            ColumnBuilder::Bool(b) => b.append_value(parse_bool(s).ok_or(BadValue)?),
            ColumnBuilder::Int(b) => b.append_value(parse_int(s).ok_or(BadValue)?),
            ColumnBuilder::Long(b) => b.append_value(parse_long(s).ok_or(BadValue)?),
            ColumnBuilder::Real(b) => b.append_value(parse_real(s).ok_or(BadValue)?),
            ColumnBuilder::Decimal(b) => b.append_value(parse_decimal128(s).ok_or(BadValue)?),
            ColumnBuilder::DateTime(b) => b.append_value(parse_datetime(s).ok_or(BadValue)?),
            ColumnBuilder::TimeSpan(b) => b.append_value(parse_timespan(s).ok_or(BadValue)?),
            ColumnBuilder::Text(b, ScalarType::Guid) => b.append_value(parse_guid(s).ok_or(BadValue)?),
            ColumnBuilder::Text(b, ScalarType::Dynamic) => match serde_json::from_str::<Value>(s) {
                Ok(v) => b.append_value(v.to_string()),
                // Text that is not JSON becomes a JSON string, as parse_json does.
                Err(_) => b.append_value(Value::String(s.to_string()).to_string()),
            },
            ColumnBuilder::Text(b, _) => b.append_value(s),
        }
        Ok(())
    }

    /// Appends a JSON value (from a JSON-lines file).
    pub(crate) fn append_json(&mut self, v: &Value) -> Result<(), BadValue> {
        if let ColumnBuilder::Text(b, ScalarType::Dynamic) = self {
            match v {
                Value::Null => b.append_null(),
                // Exports often hold a JSON document serialised as a string.
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(inner @ (Value::Object(_) | Value::Array(_))) => b.append_value(inner.to_string()),
                    _ => b.append_value(v.to_string()),
                },
                other => b.append_value(other.to_string()),
            }
            return Ok(());
        }
        match v {
            Value::Null => {
                self.append_missing();
                Ok(())
            }
            Value::String(s) => self.append_text(s),
            Value::Bool(x) => match self {
                ColumnBuilder::Bool(b) => {
                    b.append_value(*x);
                    Ok(())
                }
                _ => self.append_text(if *x { "true" } else { "false" }),
            },
            Value::Number(n) => match self {
                ColumnBuilder::Real(b) => {
                    b.append_value(n.as_f64().ok_or(BadValue)?);
                    Ok(())
                }
                ColumnBuilder::Bool(b) => {
                    // Log Analytics exports write booleans as 0/1 at times.
                    match n.as_i64() {
                        Some(0) => b.append_value(false),
                        Some(1) => b.append_value(true),
                        _ => return Err(BadValue),
                    }
                    Ok(())
                }
                _ => self.append_text(&n.to_string()),
            },
            Value::Array(_) | Value::Object(_) => match self {
                ColumnBuilder::Text(b, ScalarType::String) => {
                    b.append_value(v.to_string());
                    Ok(())
                }
                _ => Err(BadValue),
            },
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Long(b) => Arc::new(b.finish()),
            ColumnBuilder::Real(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b) => Arc::new(b.finish()),
            ColumnBuilder::DateTime(b) => Arc::new(b.finish()),
            ColumnBuilder::TimeSpan(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b, _) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_with_seven_digits_and_zones() {
        let base = parse_datetime("2024-05-01T12:34:56Z");
        assert_eq!(base, Some(1_714_566_896_000_000_000));
        assert_eq!(parse_datetime("2024-05-01T12:34:56.1234567Z"), Some(1_714_566_896_123_456_700));
        assert_eq!(parse_datetime("2024-05-01 12:34:56.1234567"), Some(1_714_566_896_123_456_700));
        assert_eq!(parse_datetime("2024-05-01T12:34:56"), base);
        assert_eq!(parse_datetime("2024-05-01T14:34:56+02:00"), base);
        assert_eq!(parse_datetime("2024-05-01 12:34:56.1Z"), Some(1_714_566_896_100_000_000));
        assert_eq!(parse_datetime("yesterday"), None);
        assert_eq!(parse_datetime("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("00:00:01"), Some(1_000_000_000));
        assert_eq!(parse_timespan("1.02:03:04.5"), Some(((86_400 + 7384) * 1_000_000_000) + 500_000_000));
        assert_eq!(parse_timespan("-00:01"), Some(-60_000_000_000));
        assert_eq!(parse_timespan("25:00:00"), None);
        assert_eq!(parse_timespan("abc"), None);
    }

    #[test]
    fn guids_are_lowered() {
        assert_eq!(
            parse_guid("{0A1B2C3D-0000-1111-2222-333344445555}").as_deref(),
            Some("0a1b2c3d-0000-1111-2222-333344445555")
        );
        assert_eq!(parse_guid("0a1b2c3d-0000-1111-2222-33334444555"), None);
    }

    #[test]
    fn text_inference() {
        assert_eq!(infer_text_type(["True", "", "false"]), ScalarType::Bool);
        assert_eq!(infer_text_type(["1", "-20", ""]), ScalarType::Long);
        assert_eq!(infer_text_type(["1", "2.5"]), ScalarType::Real);
        assert_eq!(
            infer_text_type(["2024-05-01T00:00:00Z", "2024-05-01 01:00:00.1234567"]),
            ScalarType::DateTime
        );
        assert_eq!(infer_text_type(["1", "x"]), ScalarType::String);
        assert_eq!(infer_text_type(["", ""]), ScalarType::String);
        assert_eq!(infer_text_type(["NaN", "inf"]), ScalarType::String);
        assert_eq!(infer_text_type(["2024-05-01"]), ScalarType::String);
    }

    #[test]
    fn json_inference() {
        let v: Vec<Value> = serde_json::from_str(r#"[1, 2, null]"#).unwrap_or_default();
        assert_eq!(infer_json_type(&v), ScalarType::Long);
        let v: Vec<Value> = serde_json::from_str(r#"[1, 2.5]"#).unwrap_or_default();
        assert_eq!(infer_json_type(&v), ScalarType::Real);
        let v: Vec<Value> = serde_json::from_str(r#"["a", {"b": 1}]"#).unwrap_or_default();
        assert_eq!(infer_json_type(&v), ScalarType::Dynamic);
        let v: Vec<Value> = serde_json::from_str(r#"["2021-08-02T13:11:39.7724491Z"]"#).unwrap_or_default();
        assert_eq!(infer_json_type(&v), ScalarType::DateTime);
    }

    #[test]
    fn builder_empty_text_is_empty_string_or_null() {
        use datafusion::arrow::array::{Array, AsArray};
        let mut s = ColumnBuilder::new(ScalarType::String);
        assert_eq!(s.append_text(""), Ok(()));
        let arr = s.finish();
        assert_eq!(arr.null_count(), 0);
        assert_eq!(arr.as_string::<i32>().value(0), "");
        let mut l = ColumnBuilder::new(ScalarType::Long);
        assert_eq!(l.append_text(""), Ok(()));
        assert_eq!(l.append_text("x"), Err(BadValue));
        assert_eq!(l.finish().null_count(), 1);
        let mut d = ColumnBuilder::new(ScalarType::Dynamic);
        assert_eq!(d.append_text("{ \"a\" : 1 }"), Ok(()));
        assert_eq!(d.append_text("plain"), Ok(()));
        let arr = d.finish();
        assert_eq!(arr.as_string::<i32>().value(0), r#"{"a":1}"#);
        assert_eq!(arr.as_string::<i32>().value(1), r#""plain""#);
    }
}
