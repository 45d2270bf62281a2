//! The one error type of the domain, and the one code table behind its three
//! mappings: GraphQL `extensions.code` (graphql/), REST status and body
//! (http/rest), WebSocket error frames (http/legacy_ws).

use std::collections::BTreeMap;

/// Field name -> every message about that field, as DRF and
/// `extensions.fields` report them.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Everything that can go wrong in a domain call, by meaning.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule; every failing field is listed.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// A request that cannot be read at all (not JSON, wrong types).
    #[error("{0}")]
    BadRequest(String),
    /// A request body over `MAX_BODY_BYTES`.
    #[error("Request body is too large")]
    BodyTooLarge,
    /// No valid access token.
    #[error("{0}")]
    Unauthenticated(NoCredentials),
    /// Email and password do not match an active account.
    #[error("Invalid credentials")]
    InvalidCredentials,
    /// Authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(Denied),
    /// Absent, or not visible to the caller (the two look the same).
    #[error("{0}")]
    NotFound(Missing),
    /// The request conflicts with existing state.
    #[error("{0}")]
    Conflict(Clash),
    /// Message content that cannot be sent.
    #[error("{0}")]
    InvalidContent(Unsendable),
    /// Message content longer than the limit.
    #[error("Message content exceeds {max} characters")]
    ContentTooLong { max: usize },
    /// Rate limit reached; retry after this many seconds.
    #[error("Too many requests, retry in {retry_after} seconds")]
    Throttled { retry_after: u64 },
    /// This node has no capacity left for the request (every password-hash
    /// slot busy past the queue wait); another try, or node, may succeed.
    #[error("The server is busy, retry in {retry_after} seconds")]
    Overloaded { retry_after: u64 },
    /// A backing store (database, Redis) failed; the cause is logged, not shown.
    #[error("storage unavailable")]
    Storage(#[source] anyhow::Error),
    /// A bug or an unexpected failure; the cause is logged, not shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

// The kinds of the four errors that come in kinds, with the one text each
// shows on every surface (REST replaces a 404's with DRF's "Not found.").

/// Why no user could be authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoCredentials {
    #[error("Authentication credentials were not provided.")]
    Missing,
    #[error("Authorization header must contain two space-delimited values")]
    Malformed,
    /// Not a token of ours, tampered with, or expired.
    #[error("Given token not valid for any token type")]
    InvalidToken,
    /// A refresh token where an access token belongs, or the reverse.
    #[error("Token has wrong type")]
    WrongTokenType,
    /// A refresh token already exchanged, or one without a usable id.
    #[error("Token is invalid or expired")]
    SpentToken,
    #[error("User not found or inactive")]
    InactiveUser,
    #[error("A valid metrics token is required.")]
    MetricsToken,
}

/// Why an authenticated caller may not do this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("You are not a participant of this conversation")]
    NotParticipant,
    #[error("Only admins can add participants")]
    NotAdmin,
    #[error("Only admins can remove participants")]
    NotAdminToRemove,
    #[error("Only the sender can edit a message")]
    NotSender,
    #[error("Only the sender or an admin can delete a message")]
    NotSenderOrAdmin,
    #[error("Origin not allowed")]
    Origin,
}

/// What does not exist, or is not visible to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error("Conversation not found")]
    Conversation,
    #[error("User not found")]
    User,
    #[error("Message not found")]
    Message,
    #[error("No such route")]
    Route,
}

/// Why message content cannot be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsendable {
    /// Nothing left after trimming.
    #[error("Message content cannot be empty")]
    Empty,
    /// A NUL character, which PostgreSQL cannot store in text.
    #[error("Message content cannot contain NUL characters")]
    Nul,
}

/// What a request clashes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Clash {
    /// Lost a race with a signup of the same email or username.
    #[error("User already exists")]
    UserExists,
    /// Every candidate slug was taken by concurrent creations.
    #[error("Could not allocate a unique slug, try again")]
    SlugsExhausted,
    /// A unique key taken by a concurrent write where no caller expected it.
    #[error("This already exists")]
    Duplicate,
}

impl Error {
    /// The stable code clients see on every surface.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) | Error::BadRequest(_) | Error::BodyTooLarge => "VALIDATION_ERROR",
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::InvalidCredentials => "INVALID_CREDENTIALS",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::Conflict(_) => "CONFLICT",
            Error::InvalidContent(_) => "INVALID_CONTENT",
            Error::ContentTooLong { .. } => "CONTENT_TOO_LONG",
            Error::Throttled { .. } => "THROTTLED",
            Error::Overloaded { .. } => "SERVICE_UNAVAILABLE",
            Error::Storage(_) => "STORAGE_ERROR",
            Error::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// The message shown to clients: never internal detail.
    pub fn public_message(&self) -> String {
        match self {
            Error::Validation(fields) => match fields.iter().next() {
                Some((field, messages)) if fields.len() == 1 && messages.len() == 1 => {
                    format!("{field}: {}", messages[0])
                }
                _ => "Invalid input".to_owned(),
            },
            Error::Storage(_) => "Storage is temporarily unavailable".to_owned(),
            Error::Internal(_) => "Internal server error".to_owned(),
            other => other.to_string(),
        }
    }

    /// A validation error on a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.into()]);
        Error::Validation(fields)
    }

    /// Logs server-side failures once, at the surface that maps the error.
    pub fn log(&self) {
        match self {
            Error::Storage(cause) => {
                tracing::error!(code = self.code(), error = ?cause, "storage failure")
            }
            Error::Internal(cause) => {
                tracing::error!(code = self.code(), error = ?cause, "internal failure")
            }
            _ => {}
        }
    }
}

/// A backing store, as labelled in `storage_errors_total{backend}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageBackend {
    Database,
    Redis,
}

impl StorageBackend {
    /// Counts one failure of this store. Called where the failure is first
    /// seen: an `Error::Storage` no longer says which store it came from.
    pub fn count_failure(self) {
        self.failures().increment(1);
    }

    /// Shows this store's counter at zero before any failure, so alert
    /// rules see `0` rather than no data.
    pub fn register_failures(self) {
        self.failures().increment(0);
    }

    fn failures(self) -> metrics::Counter {
        let backend = match self {
            StorageBackend::Database => "database",
            StorageBackend::Redis => "redis",
        };
        metrics::counter!("storage_errors_total", "backend" => backend)
    }
}

/// Every database failure that reaches the domain passes here (expected
/// unique violations are matched on the `DbErr` before, where they mean
/// something: a slug taken, a participant already added).
impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        // A lost race is a conflict, not the database failing: it must not
        // count in `storage_errors_total` (alerts) nor be logged as one.
        if matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            return Error::Conflict(Clash::Duplicate);
        }
        StorageBackend::Database.count_failure();
        Error::Storage(err.into())
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(err: sea_orm::TransactionError<Error>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

/// Collects field errors so every failing field is reported together.
#[derive(Default)]
pub struct Validator(FieldErrors);

impl Validator {
    /// Records a message against a field.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// Records a message when `failed` holds.
    pub fn check(&mut self, failed: bool, field: &str, message: impl Into<String>) {
        if failed {
            self.add(field, message);
        }
    }

    /// Whether `field` has a message already.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
