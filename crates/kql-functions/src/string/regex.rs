//! Regular-expression functions: `extract`, `extract_all`, `replace_regex`,
//! `trim`, `trim_start`, `trim_end`. KQL regexes are RE2 syntax, which the `regex`
//! crate reads the same way for everything hunting queries use.

use std::fmt::Write;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::logical_expr::{Expr, lit};
use kql_syntax::ast::ScalarType;
use regex::Regex;

use super::basic::{int_arg_or, text_arg};
use crate::json::scan::Elem;
use crate::json::value::TypedBuilder;
use crate::json::write_json_string;
use crate::registry::{
    Arg, CallContext, FnError, Typed, arity, const_string, expr_arg, invalid, type_arg, typed_arg,
};
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

/// The capture groups `extract_all` reports: those named in `spec` (a JSON
/// array of 1-based numbers or group names), or every group of the regex
/// when `spec` is empty. A regex without groups reports the whole match.
fn selected_groups(re: &Regex, spec: &str) -> Result<Vec<usize>> {
    if spec.trim().is_empty() {
        let n = re.captures_len() - 1;
        return Ok(if n == 0 { vec![0] } else { (1..=n).collect() });
    }
    let items: Vec<serde_json::Value> = match serde_json::from_str(spec) {
        Ok(serde_json::Value::Array(items)) => items,
        _ => return Err(exec_datafusion_err!("captureGroups must be a dynamic array, got `{spec}`")),
    };
    let groups = items
        .iter()
        .map(|item| match item {
            serde_json::Value::Number(n) => {
                n.as_u64().and_then(|g| usize::try_from(g).ok()).filter(|g| *g >= 1 && *g < re.captures_len())
            }
            serde_json::Value::String(name) => re.capture_names().position(|c| c == Some(name.as_str())),
            _ => None,
        })
        .collect::<Option<Vec<usize>>>();
    match groups {
        Some(g) if !g.is_empty() => Ok(g),
        _ => Err(exec_datafusion_err!("captureGroups `{spec}` names a group the regex does not have")),
    }
}

/// Every match of `re` in `text` as a JSON array: one string per match for
/// a single group, an array of strings per match for several; `None` when
/// nothing matches. A group that took no part in a match gives "".
fn extract_all(re: &Regex, groups: &[usize], text: &str, out: &mut impl Write) -> bool {
    let mut any = false;
    for caps in re.captures_iter(text) {
        let _ = out.write_char(if any { ',' } else { '[' });
        any = true;
        if groups.len() > 1 {
            let _ = out.write_char('[');
        }
        for (n, g) in groups.iter().enumerate() {
            if n > 0 {
                let _ = out.write_char(',');
            }
            write_json_string(caps.get(*g).map_or("", |m| m.as_str()), out);
        }
        if groups.len() > 1 {
            let _ = out.write_char(']');
        }
    }
    if any {
        let _ = out.write_char(']');
    }
    any
}

fn eval_extract_all(call: &Call) -> Result<ArrayRef> {
    let pattern = StrArg::new(call.arg(0)?)?;
    let spec = StrArg::new(call.arg(1)?)?;
    let source = StrArg::new(call.arg(2)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 32);
    let mut cache = RegexCache(None);
    let mut groups: Option<(String, String, Vec<usize>)> = None;
    for i in 0..call.rows {
        let (p, g) = (pattern.text(i), spec.text(i));
        let re = cache.get(p)?;
        if groups.as_ref().is_none_or(|(gp, gs, _)| gp != p || gs != g) {
            groups = Some((p.to_string(), g.to_string(), selected_groups(re, g)?));
        }
        let selected = groups.as_ref().map_or(&[][..], |(_, _, v)| v.as_slice());
        if extract_all(re, selected, source.text(i), &mut out) {
            out.append_value("");
        } else {
            out.append_null();
        }
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_extract_all(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(3))?;
    let spec = if args.len() == 3 {
        typed_arg(&args, 1, &[ScalarType::Dynamic], "a dynamic array of capture groups")?.0
    } else {
        lit("")
    };
    let call_args = vec![check_constant_regex(&args, 0)?, spec, text_arg(&args, args.len() - 1)?];
    let e = KqlUdf::new("extract_all", ScalarType::Dynamic, eval_extract_all).call(call_args);
    Ok(Typed::new(e, ScalarType::Dynamic))
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

    fn all(pattern: &str, spec: &str, text: &str) -> Option<String> {
        let re = compile(pattern).expect("valid");
        let groups = selected_groups(&re, spec).expect("valid groups");
        let mut out = String::new();
        extract_all(&re, &groups, text, &mut out).then_some(out)
    }

    #[test]
    fn extract_all_like_the_docs() {
        let id = "82b8be2d-dfa7-4bd1-8f63-24ad26d31449";
        assert_eq!(
            all(r"(\d+)", "", "a set of numbers: 123, 567 and 789").as_deref(),
            Some(r#"["123","567","789"]"#)
        );
        assert_eq!(
            all(r"([\da-f]{2})", "", id).as_deref(),
            Some(r#"["82","b8","be","2d","df","a7","4b","d1","8f","63","24","ad","26","d3","14","49"]"#)
        );
        assert_eq!(
            all(r"(\w)(\w+)(\w)", "", id).as_deref(),
            Some(
                r#"[["8","2b8be2","d"],["d","fa","7"],["4","bd","1"],["8","f6","3"],["2","4ad26d3144","9"]]"#
            )
        );
        assert_eq!(
            all(r"(\w)(\w+)(\w)", "[1,3]", id).as_deref(),
            Some(r#"[["8","d"],["d","7"],["4","1"],["8","3"],["2","9"]]"#)
        );
        assert_eq!(
            all(r"(?P<first>\w)(?P<middle>\w+)(?P<last>\w)", r#"["first","last"]"#, id).as_deref(),
            Some(r#"[["8","d"],["d","7"],["4","1"],["8","3"],["2","9"]]"#)
        );
        assert_eq!(all(r"(\d+)", "", "no digits"), None);
        let re = compile(r"(\d)").expect("valid");
        assert!(selected_groups(&re, "[2]").is_err());
    }
}
