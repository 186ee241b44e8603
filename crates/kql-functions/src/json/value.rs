//! Turning a JSON element into a value of a KQL type, straight into an Arrow
//! builder.

use std::fmt::Write;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Decimal128Builder, DurationNanosecondBuilder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use datafusion::arrow::datatypes::DataType;
use kql_syntax::ast::ScalarType;

use super::scan::Elem;
use crate::convert::text::{
    parse_bool, parse_datetime, parse_decimal, parse_guid, parse_long, parse_real, parse_timespan, write_real,
};
use crate::types::{DECIMAL_PRECISION, DECIMAL_SCALE};

/// An Arrow builder for one KQL type.
pub(crate) enum TypedBuilder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Decimal(Decimal128Builder),
    /// `string`, `guid` or `dynamic`.
    Text(StringBuilder, ScalarType),
    DateTime(TimestampNanosecondBuilder),
    TimeSpan(DurationNanosecondBuilder),
}

impl TypedBuilder {
    /// A builder for `capacity` values of type `ty`.
    pub fn new(ty: ScalarType, capacity: usize) -> Self {
        match ty {
            ScalarType::Bool => TypedBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            ScalarType::Int => TypedBuilder::Int(Int32Builder::with_capacity(capacity)),
            ScalarType::Long => TypedBuilder::Long(Int64Builder::with_capacity(capacity)),
            ScalarType::Real => TypedBuilder::Real(Float64Builder::with_capacity(capacity)),
            ScalarType::Decimal => TypedBuilder::Decimal(
                Decimal128Builder::with_capacity(capacity)
                    .with_data_type(DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)),
            ),
            ScalarType::String | ScalarType::Guid | ScalarType::Dynamic => {
                TypedBuilder::Text(StringBuilder::with_capacity(capacity, capacity * 8), ty)
            }
            ScalarType::DateTime => {
                TypedBuilder::DateTime(TimestampNanosecondBuilder::with_capacity(capacity))
            }
            ScalarType::TimeSpan => {
                TypedBuilder::TimeSpan(DurationNanosecondBuilder::with_capacity(capacity))
            }
        }
    }

    /// Appends the conversion of `elem` (`None`: absent or invalid JSON).
    /// A `string` result is never null: what does not convert becomes "".
    pub fn append_elem(&mut self, elem: Option<Elem<'_>>) {
        let elem = match elem {
            Some(Elem::Null) | None => return self.append_absent(),
            Some(e) => e,
        };
        match self {
            TypedBuilder::Bool(b) => b.append_option(elem_bool(elem)),
            TypedBuilder::Int(b) => b.append_option(elem_long(elem).and_then(|v| i32::try_from(v).ok())),
            TypedBuilder::Long(b) => b.append_option(elem_long(elem)),
            TypedBuilder::Real(b) => b.append_option(elem_real(elem)),
            TypedBuilder::Decimal(b) => b.append_option(match elem {
                Elem::Number(n) => parse_decimal(n),
                Elem::Str(s, e) => parse_decimal(&Elem::str_text(s, e)),
                _ => None,
            }),
            TypedBuilder::DateTime(b) => b.append_option(match elem {
                Elem::Str(s, e) => parse_datetime(&Elem::str_text(s, e)),
                _ => None,
            }),
            TypedBuilder::TimeSpan(b) => b.append_option(match elem {
                Elem::Str(s, e) => parse_timespan(&Elem::str_text(s, e)),
                _ => None,
            }),
            TypedBuilder::Text(b, ScalarType::Guid) => b.append_option(match elem {
                Elem::Str(s, e) => parse_guid(&Elem::str_text(s, e)),
                _ => None,
            }),
            TypedBuilder::Text(b, ScalarType::Dynamic) => match elem {
                Elem::Str(s, false) => {
                    let _ = write!(b, "\"{s}\"");
                    b.append_value("");
                }
                Elem::Bool(v) => b.append_value(if v { "true" } else { "false" }),
                Elem::Str(..) | Elem::Number(_) | Elem::Composite(_) => b.append_option(compact_json(elem)),
                Elem::Null => b.append_null(),
            },
            TypedBuilder::Text(b, _) => {
                write_elem_text(elem, b);
                b.append_value("");
            }
        }
    }

    /// Appends the value for an absent element: null, or "" for `string`.
    pub fn append_absent(&mut self) {
        match self {
            TypedBuilder::Bool(b) => b.append_null(),
            TypedBuilder::Int(b) => b.append_null(),
            TypedBuilder::Long(b) => b.append_null(),
            TypedBuilder::Real(b) => b.append_null(),
            TypedBuilder::Decimal(b) => b.append_null(),
            TypedBuilder::DateTime(b) => b.append_null(),
            TypedBuilder::TimeSpan(b) => b.append_null(),
            TypedBuilder::Text(b, ScalarType::String) => b.append_value(""),
            TypedBuilder::Text(b, _) => b.append_null(),
        }
    }

    /// The finished array.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            TypedBuilder::Bool(b) => Arc::new(b.finish()),
            TypedBuilder::Int(b) => Arc::new(b.finish()),
            TypedBuilder::Long(b) => Arc::new(b.finish()),
            TypedBuilder::Real(b) => Arc::new(b.finish()),
            TypedBuilder::Decimal(b) => Arc::new(b.finish()),
            TypedBuilder::Text(b, _) => Arc::new(b.finish()),
            TypedBuilder::DateTime(b) => Arc::new(b.finish()),
            TypedBuilder::TimeSpan(b) => Arc::new(b.finish()),
        }
    }
}

/// Whether a JSON number is written as an integer.
fn is_integer_literal(n: &str) -> bool {
    !n.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

fn elem_long(elem: Elem<'_>) -> Option<i64> {
    match elem {
        Elem::Number(n) if is_integer_literal(n) => n.parse().ok(),
        Elem::Number(n) => {
            let v: f64 = n.parse().ok()?;
            (v.is_finite() && v.abs() < 9.2e18).then(|| v.trunc() as i64)
        }
        Elem::Str(s, e) => parse_long(&Elem::str_text(s, e)),
        Elem::Bool(b) => Some(i64::from(b)),
        Elem::Null | Elem::Composite(_) => None,
    }
}

fn elem_real(elem: Elem<'_>) -> Option<f64> {
    match elem {
        Elem::Number(n) => n.parse().ok(),
        Elem::Str(s, e) => parse_real(&Elem::str_text(s, e)),
        Elem::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        Elem::Null | Elem::Composite(_) => None,
    }
}

fn elem_bool(elem: Elem<'_>) -> Option<bool> {
    match elem {
        Elem::Bool(b) => Some(b),
        Elem::Number(n) => n.parse::<f64>().ok().map(|v| v != 0.0),
        Elem::Str(s, e) => parse_bool(&Elem::str_text(s, e)),
        Elem::Null | Elem::Composite(_) => None,
    }
}

/// Writes an element as KQL's `tostring` of a dynamic value shows it: a
/// string unquoted, a number in KQL's form, anything else as compact JSON.
pub(crate) fn write_elem_text(elem: Elem<'_>, out: &mut impl Write) {
    match elem {
        Elem::Null => {}
        Elem::Bool(b) => {
            let _ = out.write_str(if b { "true" } else { "false" });
        }
        Elem::Str(s, false) => {
            let _ = out.write_str(s);
        }
        Elem::Str(s, true) => {
            let _ = out.write_str(&Elem::str_text(s, true));
        }
        Elem::Number(n) if is_integer_literal(n) => {
            let _ = out.write_str(n);
        }
        Elem::Number(n) => match n.parse::<f64>() {
            Ok(v) => write_real(v, out),
            Err(_) => {
                let _ = out.write_str(n);
            }
        },
        Elem::Composite(raw) => {
            let _ = out.write_str(&compact_json(elem).unwrap_or_else(|| raw.to_string()));
        }
    }
}

/// An element re-written as compact JSON, keys in document order.
pub(crate) fn compact_json(elem: Elem<'_>) -> Option<String> {
    let raw = match elem {
        Elem::Composite(raw) | Elem::Number(raw) => raw,
        Elem::Str(s, e) => return serde_json::to_string(&Elem::str_text(s, e)).ok(),
        Elem::Bool(b) => return Some(b.to_string()),
        Elem::Null => return None,
    };
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    serde_json::to_string(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int32Type;

    #[test]
    fn converts_to_int_and_string() {
        let mut ints = TypedBuilder::new(ScalarType::Int, 4);
        for e in [Elem::Number("443"), Elem::Str("443", false), Elem::Number("3e9"), Elem::Null] {
            ints.append_elem(Some(e));
        }
        let a = ints.finish();
        let a = a.as_primitive::<Int32Type>();
        assert_eq!((a.value(0), a.value(1)), (443, 443));
        assert!(a.is_null(2) && a.is_null(3));

        let mut text = TypedBuilder::new(ScalarType::String, 4);
        text.append_elem(Some(Elem::Str(r"caf\u00e9", true)));
        text.append_elem(Some(Elem::Composite(r#"{ "a" : [1, 2] }"#)));
        text.append_elem(Some(Elem::Number("1e3")));
        text.append_elem(None);
        let a = text.finish();
        let a = a.as_string::<i32>();
        assert_eq!(a.value(0), "café");
        assert_eq!(a.value(1), r#"{"a":[1,2]}"#);
        assert_eq!(a.value(2), "1000");
        assert_eq!((a.is_null(3), a.value(3)), (false, ""));
    }

    #[test]
    fn dynamic_keeps_json() {
        let mut b = TypedBuilder::new(ScalarType::Dynamic, 3);
        b.append_elem(Some(Elem::Str("x", false)));
        b.append_elem(Some(Elem::Str(r"\u0041", true)));
        b.append_elem(Some(Elem::Null));
        let a = b.finish();
        let a = a.as_string::<i32>();
        assert_eq!((a.value(0), a.value(1)), ("\"x\"", "\"A\""));
        assert!(a.is_null(2));
    }
}
