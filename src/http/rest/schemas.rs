//! The shapes the REST adapters share with their OpenAPI document: error
//! bodies, and schema pieces utoipa cannot derive. Handlers and the document
//! both depend on this module; it depends on neither.

use serde::Serialize;
use utoipa::{
    ToResponse, ToSchema,
    openapi::{
        KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat,
        schema::{AnyOfBuilder, SchemaType, Type},
    },
};

use crate::error::FieldErrors;

// Text fields the server trims carry a pattern: `\S` (some character that
// is not white space) where a blank value is refused like an empty one, or
// [`trimmed`] where the trimmed length is bounded too.

/// The characters `str::trim` removes (Unicode `White_Space`), spelled out:
/// `\s` means something else in ECMAScript, in Python (which fuzzes this
/// document) and in Rust.
const WHITE_SPACE: &str = r"\x09-\x0D\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// [`WHITE_SPACE`] without its control characters.
const BLANK: &str = r"\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// What `char::is_control` is true for.
const CONTROL: &str = r"\x00-\x1F\x7F-\x9F";

/// What a trimmed text field may hold besides its white space.
#[derive(Clone, Copy)]
pub enum Inside {
    /// Anything but NUL: tabs and newlines are kept (message content).
    AnythingButNul,
    /// No control character anywhere, even in the white space trimmed off.
    NoControl,
}

/// A text field the server trims, then holds to 1..=`max` characters. The
/// bound is on the trimmed text, which `maxLength` cannot say (a 2000-
/// character message sent with a trailing newline is valid), so the
/// pattern says it exactly: white space, the text (no white space at
/// either end), white space.
pub fn trimmed(max: usize, inside: Inside) -> ObjectBuilder {
    let (around, end, middle) = match inside {
        Inside::AnythingButNul => (
            format!("[{WHITE_SPACE}]"),
            format!(r"[^{WHITE_SPACE}\x00]"),
            r"[^\x00]".to_owned(),
        ),
        Inside::NoControl => (
            format!("[{BLANK}]"),
            format!("[^{WHITE_SPACE}{CONTROL}]"),
            format!("[^{CONTROL}]"),
        ),
    };
    let between = max.saturating_sub(2);
    typed(&[Type::String])
        .min_length(Some(1))
        .pattern(Some(format!(
            "^{around}*{end}(?:{middle}{{0,{between}}}{end})?{around}*$"
        )))
}

/// A trimmed field that must not be blank, its other rules left to the
/// server's 400 (login emails, refresh tokens, searches).
pub fn not_blank() -> ObjectBuilder {
    typed(&[Type::String])
        .min_length(Some(1))
        .pattern(Some(format!("[^{WHITE_SPACE}]")))
}

/// A trimmed field whose other rules the document leaves to the server's
/// 400 (usernames, emails): the pattern bounds only the trimmed length.
pub fn trimmed_loosely(max: usize) -> ObjectBuilder {
    typed(&[Type::String])
        .min_length(Some(1))
        .pattern(Some(format!(
            "^[{WHITE_SPACE}]*[^{WHITE_SPACE}]{{1,{max}}}[{WHITE_SPACE}]*$"
        )))
}

/// A query parameter read as an integer, where an empty value (`?limit=`)
/// reads as absent. OpenAPI's `allowEmptyValue` says that, but utoipa cannot
/// emit it (it is deprecated), so the schema spells it out.
pub fn optional_integer() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(typed(&[Type::Integer]).format(Some(int64())))
        .item(typed(&[Type::String]).enum_values(Some([""])))
        .into()
}

/// `format: int64`.
pub fn int64() -> SchemaFormat {
    SchemaFormat::KnownFormat(KnownFormat::Int64)
}

/// An object schema of one type, or of several (`["string", "null"]`).
pub fn typed(types: &[Type]) -> ObjectBuilder {
    let schema_type = match types {
        [one] => SchemaType::Type(one.clone()),
        many => many.iter().cloned().collect(),
    };
    ObjectBuilder::new().schema_type(schema_type)
}

/// `{"detail": "…"}`: bad bodies and query strings, missing or bad tokens,
/// 403, 404, 409.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "Not found.")]
    pub detail: String,
}

/// DRF's field errors: every failing field with all its messages.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"email": ["Enter a valid email address."], "password": ["Password must be at least 10 characters long."]}))]
pub struct ValidationErrors(#[schema(inline)] pub FieldErrors);

/// A 400: field errors, or `{"detail"}` when the body or query cannot be read.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequest {
    Fields(ValidationErrors),
    Detail(ErrorDetail),
}

/// A message whose content is blank or too long.
#[derive(Serialize, ToSchema)]
pub struct ContentError {
    #[schema(example = json!(["Message content cannot be empty"]))]
    pub content: Vec<String>,
    /// `INVALID_CONTENT` or `CONTENT_TOO_LONG`.
    #[schema(example = "INVALID_CONTENT")]
    pub code: String,
}

/// A 400 from sending: bad content, or a body that cannot be read.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadMessage {
    Content(ContentError),
    Detail(ErrorDetail),
}

/// A 400 from editing: bad content, a deleted message (`message_id`), or
/// a body that cannot be read.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadEdit {
    Content(ContentError),
    Fields(ValidationErrors),
    Detail(ErrorDetail),
}

/// Login's 401: `{"error": "Invalid credentials"}`.
#[derive(Serialize, ToSchema)]
pub struct CredentialsError {
    #[schema(example = "Invalid credentials")]
    pub error: String,
}

/// A 429; the `Retry-After` header carries the seconds as a number.
#[derive(Serialize, ToSchema)]
pub struct ThrottledError {
    #[schema(example = "Request was throttled. Expected available in 42 seconds.")]
    pub detail: String,
    /// `THROTTLED`.
    #[schema(example = "THROTTLED")]
    pub code: String,
}

/// A 503: the database or Redis failed (the cause is logged, not shown), or
/// on signup and login, every password-hash slot of the node is busy (then
/// with a `Retry-After` header).
#[derive(Serialize, ToSchema)]
pub struct StorageError {
    #[schema(example = "Storage is temporarily unavailable")]
    pub detail: String,
    /// `STORAGE_ERROR`, or `SERVICE_UNAVAILABLE` when the node is too busy.
    #[schema(example = "STORAGE_ERROR")]
    pub code: String,
}

/// A missing, malformed or expired access token.
#[derive(ToResponse)]
pub struct Unauthenticated(pub ErrorDetail);

/// A backing store is unavailable; retrying later may succeed.
#[derive(ToResponse)]
pub struct Unavailable(pub StorageError);

/// `{"success": true}`.
#[derive(Serialize, ToSchema)]
#[schema(as = Success)]
pub(super) struct SuccessJson {
    pub(super) success: bool,
}
