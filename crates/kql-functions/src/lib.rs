//! KQL builtin functions as DataFusion scalar and aggregate UDFs, and the
//! mapping of KQL types to Arrow.
//!
//! The planner's entry point is the [`registry`]: it looks a function up by
//! its KQL name and builds the DataFusion expression for a call. A few
//! builders the planner needs for operators rather than calls live here too:
//! [`string_op`] for `has`, `contains` and friends, [`equals_ignore_case`]
//! for `=~`, and [`extract_json_many`], the fused form of several
//! `extractjson` calls over one document.

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::panic, clippy::todo, clippy::unimplemented)]

pub mod aggregate;
pub mod convert;
pub mod datetime;
pub mod json;
pub mod math;
pub mod net;
pub mod registry;
pub mod string;
pub mod types;
mod udf;

pub use convert::{common_type, convert, is_empty_expr, to_string_expr};
pub use datetime::add_timespan;
pub use json::{
    BagExpansion, Member, dynamic_get, extract_json_many, mv_expand_index, mv_expand_items, to_json_value,
};
pub use math::bin_expr;
pub use registry::{
    Arg, CallContext, FnError, FunctionDef, FunctionKind, Typed, all, functions_markdown, lookup,
};
pub use string::{PARSE_MATCHED_FIELD, equals_ignore_case, parse_field, parse_pattern, string_op};
