//! JSON and `dynamic` functions.

mod array;
mod dynamic;
mod extract;
mod path;
pub(crate) mod scan;
pub(crate) mod value;

pub use dynamic::to_json_value;
pub use extract::{Member, dynamic_get, extract_json_many};

pub(crate) use dynamic::{dynamic_to_string, parse_json_expr, write_json_string};

use crate::registry::FunctionDef;
use crate::registry::FunctionKind::Scalar;

/// The JSON and dynamic functions.
pub(crate) const FUNCTIONS: &[FunctionDef] = &[
    FunctionDef {
        name: "extractjson",
        kind: Scalar,
        summary: "The element at a JSONPath (`$.a.b`, `$['a']`, `$[0]`) of a JSON text, optionally converted to a type; null when absent.",
        signature: "extractjson(jsonPath, dataSource [, typeof(T)])",
        build: extract::build_extract_json,
    },
    FunctionDef {
        name: "extract_json",
        kind: Scalar,
        summary: "Same as `extractjson`.",
        signature: "extract_json(jsonPath, dataSource [, typeof(T)])",
        build: extract::build_extract_json,
    },
    FunctionDef {
        name: "parse_json",
        kind: Scalar,
        summary: "Parses JSON text into a `dynamic` value; text that is not JSON becomes a dynamic string.",
        signature: "parse_json(json)",
        build: dynamic::build_parse_json,
    },
    FunctionDef {
        name: "todynamic",
        kind: Scalar,
        summary: "Same as `parse_json`.",
        signature: "todynamic(json)",
        build: dynamic::build_parse_json,
    },
    FunctionDef {
        name: "dynamic_to_json",
        kind: Scalar,
        summary: "A dynamic value as canonical compact JSON, property bag keys sorted.",
        signature: "dynamic_to_json(expr)",
        build: dynamic::build_dynamic_to_json,
    },
    FunctionDef {
        name: "array_length",
        kind: Scalar,
        summary: "Number of items of a dynamic array; null when the value is not an array.",
        signature: "array_length(array)",
        build: array::build_array_length,
    },
    FunctionDef {
        name: "bag_keys",
        kind: Scalar,
        summary: "The keys of a property bag, as a dynamic array in the bag's order.",
        signature: "bag_keys(bag)",
        build: array::build_bag_keys,
    },
    FunctionDef {
        name: "pack_array",
        kind: Scalar,
        summary: "A dynamic array of its arguments.",
        signature: "pack_array(value1 [, value2, ...])",
        build: array::build_pack_array,
    },
    FunctionDef {
        name: "bag_pack",
        kind: Scalar,
        summary: "A property bag from key/value pairs.",
        signature: "bag_pack(key1, value1 [, key2, value2, ...])",
        build: array::build_bag_pack,
    },
    FunctionDef {
        name: "pack_dictionary",
        kind: Scalar,
        summary: "Same as `bag_pack`.",
        signature: "pack_dictionary(key1, value1 [, key2, value2, ...])",
        build: array::build_bag_pack,
    },
    FunctionDef {
        name: "pack",
        kind: Scalar,
        summary: "Same as `bag_pack`.",
        signature: "pack(key1, value1 [, key2, value2, ...])",
        build: array::build_bag_pack,
    },
    FunctionDef {
        name: "set_has_element",
        kind: Scalar,
        summary: "Whether a dynamic array holds a value.",
        signature: "set_has_element(set, value)",
        build: array::build_set_has_element,
    },
    FunctionDef {
        name: "array_index_of",
        kind: Scalar,
        summary: "Index of the n-th occurrence of a value in a dynamic array, within an optional range; -1 when absent.",
        signature: "array_index_of(array, value [, start [, length [, occurrence]]])",
        build: array::build_array_index_of,
    },
];
