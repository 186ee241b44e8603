//! `make_list`, `make_set` and `make_bag` (and their `_if` forms): collect
//! the values of a group into a dynamic array or property bag.
//!
//! The values arrive as JSON text (the builders convert typed inputs with
//! [`crate::json::to_json_value`]), so one accumulator serves every type. The
//! partial state is the JSON text built so far.

use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};
use kql_syntax::ast::ScalarType;

use crate::json::scan::{Elem, array_items, object_members, parse_root};
use crate::json::{to_json_value, write_json_string};
use crate::registry::{Arg, CallContext, FnError, Typed, arity, const_i64, expr_arg, invalid, typed_arg};
use crate::udf::{Strings, result_field};

/// What to collect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mode {
    List,
    Set,
    Bag,
}

/// Kusto's default cap on the number of collected values.
const DEFAULT_MAX: usize = 1_048_576;

#[derive(Debug, PartialEq, Eq, Hash)]
struct Collect {
    mode: Mode,
    max: usize,
    signature: Signature,
}

impl AggregateUDFImpl for Collect {
    fn name(&self) -> &str {
        match self.mode {
            Mode::List => "make_list",
            Mode::Set => "make_set",
            Mode::Bag => "make_bag",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field(&self, _: &[FieldRef]) -> Result<FieldRef> {
        Ok(Arc::new(result_field(self.name(), ScalarType::Dynamic)))
    }

    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Collector {
            mode: self.mode,
            max: self.max,
            items: Vec::new(),
            seen: HashSet::new(),
            bytes: 0,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[items]", args.name), DataType::Utf8, true))])
    }
}

/// Collected items as JSON texts; for a bag, `"key":value` member texts.
#[derive(Debug)]
struct Collector {
    mode: Mode,
    max: usize,
    items: Vec<String>,
    /// Set members, or bag keys already taken.
    seen: HashSet<String>,
    bytes: usize,
}

impl Collector {
    fn push(&mut self, text: &str) {
        if self.items.len() >= self.max {
            return;
        }
        match self.mode {
            Mode::List => self.keep(text.to_string()),
            Mode::Set => {
                if !self.seen.contains(text) {
                    self.seen.insert(text.to_string());
                    self.keep(text.to_string());
                }
            }
            Mode::Bag => {
                let Some(Elem::Composite(raw)) = parse_root(text) else { return };
                for (key, value) in object_members(raw).unwrap_or_default() {
                    // A key seen before keeps its first value.
                    if self.items.len() < self.max && self.seen.insert(key.to_string()) {
                        let mut member = String::new();
                        write_json_string(&key, &mut member);
                        member.push(':');
                        member.push_str(value);
                        self.keep(member);
                    }
                }
            }
        }
    }

    fn keep(&mut self, item: String) {
        self.bytes += item.len();
        self.items.push(item);
    }

    fn text(&self) -> String {
        let (open, close) = if self.mode == Mode::Bag { ('{', '}') } else { ('[', ']') };
        let mut out = String::with_capacity(self.bytes + self.items.len() + 2);
        out.push(open);
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(item);
        }
        out.push(close);
        out
    }
}

impl Accumulator for Collector {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else { return Ok(()) };
        let texts = Strings::new(values.as_ref())?;
        for i in 0..values.len() {
            if let Some(t) = texts.get(i) {
                self.push(t);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Utf8(Some(self.text())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bytes * 2 + self.items.capacity() * std::mem::size_of::<String>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Utf8(Some(self.text()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(states) = states.first() else { return Ok(()) };
        let texts = Strings::new(states.as_ref())?;
        for i in 0..states.len() {
            let Some(t) = texts.get(i) else { continue };
            if self.mode == Mode::Bag {
                self.push(t);
            } else {
                for item in array_items(t).unwrap_or_default() {
                    self.push(item);
                }
            }
        }
        Ok(())
    }
}

fn collect_expr(mode: Mode, max: usize, value: Expr, filter: Option<Expr>) -> Expr {
    let udaf = AggregateUDF::new_from_impl(Collect {
        mode,
        max,
        signature: Signature::any(1, Volatility::Immutable),
    });
    Expr::AggregateFunction(AggregateFunction::new_udf(
        Arc::new(udaf),
        vec![value],
        false,
        filter.map(Box::new),
        vec![],
        None,
    ))
}

/// Reads the optional constant size cap at `index`.
fn max_arg(args: &[Arg], index: usize) -> Result<usize, FnError> {
    if index >= args.len() {
        return Ok(DEFAULT_MAX);
    }
    let (e, _) = typed_arg(args, index, &[ScalarType::Int, ScalarType::Long], "an integer")?;
    match const_i64(&e) {
        Some(n) if n > 0 => Ok(usize::try_from(n).unwrap_or(DEFAULT_MAX)),
        _ => Err(invalid(index, "the size limit must be a positive integer constant")),
    }
}

fn build(args: Vec<Arg>, mode: Mode, with_if: bool) -> Result<Typed, FnError> {
    let fixed = if with_if { 2 } else { 1 };
    arity(&args, fixed, Some(fixed + 1))?;
    let (value, ty) = expr_arg(&args, 0)?;
    if mode == Mode::Bag && ty != ScalarType::Dynamic {
        return Err(FnError::ArgType { index: 0, expected: "a dynamic property bag".into(), got: ty });
    }
    let filter = if with_if { Some(typed_arg(&args, 1, &[ScalarType::Bool], "a bool")?.0) } else { None };
    let max = max_arg(&args, fixed)?;
    Ok(Typed::new(collect_expr(mode, max, to_json_value(value, ty), filter), ScalarType::Dynamic))
}

pub(crate) fn build_make_list(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build(a, Mode::List, false)
}
pub(crate) fn build_make_list_if(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build(a, Mode::List, true)
}
pub(crate) fn build_make_set(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build(a, Mode::Set, false)
}
pub(crate) fn build_make_set_if(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build(a, Mode::Set, true)
}
pub(crate) fn build_make_bag(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build(a, Mode::Bag, false)
}
pub(crate) fn build_make_bag_if(_: &CallContext, a: Vec<Arg>) -> Result<Typed, FnError> {
    build(a, Mode::Bag, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collector(mode: Mode, max: usize) -> Collector {
        Collector { mode, max, items: Vec::new(), seen: HashSet::new(), bytes: 0 }
    }

    #[test]
    fn lists_sets_and_bags() {
        let mut l = collector(Mode::List, 3);
        ["1", "\"a\"", "1", "2"].iter().for_each(|t| l.push(t));
        assert_eq!(l.text(), r#"[1,"a",1]"#);
        let mut s = collector(Mode::Set, 10);
        ["1", "\"a\"", "1", "2"].iter().for_each(|t| s.push(t));
        assert_eq!(s.text(), r#"[1,"a",2]"#);
        let mut b = collector(Mode::Bag, 10);
        [r#"{"a":1,"b":[2]}"#, r#"{"a":3,"c":null}"#, "5"].iter().for_each(|t| b.push(t));
        assert_eq!(b.text(), r#"{"a":1,"b":[2],"c":null}"#);
    }

    #[test]
    fn partial_states_merge() {
        let mut a = collector(Mode::Set, 10);
        a.push("1");
        a.push("2");
        let mut b = collector(Mode::Set, 10);
        b.push("2");
        b.push("3");
        let state: ArrayRef = Arc::new(datafusion::arrow::array::StringArray::from(vec![b.text()]));
        a.merge_batch(&[state]).expect("merges");
        assert_eq!(a.evaluate().expect("evaluates"), ScalarValue::Utf8(Some("[1,2,3]".into())));
    }
}
