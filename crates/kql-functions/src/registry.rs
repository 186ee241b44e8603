//! The registry of KQL builtin functions: the contract with the planner.
//!
//! The planner types each argument of a call, turns it into an [`Arg`], looks
//! the function up by its exact KQL name with [`lookup`] and calls
//! [`FunctionDef::build`]. That returns a DataFusion [`Expr`] and its KQL
//! type, or an [`FnError`] that names the argument at fault so the planner can
//! point at it.
//!
//! Each family module declares its own `FUNCTIONS` table next to the code, so
//! a function's summary lives beside its implementation; this module only
//! chains the tables.

use std::fmt;

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;
use kql_syntax::ast::ScalarType;

/// One argument of a call, as the planner hands it over.
#[derive(Clone, Debug)]
pub enum Arg {
    /// An expression with its KQL type.
    Expr {
        /// The lowered expression.
        expr: Expr,
        /// Its KQL type.
        ty: ScalarType,
    },
    /// `typeof(T)`.
    Type(ScalarType),
    /// `*`.
    Star,
}

impl Arg {
    /// An expression argument.
    pub fn expr(expr: Expr, ty: ScalarType) -> Self {
        Arg::Expr { expr, ty }
    }
}

/// A built expression and its KQL type.
#[derive(Clone, Debug)]
pub struct Typed {
    /// The DataFusion expression.
    pub expr: Expr,
    /// Its KQL type.
    pub ty: ScalarType,
}

impl Typed {
    /// Pairs an expression with its type.
    pub fn new(expr: Expr, ty: ScalarType) -> Self {
        Typed { expr, ty }
    }
}

/// What a call may depend on besides its arguments.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallContext {
    /// `now()` for this query, fixed once: nanoseconds since the Unix epoch.
    pub now_ticks_ns: i64,
}

/// Why a call cannot be built. `index` is the 0-based argument position.
#[derive(Clone, Debug, PartialEq)]
pub enum FnError {
    /// Too few or too many arguments.
    ArgCount {
        /// Fewest accepted.
        min: usize,
        /// Most accepted; `None` when unbounded.
        max: Option<usize>,
        /// How many were given.
        got: usize,
    },
    /// An argument of the wrong type.
    ArgType {
        /// Which argument.
        index: usize,
        /// What was expected, in words (`string`, `a number`).
        expected: String,
        /// What was given.
        got: ScalarType,
    },
    /// Any other problem, such as a non-constant argument that must be
    /// constant. `index` points at the argument when there is one to blame.
    Invalid {
        /// Which argument, if any.
        index: Option<usize>,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for FnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FnError::ArgCount { min, max, got } => match max {
                Some(max) if max == min => write!(f, "expected {min} argument(s), got {got}"),
                Some(max) => write!(f, "expected {min} to {max} arguments, got {got}"),
                None => write!(f, "expected at least {min} argument(s), got {got}"),
            },
            FnError::ArgType { index, expected, got } => {
                write!(f, "argument {} must be {expected}, got `{got}`", index + 1)
            }
            FnError::Invalid { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for FnError {}

/// Whether a function computes one value per row or one per group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// One value per row.
    Scalar,
    /// One value per group, in `summarize`.
    Aggregate,
}

/// Builds a call from its arguments.
pub type BuildFn = fn(&CallContext, Vec<Arg>) -> Result<Typed, FnError>;

/// One KQL function.
#[derive(Clone, Copy)]
pub struct FunctionDef {
    /// The name exactly as KQL spells it.
    pub name: &'static str,
    /// Scalar or aggregate.
    pub kind: FunctionKind,
    /// One line on what it does.
    pub summary: &'static str,
    /// The call shape, as in the KQL docs: `strlen(source)`.
    pub signature: &'static str,
    /// Builds the call.
    pub build: BuildFn,
}

impl fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionDef").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

/// Every family's table, in the order `docs/functions.md` lists them.
static TABLES: &[&[FunctionDef]] = &[
    crate::json::FUNCTIONS,
    crate::convert::FUNCTIONS,
    crate::string::FUNCTIONS,
    crate::datetime::FUNCTIONS,
    crate::math::FUNCTIONS,
    crate::net::FUNCTIONS,
    crate::aggregate::FUNCTIONS,
];

/// The function called `name` (case-exact), if we support it.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    all().find(|f| f.name == name)
}

/// Every supported function.
pub fn all() -> impl Iterator<Item = &'static FunctionDef> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The registry as a Markdown table, for `docs/functions.md`.
pub fn functions_markdown() -> String {
    let mut out = String::from("| function | kind | signature | summary |\n|---|---|---|---|\n");
    let mut defs: Vec<&FunctionDef> = all().collect();
    defs.sort_by_key(|f| f.name);
    for f in defs {
        let kind = match f.kind {
            FunctionKind::Scalar => "scalar",
            FunctionKind::Aggregate => "aggregate",
        };
        out.push_str(&format!(
            "| `{}` | {kind} | `{}` | {} |\n",
            f.name,
            f.signature,
            f.summary.replace('|', "\\|")
        ));
    }
    out
}

// ---------------------------------------------------------------------------
// Helpers for build functions.

/// Checks the number of arguments.
pub(crate) fn arity(args: &[Arg], min: usize, max: Option<usize>) -> Result<(), FnError> {
    let got = args.len();
    if got < min || max.is_some_and(|m| got > m) {
        return Err(FnError::ArgCount { min, max, got });
    }
    Ok(())
}

/// Argument `index` as an expression and its type.
pub(crate) fn expr_arg(args: &[Arg], index: usize) -> Result<(Expr, ScalarType), FnError> {
    match args.get(index) {
        Some(Arg::Expr { expr, ty }) => Ok((expr.clone(), *ty)),
        Some(Arg::Type(_)) => Err(invalid(index, "a value is expected here, not `typeof(...)`")),
        Some(Arg::Star) => Err(invalid(index, "a value is expected here, not `*`")),
        None => Err(FnError::ArgCount { min: index + 1, max: None, got: args.len() }),
    }
}

/// Argument `index`, which must have one of the `allowed` types.
pub(crate) fn typed_arg(
    args: &[Arg],
    index: usize,
    allowed: &[ScalarType],
    expected: &str,
) -> Result<(Expr, ScalarType), FnError> {
    let (expr, ty) = expr_arg(args, index)?;
    if allowed.contains(&ty) {
        Ok((expr, ty))
    } else {
        Err(FnError::ArgType { index, expected: expected.to_string(), got: ty })
    }
}

/// A string argument (a `string` expression).
pub(crate) fn string_arg(args: &[Arg], index: usize) -> Result<Expr, FnError> {
    typed_arg(args, index, &[ScalarType::String], "a string").map(|(e, _)| e)
}

/// Argument `index` as `typeof(T)`.
pub(crate) fn type_arg(args: &[Arg], index: usize) -> Result<ScalarType, FnError> {
    match args.get(index) {
        Some(Arg::Type(t)) => Ok(*t),
        _ => Err(invalid(index, "expected a type literal such as `typeof(long)`")),
    }
}

/// The value of a constant string expression.
pub(crate) fn const_string(expr: &Expr) -> Option<Option<String>> {
    match expr {
        Expr::Literal(v, _) => match v {
            ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => Some(s.clone()),
            v if v.is_null() => Some(None),
            _ => None,
        },
        Expr::Alias(a) => const_string(&a.expr),
        _ => None,
    }
}

/// The value of a constant integer expression.
pub(crate) fn const_i64(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(v, _) => match v {
            ScalarValue::Int8(Some(x)) => Some(i64::from(*x)),
            ScalarValue::Int16(Some(x)) => Some(i64::from(*x)),
            ScalarValue::Int32(Some(x)) => Some(i64::from(*x)),
            ScalarValue::Int64(Some(x)) => Some(*x),
            ScalarValue::UInt8(Some(x)) => Some(i64::from(*x)),
            ScalarValue::UInt16(Some(x)) => Some(i64::from(*x)),
            ScalarValue::UInt32(Some(x)) => Some(i64::from(*x)),
            ScalarValue::UInt64(Some(x)) => i64::try_from(*x).ok(),
            _ => None,
        },
        Expr::Alias(a) => const_i64(&a.expr),
        _ => None,
    }
}

/// Argument `index` as a constant string (a path, a format, a unit name).
pub(crate) fn const_string_arg(args: &[Arg], index: usize, what: &str) -> Result<String, FnError> {
    let (expr, _) = expr_arg(args, index)?;
    match const_string(&expr) {
        Some(Some(s)) => Ok(s),
        _ => Err(invalid(index, &format!("{what} must be a constant string"))),
    }
}

/// An [`FnError::Invalid`] pointing at argument `index`.
pub(crate) fn invalid(index: usize, message: &str) -> FnError {
    FnError::Invalid { index: Some(index), message: message.to_string() }
}

/// Every numeric KQL type.
pub(crate) const NUMERIC: &[ScalarType] =
    &[ScalarType::Int, ScalarType::Long, ScalarType::Real, ScalarType::Decimal];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_found() {
        let mut seen = HashSet::new();
        for f in all() {
            assert!(seen.insert(f.name), "duplicate function {}", f.name);
            assert!(std::ptr::eq(lookup(f.name).unwrap_or_else(|| unreachable!()), f));
            assert!(!f.summary.is_empty() && f.signature.starts_with(f.name), "{}", f.name);
        }
        assert!(lookup("extractjson").is_some());
        assert!(lookup("ExtractJson").is_none(), "names are case-exact");
    }

    #[test]
    fn markdown_lists_every_function() {
        let md = functions_markdown();
        assert!(md.starts_with("| function |"));
        assert_eq!(md.lines().count(), all().count() + 2);
        assert!(md.contains("| `strlen` | scalar | `strlen(source)` |"));
    }

    #[test]
    fn errors_render() {
        let e = FnError::ArgCount { min: 2, max: Some(3), got: 1 };
        assert_eq!(e.to_string(), "expected 2 to 3 arguments, got 1");
        let e = FnError::ArgType { index: 0, expected: "a string".into(), got: ScalarType::Long };
        assert_eq!(e.to_string(), "argument 1 must be a string, got `long`");
    }
}
