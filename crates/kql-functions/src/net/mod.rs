//! Network address functions.

mod ipv4;
mod text;

use crate::registry::FunctionDef;
use crate::registry::FunctionKind::Scalar;

macro_rules! def {
    ($name:literal, $sig:literal, $summary:literal, $build:path) => {
        FunctionDef { name: $name, kind: Scalar, summary: $summary, signature: $sig, build: $build }
    };
}

/// The network functions.
pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    def!(
        "parse_ipv4",
        "parse_ipv4(ip)",
        "An IPv4 address (optionally `/prefix`, which masks it) as a long; null when invalid.",
        ipv4::build_parse_ipv4
    ),
    def!(
        "ipv4_is_private",
        "ipv4_is_private(ip)",
        "Whether an IPv4 address (or whole prefix) lies in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.",
        ipv4::build_ipv4_is_private
    ),
    def!(
        "ipv4_is_in_range",
        "ipv4_is_in_range(ip, range)",
        "Whether an IPv4 address lies in a range written as an address with an optional `/prefix`.",
        ipv4::build_ipv4_is_in_range
    ),
    def!(
        "ipv4_is_match",
        "ipv4_is_match(ip1, ip2 [, prefix])",
        "Whether two IPv4 addresses are equal on their common prefix.",
        ipv4::build_ipv4_is_match
    ),
    def!(
        "ipv4_compare",
        "ipv4_compare(ip1, ip2 [, prefix])",
        "-1, 0 or 1 comparing two IPv4 addresses on their common prefix.",
        ipv4::build_ipv4_compare
    ),
    def!(
        "format_ipv4",
        "format_ipv4(ip [, prefix])",
        "An IPv4 address, masked, as dotted text; \"\" when invalid.",
        ipv4::build_format_ipv4
    ),
    def!(
        "format_ipv4_mask",
        "format_ipv4_mask(ip [, prefix])",
        "An IPv4 address, masked, as `a.b.c.d/prefix`; \"\" when invalid.",
        ipv4::build_format_ipv4_mask
    ),
    def!(
        "has_ipv4",
        "has_ipv4(source, ip_address)",
        "Whether the text holds the IPv4 address, delimited by characters other than letters, digits and dots.",
        text::build_has_ipv4
    ),
    def!(
        "has_ipv4_prefix",
        "has_ipv4_prefix(source, ip_address_prefix)",
        "Whether the text holds an IPv4 address starting with the prefix (a whole address, or leading octets ending in a dot such as `192.168.`).",
        text::build_has_ipv4_prefix
    ),
    def!(
        "has_any_ipv4",
        "has_any_ipv4(source, ip_address [, ...])",
        "Whether the text holds any of the IPv4 addresses (strings or dynamic arrays of them).",
        text::build_has_any_ipv4
    ),
    def!(
        "has_any_ipv4_prefix",
        "has_any_ipv4_prefix(source, ip_address_prefix [, ...])",
        "Whether the text holds an IPv4 address starting with any of the prefixes (strings or dynamic arrays of them).",
        text::build_has_any_ipv4_prefix
    ),
];
