//! `extractjson(path, json [, typeof(T)])`, alias `extract_json`, and its
//! fused form [`extract_json_many`] that serves several paths over the same
//! document with one parse.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, lit,
};
use kql_syntax::ast::ScalarType;

use super::path::parse_path;
use super::scan::{Elem, PathTree, Step};
use super::value::TypedBuilder;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, const_string, expr_arg, invalid, type_arg};
use crate::udf::{StrArg, result_field};

/// Builds `extractjson` / `extract_json`.
pub(crate) fn build_extract_json(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(3))?;
    let (path_expr, _) = expr_arg(&args, 0)?;
    let path = match const_string(&path_expr) {
        Some(Some(p)) => p,
        _ => return Err(invalid(0, "the JSONPath of `extractjson` must be a constant string")),
    };
    let steps = parse_path(&path).map_err(|m| invalid(0, &m))?;
    let (json, json_ty) = expr_arg(&args, 1)?;
    if !matches!(json_ty, ScalarType::String | ScalarType::Dynamic) {
        return Err(FnError::ArgType { index: 1, expected: "a string".into(), got: json_ty });
    }
    let ty = if args.len() == 3 { type_arg(&args, 2)? } else { ScalarType::String };
    let udf = ExtractJson::new(vec![(path, steps, ty)], false);
    let expr = ScalarUDF::new_from_impl(udf).call(vec![path_expr, json]);
    Ok(Typed::new(expr, ty))
}

/// One UDF call that parses each document of `json` once and returns a
/// struct with one field per item: `f0`, `f1`, ... holding what
/// `extractjson(path, json, typeof(ty))` would return. Take the fields with
/// `get_field`.
///
/// Fails when a path is not a JSONPath `extractjson` accepts.
pub fn extract_json_many(json: Expr, items: Vec<(String, ScalarType)>) -> Result<Expr, FnError> {
    let mut parsed = Vec::with_capacity(items.len());
    for (path, ty) in items {
        let steps = parse_path(&path).map_err(|m| FnError::Invalid { index: None, message: m })?;
        parsed.push((path, steps, ty));
    }
    Ok(ScalarUDF::new_from_impl(ExtractJson::new(parsed, true)).call(vec![json]))
}

/// One step of a member access on a dynamic value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    /// `d.name` or `d['name']`.
    Key(String),
    /// `d[3]`.
    Index(usize),
}

/// `value.a.b[0]`: the element of a dynamic (or JSON text) value at a path of
/// members, as KQL type `ty` (`dynamic` to keep it dynamic). Absent members
/// give null (`""` for `string`), exactly as `extractjson` does.
pub fn dynamic_get(value: Expr, path: Vec<Member>, ty: ScalarType) -> Expr {
    let mut text = String::from("$");
    let steps: Vec<Step> = path
        .into_iter()
        .map(|m| match m {
            Member::Key(k) => {
                text.push_str(&format!("[{}]", serde_json::to_string(&k).unwrap_or_default()));
                Step::Key(k)
            }
            Member::Index(i) => {
                text.push_str(&format!("[{i}]"));
                Step::Index(i)
            }
        })
        .collect();
    let udf = ExtractJson::new(vec![(text.clone(), steps, ty)], false);
    ScalarUDF::new_from_impl(udf).call(vec![lit(text), value])
}

/// The extraction UDF. With `fused` it takes `(json)` and returns a struct;
/// otherwise it takes `(path, json)` and returns the single value (the path
/// argument is only there so the call displays as written).
#[derive(Debug)]
struct ExtractJson {
    items: Vec<(String, ScalarType)>,
    tree: PathTree,
    fused: bool,
    signature: Signature,
}

impl ExtractJson {
    fn new(items: Vec<(String, Vec<Step>, ScalarType)>, fused: bool) -> Self {
        let tree = PathTree::new(items.iter().map(|(_, s, _)| s.as_slice()));
        ExtractJson {
            items: items.into_iter().map(|(p, _, t)| (p, t)).collect(),
            tree,
            fused,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    fn struct_fields(&self) -> Fields {
        self.items
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| Arc::new(result_field(&format!("f{i}"), *ty)))
            .collect()
    }

    fn evaluate(&self, json: &StrArg<'_>, rows: usize) -> Result<ArrayRef> {
        let mut builders: Vec<TypedBuilder> =
            self.items.iter().map(|(_, ty)| TypedBuilder::new(*ty, rows)).collect();
        let mut found = Vec::with_capacity(self.items.len());
        for row in 0..rows {
            match json.get(row) {
                Some(doc) => {
                    self.tree.find(doc, &mut found);
                    for (b, f) in builders.iter_mut().zip(&found) {
                        b.append_elem(f.map(|(s, e)| Elem::classify(&doc[s..e])));
                    }
                }
                None => builders.iter_mut().for_each(TypedBuilder::append_absent),
            }
        }
        let arrays: Vec<ArrayRef> = builders.iter_mut().map(TypedBuilder::finish).collect();
        if self.fused {
            Ok(Arc::new(StructArray::try_new(self.struct_fields(), arrays, None)?))
        } else {
            match arrays.into_iter().next() {
                Some(a) => Ok(a),
                None => exec_err!("extractjson without a path"),
            }
        }
    }
}

impl PartialEq for ExtractJson {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items && self.fused == other.fused
    }
}

impl Eq for ExtractJson {}

impl Hash for ExtractJson {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.items.hash(state);
        self.fused.hash(state);
    }
}

impl ScalarUDFImpl for ExtractJson {
    fn name(&self) -> &str {
        if self.fused { "extract_json_many" } else { "extractjson" }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        let args: Vec<String> = args.iter().map(|a| a.schema_name().to_string()).collect();
        let types: Vec<String> = if self.fused {
            self.items.iter().map(|(p, t)| format!("{p}:{t}")).collect()
        } else {
            self.items.iter().map(|(_, t)| format!("typeof({t})")).collect()
        };
        Ok(format!("{}({},{})", self.name(), args.join(","), types.join(",")))
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.return_field_from_args_inner().data_type().clone())
    }

    fn return_field_from_args(&self, _: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(self.return_field_from_args_inner())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let json_at = if self.fused { 0 } else { 1 };
        let rows = args.number_rows;
        let args = crate::udf::plain_args(args.args)?;
        let Some(json) = args.get(json_at) else {
            return exec_err!("{}: the JSON argument is missing", self.name());
        };
        match json {
            ColumnarValue::Scalar(_) => {
                let one = json.to_array(1)?;
                let out = self.evaluate(&StrArg::new(&ColumnarValue::Array(one))?, 1)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
            }
            ColumnarValue::Array(_) => Ok(ColumnarValue::Array(self.evaluate(&StrArg::new(json)?, rows)?)),
        }
    }
}

impl ExtractJson {
    fn return_field_from_args_inner(&self) -> FieldRef {
        if self.fused {
            Arc::new(Field::new(self.name(), DataType::Struct(self.struct_fields()), false))
        } else {
            let ty = self.items.first().map_or(ScalarType::String, |i| i.1);
            Arc::new(result_field(self.name(), ty))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray, StringArray};
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

    fn docs() -> StringArray {
        StringArray::from(vec![
            Some(r#"{"a": 1, "b": {"c": "x", "d": [10, 20, {"e": true}]}, "s": "443"}"#),
            Some(r#"{"a": "caf\u00e9 \"q\"", "b": null, "n": 1e3, "big": 123456789012345678901234}"#),
            Some(r#"[{"a": 5}, 7]"#),
            Some(r#"{"a": 1,"#),
            Some("not json"),
            Some(""),
            None,
            Some(r#"{"a b": 2, "when": "2024-05-01 10:11:12.1234567", "t": "01:02:03", "f": "true"}"#),
            Some(r#"  {"a" : [ 1 , 2 ] , "a2" : { "z" : 1, "y" : [ ] } }  "#),
            Some(r#"{"a": -0.5, "b": {"c": null}, "g": "74BE27DE-1E4E-49D9-B579-FE0B331D3642"}"#),
        ])
    }

    fn show(a: &ArrayRef) -> Vec<String> {
        let opts = FormatOptions::default().with_null("<null>");
        let f = ArrayFormatter::try_new(a.as_ref(), &opts).expect("formattable");
        (0..a.len()).map(|i| f.value(i).to_string()).collect()
    }

    const PATHS: &[&str] = &[
        "$",
        "$.a",
        "$.b",
        "$.b.c",
        "$.b.d[2].e",
        "$.b.d[1]",
        "$[0].a",
        "$[1]",
        "$.s",
        "$.n",
        "$.big",
        "$['a b']",
        "$.when",
        "$.t",
        "$.f",
        "$.a2",
        "$.g",
        "$.missing",
    ];
    const TYPES: &[ScalarType] = &[
        ScalarType::String,
        ScalarType::Long,
        ScalarType::Int,
        ScalarType::Real,
        ScalarType::Bool,
        ScalarType::DateTime,
        ScalarType::TimeSpan,
        ScalarType::Guid,
        ScalarType::Dynamic,
        ScalarType::Decimal,
    ];

    fn single(path: &str, ty: ScalarType, docs: &StringArray) -> ArrayRef {
        let steps = parse_path(path).expect("valid path");
        let udf = ExtractJson::new(vec![(path.to_string(), steps, ty)], false);
        let col = ColumnarValue::Array(Arc::new(docs.clone()));
        udf.evaluate(&StrArg::new(&col).expect("strings"), docs.len()).expect("evaluates")
    }

    #[test]
    fn fused_and_single_forms_agree() {
        let docs = docs();
        let mut items = Vec::new();
        for path in PATHS {
            for ty in TYPES {
                items.push((path.to_string(), parse_path(path).expect("valid path"), *ty));
            }
        }
        let fused = ExtractJson::new(items.clone(), true);
        let col = ColumnarValue::Array(Arc::new(docs.clone()));
        let out = fused.evaluate(&StrArg::new(&col).expect("strings"), docs.len()).expect("evaluates");
        let out = out.as_struct();
        assert_eq!(out.num_columns(), items.len());
        for (i, (path, _, ty)) in items.iter().enumerate() {
            let one = single(path, *ty, &docs);
            assert_eq!(show(out.column(i)), show(&one), "{path} as {ty}");
            assert_eq!(out.column(i).data_type(), &crate::types::arrow_type(*ty));
        }
    }

    /// What `extractjson(path, doc)` should give, computed from serde_json's DOM.
    fn reference(path: &str, doc: &str) -> String {
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(doc) else { return String::new() };
        for step in parse_path(path).expect("valid path") {
            v = match (step, v) {
                (Step::Key(k), serde_json::Value::Object(mut m)) => m.remove(&k).unwrap_or_default(),
                (Step::Index(i), serde_json::Value::Array(mut a)) if i < a.len() => a.swap_remove(i),
                _ => serde_json::Value::Null,
            };
        }
        match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) if n.is_f64() => {
                let mut s = String::new();
                crate::convert::text::write_real(n.as_f64().unwrap_or_default(), &mut s);
                s
            }
            other => other.to_string(),
        }
    }

    #[test]
    fn string_results_match_a_dom_parse() {
        let docs = docs();
        for path in PATHS {
            let got = single(path, ScalarType::String, &docs);
            let got = got.as_string::<i32>();
            for row in 0..docs.len() {
                let doc = if docs.is_null(row) { "" } else { docs.value(row) };
                // serde_json reads a big integer as a float; our text keeps its digits.
                if *path == "$.big" || *path == "$" && doc.contains("big") {
                    continue;
                }
                assert_eq!(got.value(row), reference(path, doc), "{path} in {doc}");
            }
        }
    }

    #[test]
    fn typed_results() {
        let docs = docs();
        let show_at = |path: &str, ty, row: usize| show(&single(path, ty, &docs))[row].clone();
        assert_eq!(show_at("$.s", ScalarType::Int, 0), "443");
        assert_eq!(show_at("$.a", ScalarType::Long, 0), "1");
        assert_eq!(show_at("$.a", ScalarType::Long, 9), "0");
        assert_eq!(show_at("$.n", ScalarType::Real, 1), "1000.0");
        assert_eq!(show_at("$.big", ScalarType::String, 1), "123456789012345678901234");
        assert_eq!(show_at("$.big", ScalarType::Long, 1), "<null>");
        assert_eq!(show_at("$.when", ScalarType::DateTime, 7), "2024-05-01T10:11:12.123456700");
        assert_eq!(show_at("$.t", ScalarType::TimeSpan, 7), "PT3723S");
        assert_eq!(show_at("$.f", ScalarType::Bool, 7), "true");
        assert_eq!(show_at("$.b.d[2].e", ScalarType::Bool, 0), "true");
        assert_eq!(show_at("$.g", ScalarType::Guid, 9), "74be27de-1e4e-49d9-b579-fe0b331d3642");
        assert_eq!(show_at("$.b", ScalarType::Dynamic, 0), r#"{"c":"x","d":[10,20,{"e":true}]}"#);
        assert_eq!(show_at("$.a2", ScalarType::String, 8), r#"{"z":1,"y":[]}"#);
        assert_eq!(show_at("$.a", ScalarType::Dynamic, 1), r#""café \"q\"""#);
        assert_eq!(show_at("$.a", ScalarType::String, 1), "café \"q\"");
        assert_eq!(show_at("$.b", ScalarType::Dynamic, 1), "<null>");
        assert_eq!(show_at("$.a", ScalarType::Int, 3), "<null>", "invalid JSON");
        assert_eq!(show_at("$.a", ScalarType::String, 3), "", "strings are never null");
        assert_eq!(show_at("$.a", ScalarType::Decimal, 9), "-0.500000000000000000");
    }
}
