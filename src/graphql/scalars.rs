//! The API's custom scalars, each with its description and the
//! `@specifiedBy` URL that introspection and code generators show.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::Utc;

use crate::domain::StreamId;

/// An instant in UTC, as an RFC 3339 date-time string, e.g.
/// "2024-05-01T12:00:00.123456+00:00".
///
/// Our own type rather than async-graphql's `chrono::DateTime<Utc>` scalar,
/// whose description is a placeholder; the wire format is the same
/// (`to_rfc3339`).
#[derive(Clone, Copy, Debug)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant in UTC, as an RFC 3339 date-time string, e.g.
/// "2024-05-01T12:00:00.123456+00:00".
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Ok(Self(s.parse::<chrono::DateTime<Utc>>()?)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        Self(at)
    }
}

/// A stream entry id, `<milliseconds>-<sequence>`, e.g. `1700000000000-0`.
/// Kept as text here so a malformed id reaches the domain and comes back as
/// a VALIDATION_ERROR naming the argument.
#[derive(Clone, Debug)]
pub struct StreamIdScalar(pub String);

/// A message's place in its conversation: a Redis stream entry id,
/// "<milliseconds>-<sequence>", e.g. "1700000000000-0". Ids of one
/// conversation grow with every entry; compare them as two integers, never
/// as text.
#[Scalar(
    name = "StreamId",
    specified_by_url = "https://redis.io/docs/latest/develop/data-types/streams/#entry-ids"
)]
impl ScalarType for StreamIdScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Self(s)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

impl From<StreamId> for StreamIdScalar {
    fn from(id: StreamId) -> Self {
        Self(id.to_string())
    }
}
