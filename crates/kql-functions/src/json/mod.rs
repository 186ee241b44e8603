//! JSON and `dynamic` functions.

mod array;
mod dynamic;
mod expand;
mod extract;
mod ops;
mod path;
pub(crate) mod scan;
pub(crate) mod value;

pub use dynamic::to_json_value;
pub use expand::{BagExpansion, mv_expand_index, mv_expand_items};
pub use extract::{Member, dynamic_get, extract_json_many};

pub(crate) use dynamic::{dynamic_to_string, parse_json_expr, parse_to_dynamic, write_json_string};

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
    FunctionDef {
        name: "array_concat",
        kind: Scalar,
        summary: "The arrays joined into one; null when an argument is not an array.",
        signature: "array_concat(array1, array2 [, ...])",
        build: ops::build_array_concat,
    },
    FunctionDef {
        name: "array_sort_asc",
        kind: Scalar,
        summary: "The array sorted ascending; with more arrays, all of them reordered like the first, as an array of arrays. Nulls last unless `nulls_last` is false.",
        signature: "array_sort_asc(array1 [, array2, ...] [, nulls_last])",
        build: ops::build_array_sort_asc,
    },
    FunctionDef {
        name: "array_sort_desc",
        kind: Scalar,
        summary: "Like `array_sort_asc`, descending.",
        signature: "array_sort_desc(array1 [, array2, ...] [, nulls_last])",
        build: ops::build_array_sort_desc,
    },
    FunctionDef {
        name: "array_slice",
        kind: Scalar,
        summary: "The items from `start` to `end` inclusive; negative indexes count from the end.",
        signature: "array_slice(array, start, end)",
        build: ops::build_array_slice,
    },
    FunctionDef {
        name: "array_reverse",
        kind: Scalar,
        summary: "The items in reverse order.",
        signature: "array_reverse(array)",
        build: ops::build_array_reverse,
    },
    FunctionDef {
        name: "array_iff",
        kind: Scalar,
        summary: "Per item of the condition array, the item (or scalar) of `when_true` or `when_false`; null where the condition is not a bool or number.",
        signature: "array_iff(condition_array, when_true, when_false)",
        build: ops::build_array_iff,
    },
    FunctionDef {
        name: "array_sum",
        kind: Scalar,
        summary: "The sum of the items, as `real`; null when an item is not a number.",
        signature: "array_sum(array)",
        build: ops::build_array_sum,
    },
    FunctionDef {
        name: "strcat_array",
        kind: Scalar,
        summary: "The items as text, joined with the delimiter.",
        signature: "strcat_array(array, delimiter)",
        build: ops::build_strcat_array,
    },
    FunctionDef {
        name: "zip",
        kind: Scalar,
        summary: "Arrays of the items at the same index, as long as the longest array, padded with null.",
        signature: "zip(array1, array2 [, ...])",
        build: ops::build_zip,
    },
    FunctionDef {
        name: "bag_has_key",
        kind: Scalar,
        summary: "Whether the bag has the key (a name or a `$.a.b` path).",
        signature: "bag_has_key(bag, key)",
        build: ops::build_bag_has_key,
    },
    FunctionDef {
        name: "bag_remove_keys",
        kind: Scalar,
        summary: "The bag without the keys (names or `$.a.b` paths) of the array `keys`.",
        signature: "bag_remove_keys(bag, keys)",
        build: ops::build_bag_remove_keys,
    },
    FunctionDef {
        name: "bag_set_key",
        kind: Scalar,
        summary: "The bag with the key (a name or a `$.a.b` path, made as needed) set to the value.",
        signature: "bag_set_key(bag, key, value)",
        build: ops::build_bag_set_key,
    },
    FunctionDef {
        name: "bag_merge",
        kind: Scalar,
        summary: "The keys of all bags; on a clash the first bag's value wins.",
        signature: "bag_merge(bag1, bag2 [, ...])",
        build: ops::build_bag_merge,
    },
    FunctionDef {
        name: "gettype",
        kind: Scalar,
        summary: "The type of the value: a KQL type name, or for dynamic values `int`, `long`, `real`, `bool`, `string`, `array`, `dictionary` or `null`.",
        signature: "gettype(value)",
        build: ops::build_gettype,
    },
];
