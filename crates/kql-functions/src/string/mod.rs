//! String functions and the string operators.

mod basic;
mod chars;
mod encoding;
mod ops;
mod parse;
pub(crate) mod regex;

pub use ops::{equals_ignore_case, string_op};
pub use parse::{PARSE_MATCHED_FIELD, parse_field, parse_pattern};

use crate::registry::FunctionDef;
use crate::registry::FunctionKind::Scalar;

macro_rules! def {
    ($name:literal, $sig:literal, $summary:literal, $build:path) => {
        FunctionDef { name: $name, kind: Scalar, summary: $summary, signature: $sig, build: $build }
    };
}

/// The string functions.
pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    def!(
        "strlen",
        "strlen(source)",
        "Number of characters (Unicode code points) of the string.",
        basic::build_strlen
    ),
    def!("tolower", "tolower(source)", "The string in lower case.", basic::build_tolower),
    def!("toupper", "toupper(source)", "The string in upper case.", basic::build_toupper),
    def!("reverse", "reverse(value)", "The characters of the string in reverse order.", basic::build_reverse),
    def!(
        "strcat",
        "strcat(arg1, arg2 [, ...])",
        "The arguments, as text, concatenated.",
        basic::build_strcat
    ),
    def!(
        "strcat_delim",
        "strcat_delim(delimiter, arg1, arg2 [, ...])",
        "The arguments, as text, concatenated with a delimiter between them.",
        basic::build_strcat_delim
    ),
    def!(
        "substring",
        "substring(source, startingIndex [, length])",
        "Part of a string; a negative start counts from the end.",
        basic::build_substring
    ),
    def!(
        "indexof",
        "indexof(source, lookup [, start_index [, length [, occurrence]]])",
        "Character index of the n-th occurrence of a string within an optional range; -1 when absent.",
        basic::build_indexof
    ),
    def!(
        "countof",
        "countof(source, search [, kind])",
        "Occurrences of a string (overlapping) or of a regex (`kind` \"regex\") in the source.",
        basic::build_countof
    ),
    def!(
        "replace_string",
        "replace_string(text, lookup, rewrite)",
        "Every occurrence of `lookup` replaced by `rewrite`.",
        basic::build_replace_string
    ),
    def!(
        "replace_strings",
        "replace_strings(text, lookups, rewrites)",
        "Every occurrence of each string of the `lookups` array replaced by the string at the same place in `rewrites`; where matches overlap, the earlier lookup wins.",
        chars::build_replace_strings
    ),
    def!(
        "translate",
        "translate(searchList, replacementList, source)",
        "Each character of `searchList` replaced by the character at the same place in `replacementList` (its last one when shorter; deleted when empty).",
        chars::build_translate
    ),
    def!(
        "string_size",
        "string_size(source)",
        "Number of bytes of the string in UTF-8.",
        chars::build_string_size
    ),
    def!(
        "hash_sha256",
        "hash_sha256(source)",
        "The SHA-256 digest of the value's UTF-8 text, as lower-case hex.",
        chars::build_hash_sha256
    ),
    def!(
        "unicode_codepoints_from_string",
        "unicode_codepoints_from_string(source)",
        "The Unicode code points of the string's characters, as a dynamic array.",
        chars::build_unicode_codepoints_from_string
    ),
    def!(
        "unicode_codepoints_to_string",
        "unicode_codepoints_to_string(values [, ...])",
        "The string of the given Unicode code points (integers or dynamic arrays of them); null when one is not a valid code point.",
        chars::build_unicode_codepoints_to_string
    ),
    def!(
        "split",
        "split(source, delimiter [, requestedIndex])",
        "The parts of a string between delimiters, as a dynamic array (only part `requestedIndex` when given).",
        basic::build_split
    ),
    def!(
        "extract",
        "extract(regex, captureGroup, source [, typeof(T)])",
        "The given capture group of the first regex match, optionally converted; \"\" (or null when typed) when there is no match.",
        regex::build_extract
    ),
    def!(
        "extract_all",
        "extract_all(regex, [captureGroups,] source)",
        "Every regex match as a dynamic array: one string per match for a single group, an array per match for several (`captureGroups` picks groups by number or name); null when nothing matches.",
        regex::build_extract_all
    ),
    def!(
        "replace_regex",
        "replace_regex(source, lookup_regex, rewrite_pattern)",
        "Every regex match replaced; `\\1` in the rewrite refers to a capture group.",
        regex::build_replace_regex
    ),
    def!(
        "trim",
        "trim(regex, source)",
        "The source without leading and trailing matches of the regex.",
        regex::build_trim
    ),
    def!(
        "trim_start",
        "trim_start(regex, source)",
        "The source without leading matches of the regex.",
        regex::build_trim_start
    ),
    def!(
        "trim_end",
        "trim_end(regex, source)",
        "The source without trailing matches of the regex.",
        regex::build_trim_end
    ),
    def!(
        "url_decode",
        "url_decode(encoded_url)",
        "Percent-decodes a URL (`+` is a space).",
        encoding::build_url_decode
    ),
    def!(
        "url_encode_component",
        "url_encode_component(url)",
        "Percent-encodes every character but letters, digits and `-_.~`.",
        encoding::build_url_encode
    ),
    def!(
        "parse_url",
        "parse_url(url)",
        "A property bag of the parts of a URL: Scheme, Host, Port, Path, Username, Password, Query Parameters, Fragment.",
        encoding::build_parse_url
    ),
    def!(
        "base64_encode_tostring",
        "base64_encode_tostring(string)",
        "The UTF-8 bytes of a string, base64-encoded.",
        encoding::build_base64_encode
    ),
    def!(
        "base64_decode_tostring",
        "base64_decode_tostring(base64_string)",
        "Decodes base64 to a UTF-8 string; \"\" when the input is not base64 of UTF-8 text.",
        encoding::build_base64_decode
    ),
];
