//! The scalar halves of `mv-expand`: a dynamic value turned into an Arrow
//! list of the dynamic values it expands to, and the list of item indexes
//! for `with_itemindex`. The planner unnests the lists.
//!
//! What a value expands to, per the `mv-expand` docs:
//!
//! | value | items |
//! |---|---|
//! | null | one null item |
//! | `[]` or `{}` | none: the row disappears unless another column has items |
//! | `[a, b]` | `a`, `b` |
//! | `{"k": v, ...}` | `{"k": v}` per member, or `["k", v]` with `bagexpansion=array` |
//! | any other value | the value itself |

use std::fmt::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::dynamic::write_json_string;
use super::scan::{Elem, array_items, object_members, parse_root};
use super::value::compact_json;
use crate::udf::{StrArg, plain_args};

/// How `mv-expand` expands a property bag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BagExpansion {
    /// One `{"key": value}` bag per member (the default).
    Bag,
    /// One `["key", value]` array per member.
    Array,
}

/// `List<Utf8>` of the dynamic texts `doc` (a dynamic expression) expands
/// to, at most `limit` of them.
pub fn mv_expand_items(doc: Expr, bags: BagExpansion, limit: usize) -> Expr {
    let udf = ExpandItems { signature: Signature::any(1, Volatility::Immutable), bags, limit };
    ScalarUDF::new_from_impl(udf).call(vec![doc])
}

/// `List<Int64>` of `0, 1, ...` as long as the longest of `lists` (each an
/// expression made by [`mv_expand_items`]).
pub fn mv_expand_index(lists: Vec<Expr>) -> Expr {
    let udf = ExpandIndex { signature: Signature::variadic_any(Volatility::Immutable) };
    ScalarUDF::new_from_impl(udf).call(lists)
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ExpandItems {
    signature: Signature,
    bags: BagExpansion,
    limit: usize,
}

impl ScalarUDFImpl for ExpandItems {
    fn name(&self) -> &str {
        "mv_expand_items"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(DataType::Utf8))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let args = plain_args(args.args)?;
        let Some(doc) = args.first() else { return exec_err!("mv_expand_items takes one argument") };
        let doc = StrArg::new(doc)?;
        let mut out = ListBuilder::new(StringBuilder::new());
        let mut item = String::new();
        for i in 0..rows {
            expand_one(doc.get(i), self.bags, self.limit, &mut item, out.values());
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Appends the items `doc` expands to.
fn expand_one(
    doc: Option<&str>,
    bags: BagExpansion,
    limit: usize,
    buf: &mut String,
    out: &mut StringBuilder,
) {
    let root = doc.and_then(parse_root);
    match root {
        None | Some(Elem::Null) => {
            if limit > 0 {
                out.append_null();
            }
        }
        Some(Elem::Composite(raw)) if raw.starts_with('[') => {
            for item in array_items(raw).unwrap_or_default().into_iter().take(limit) {
                append_dynamic(Elem::classify(item), out);
            }
        }
        Some(Elem::Composite(raw)) => {
            for (key, value) in object_members(raw).unwrap_or_default().into_iter().take(limit) {
                buf.clear();
                let (open, sep, close) = match bags {
                    BagExpansion::Bag => ('{', ':', '}'),
                    BagExpansion::Array => ('[', ',', ']'),
                };
                buf.push(open);
                write_json_string(&key, buf);
                buf.push(sep);
                match compact_json(Elem::classify(value)) {
                    Some(v) => buf.push_str(&v),
                    None => buf.push_str("null"),
                }
                buf.push(close);
                out.append_value(buf.as_str());
            }
        }
        Some(scalar) => {
            if limit > 0 {
                append_dynamic(scalar, out);
            }
        }
    }
}

/// Appends one JSON element as a dynamic value: compact JSON, null for JSON
/// null.
fn append_dynamic(elem: Elem<'_>, out: &mut StringBuilder) {
    match elem {
        Elem::Null => out.append_null(),
        Elem::Bool(b) => out.append_value(if b { "true" } else { "false" }),
        Elem::Str(s, false) => {
            let _ = write!(out, "\"{s}\"");
            out.append_value("");
        }
        other => out.append_option(compact_json(other)),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ExpandIndex {
    signature: Signature,
}

impl ScalarUDFImpl for ExpandIndex {
    fn name(&self) -> &str {
        "mv_expand_index"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(DataType::Int64))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let lists = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<Vec<ArrayRef>>>()?;
        let mut out = ListBuilder::new(Int64Builder::new());
        for i in 0..rows {
            let mut longest = 0usize;
            for list in &lists {
                let Some(list) = list.as_list_opt::<i32>() else {
                    return exec_err!("mv_expand_index expects lists, got {}", list.data_type());
                };
                if list.is_valid(i) {
                    longest = longest.max(list.value_length(i) as usize);
                }
            }
            for n in 0..longest {
                out.values().append_value(n as i64);
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(doc: Option<&str>, bags: BagExpansion, limit: usize) -> Vec<Option<String>> {
        let mut out = StringBuilder::new();
        let mut buf = String::new();
        expand_one(doc, bags, limit, &mut buf, &mut out);
        let a = out.finish();
        (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect()
    }

    fn some(items: &[&str]) -> Vec<Option<String>> {
        items.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn arrays_expand_to_their_items() {
        let got = expand(Some(r#"[1, "a", {"b": [2, 3]}, null]"#), BagExpansion::Bag, usize::MAX);
        assert_eq!(got, vec![Some("1".into()), Some("\"a\"".into()), Some(r#"{"b":[2,3]}"#.into()), None]);
        assert_eq!(expand(Some("[1,2,3]"), BagExpansion::Bag, 2), some(&["1", "2"]));
    }

    #[test]
    fn bags_expand_per_member() {
        let doc = Some(r#"{"prop1": "a1", "prop2": "b1"}"#);
        assert_eq!(
            expand(doc, BagExpansion::Bag, usize::MAX),
            some(&[r#"{"prop1":"a1"}"#, r#"{"prop2":"b1"}"#])
        );
        assert_eq!(
            expand(doc, BagExpansion::Array, usize::MAX),
            some(&[r#"["prop1","a1"]"#, r#"["prop2","b1"]"#])
        );
    }

    #[test]
    fn null_empty_and_scalars() {
        assert_eq!(expand(None, BagExpansion::Bag, usize::MAX), vec![None]);
        assert_eq!(expand(Some("null"), BagExpansion::Bag, usize::MAX), vec![None]);
        assert!(expand(Some("[]"), BagExpansion::Bag, usize::MAX).is_empty());
        assert!(expand(Some("{}"), BagExpansion::Bag, usize::MAX).is_empty());
        assert_eq!(expand(Some("42"), BagExpansion::Bag, usize::MAX), some(&["42"]));
        assert_eq!(expand(Some("\"x\""), BagExpansion::Bag, usize::MAX), some(&["\"x\""]));
    }
}
