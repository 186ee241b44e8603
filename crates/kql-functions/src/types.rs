//! How KQL's scalar types are held in Arrow.
//!
//! | KQL        | Arrow                         | notes |
//! |------------|-------------------------------|-------|
//! | `bool`     | `Boolean`                     | |
//! | `int`      | `Int32`                       | |
//! | `long`     | `Int64`                       | |
//! | `real`     | `Float64`                     | |
//! | `decimal`  | `Decimal128(38, 18)`          | |
//! | `string`   | `Utf8` (also `Utf8View`, `LargeUtf8` on input) | never null: an absent string is `""` |
//! | `datetime` | `Timestamp(Nanosecond, None)` | UTC; 100 ns ticks fit exactly |
//! | `timespan` | `Duration(Nanosecond)`        | |
//! | `guid`     | `Utf8` + field metadata       | lower-case canonical text |
//! | `dynamic`  | `Utf8` + field metadata       | compact JSON text |
//!
//! Where two KQL types share an Arrow type (`string`, `guid`, `dynamic`), the
//! field carries the KQL type under the metadata key [`KQL_TYPE_KEY`]. The
//! planner sets it on every column it builds, so the KQL type of a column can
//! always be read back from the plan's schema with [`kql_type_of`].

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use kql_syntax::ast::ScalarType;

/// Field metadata key holding the KQL type name of a column.
pub const KQL_TYPE_KEY: &str = "kql.type";

/// Precision and scale used for KQL `decimal`.
pub const DECIMAL_PRECISION: u8 = 38;
/// See [`DECIMAL_PRECISION`].
pub const DECIMAL_SCALE: i8 = 18;

/// The Arrow type that holds values of a KQL type.
pub fn arrow_type(ty: ScalarType) -> DataType {
    match ty {
        ScalarType::Bool => DataType::Boolean,
        ScalarType::Int => DataType::Int32,
        ScalarType::Long => DataType::Int64,
        ScalarType::Real => DataType::Float64,
        ScalarType::Decimal => DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
        ScalarType::String | ScalarType::Guid | ScalarType::Dynamic => DataType::Utf8,
        ScalarType::DateTime => DataType::Timestamp(TimeUnit::Nanosecond, None),
        ScalarType::TimeSpan => DataType::Duration(TimeUnit::Nanosecond),
    }
}

/// An Arrow field for a column of KQL type `ty`, with the type recorded in
/// its metadata.
pub fn kql_field(name: impl Into<String>, ty: ScalarType) -> Field {
    Field::new(name, arrow_type(ty), true).with_metadata(kql_metadata(ty))
}

/// The metadata that records `ty` on a field.
pub fn kql_metadata(ty: ScalarType) -> HashMap<String, String> {
    HashMap::from([(KQL_TYPE_KEY.to_string(), ty.name().to_string())])
}

/// The KQL type of a field: its metadata when present, otherwise the KQL type
/// that naturally holds its Arrow type. `None` for Arrow types KQL has no
/// counterpart for.
pub fn kql_type_of(field: &Field) -> Option<ScalarType> {
    let natural = kql_type_of_arrow(field.data_type());
    // Metadata only refines the type when it agrees with the Arrow type:
    // DataFusion carries a source column's metadata through casts, so a
    // `dynamic` column cast to `Int32` still says `dynamic`.
    let tagged = field.metadata().get(KQL_TYPE_KEY).and_then(|t| ScalarType::from_name(t));
    match (tagged, natural) {
        (Some(t), Some(n)) if n == kql_type_of_arrow(&arrow_type(t)).unwrap_or(n) => Some(t),
        _ => natural,
    }
}

/// The KQL type that naturally holds an Arrow type.
pub fn kql_type_of_arrow(dt: &DataType) -> Option<ScalarType> {
    Some(match dt {
        DataType::Boolean => ScalarType::Bool,
        DataType::Int8 | DataType::Int16 | DataType::Int32 => ScalarType::Int,
        DataType::UInt8 | DataType::UInt16 => ScalarType::Int,
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => ScalarType::Long,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => ScalarType::Real,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => ScalarType::Decimal,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ScalarType::String,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => ScalarType::DateTime,
        DataType::Duration(_) | DataType::Interval(_) => ScalarType::TimeSpan,
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::FixedSizeList(..)
        | DataType::Struct(_)
        | DataType::Map(..) => ScalarType::Dynamic,
        DataType::Null => ScalarType::String,
        _ => return None,
    })
}

/// A field ref-counted, as schemas hold them.
pub fn kql_field_ref(name: impl Into<String>, ty: ScalarType) -> Arc<Field> {
    Arc::new(kql_field(name, ty))
}
