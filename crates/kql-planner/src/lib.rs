//! Lowers a KQL [`Query`](kql_syntax::ast::Query) to DataFusion
//! [`LogicalPlan`]s, built with [`LogicalPlanBuilder`](datafusion::logical_expr::LogicalPlanBuilder).
//!
//! ```text
//!  query text ──parse──▶ AST (spans) ──plan──▶ LogicalPlan ──optimize──▶ physical plan ──▶ Arrow batches
//!              kql-syntax             kql-planner           DataFusion
//! ```
//!
//! The planner resolves names (columns, `let`s, tables, functions), checks
//! arguments, and reproduces Kusto's result shape exactly: column names, their
//! order, and their KQL types (recorded in field metadata, see
//! [`kql_functions::types`]). Parts of a query that Kusto evaluates once
//! before the rest (`externaldata`, `materialize`, `toscalar`) are evaluated
//! while planning, so the plan handed to DataFusion is self-contained.
//!
//! One module per operator lives in [`operators`]; expressions are in
//! `expr`; naming rules (`Column1`, `count_`, `DeviceId1`) in `names`.

#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic, clippy::todo, clippy::unimplemented))]

mod env;
mod error;
mod expr;
mod literal;
mod names;
pub mod operators;
mod planner;
mod source;
#[cfg(test)]
mod testing;

pub use env::{Binding, Bindings, Environment, ExternalDataProvider, ExternalRequest, TableRef};
pub use error::{COMPATIBILITY_DOC, PlanError};
pub use planner::{PlannedStatement, Planner};
