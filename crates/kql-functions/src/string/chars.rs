//! Functions over the bytes and characters of a string: `string_size`,
//! `hash_sha256`, `translate`, `replace_strings`,
//! `unicode_codepoints_from_string`, `unicode_codepoints_to_string`.

use std::collections::HashMap;
use std::fmt::Write;

use datafusion::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use datafusion::common::Result;
use datafusion::logical_expr::Expr;
use kql_syntax::ast::ScalarType;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::basic::text_arg;
use crate::registry::{Arg, CallContext, FnError, Typed, arity, typed_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc};

fn eval_string_size(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = Int64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_value(s.text(i).len() as i64);
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_string_size(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = KqlUdf::new("string_size", ScalarType::Long, eval_string_size).call(vec![text_arg(&args, 0)?]);
    Ok(Typed::new(e, ScalarType::Long))
}

/// The SHA-256 digest of `text`'s UTF-8 bytes, as lower-case hex.
fn sha256_hex(text: &str, out: &mut impl Write) {
    for b in Sha256::digest(text.as_bytes()) {
        let _ = write!(out, "{b:02x}");
    }
}

fn eval_hash_sha256(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 64);
    for i in 0..call.rows {
        sha256_hex(s.text(i), &mut out);
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_hash_sha256(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = KqlUdf::new("hash_sha256", ScalarType::String, eval_hash_sha256).call(vec![text_arg(&args, 0)?]);
    Ok(Typed::new(e, ScalarType::String))
}

/// `translate` on one value. Each character of `search` maps to the
/// character at the same place in `replace`, or to its last character when
/// `replace` is shorter; an empty `replace` deletes the characters.
fn translate(search: &str, replace: &str, source: &str, out: &mut impl Write) {
    let to: Vec<char> = replace.chars().collect();
    let mut map: HashMap<char, Option<char>> = HashMap::new();
    for (n, c) in search.chars().enumerate() {
        // The first mention of a character decides its replacement.
        map.entry(c).or_insert_with(|| to.get(n).or(to.last()).copied());
    }
    for c in source.chars() {
        match map.get(&c) {
            Some(Some(r)) => {
                let _ = out.write_char(*r);
            }
            Some(None) => {}
            None => {
                let _ = out.write_char(c);
            }
        }
    }
}

fn eval_translate(call: &Call) -> Result<ArrayRef> {
    let search = StrArg::new(call.arg(0)?)?;
    let replace = StrArg::new(call.arg(1)?)?;
    let source = StrArg::new(call.arg(2)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        translate(search.text(i), replace.text(i), source.text(i), &mut out);
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_translate(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let call_args = vec![text_arg(&args, 0)?, text_arg(&args, 1)?, text_arg(&args, 2)?];
    let e = KqlUdf::new("translate", ScalarType::String, eval_translate).call(call_args);
    Ok(Typed::new(e, ScalarType::String))
}

/// The elements of a dynamic array, `None` for each one that is not a string.
fn string_items(json: &str) -> Vec<Option<String>> {
    match serde_json::from_str(json) {
        Ok(Value::Array(items)) => {
            items.into_iter().map(|v| if let Value::String(s) = v { Some(s) } else { None }).collect()
        }
        _ => Vec::new(),
    }
}

/// `replace_strings` on one value. Matches never overlap, and where two
/// lookups overlap the one listed first wins. Lookups that are empty, not
/// strings, or without a string rewrite are left out.
fn replace_strings(text: &str, pairs: &[(String, String)]) -> String {
    // (start, end, index into `pairs`), kept sorted by start.
    let mut taken: Vec<(usize, usize, usize)> = Vec::new();
    for (k, (lookup, _)) in pairs.iter().enumerate() {
        let mut from = 0;
        while let Some(at) = text[from..].find(lookup.as_str()) {
            let (start, end) = (from + at, from + at + lookup.len());
            let slot = taken.partition_point(|t| t.0 < start);
            let clashes = taken.get(slot).is_some_and(|t| t.0 < end)
                || slot.checked_sub(1).and_then(|p| taken.get(p)).is_some_and(|t| t.1 > start);
            if clashes {
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            } else {
                taken.insert(slot, (start, end, k));
                from = end;
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, k) in taken {
        out.push_str(&text[last..start]);
        out.push_str(pairs.get(k).map_or("", |p| p.1.as_str()));
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Lookup and rewrite pairs, cached with the two JSON texts they came from.
type PairCache = Option<(String, String, Vec<(String, String)>)>;

fn eval_replace_strings(call: &Call) -> Result<ArrayRef> {
    let text = StrArg::new(call.arg(0)?)?;
    let lookups = StrArg::new(call.arg(1)?)?;
    let rewrites = StrArg::new(call.arg(2)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 32);
    let mut cache: PairCache = None;
    for i in 0..call.rows {
        let (l, r) = (lookups.text(i), rewrites.text(i));
        if cache.as_ref().is_none_or(|(cl, cr, _)| cl != l || cr != r) {
            let pairs = string_items(l)
                .into_iter()
                .zip(string_items(r))
                .filter_map(|(l, r)| l.filter(|l| !l.is_empty()).zip(r))
                .collect();
            cache = Some((l.to_string(), r.to_string(), pairs));
        }
        let pairs = cache.as_ref().map_or(&[][..], |(_, _, p)| p.as_slice());
        out.append_value(replace_strings(text.text(i), pairs));
    }
    Ok(arc(out.finish()))
}

/// A dynamic argument, passed on as its JSON text.
fn dynamic_arg(args: &[Arg], index: usize, what: &str) -> Result<Expr, FnError> {
    typed_arg(args, index, &[ScalarType::Dynamic], what).map(|(e, _)| e)
}

pub(crate) fn build_replace_strings(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 3, Some(3))?;
    let call_args = vec![
        text_arg(&args, 0)?,
        dynamic_arg(&args, 1, "a dynamic array of strings")?,
        dynamic_arg(&args, 2, "a dynamic array of strings")?,
    ];
    let e = KqlUdf::new("replace_strings", ScalarType::String, eval_replace_strings).call(call_args);
    Ok(Typed::new(e, ScalarType::String))
}

fn eval_codepoints_from(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 32);
    for i in 0..call.rows {
        let _ = out.write_char('[');
        for (n, c) in s.text(i).chars().enumerate() {
            let _ = write!(out, "{}{}", if n > 0 { "," } else { "" }, c as u32);
        }
        let _ = out.write_char(']');
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_unicode_codepoints_from_string(
    _: &CallContext,
    args: Vec<Arg>,
) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = KqlUdf::new("unicode_codepoints_from_string", ScalarType::Dynamic, eval_codepoints_from)
        .call(vec![text_arg(&args, 0)?]);
    Ok(Typed::new(e, ScalarType::Dynamic))
}

/// Appends the characters of one argument (a number or an array of numbers,
/// as JSON) to `out`; `None` when one is not a valid code point.
fn push_codepoints(json: &str, out: &mut String) -> Option<()> {
    let value: Value = serde_json::from_str(json).ok()?;
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    for item in items {
        let code = u32::try_from(item.as_i64()?).ok()?;
        out.push(char::from_u32(code)?);
    }
    Some(())
}

fn eval_codepoints_to(call: &Call) -> Result<ArrayRef> {
    let parts = call.args.iter().map(StrArg::new).collect::<Result<Vec<_>>>()?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    let mut buf = String::new();
    for i in 0..call.rows {
        buf.clear();
        if parts.iter().all(|p| p.get(i).is_some_and(|json| push_codepoints(json, &mut buf).is_some())) {
            out.append_value(&buf);
        } else {
            out.append_null();
        }
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_unicode_codepoints_to_string(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(64))?;
    let allowed = [ScalarType::Int, ScalarType::Long, ScalarType::Dynamic];
    let parts = (0..args.len())
        .map(|i| {
            let (e, ty) = typed_arg(&args, i, &allowed, "an integer or a dynamic array of integers")?;
            // Integers go through `tostring`, which is also their JSON text.
            if ty == ScalarType::Dynamic { Ok(e) } else { text_arg(&args, i) }
        })
        .collect::<Result<Vec<_>, FnError>>()?;
    let e = KqlUdf::new("unicode_codepoints_to_string", ScalarType::String, eval_codepoints_to).call(parts);
    Ok(Typed::new(e, ScalarType::String))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(search: &str, replace: &str, source: &str) -> String {
        let mut out = String::new();
        translate(search, replace, source, &mut out);
        out
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(l, r)| (l.to_string(), r.to_string())).collect()
    }

    #[test]
    fn translate_like_the_docs() {
        assert_eq!(tr("abc", "x", "abc"), "xxx");
        assert_eq!(tr("abc", "", "ab"), "");
        assert_eq!(tr("krasp", "otsku", "spark"), "kusto");
    }

    #[test]
    fn replace_strings_like_the_docs() {
        let cat = "A magic trick can turn a cat into a dog";
        assert_eq!(
            replace_strings(cat, &pairs(&[("cat", "dog"), ("dog", "pigeon")])),
            "A magic trick can turn a dog into a pigeon"
        );
        assert_eq!(
            replace_strings(cat, &pairs(&[("turn", "disappear"), (" into a dog", "")])),
            "A magic trick can disappear a cat"
        );
        let this = "This is an example of using replace_strings()";
        assert_eq!(
            replace_strings(this, &pairs(&[("This", "This"), ("is", "was")])),
            "This was an example of using replace_strings()"
        );
        assert_eq!(
            replace_strings(this, &pairs(&[("is", "was"), ("This", "This")])),
            "Thwas was an example of using replace_strings()"
        );
        assert_eq!(string_items(r#"["a", 1, "b"]"#), [Some("a".into()), None, Some("b".into())]);
    }

    #[test]
    fn hashes_and_code_points() {
        let mut hex = String::new();
        sha256_hex("World", &mut hex);
        assert_eq!(hex, "78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524");
        let mut s = String::new();
        assert_eq!(push_codepoints("[75,117,115]", &mut s), Some(()));
        assert_eq!(push_codepoints("116", &mut s), Some(()));
        assert_eq!(s, "Kust");
        assert_eq!(push_codepoints("[1114112]", &mut s), None);
        assert_eq!(push_codepoints(r#"["a"]"#, &mut s), None);
    }
}
