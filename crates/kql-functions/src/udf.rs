//! Plumbing shared by the scalar UDFs.
//!
//! Most KQL builtins are "one evaluation function over whole arrays". Rather
//! than a `ScalarUDFImpl` per function, they share [`KqlUdf`]: a name, the KQL
//! type of the result and a plain `fn` that does the work. The readers in this
//! module ([`StrArg`], [`I64Arg`], [`F64Arg`], [`BoolArg`]) let those functions
//! treat an argument the same way whether it arrived as a column or a
//! constant, and whatever Arrow string layout it uses.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, LargeStringArray, PrimitiveArray, StringArray, StringViewArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, DurationNanosecondType, Field, FieldRef, Float64Type, Int64Type, TimeUnit,
    TimestampNanosecondType,
};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use kql_syntax::ast::ScalarType;

use crate::types::{arrow_type, kql_metadata};

/// What an evaluation function receives.
pub(crate) struct Call<'a> {
    /// The arguments: arrays of `rows` values, or constants.
    pub args: &'a [ColumnarValue],
    /// Number of rows to produce.
    pub rows: usize,
    /// KQL type of the result.
    pub ret: ScalarType,
    /// KQL type of the first argument, as the planner typed it.
    pub input: ScalarType,
    /// A small integer the function was built with (an enum tag, a unit).
    pub param: i64,
}

impl Call<'_> {
    /// The `i`-th argument, or an execution error when it is missing.
    pub fn arg(&self, i: usize) -> Result<&ColumnarValue> {
        match self.args.get(i) {
            Some(a) => Ok(a),
            None => exec_err!("argument {} is missing", i + 1),
        }
    }
}

/// An evaluation function: returns an array of `call.rows` values.
pub(crate) type EvalFn = fn(&Call) -> Result<ArrayRef>;

/// A scalar UDF whose behaviour is one [`EvalFn`].
///
/// Equality and hashing use the name, types and parameter: two instances with
/// the same of those run the same function.
#[derive(Debug)]
pub(crate) struct KqlUdf {
    name: String,
    signature: Signature,
    input: ScalarType,
    ret: ScalarType,
    param: i64,
    eval: EvalFn,
}

impl PartialEq for KqlUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.input == other.input
            && self.ret == other.ret
            && self.param == other.param
            && self.signature == other.signature
    }
}

impl Eq for KqlUdf {}

impl Hash for KqlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.input.hash(state);
        self.ret.hash(state);
        self.param.hash(state);
    }
}

impl KqlUdf {
    /// A deterministic function named `name` returning KQL type `ret`.
    pub fn new(name: impl Into<String>, ret: ScalarType, eval: EvalFn) -> Self {
        KqlUdf {
            name: name.into(),
            signature: Signature::variadic_any(Volatility::Immutable),
            input: ScalarType::String,
            ret,
            param: 0,
            eval,
        }
    }

    /// Records the KQL type of the first argument.
    pub fn input(mut self, ty: ScalarType) -> Self {
        self.input = ty;
        self
    }

    /// Records a parameter for the evaluation function.
    pub fn param(mut self, param: i64) -> Self {
        self.param = param;
        self
    }

    /// Calls the function on `args`.
    pub fn call(self, args: Vec<Expr>) -> Expr {
        ScalarUDF::new_from_impl(self).call(args)
    }
}

impl ScalarUDFImpl for KqlUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(arrow_type(self.ret))
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(result_field(&self.name, self.ret)))
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        args.args = plain_args(args.args)?;
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        if all_scalar && !args.args.is_empty() {
            // Evaluate constants once, as a one-row batch.
            let one = args
                .args
                .iter()
                .map(|a| a.to_array(1).map(ColumnarValue::Array))
                .collect::<Result<Vec<_>>>()?;
            let call = self.make_call(&one, 1);
            let out = (self.eval)(&call)?;
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        let call = self.make_call(&args.args, args.number_rows);
        Ok(ColumnarValue::Array((self.eval)(&call)?))
    }
}

impl KqlUdf {
    fn make_call<'a>(&self, args: &'a [ColumnarValue], rows: usize) -> Call<'a> {
        Call { args, rows, ret: self.ret, input: self.input, param: self.param }
    }
}

/// The arguments with dictionary-encoded arrays decoded, so evaluation
/// functions only meet plain layouts.
pub(crate) fn plain_args(args: Vec<ColumnarValue>) -> Result<Vec<ColumnarValue>> {
    args.into_iter()
        .map(|a| match a {
            ColumnarValue::Array(arr) => match arr.data_type() {
                DataType::Dictionary(_, value) => Ok(ColumnarValue::Array(cast(&arr, value)?)),
                _ => Ok(ColumnarValue::Array(arr)),
            },
            ColumnarValue::Scalar(ScalarValue::Dictionary(_, v)) => Ok(ColumnarValue::Scalar(*v)),
            scalar => Ok(scalar),
        })
        .collect()
}

/// The field a function returning KQL type `ty` produces: `guid` and
/// `dynamic` carry their KQL type in the metadata, since they share `Utf8`
/// with `string`.
pub(crate) fn result_field(name: &str, ty: ScalarType) -> Field {
    let field = Field::new(name, arrow_type(ty), true);
    match ty {
        ScalarType::Guid | ScalarType::Dynamic => field.with_metadata(kql_metadata(ty)),
        _ => field,
    }
}

/// Strings of any of Arrow's three layouts.
#[derive(Clone, Copy)]
pub(crate) enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strings<'a> {
    /// Reads `array` as strings, or fails when it holds something else.
    pub fn new(array: &'a dyn Array) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Utf8 => Strings::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Strings::Large(array.as_string::<i64>()),
            DataType::Utf8View => Strings::View(array.as_string_view()),
            other => return exec_err!("expected a string argument, got {other}"),
        })
    }

    /// The value at `i`, `None` when null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// A string argument: a column, or one value for every row.
pub(crate) enum StrArg<'a> {
    Const(Option<&'a str>),
    Column(Strings<'a>),
}

impl<'a> StrArg<'a> {
    /// Reads a string argument.
    pub fn new(value: &'a ColumnarValue) -> Result<Self> {
        match value {
            // An untyped null column: every row is null.
            ColumnarValue::Array(a) if a.data_type() == &DataType::Null => Ok(StrArg::Const(None)),
            ColumnarValue::Array(a) => Ok(StrArg::Column(Strings::new(a.as_ref())?)),
            ColumnarValue::Scalar(s) => Ok(StrArg::Const(scalar_str(s)?)),
        }
    }

    /// The value at row `i`, `None` when null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            StrArg::Const(v) => *v,
            StrArg::Column(c) => c.get(i),
        }
    }

    /// The value at row `i`; KQL strings are never null, so null reads as "".
    #[inline]
    pub fn text(&self, i: usize) -> &'a str {
        self.get(i).unwrap_or("")
    }

    /// The constant value, when the argument is one.
    pub fn constant(&self) -> Option<Option<&'a str>> {
        match self {
            StrArg::Const(v) => Some(*v),
            StrArg::Column(_) => None,
        }
    }
}

/// The text of a string constant; `None` for a null of any type.
pub(crate) fn scalar_str(value: &ScalarValue) -> Result<Option<&str>> {
    match value {
        ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => Ok(v.as_deref()),
        v if v.is_null() => Ok(None),
        other => exec_err!("expected a string argument, got {}", other.data_type()),
    }
}

/// A primitive argument, cast to `T` when it has another numeric type.
pub(crate) enum PrimArg<T: datafusion::arrow::datatypes::ArrowPrimitiveType> {
    Const(Option<T::Native>),
    Column(PrimitiveArray<T>),
}

impl<T: datafusion::arrow::datatypes::ArrowPrimitiveType> PrimArg<T> {
    fn read(value: &ColumnarValue, target: &DataType) -> Result<Self> {
        match value {
            ColumnarValue::Array(a) => {
                let a = if a.data_type() == target { a.clone() } else { cast(a, target)? };
                match a.as_primitive_opt::<T>() {
                    Some(p) => Ok(PrimArg::Column(p.clone())),
                    None => exec_err!("expected {target}, got {}", a.data_type()),
                }
            }
            ColumnarValue::Scalar(s) => {
                let a = s.to_array_of_size(1)?;
                let a = if a.data_type() == target { a } else { cast(&a, target)? };
                match a.as_primitive_opt::<T>() {
                    Some(p) => Ok(PrimArg::Const(p.is_valid(0).then(|| p.value(0)))),
                    None => exec_err!("expected {target}, got {}", a.data_type()),
                }
            }
        }
    }

    /// The value at row `i`, `None` when null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<T::Native> {
        match self {
            PrimArg::Const(v) => *v,
            PrimArg::Column(c) => c.is_valid(i).then(|| c.value(i)),
        }
    }
}

/// An integer argument (any integer or boolean type), read as `i64`.
pub(crate) type I64Arg = PrimArg<Int64Type>;
/// A numeric argument, read as `f64`.
pub(crate) type F64Arg = PrimArg<Float64Type>;
/// A datetime argument, read as nanoseconds since the Unix epoch.
pub(crate) type TimeArg = PrimArg<TimestampNanosecondType>;
/// A timespan argument, read as nanoseconds.
pub(crate) type SpanArg = PrimArg<DurationNanosecondType>;

/// Reads an integer argument.
pub(crate) fn i64_arg(value: &ColumnarValue) -> Result<I64Arg> {
    PrimArg::read(value, &DataType::Int64)
}

/// Reads a numeric argument as `f64`.
pub(crate) fn f64_arg(value: &ColumnarValue) -> Result<F64Arg> {
    PrimArg::read(value, &DataType::Float64)
}

/// Reads a datetime argument.
pub(crate) fn time_arg(value: &ColumnarValue) -> Result<TimeArg> {
    PrimArg::read(value, &DataType::Timestamp(TimeUnit::Nanosecond, None))
}

/// Reads a timespan argument.
pub(crate) fn span_arg(value: &ColumnarValue) -> Result<SpanArg> {
    PrimArg::read(value, &DataType::Duration(TimeUnit::Nanosecond))
}

/// Shorthand for an `Arc`ed array.
pub(crate) fn arc(array: impl Array + 'static) -> ArrayRef {
    Arc::new(array)
}
