//! The KQL abstract syntax tree.
//!
//! The parser only checks syntax. Whether a name is a table, a `let`, a
//! column or a function, and what type an expression has, is decided by the
//! planner. A tabular pipeline (`T | where x`) is an [`ExprKind::Pipe`], so the
//! same [`Expr`] type serves `let` values, `in (...)` operands and `toscalar`.
//!
//! Names keep the exact spelling of the query text: KQL is case-sensitive.

pub use crate::span::{Span, Spanned};

/// An identifier, spelt exactly as written (brackets and quotes removed).
pub type Ident = Spanned<String>;

/// A whole query text: statements separated by `;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The statements in order.
    pub statements: Vec<Statement>,
    /// The whole text.
    pub span: Span,
}

/// One statement of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `let Name = ...;`
    Let(LetStmt),
    /// A tabular (or scalar) expression whose result is returned.
    Query(Expr),
    /// A statement kind that is valid KQL but that we do not run
    /// (`set`, `declare`, `alias`, `pattern`, `restrict`, ...).
    Unsupported {
        /// The statement keyword.
        keyword: Ident,
        /// The whole statement.
        span: Span,
    },
}

/// `let name = value`
#[derive(Clone, Debug, PartialEq)]
pub struct LetStmt {
    /// The bound name.
    pub name: Ident,
    /// What it is bound to.
    pub value: LetValue,
    /// The whole statement, without the trailing `;`.
    pub span: Span,
}

/// The right-hand side of a `let`.
#[derive(Clone, Debug, PartialEq)]
pub enum LetValue {
    /// A scalar or tabular expression.
    Expr(Expr),
    /// A user-defined function: `(a: string, T: (x: long)) { body }`,
    /// or a view: `view (...) { body }`.
    Function(FunctionDef),
}

/// A user-defined function body.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    /// The parameters in order.
    pub params: Vec<Param>,
    /// `let` statements inside the body, then the result expression.
    pub body: Vec<Statement>,
    /// True for `view (...) { ... }`.
    pub is_view: bool,
    /// From the opening `(` to the closing `}`.
    pub span: Span,
}

/// One parameter of a user-defined function.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: Ident,
    /// Its declared type.
    pub ty: ParamType,
    /// The default value, if any: `x: long = 5`.
    pub default: Option<Expr>,
}

/// The declared type of a function parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    /// A scalar type such as `string`.
    Scalar(Spanned<ScalarType>),
    /// A tabular schema: `(x: long, y: string)` or `(*)`.
    Tabular(Vec<ColumnDecl>),
}

/// The scalar types of KQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `bool` (`boolean`).
    Bool,
    /// `int`: 32-bit signed.
    Int,
    /// `long` (`int64`): 64-bit signed.
    Long,
    /// `real` (`double`): 64-bit float.
    Real,
    /// `decimal`: 128-bit decimal.
    Decimal,
    /// `string`.
    String,
    /// `datetime` (`date`).
    DateTime,
    /// `timespan` (`time`).
    TimeSpan,
    /// `guid` (`uniqueid`).
    Guid,
    /// `dynamic`: JSON-like values.
    Dynamic,
}

impl ScalarType {
    /// Reads a type name as KQL spells it, aliases included.
    pub fn from_name(name: &str) -> Option<ScalarType> {
        Some(match name {
            "bool" | "boolean" => ScalarType::Bool,
            "int" | "int32" => ScalarType::Int,
            "long" | "int64" => ScalarType::Long,
            "real" | "double" | "float" => ScalarType::Real,
            "decimal" => ScalarType::Decimal,
            "string" => ScalarType::String,
            "datetime" | "date" => ScalarType::DateTime,
            "timespan" | "time" => ScalarType::TimeSpan,
            "guid" | "uniqueid" => ScalarType::Guid,
            "dynamic" => ScalarType::Dynamic,
            _ => return None,
        })
    }

    /// The canonical KQL name, as `getschema` and the analyzer print it.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Bool => "bool",
            ScalarType::Int => "int",
            ScalarType::Long => "long",
            ScalarType::Real => "real",
            ScalarType::Decimal => "decimal",
            ScalarType::String => "string",
            ScalarType::DateTime => "datetime",
            ScalarType::TimeSpan => "timespan",
            ScalarType::Guid => "guid",
            ScalarType::Dynamic => "dynamic",
        }
    }
}

impl std::fmt::Display for ScalarType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `Name: type` in `externaldata`, `datatable` and tabular parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    /// Column name.
    pub name: Ident,
    /// Column type.
    pub ty: Spanned<ScalarType>,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// The text it was parsed from.
    pub span: Span,
}

impl Expr {
    /// Builds an expression.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }
}

/// Expression kinds, scalar and tabular.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal value.
    Literal(Literal),
    /// A bare name: a column, a `let`, a table or a parameter.
    /// `['name with spaces']` arrives here with the brackets removed.
    Name(Ident),
    /// `*` as an argument (`arg_max(Timestamp, *)`, `count(*)`).
    Star,
    /// `f(a, b)`; `typeof(T)` is [`ExprKind::TypeOf`].
    Call {
        /// Function name.
        func: Ident,
        /// Arguments in order.
        args: Vec<Expr>,
    },
    /// `name = value` as an argument of a [`ExprKind::Call`]:
    /// `f(b = 1, a = 2)` binds the parameters of a user-defined function by
    /// name. It appears nowhere else.
    NamedArg {
        /// The parameter name.
        name: Ident,
        /// The argument.
        value: Box<Expr>,
    },
    /// `typeof(string)`: a type as a value.
    TypeOf(Spanned<ScalarType>),
    /// `expr.name`: property access on a dynamic value (or `$left.X`).
    Member {
        /// The object.
        expr: Box<Expr>,
        /// The property.
        name: Ident,
    },
    /// `expr[index]`: array element or property by key.
    Index {
        /// The object or array.
        expr: Box<Expr>,
        /// The index or key.
        index: Box<Expr>,
    },
    /// `-x`, `+x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `a op b`.
    Binary {
        /// The operator.
        op: Spanned<BinaryOp>,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `x in (a, b)`, `x !in~ (T | project y)`, `x has_any (...)` and friends.
    In {
        /// The tested value.
        expr: Box<Expr>,
        /// Which set operator.
        op: Spanned<SetOp>,
        /// The operands inside the brackets. A single tabular operand (a
        /// pipeline, or a name that turns out to be a tabular `let`) is a set
        /// from its first column.
        list: Vec<Expr>,
    },
    /// `x between (a .. b)`, `x !between (a .. b)`.
    Between {
        /// The tested value.
        expr: Box<Expr>,
        /// Lower bound, inclusive.
        low: Box<Expr>,
        /// Upper bound, inclusive.
        high: Box<Expr>,
        /// True for `!between`.
        negated: bool,
    },
    /// `input | operator`.
    Pipe {
        /// The tabular input.
        input: Box<Expr>,
        /// The operator applied to it.
        op: Box<Operator>,
    },
    /// `externaldata (cols) [uris] with (props)`.
    ExternalData {
        /// The declared columns.
        columns: Vec<ColumnDecl>,
        /// The storage URIs, as string expressions.
        uris: Vec<Expr>,
        /// `with (format="csv", ignoreFirstRecord=true)`.
        properties: Vec<NamedArg>,
    },
    /// `datatable (cols) [values]`.
    DataTable {
        /// The declared columns.
        columns: Vec<ColumnDecl>,
        /// The values, row after row.
        values: Vec<Expr>,
    },
    /// `print a, x = b`.
    Print(Vec<Assignment>),
    /// `range x from a to b step c`.
    Range {
        /// Output column name.
        name: Ident,
        /// First value.
        from: Box<Expr>,
        /// Last value, inclusive.
        to: Box<Expr>,
        /// Step.
        step: Box<Expr>,
    },
    /// `union [params] T1, T2, ...` as a source.
    Union(UnionArgs),
    /// A tabular source that we recognise but do not run
    /// (`find`, `search`, `evaluate` as a source, `facet`, ...).
    UnsupportedSource {
        /// The keyword.
        keyword: Ident,
    },
}

/// Literal values. Text literals for datetimes and the like are kept as
/// written; the planner converts them.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `true`, `false`, `bool(true)`.
    Bool(bool),
    /// `int(5)`.
    Int(i32),
    /// `5` (integer literals are `long`).
    Long(i64),
    /// `1.5`, `1e3`, `real(1.5)`, `real(nan)`, `real(+inf)`.
    Real(f64),
    /// `decimal(1.5)`: the digits as written.
    Decimal(String),
    /// Any string literal, escapes resolved, adjacent literals joined.
    String(String),
    /// `datetime(2024-01-01 10:00)`: the text between the brackets.
    DateTime(String),
    /// `1d`, `5m`, `timespan(1.02:03:04)`: in 100 ns ticks.
    TimeSpan(i64),
    /// `guid(...)`: the text between the brackets.
    Guid(String),
    /// `dynamic(...)`.
    Dynamic(DynValue),
    /// `int(null)`, `datetime(null)`, `dynamic(null)`, ...
    Null(ScalarType),
}

/// The value of a `dynamic(...)` literal.
#[derive(Clone, Debug, PartialEq)]
pub enum DynValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Long(i64),
    /// A real number.
    Real(f64),
    /// A string.
    String(String),
    /// A `datetime(...)` inside a dynamic literal: the text as written.
    DateTime(String),
    /// A timespan inside a dynamic literal, in ticks.
    TimeSpan(i64),
    /// `[a, b]`.
    Array(Vec<DynValue>),
    /// `{"k": v}`, keys in the order written.
    Object(Vec<(String, DynValue)>),
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
}

/// Infix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `==`
    Eq,
    /// `!=` (also `<>`)
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `and`
    And,
    /// `or`
    Or,
    /// `=~`: equals, ignoring case.
    EqTilde,
    /// `!~`
    NotEqTilde,
    /// A string operator such as `contains`, `!has_cs`, `matches regex`.
    Str(StrOp, StrOpMode),
}

/// The string operators, each in a positive form (see [`StrOpMode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrOp {
    /// `contains`
    Contains,
    /// `has`
    Has,
    /// `hasprefix`
    HasPrefix,
    /// `hassuffix`
    HasSuffix,
    /// `startswith`
    StartsWith,
    /// `endswith`
    EndsWith,
    /// `matches regex` (always case-sensitive, never negated)
    MatchesRegex,
    /// `like`: reserved for completeness; not a KQL operator today.
    Like,
}

/// Case sensitivity and negation of a string operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrOpMode {
    /// The `_cs` suffix.
    pub case_sensitive: bool,
    /// The `!` prefix.
    pub negated: bool,
}

/// Set membership operators that take a bracketed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// `in`
    In,
    /// `!in`
    NotIn,
    /// `in~`
    InCi,
    /// `!in~`
    NotInCi,
    /// `has_any`
    HasAny,
    /// `has_all`
    HasAll,
}

/// `name = expr`, or a bare `expr` whose name the planner derives.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The names being assigned: one for `x = e`, several for
    /// `(a, b) = e`, none for a bare expression.
    pub names: Vec<Ident>,
    /// The value.
    pub expr: Expr,
    /// The whole assignment.
    pub span: Span,
}

/// `name = value` inside `with (...)`, and operator parameters such as
/// `kind=inner` or `hint.strategy=shuffle`.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedArg {
    /// The parameter name, dotted names joined (`hint.strategy`).
    pub name: Ident,
    /// The value: a literal, or a bare word as [`ExprKind::Name`].
    pub value: Expr,
    /// The whole `name = value`.
    pub span: Span,
}

/// A column name that may hold `*` wildcards (`Initiating*`).
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnPattern {
    /// The pattern text.
    pub pattern: Ident,
}

impl ColumnPattern {
    /// True when the pattern has a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.pattern.node.contains('*')
    }
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// `asc`
    Asc,
    /// `desc`
    Desc,
}

/// One key of `sort by`, `top ... by` and `order by`.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    /// The key.
    pub expr: Expr,
    /// `asc` / `desc`, if written (KQL defaults to `desc`).
    pub order: Option<Spanned<SortOrder>>,
    /// `nulls first` (true) / `nulls last` (false), if written.
    pub nulls_first: Option<bool>,
}

/// One condition in `join ... on`.
#[derive(Clone, Debug, PartialEq)]
pub enum JoinKey {
    /// `on Col`: the same column name on both sides.
    Column(Ident),
    /// `$left.A == $right.B` (written in either order; normalised so that
    /// `left` is the `$left` column).
    Equal {
        /// The `$left` column.
        left: Ident,
        /// The `$right` column.
        right: Ident,
        /// The whole condition.
        span: Span,
    },
}

/// `union` parameters and operands.
#[derive(Clone, Debug, PartialEq)]
pub struct UnionArgs {
    /// `kind=`, `withsource=`, `isfuzzy=` ...
    pub params: Vec<NamedArg>,
    /// The tables or tabular expressions.
    pub tables: Vec<Expr>,
}

/// A tabular operator after a `|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Operator {
    /// What it does.
    pub kind: OperatorKind,
    /// The operator keyword (for example `project-rename`).
    pub keyword: Span,
    /// From the keyword to the end of the operator.
    pub span: Span,
}

/// The tabular operators.
#[derive(Clone, Debug, PartialEq)]
pub enum OperatorKind {
    /// `where predicate` (`filter` is a synonym).
    Where(Expr),
    /// `extend a = x, b = y`
    Extend(Vec<Assignment>),
    /// `project a, b = x`
    Project(Vec<Assignment>),
    /// `project-away a, b*`
    ProjectAway(Vec<ColumnPattern>),
    /// `project-keep a, b*`
    ProjectKeep(Vec<ColumnPattern>),
    /// `project-rename new = old, ...`
    ProjectRename(Vec<(Ident, Ident)>),
    /// `project-reorder a, b* asc, ...`
    ProjectReorder(Vec<(ColumnPattern, Option<Spanned<SortOrder>>)>),
    /// `summarize [params] aggs [by keys]`
    Summarize {
        /// `hint.strategy=...` and the like.
        params: Vec<NamedArg>,
        /// The aggregates.
        aggregates: Vec<Assignment>,
        /// The grouping keys.
        by: Vec<Assignment>,
    },
    /// `distinct *` (empty list) or `distinct a, b`.
    Distinct(Vec<Expr>),
    /// `take n` / `limit n`.
    Take(Expr),
    /// `sort by ...` / `order by ...`.
    Sort(Vec<SortKey>),
    /// `top n by key [asc|desc]`.
    Top {
        /// How many rows.
        count: Expr,
        /// The ordering key.
        key: SortKey,
    },
    /// `count`
    Count,
    /// `join [params] (right) on keys`
    Join {
        /// `kind=inner`, `hint.strategy=...`.
        params: Vec<NamedArg>,
        /// The right side.
        right: Box<Expr>,
        /// The join keys.
        on: Vec<JoinKey>,
    },
    /// `lookup [params] (right) on keys`
    Lookup {
        /// `kind=leftouter`, ...
        params: Vec<NamedArg>,
        /// The dimension table.
        right: Box<Expr>,
        /// The join keys.
        on: Vec<JoinKey>,
    },
    /// `union [params] T1, ...` after a pipe: the input is the first operand.
    Union(UnionArgs),
    /// `as Name`
    As(Ident),
    /// `getschema`
    GetSchema,
    /// `serialize [a = x]`
    Serialize(Vec<Assignment>),
    /// `mv-expand [params] col [to typeof(T)], ...`
    MvExpand {
        /// `bagexpansion=`, `with_itemindex=`, `kind=`.
        params: Vec<NamedArg>,
        /// The expanded columns.
        columns: Vec<Assignment>,
        /// One entry per column: the type of `col to typeof(T)`, if written.
        types: Vec<Option<Spanned<ScalarType>>>,
        /// `limit n`.
        limit: Option<Expr>,
    },
    /// `parse [kind=simple|regex|relaxed] [flags=...] expr with pattern`,
    /// and `parse-where` with the same shape.
    Parse {
        /// `kind=`, `flags=`.
        params: Vec<NamedArg>,
        /// The text to parse.
        expr: Expr,
        /// The pattern after `with`, in order.
        pattern: Vec<ParsePart>,
        /// `parse-where`: rows the pattern does not match are dropped.
        drop_unmatched: bool,
    },
    /// `invoke f(...)`
    Invoke(Expr),
    /// A valid KQL operator we recognise but do not run. The span of the
    /// [`Operator`] covers its whole text up to the next top-level `|`.
    Unsupported {
        /// The operator name, normalised to its canonical spelling.
        name: String,
    },
}

/// One element of a `parse` pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum ParsePart {
    /// `*`: any text, skipped.
    Star(Span),
    /// A string constant that must appear (a regular expression with
    /// `kind=regex`).
    Text(Spanned<String>),
    /// `Name [: type]`: a column that receives the text at this place.
    Column {
        /// The new column.
        name: Ident,
        /// Its type; `string` when not written.
        ty: Option<Spanned<ScalarType>>,
    },
}

/// Every tabular operator keyword in the KQL reference, so that valid KQL
/// we do not run yet is recognised and reported as such rather than as a
/// syntax error.
pub const OPERATOR_KEYWORDS: &[&str] = &[
    "as",
    "consume",
    "count",
    "distinct",
    "evaluate",
    "extend",
    "externaldata",
    "facet",
    "filter",
    "find",
    "fork",
    "getschema",
    "invoke",
    "join",
    "limit",
    "lookup",
    "make-graph",
    "make-series",
    "mv-apply",
    "mv-expand",
    "mvapply",
    "mvexpand",
    "order",
    "parse",
    "parse-kv",
    "parse-where",
    "partition",
    "print",
    "project",
    "project-away",
    "project-by-names",
    "project-keep",
    "project-rename",
    "project-reorder",
    "reduce",
    "render",
    "sample",
    "sample-distinct",
    "scan",
    "search",
    "serialize",
    "sort",
    "summarize",
    "take",
    "top",
    "top-hitters",
    "top-nested",
    "union",
    "where",
    "graph-match",
    "graph-merge",
    "graph-to-table",
    "graph-shortest-paths",
    "macro-expand",
    "assert-schema",
];
