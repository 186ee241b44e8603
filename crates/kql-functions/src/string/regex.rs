//! Regular-expression functions: `extract`, `replace_regex`, `trim`,
//! `trim_start`, `trim_end`. KQL regexes are RE2 syntax, which the `regex`
//! crate reads the same way for everything hunting queries use.

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::logical_expr::Expr;
use kql_syntax::ast::ScalarType;
use regex::Regex;

use super::basic::{int_arg_or, text_arg};
use crate::json::scan::Elem;
use crate::json::value::TypedBuilder;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, const_string, expr_arg, invalid, type_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc, i64_arg};

/// Compiles a KQL regex.
pub(crate) fn compile(pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| exec_datafusion_err!("invalid regex `{pattern}`: {e}"))
}

/// Checks a constant regex at plan time, so a bad pattern is reported at the
/// argument rather than when the query runs.
fn check_constant_regex(args: &[Arg], index: usize) -> Result<Expr, FnError> {
    let (e, _) = expr_arg(args, index)?;
    if let Some(Some(p)) = const_string(&e)
        && let Err(err) = Regex::new(&p)
    {
        return Err(invalid(index, &format!("invalid regex: {err}")));
    }
    text_arg(args, index)
}

/// A regex per row, compiled again only when the pattern changes.
struct RegexCache(Option<(String, Regex)>);

impl RegexCache {
    fn get(&mut self, pattern: &str) -> Result<&Regex> {
        if self.0.as_ref().is_none_or(|(p, _)| p != pattern) {
            self.0 = Some((pattern.to_string(), compile(pattern)?));
        }
        match &self.0 {
            Some((_, r)) => Ok(r),
            None => Err(exec_datafusion_err!("regex cache is empty")),
        }
    }
}

fn eval_extract(call: &Call) -> Result<ArrayRef> {
    let pattern = StrArg::new(call.arg(0)?)?;
    let group = i64_arg(call.arg(1)?)?;
    let source = StrArg::new(call.arg(2)?)?;
    let mut out = TypedBuilder::new(call.ret, call.rows);
    let mut cache = RegexCache(None);
    for i in 0..call.rows {
        let re = cache.get(pattern.text(i))?;
        let text = source.text(i);
        let found = group.get(i).and_then(|g| {
            let caps = re.captures(text)?;
            caps.get(usize::try_from(g).ok()?).map(|m| m.as_str())
        });
        out.append_elem(found.map(|t| Elem::Str(t, false)));
    }
    Ok(out.finish())
}

pub(crate) fn build_extract(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(4))?;
    let ty = if args.len() == 4 { type_arg(&args, 3)? } else { ScalarType::String };
    let call_args = vec![check_constant_regex(&args, 0)?, int_arg_or(&args, 1, 0)?, text_arg(&args, 2)?];
    let e = KqlUdf::new("extract", ty, eval_extract).call(call_args);
    Ok(Typed::new(e, ty))
}

/// KQL's rewrite syntax (`\1` for a group) in the `regex` crate's (`${1}`).
fn rewrite_template(rewrite: &str) -> String {
    let mut out = String::with_capacity(rewrite.len());
    let mut chars = rewrite.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    chars.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn eval_replace_regex(call: &Call) -> Result<ArrayRef> {
    let source = StrArg::new(call.arg(0)?)?;
    let pattern = StrArg::new(call.arg(1)?)?;
    let rewrite = StrArg::new(call.arg(2)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    let mut cache = RegexCache(None);
    for i in 0..call.rows {
        let re = cache.get(pattern.text(i))?;
        out.append_value(re.replace_all(source.text(i), rewrite_template(rewrite.text(i)).as_str()));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_replace_regex(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let call_args = vec![text_arg(&args, 0)?, check_constant_regex(&args, 1)?, text_arg(&args, 2)?];
    let e = KqlUdf::new("replace_regex", ScalarType::String, eval_replace_regex).call(call_args);
    Ok(Typed::new(e, ScalarType::String))
}

/// `param`: 1 trims the start, 2 the end, 3 both.
fn eval_trim(call: &Call) -> Result<ArrayRef> {
    let pattern = StrArg::new(call.arg(0)?)?;
    let source = StrArg::new(call.arg(1)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    let mut lead = RegexCache(None);
    let mut trail = RegexCache(None);
    for i in 0..call.rows {
        let p = pattern.text(i);
        let mut t = source.text(i);
        if call.param & 1 != 0 {
            let re = lead.get(&format!("^(?:{p})+"))?;
            if let Some(m) = re.find(t) {
                t = &t[m.end()..];
            }
        }
        if call.param & 2 != 0 {
            let re = trail.get(&format!("(?:{p})+$"))?;
            if let Some(m) = re.find(t) {
                t = &t[..m.start()];
            }
        }
        out.append_value(t);
    }
    Ok(arc(out.finish()))
}

fn build_trim_kind(args: Vec<Arg>, name: &str, kind: i64) -> Result<Typed, FnError> {
    arity(&args, 2, Some(2))?;
    let call_args = vec![check_constant_regex(&args, 0)?, text_arg(&args, 1)?];
    let e = KqlUdf::new(name, ScalarType::String, eval_trim).param(kind).call(call_args);
    Ok(Typed::new(e, ScalarType::String))
}

pub(crate) fn build_trim(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_trim_kind(args, "trim", 3)
}

pub(crate) fn build_trim_start(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_trim_kind(args, "trim_start", 1)
}

pub(crate) fn build_trim_end(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_trim_kind(args, "trim_end", 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_uses_group_references() {
        assert_eq!(rewrite_template(r"<\1>-$x"), "<${1}>-$$x");
        let re = compile(r"(\w+)@(\w+)").expect("valid");
        assert_eq!(re.replace_all("a@b c@d", rewrite_template(r"\2 at \1").as_str()), "b at a d at c");
    }
}
