//! IPv4 functions: `parse_ipv4`, `ipv4_is_private`, `ipv4_is_in_range`,
//! `ipv4_is_match`, `ipv4_compare`, `format_ipv4`. Addresses may carry a
//! `/prefix`, which masks them.

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::lit;
use kql_syntax::ast::ScalarType;

use crate::registry::{Arg, CallContext, FnError, Typed, arity, string_arg, typed_arg};
use crate::udf::{Call, KqlUdf, StrArg, arc, i64_arg};

/// An address and its prefix length (32 when none is given).
pub(crate) fn parse_ipv4(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (s, 32),
    };
    let mut value: u32 = 0;
    let mut parts = 0;
    for part in addr.split('.') {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value = (value << 8) | part.parse::<u8>().ok()? as u32;
        parts += 1;
    }
    (parts == 4).then_some((value, prefix))
}

fn mask(prefix: u32) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - prefix.min(32)) }
}

/// The masked address.
fn network((addr, prefix): (u32, u32)) -> u32 {
    addr & mask(prefix)
}

const PRIVATE: [(u32, u32); 3] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)];

fn is_private(ip: (u32, u32)) -> bool {
    PRIVATE.iter().any(|&(net, p)| ip.1 >= p && network(ip) & mask(p) == net)
}

/// Compares two addresses on their first `bits` bits (also limited by
/// their own prefixes).
fn compare(a: (u32, u32), b: (u32, u32), bits: u32) -> i32 {
    let m = mask(a.1.min(b.1).min(bits));
    match (a.0 & m).cmp(&(b.0 & m)) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

fn eval_parse(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = Int64Builder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(parse_ipv4(s.text(i)).map(|ip| i64::from(network(ip))));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_parse_ipv4(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = KqlUdf::new("parse_ipv4", ScalarType::Long, eval_parse).call(vec![string_arg(&args, 0)?]);
    Ok(Typed::new(e, ScalarType::Long))
}

fn eval_private(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let mut out = BooleanBuilder::with_capacity(call.rows);
    for i in 0..call.rows {
        out.append_option(parse_ipv4(s.text(i)).map(is_private));
    }
    Ok(arc(out.finish()))
}

pub(crate) fn build_ipv4_is_private(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    arity(&args, 1, Some(1))?;
    let e = KqlUdf::new("ipv4_is_private", ScalarType::Bool, eval_private).call(vec![string_arg(&args, 0)?]);
    Ok(Typed::new(e, ScalarType::Bool))
}

/// `param`: 0 in_range, 1 is_match, 2 compare.
fn eval_pair(call: &Call) -> Result<ArrayRef> {
    let (a, b) = (StrArg::new(call.arg(0)?)?, StrArg::new(call.arg(1)?)?);
    let bits = i64_arg(call.arg(2)?)?;
    let results = (0..call.rows).map(|i| {
        let (x, y) = (parse_ipv4(a.text(i))?, parse_ipv4(b.text(i))?);
        let bits = u32::try_from(bits.get(i).unwrap_or(32)).ok().filter(|b| *b <= 32)?;
        Some(match call.param {
            // The address must lie in the range: only the range's prefix counts.
            0 => compare((x.0, 32), y, bits),
            _ => compare(x, y, bits),
        })
    });
    if call.param == 2 {
        let mut out = Int32Builder::with_capacity(call.rows);
        results.for_each(|r| out.append_option(r));
        Ok(arc(out.finish()))
    } else {
        let mut out = BooleanBuilder::with_capacity(call.rows);
        results.for_each(|r| out.append_option(r.map(|c| c == 0)));
        Ok(arc(out.finish()))
    }
}

fn build_pair(args: Vec<Arg>, name: &str, param: i64, ret: ScalarType, max: usize) -> Result<Typed, FnError> {
    arity(&args, 2, Some(max))?;
    let bits = if args.len() == 3 {
        typed_arg(&args, 2, &[ScalarType::Int, ScalarType::Long], "an integer")?.0
    } else {
        lit(ScalarValue::Int64(None))
    };
    let e = KqlUdf::new(name, ret, eval_pair).param(param).call(vec![
        string_arg(&args, 0)?,
        string_arg(&args, 1)?,
        bits,
    ]);
    Ok(Typed::new(e, ret))
}

pub(crate) fn build_ipv4_is_in_range(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_pair(args, "ipv4_is_in_range", 0, ScalarType::Bool, 2)
}

pub(crate) fn build_ipv4_is_match(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_pair(args, "ipv4_is_match", 1, ScalarType::Bool, 3)
}

pub(crate) fn build_ipv4_compare(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_pair(args, "ipv4_compare", 2, ScalarType::Int, 3)
}

fn eval_format(call: &Call) -> Result<ArrayRef> {
    let s = StrArg::new(call.arg(0)?)?;
    let bits = i64_arg(call.arg(1)?)?;
    let with_mask = call.param == 1;
    let mut out = StringBuilder::with_capacity(call.rows, call.rows * 16);
    for i in 0..call.rows {
        let text = parse_ipv4(s.text(i)).and_then(|(addr, prefix)| {
            let b = u32::try_from(bits.get(i).unwrap_or(32)).ok().filter(|b| *b <= 32)?;
            let p = prefix.min(b);
            let n = addr & mask(p);
            let ip = format!("{}.{}.{}.{}", n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255);
            Some(if with_mask { format!("{ip}/{p}") } else { ip })
        });
        out.append_value(text.as_deref().unwrap_or(""));
    }
    Ok(arc(out.finish()))
}

fn build_format(args: Vec<Arg>, name: &str, with_mask: i64) -> Result<Typed, FnError> {
    arity(&args, 1, Some(2))?;
    let bits = if args.len() == 2 {
        typed_arg(&args, 1, &[ScalarType::Int, ScalarType::Long], "an integer")?.0
    } else {
        lit(32i64)
    };
    let e = KqlUdf::new(name, ScalarType::String, eval_format)
        .param(with_mask)
        .call(vec![string_arg(&args, 0)?, bits]);
    Ok(Typed::new(e, ScalarType::String))
}

pub(crate) fn build_format_ipv4(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_format(args, "format_ipv4", 0)
}

pub(crate) fn build_format_ipv4_mask(_: &CallContext, args: Vec<Arg>) -> Result<Typed, FnError> {
    build_format(args, "format_ipv4_mask", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> (u32, u32) {
        parse_ipv4(s).expect("valid address")
    }

    #[test]
    fn parses_like_the_docs() {
        assert_eq!(network(ip("192.168.1.1")), 3_232_235_777);
        assert_eq!(network(ip("192.168.1.1/24")), 3_232_235_776);
        assert_eq!(network(ip("255.255.255.255/31")), 4_294_967_294);
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/33", "a.b.c.d", "::1"] {
            assert_eq!(parse_ipv4(bad), None, "{bad}");
        }
    }

    #[test]
    fn private_ranges_and_comparisons() {
        assert!(is_private(ip("10.1.2.3")));
        assert!(is_private(ip("192.168.1.1/24")));
        assert!(is_private(ip("172.31.255.255")));
        assert!(!is_private(ip("172.32.0.1")));
        assert!(!is_private(ip("127.0.0.1")));
        assert!(!is_private(ip("10.0.0.0/7")));
        assert_eq!(compare(ip("192.168.1.1/24"), ip("192.168.1.255"), 32), 0);
        assert_eq!(compare(ip("192.168.1.1/30"), ip("192.168.1.255/24"), 32), 0);
        assert_eq!(compare(ip("192.168.1.1"), ip("192.168.1.0"), 31), 0);
        assert_eq!(compare(ip("192.168.1.1"), ip("192.168.1.0"), 32), 1);
        assert_eq!(compare((ip("10.1.2.3").0, 32), ip("10.0.0.0/8"), 32), 0);
        assert_eq!(compare((ip("11.1.2.3").0, 32), ip("10.0.0.0/8"), 32), 1);
    }
}
