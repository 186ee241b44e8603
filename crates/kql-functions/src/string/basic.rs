//! Plain string functions: `strlen`, `tolower`, `toupper`, `reverse`,
//! `strcat`, `strcat_delim`, `substring`, `indexof`, `countof`,
//! `replace_string`, `split`. Positions and lengths count Unicode characters.

use std::fmt::Write;

use datafusion::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, lit};
use kql_syntax::ast::ScalarType;

use crate::convert::to_string_expr;
use crate::json::write_json_string;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, const_string, expr_arg, typed_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc, i64_arg};

/// Argument `index` as text: strings as they are, other values through
/// `tostring` (KQL converts them implicitly).
pub(crate) fn text_arg(args: &[Arg], index: usize) -> Result<Expr, FnError> {
    let (e, ty) = expr_arg(args, index)?;
    Ok(to_string_expr(e, ty))
}

/// An optional integer argument with a default.
pub(crate) fn int_arg_or(args: &[Arg], index: usize, default: i64) -> Result<Expr, FnError> {
    if index >= args.len() {
        return Ok(lit(default));
    }
    typed_arg(args, index, &[ScalarType::Int, ScalarType::Long], "an integer").map(|(e, _)| e)
}

fn string_udf(name: &str, eval: crate::udf::EvalFn, args: Vec<Expr>) -> Typed {
    Typed::new(KqlUdf::new(name, ScalarType::String, eval).call(args), ScalarType::String)
}

fn eval_strlen(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = Int64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        let t = s.text(i);
        out.append_value(if t.is_ascii() { t.len() } else { t.chars().count() } as i64);
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_strlen(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = text_arg(&args, 0)?;
    Ok(Typed::new(KqlUdf::new("strlen", ScalarType::Long, eval_strlen).call(vec![e]), ScalarType::Long))
}

fn eval_case(call: &Call) -> Result<ArrayRef> {
    let upper = call.param == 1;
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    let mut buf = String::new();
    for i in 0..call.rows {
        let t = s.text(i);
        if t.is_ascii() {
            buf.clear();
            buf.push_str(t);
            if upper {
                buf.make_ascii_uppercase()
            } else {
                buf.make_ascii_lowercase()
            }
            out.append_value(&buf);
        } else {
            out.append_value(if upper { t.to_uppercase() } else { t.to_lowercase() });
        }
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_tolower(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = text_arg(&args, 0)?;
    Ok(Typed::new(KqlUdf::new("tolower", ScalarType::String, eval_case).call(vec![e]), ScalarType::String))
}

pub(crate) fn build_toupper(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = text_arg(&args, 0)?;
    Ok(Typed::new(
        KqlUdf::new("toupper", ScalarType::String, eval_case).param(1).call(vec![e]),
        ScalarType::String,
    ))
}

fn eval_reverse(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        for c in s.text(i).chars().rev() {
            let _ = out.write_char(c);
        }
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_reverse(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    Ok(string_udf("reverse", eval_reverse, vec![text_arg(&args, 0)?]))
}

/// Concatenates the arguments from `call.param` on, separated by argument 0
/// when `call.param` is 1.
fn eval_concat(call: &Call) -> Result<ArrayRef> {
    let parts = call.args.iter().map(StrArg::new).collect::<Result<Vec<_>>>()?;
    let (delim, parts) = if call.param == 1 { (parts.first(), &parts[1..]) } else { (None, &parts[..]) };
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 32);
    for i in 0..call.rows {
        for (n, p) in parts.iter().enumerate() {
            if n > 0
                && let Some(d) = delim
            {
                let _ = out.write_str(d.text(i));
            }
            let _ = out.write_str(p.text(i));
        }
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_strcat(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(64))?;
    let parts = (0..args.len()).map(|i| text_arg(&args, i)).collect::<Result<Vec<_>, _>>()?;
    Ok(string_udf("strcat", eval_concat, parts))
}

pub(crate) fn build_strcat_delim(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(65))?;
    let parts = (0..args.len()).map(|i| text_arg(&args, i)).collect::<Result<Vec<_>, _>>()?;
    let e = KqlUdf::new("strcat_delim", ScalarType::String, eval_concat).param(1).call(parts);
    Ok(Typed::new(e, ScalarType::String))
}

/// Byte offset of character `ci` in `s` (its length when past the end).
fn byte_at(s: &str, ci: usize) -> usize {
    if s.is_ascii() {
        return ci.min(s.len());
    }
    s.char_indices().nth(ci).map_or(s.len(), |(b, _)| b)
}

fn char_len(s: &str) -> usize {
    if s.is_ascii() { s.len() } else { s.chars().count() }
}

fn eval_substring(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let start = i64_arg(call.arg(1)?)?;
    let len = i64_arg(call.arg(2)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        let t = s.text(i);
        let n = char_len(t) as i64;
        let (Some(start), len) = (start.get(i), len.get(i)) else {
            out.append_value("");
            continue;
        };
        let from = if start < 0 { (n + start).max(0) } else { start.min(n) };
        let to = match len {
            Some(l) if l >= 0 => (from + l).min(n),
            Some(_) => from,
            None => n,
        };
        let (a, b) = (byte_at(t, from as usize), byte_at(t, to as usize));
        out.append_value(&t[a..b]);
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_substring(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(3))?;
    let len = if args.len() == 3 {
        int_arg_or(&args, 2, 0)?
    } else {
        lit(datafusion::common::ScalarValue::Int64(None))
    };
    Ok(string_udf("substring", eval_substring, vec![text_arg(&args, 0)?, int_arg_or(&args, 1, 0)?, len]))
}

/// `indexof` on one value: the character index of the `occurrence`-th match
/// of `lookup` that fits in `length` characters from the search start (each
/// further search starts one character after the previous match); -1 when
/// there is none, `None` for invalid arguments.
fn index_of(source: &str, lookup: &str, start: i64, length: i64, occurrence: i64) -> Option<i64> {
    if length < -1 || occurrence < 1 {
        return None;
    }
    let n = char_len(source) as i64;
    let mut from = if start < 0 { (n + start).max(0) } else { start };
    let mut found = -1;
    for _ in 0..occurrence {
        if from > n {
            return Some(-1);
        }
        let to = if length == -1 { n } else { (from + length).min(n) };
        let window = &source[byte_at(source, from as usize)..byte_at(source, to as usize)];
        match window.find(lookup) {
            Some(b) => found = from + char_len(&window[..b]) as i64,
            None => return Some(-1),
        }
        from = found + 1;
    }
    Some(found)
}

fn eval_indexof(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let lookup = StrArg::new(call.arg(1)?)?;
    let (start, length, occ) = (i64_arg(call.arg(2)?)?, i64_arg(call.arg(3)?)?, i64_arg(call.arg(4)?)?);
    let mut out = Int64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(match (start.get(i), length.get(i), occ.get(i)) {
            (Some(a), Some(l), Some(o)) => index_of(s.text(i), lookup.text(i), a, l, o),
            _ => None,
        });
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_indexof(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(5))?;
    let call_args = vec![
        text_arg(&args, 0)?,
        text_arg(&args, 1)?,
        int_arg_or(&args, 2, 0)?,
        int_arg_or(&args, 3, -1)?,
        int_arg_or(&args, 4, 1)?,
    ];
    let e = KqlUdf::new("indexof", ScalarType::Long, eval_indexof).call(call_args);
    Ok(Typed::new(e, ScalarType::Long))
}

fn eval_countof(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let search = StrArg::new(call.arg(1)?)?;
    let mut out = Int64Builder::with_capacity(call.rows);
    let mut re: Option<(String, regex::Regex)> = None;
    for i in 0..call.rows {
        let (t, p) = (s.text(i), search.text(i));
        if call.param == 1 {
            if re.as_ref().is_none_or(|(q, _)| q != p) {
                re = Some((p.to_string(), super::regex::compile(p)?));
            }
            out.append_option(re.as_ref().map(|(_, r)| r.find_iter(t).count() as i64));
        } else if p.is_empty() {
            out.append_value(0);
        } else {
            // Occurrences may overlap: "ababa" holds "aba" twice.
            let mut count = 0;
            let mut from = 0;
            while let Some(at) = t[from..].find(p) {
                count += 1;
                from += at + p.chars().next().map_or(1, char::len_utf8);
            }
            out.append_value(count);
        }
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_countof(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(3))?;
    let kind = if args.len() == 3 {
        match expr_arg(&args, 2).map(|(e, _)| const_string(&e)) {
            Ok(Some(Some(k))) if k == "normal" => 0,
            Ok(Some(Some(k))) if k == "regex" => 1,
            _ => {
                return Err(crate::registry::invalid(
                    2,
                    "the kind of `countof` must be \"normal\" or \"regex\"",
                ));
            }
        }
    } else {
        0
    };
    let e = KqlUdf::new("countof", ScalarType::Long, eval_countof)
        .param(kind)
        .call(vec![text_arg(&args, 0)?, text_arg(&args, 1)?]);
    Ok(Typed::new(e, ScalarType::Long))
}

fn eval_replace_string(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let lookup = StrArg::new(call.arg(1)?)?;
    let rewrite = StrArg::new(call.arg(2)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        let (t, l) = (s.text(i), lookup.text(i));
        if l.is_empty() || !t.contains(l) {
            out.append_value(t);
        } else {
            out.append_value(t.replace(l, rewrite.text(i)));
        }
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_replace_string(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let parts = vec![text_arg(&args, 0)?, text_arg(&args, 1)?, text_arg(&args, 2)?];
    Ok(string_udf("replace_string", eval_replace_string, parts))
}

fn eval_split(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let delim = StrArg::new(call.arg(1)?)?;
    let index = i64_arg(call.arg(2)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 32);
    for i in 0..call.rows {
        let (t, d) = (s.text(i), delim.text(i));
        let parts: Vec<&str> = if d.is_empty() { vec![t] } else { t.split(d).collect() };
        let _ = out.write_char('[');
        match index.get(i) {
            None => {
                for (n, p) in parts.iter().enumerate() {
                    if n > 0 {
                        let _ = out.write_char(',');
                    }
                    write_json_string(p, &mut out);
                }
            }
            Some(k) => {
                if let Some(p) = usize::try_from(k).ok().and_then(|k| parts.get(k)) {
                    write_json_string(p, &mut out);
                }
            }
        }
        let _ = out.write_char(']');
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_split(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 2, Some(3))?;
    let index = if args.len() == 3 {
        int_arg_or(&args, 2, 0)?
    } else {
        lit(datafusion::common::ScalarValue::Int64(None))
    };
    let e = KqlUdf::new("split", ScalarType::Dynamic, eval_split).call(vec![
        text_arg(&args, 0)?,
        text_arg(&args, 1)?,
        index,
    ]);
    Ok(Typed::new(e, ScalarType::Dynamic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexof_matches_the_docs_examples() {
        assert_eq!(index_of("abcdefg", "cde", 0, -1, 1), Some(2));
        assert_eq!(index_of("abcdefg", "cde", 1, 4, 1), Some(2));
        assert_eq!(index_of("abcdefg", "cde", 1, 2, 1), Some(-1));
        assert_eq!(index_of("abcdefg", "cde", 3, 4, 1), Some(-1));
        assert_eq!(index_of("abcdefg", "cde", -5, -1, 1), Some(2));
        assert_eq!(index_of("1234567", "5", 1, 4, 1), Some(4));
        assert_eq!(index_of("abcdefg", "cde", 2, -1, 1), Some(2));
        assert_eq!(index_of("abcdefgabcdefg", "cde", 1, 10, 2), Some(9));
        assert_eq!(index_of("abcdefgabcdefg", "cde", 1, -1, 3), Some(-1));
        assert_eq!(index_of("ééabc", "b", 0, -1, 1), Some(3));
        assert_eq!(index_of("abc", "b", 0, -2, 1), None);
    }

    #[test]
    fn char_offsets() {
        assert_eq!(byte_at("ééa", 2), 4);
        assert_eq!(byte_at("ééa", 9), 5);
        assert_eq!(char_len("Çedilla"), 7);
    }
}
