//! Finding people to add: a username prefix or an exact email, for
//! signed-in users, rate limited, without turning into an email directory.

use std::collections::HashSet;

use super::{
    User, UserId, has_control,
    visibility::{Relation, as_seen},
};
use crate::{
    backends::rate_limit::{Decision, LimitKey},
    domain::state::AppState,
    error::{Error, Result, Validator},
    store,
};

/// The most users one search returns; a larger `limit` is capped.
pub const MAX_RESULTS: i64 = 20;
/// The default `limit`.
pub const DEFAULT_RESULTS: i64 = 10;

/// Users whose username starts with `search` or whose email is `search`,
/// case-insensitively; the exact email first, then by username. Emails are
/// shown by [`shows_email`]: prefixes cannot harvest addresses.
#[tracing::instrument(skip_all, fields(user.id = viewer.0))]
pub async fn search(
    state: &AppState,
    viewer: UserId,
    search: &str,
    limit: Option<i64>,
) -> Result<Vec<User>> {
    let needle = search.trim().to_lowercase();
    let mut v = Validator::default();
    v.check(needle.is_empty(), "search", "This field may not be blank.");
    let limit = limit.unwrap_or(DEFAULT_RESULTS);
    v.check(limit < 1, "limit", "Ensure this value is at least 1.");
    v.finish()?;
    let limit = u64::try_from(limit.min(MAX_RESULTS)).unwrap_or(1);

    if let Decision::Throttled { retry_after } = state
        .backends
        .limiter
        .check(&LimitKey::Search(viewer))
        .await
    {
        return Err(Error::Throttled { retry_after });
    }

    // No username or email holds a control character (and PostgreSQL could
    // not even compare a NUL): such a search finds no one.
    if has_control(&needle) {
        return Ok(Vec::new());
    }
    let found = store::users::search(&state.db, &needle, &needle, limit).await?;
    let ids: Vec<UserId> = found.iter().map(|u| UserId(u.id)).collect();
    let known: HashSet<i64> = store::participants::sharing_with(&state.db, viewer, &ids)
        .await?
        .into_iter()
        .collect();
    let visibility = state.config.email_visibility;
    Ok(found
        .into_iter()
        .map(|model| {
            let relation = if model.email.to_lowercase() == needle {
                Relation::SearchedFor
            } else if known.contains(&model.id) {
                Relation::CoParticipant
            } else {
                Relation::Stranger
            };
            as_seen(visibility, viewer, relation, User::from(model))
        })
        .collect())
}
