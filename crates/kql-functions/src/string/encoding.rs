//! URL and base64 functions: `url_decode`, `url_encode_component`,
//! `parse_url`, `base64_encode_tostring`, `base64_decode_tostring`.

use std::fmt::Write;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::common::Result;
use kql_syntax::ast::ScalarType;

use super::basic::text_arg;
use crate::json::write_json_string;
use crate::registry::{Arg, CallContext, FnError, Typed, arity};
use crate::udf::{Call, EvalFn, KqlUdf, StrArg, arc};

/// Percent-decodes `s` (`+` is a space); invalid UTF-8 becomes U+FFFD.
pub(crate) fn url_decode(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn url_encode(s: &str, out: &mut impl Write) {
    for &c in s.as_bytes() {
        let _ = if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.write_char(char::from(c))
        } else {
            write!(out, "%{c:02X}")
        };
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8], out: &mut impl Write) {
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for k in 0..4 {
            let c = if k <= chunk.len() { char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]) } else { '=' };
            let _ = out.write_char(c);
        }
    }
}

/// Decodes standard or URL-safe base64, padding optional.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

fn eval_text_map(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        let t = s.text(i);
        match call.param {
            0 => out.append_value(url_decode(t)),
            1 => {
                url_encode(t, &mut out);
                out.append_value("");
            }
            2 => {
                base64_encode(t.as_bytes(), &mut out);
                out.append_value("");
            }
            _ => {
                let decoded = base64_decode(t).and_then(|b| String::from_utf8(b).ok());
                out.append_value(decoded.as_deref().unwrap_or(""));
            }
        }
    }
    Ok(arc(out.finish()))
}

fn build_map(args: Vec<Arg>, name: &str, param: i64) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = KqlUdf::new(name, ScalarType::String, eval_text_map).param(param).call(vec![text_arg(&args, 0)?]);
    Ok(Typed::new(e, ScalarType::String))
}

pub(crate) fn build_url_decode(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_map(args, "url_decode", 0)
}

pub(crate) fn build_url_encode(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_map(args, "url_encode_component", 1)
}

pub(crate) fn build_base64_encode(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_map(args, "base64_encode_tostring", 2)
}

pub(crate) fn build_base64_decode(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_map(args, "base64_decode_tostring", 3)
}

/// The parts of a URL, as `parse_url` names them.
#[derive(Default, Debug, PartialEq)]
struct UrlParts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: &'a str,
    path: &'a str,
    username: &'a str,
    password: &'a str,
    query: &'a str,
    fragment: &'a str,
}

fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    // The docs show the path without its leading slash.
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (&authority[..i], &authority[i + 1..]),
        None => ("", authority),
    };
    let (username, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(i) => (&hostport[..=i], hostport[i + 1..].strip_prefix(':').unwrap_or("")),
            None => (hostport, ""),
        }
    } else {
        hostport.rsplit_once(':').unwrap_or((hostport, ""))
    };
    Some(UrlParts { scheme, host, port, path, username, password, query, fragment })
}

fn eval_parse_url(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 64);
    for i in 0..call.rows {
        let p = split_url(s.text(i)).unwrap_or_default();
        let fields = [
            ("Scheme", p.scheme),
            ("Host", p.host),
            ("Port", p.port),
            ("Path", p.path),
            ("Username", p.username),
            ("Password", p.password),
        ];
        let _ = out.write_char('{');
        for (k, v) in fields {
            write_json_string(k, &mut out);
            let _ = out.write_char(':');
            write_json_string(v, &mut out);
            let _ = out.write_char(',');
        }
        let _ = out.write_str("\"Query Parameters\":{");
        let pairs = p.query.split('&').filter(|kv| !kv.is_empty());
        for (n, kv) in pairs.enumerate() {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            if n > 0 {
                let _ = out.write_char(',');
            }
            write_json_string(&url_decode(k), &mut out);
            let _ = out.write_char(':');
            write_json_string(&url_decode(v), &mut out);
        }
        let _ = out.write_str("},\"Fragment\":");
        write_json_string(p.fragment, &mut out);
        let _ = out.write_char('}');
        out.append_value("");
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_parse_url(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let eval: EvalFn = eval_parse_url;
    let e = KqlUdf::new("parse_url", ScalarType::Dynamic, eval).call(vec![text_arg(&args, 0)?]);
    Ok(Typed::new(e, ScalarType::Dynamic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_parts() {
        let p = split_url("scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment")
            .expect("a URL");
        assert_eq!(
            p,
            UrlParts {
                scheme: "scheme",
                host: "host",
                port: "1234",
                path: "this/is/a/path",
                username: "username",
                password: "password",
                query: "k1=v1&k2=v2",
                fragment: "fragment",
            }
        );
        assert_eq!(split_url("https://[::1]:8080").map(|p| (p.host, p.port)), Some(("[::1]", "8080")));
        assert_eq!(split_url("not a url"), None);
    }

    #[test]
    fn url_and_base64_codecs() {
        assert_eq!(url_decode("https%3a%2f%2fwww.bing.com%2f"), "https://www.bing.com/");
        assert_eq!(url_decode("a+b%zz"), "a b%zz");
        let mut s = String::new();
        url_encode("a b/é", &mut s);
        assert_eq!(s, "a%20b%2F%C3%A9");
        let mut s = String::new();
        base64_encode(b"Kusto", &mut s);
        assert_eq!(s, "S3VzdG8=");
        assert_eq!(base64_decode("S3VzdG8=").as_deref(), Some(&b"Kusto"[..]));
        assert_eq!(base64_decode("S3VzdG8").as_deref(), Some(&b"Kusto"[..]));
        assert_eq!(base64_decode("S3V*"), None);
    }
}
