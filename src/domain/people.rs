//! Finding people to add: a username prefix or an exact email, for
//! signed-in users, rate limited, without turning into an email directory.

use std::collections::HashSet;

use super::{
    User, UserId, has_control,
    message::{Delivery, Message},
};
use crate::{
    backends::rate_limit::{Decision, LimitKey},
    config::EmailVisibility,
    error::{Error, Result, Validator},
    state::AppState,
    store,
};

/// The most users one search returns; a larger `limit` is capped.
pub const MAX_RESULTS: i64 = 20;
/// The default `limit`.
pub const DEFAULT_RESULTS: i64 = 10;

/// How a user whose email might be shown relates to the viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The viewer searched for exactly this user's email (so knows it).
    SearchedFor,
    /// They share a conversation.
    CoParticipant,
    /// Neither.
    Stranger,
}

/// The one rule for whose email a viewer is shown, on every surface: their
/// own; the address they searched for exactly; and with
/// `EMAIL_VISIBILITY=participants` (django-chat's behaviour), the emails
/// of the people they share a conversation with. Hidden emails are the
/// empty string (the field stays, as existing clients expect it).
pub fn shows_email(
    visibility: EmailVisibility,
    viewer: UserId,
    user: UserId,
    relation: Relation,
) -> bool {
    match relation {
        _ if viewer == user => true,
        Relation::SearchedFor => true,
        Relation::CoParticipant => visibility == EmailVisibility::Participants,
        Relation::Stranger => false,
    }
}

/// `user` as `viewer` is shown them, by [`shows_email`].
pub fn as_seen(
    visibility: EmailVisibility,
    viewer: UserId,
    relation: Relation,
    mut user: User,
) -> User {
    if !shows_email(visibility, viewer, user.id, relation) {
        user.email.clear();
    }
    user
}

/// A message as its readers are shown it. A live message is rendered once
/// for every reader, so the sender counts as a co-participant of nobody in
/// particular: with `EMAIL_VISIBILITY=self` the sender's email is hidden
/// in messages, from the sender too.
pub fn message_as_seen(visibility: EmailVisibility, mut message: Message) -> Message {
    if visibility != EmailVisibility::Participants {
        message.sender.email.clear();
    }
    message
}

/// A live or replayed event as every subscriber is shown it: like
/// [`message_as_seen`], for whichever user the event names.
pub fn delivery_as_seen(visibility: EmailVisibility, mut delivery: Delivery) -> Delivery {
    if visibility != EmailVisibility::Participants {
        delivery.user_mut().email.clear();
    }
    delivery
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whose_email_is_shown() {
        use EmailVisibility::{OwnOnly, Participants};
        let (me, you) = (UserId(1), UserId(2));
        for visibility in [Participants, OwnOnly] {
            assert!(shows_email(visibility, me, me, Relation::Stranger));
            assert!(shows_email(visibility, me, you, Relation::SearchedFor));
            assert!(!shows_email(visibility, me, you, Relation::Stranger));
        }
        assert!(shows_email(Participants, me, you, Relation::CoParticipant));
        assert!(!shows_email(OwnOnly, me, you, Relation::CoParticipant));
    }
}
