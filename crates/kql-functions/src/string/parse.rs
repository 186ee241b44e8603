//! The scalar half of the `parse` operator: one regular expression applied
//! to each row's text, its named groups converted to the columns' types.
//! The planner builds the expression from the pattern and reads the
//! fields of the struct this returns.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use kql_syntax::ast::ScalarType;
use regex::Regex;

use crate::convert::text::{
    parse_bool, parse_datetime, parse_decimal, parse_guid, parse_long, parse_real, parse_timespan,
};
use crate::json::parse_to_dynamic;
use crate::json::scan::Elem;
use crate::json::value::TypedBuilder;
use crate::types::arrow_type;
use crate::udf::{StrArg, plain_args};

/// The name of the struct field that tells whether the row matched.
pub const PARSE_MATCHED_FIELD: &str = "matched";

/// The struct field holding column `index` of a [`parse_pattern`] call.
pub fn parse_field(index: usize) -> String {
    format!("c{index}")
}

/// Matches `text` (a string expression) against `regex`, whose named groups
/// `c0`, `c1`, ... capture the columns of types `columns`. Returns a struct
/// with one field per column ([`parse_field`]) and a boolean
/// [`PARSE_MATCHED_FIELD`].
///
/// A row matches when the regex does and, unless `relaxed`, every captured
/// text converts to its column's type; a row that does not match gets null
/// in every column (`""` for strings). With `relaxed`, a capture that does
/// not convert is null on its own.
pub fn parse_pattern(
    text: Expr,
    regex: &str,
    columns: Vec<ScalarType>,
    relaxed: bool,
) -> Result<Expr, String> {
    let regex = Regex::new(regex).map_err(|e| e.to_string())?;
    let udf = ParseUdf { signature: Signature::any(1, Volatility::Immutable), regex, columns, relaxed };
    Ok(ScalarUDF::new_from_impl(udf).call(vec![text]))
}

#[derive(Debug)]
struct ParseUdf {
    signature: Signature,
    regex: Regex,
    columns: Vec<ScalarType>,
    relaxed: bool,
}

impl PartialEq for ParseUdf {
    fn eq(&self, other: &Self) -> bool {
        self.regex.as_str() == other.regex.as_str()
            && self.columns == other.columns
            && self.relaxed == other.relaxed
    }
}

impl Eq for ParseUdf {}

impl Hash for ParseUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
        self.columns.hash(state);
        self.relaxed.hash(state);
    }
}

impl ParseUdf {
    fn fields(&self) -> Fields {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, ty)| Field::new(parse_field(i), arrow_type(*ty), true))
            .collect();
        fields.push(Field::new(PARSE_MATCHED_FIELD, DataType::Boolean, false));
        Fields::from(fields)
    }
}

impl ScalarUDFImpl for ParseUdf {
    fn name(&self) -> &str {
        "parse"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let args = plain_args(args.args)?;
        let Some(text) = args.first() else { return exec_err!("parse takes one argument") };
        let text = StrArg::new(text)?;
        let mut builders: Vec<TypedBuilder> =
            self.columns.iter().map(|ty| TypedBuilder::new(*ty, rows)).collect();
        let mut matched = BooleanBuilder::with_capacity(rows);
        let names: Vec<String> = (0..self.columns.len()).map(parse_field).collect();
        let mut values: Vec<Option<&str>> = vec![None; self.columns.len()];
        for i in 0..rows {
            let found = self.regex.captures(text.text(i)).is_some_and(|caps| {
                for (k, name) in names.iter().enumerate() {
                    values[k] = caps.name(name).map(|m| m.as_str());
                }
                self.relaxed
                    || values.iter().zip(&self.columns).all(|(v, ty)| v.is_some_and(|v| converts(*ty, v)))
            });
            matched.append_value(found);
            for (k, b) in builders.iter_mut().enumerate() {
                match values[k].filter(|_| found) {
                    Some(v) => append_text(b, v),
                    None => b.append_absent(),
                }
            }
        }
        let mut arrays: Vec<ArrayRef> = builders.iter_mut().map(TypedBuilder::finish).collect();
        arrays.push(Arc::new(matched.finish()));
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(self.fields(), arrays, None)?)))
    }
}

/// Whether `text` converts to a value of type `ty`.
fn converts(ty: ScalarType, text: &str) -> bool {
    match ty {
        ScalarType::String | ScalarType::Dynamic => true,
        ScalarType::Int => parse_long(text).is_some_and(|v| i32::try_from(v).is_ok()),
        ScalarType::Long => parse_long(text).is_some(),
        ScalarType::Real => parse_real(text).is_some(),
        ScalarType::Decimal => parse_decimal(text).is_some(),
        ScalarType::Bool => parse_bool(text).is_some(),
        ScalarType::DateTime => parse_datetime(text).is_some(),
        ScalarType::TimeSpan => parse_timespan(text).is_some(),
        ScalarType::Guid => parse_guid(text).is_some(),
    }
}

/// Appends `text` converted to the builder's type; null when it does not
/// convert.
fn append_text(builder: &mut TypedBuilder, text: &str) {
    match builder {
        TypedBuilder::Text(b, ScalarType::String) => b.append_value(text),
        TypedBuilder::Text(b, ScalarType::Dynamic) => b.append_option(parse_to_dynamic(text)),
        other => other.append_elem(Some(Elem::Str(text, false))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    use datafusion::common::config::ConfigOptions;

    fn run(regex: &str, columns: Vec<ScalarType>, relaxed: bool, texts: &[&str]) -> StructArray {
        let udf = ParseUdf {
            signature: Signature::any(1, Volatility::Immutable),
            regex: Regex::new(regex).expect("regex"),
            columns,
            relaxed,
        };
        let input: ArrayRef = Arc::new(datafusion::arrow::array::StringArray::from(texts.to_vec()));
        let args = ScalarFunctionArgs {
            args: vec![ColumnarValue::Array(input)],
            arg_fields: vec![Arc::new(Field::new("t", DataType::Utf8, true))],
            number_rows: texts.len(),
            return_field: Arc::new(Field::new("r", udf.return_type(&[]).expect("type"), true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let rows = texts.len();
        let out = udf.invoke_with_args(args).and_then(|v| v.into_array(rows)).expect("invoke");
        out.as_struct().clone()
    }

    #[test]
    fn strict_rows_need_every_column_to_convert() {
        let out = run(
            r"^.*?totalSlices=(?P<c0>-?\d+), sliceNumber=(?P<c1>-?\d+)",
            vec![ScalarType::Long, ScalarType::Long],
            false,
            &["x totalSlices=27, sliceNumber=23)", "totalSlices=bad, sliceNumber=15"],
        );
        let a = out.column(0).as_primitive::<Int64Type>();
        let b = out.column(1).as_primitive::<Int64Type>();
        assert_eq!((a.value(0), b.value(0)), (27, 23));
        assert!(a.is_null(1) && b.is_null(1));
        let m = out.column(2).as_boolean();
        assert!(m.value(0) && !m.value(1));
    }

    #[test]
    fn relaxed_rows_keep_what_converts() {
        let out = run(
            r"^(?s).*?name=(?P<c0>.*?), n=(?P<c1>.*?)\)",
            vec![ScalarType::String, ScalarType::Long],
            true,
            &["(name=a, n=x)", "nothing"],
        );
        let names = out.column(0).as_string::<i32>();
        let n = out.column(1).as_primitive::<Int64Type>();
        assert_eq!(names.value(0), "a");
        assert!(n.is_null(0));
        assert_eq!((names.is_null(1), names.value(1)), (false, ""));
        assert!(out.column(2).as_boolean().value(0) && !out.column(2).as_boolean().value(1));
    }
}
