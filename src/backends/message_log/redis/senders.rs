//! Completing the senders of entries django-chat wrote. Its entries carry
//! only `user_id` and `username`; chatstream's also carry the email and
//! names, so an entry without `user_email` is one of django-chat's. Their
//! senders are looked up in `users` once per page or live batch (one query
//! for the distinct ids), never once per message.

use std::{collections::HashMap, time::Duration};

use sea_orm::DatabaseConnection;

use crate::{
    model::{User, UserId, message::Message},
    store,
};

/// How long a lookup may hold up a page or a live batch; past it, the
/// messages go out with what their entries say.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// What a sender that no longer exists is shown as.
pub const DELETED_USER: &str = "Deleted user";

/// Looks up the senders django-chat's entries leave out.
#[derive(Clone)]
pub struct Senders {
    db: DatabaseConnection,
}

impl Senders {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Fills in the sender of every message whose entry lacked one. A
    /// sender no longer in `users` becomes a placeholder; a failed lookup
    /// leaves the messages as their entries had them (logged, not fatal:
    /// showing a message matters more than showing its sender's email).
    pub async fn complete(&self, messages: &mut [Message]) {
        let mut ids: Vec<UserId> = messages
            .iter()
            .filter(|m| is_partial(&m.sender))
            .map(|m| m.sender.id)
            .collect();
        if ids.is_empty() {
            return;
        }
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        let found =
            match tokio::time::timeout(LOOKUP_TIMEOUT, store::users::find_many(&self.db, &ids))
                .await
            {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot look up the senders of django-chat entries");
                    return;
                }
                Err(_) => {
                    tracing::warn!("looking up the senders of django-chat entries timed out");
                    return;
                }
            };
        let users: HashMap<UserId, User> = found
            .into_iter()
            .map(|model| (UserId(model.id), User::from(model)))
            .collect();
        for message in messages.iter_mut().filter(|m| is_partial(&m.sender)) {
            message.sender = match users.get(&message.sender.id) {
                Some(user) => user.clone(),
                None => placeholder(&message.sender),
            };
        }
    }
}

/// An entry written by django-chat: every chatstream user has an email.
fn is_partial(sender: &User) -> bool {
    sender.email.is_empty()
}

/// A deleted sender: the id and username the entry recorded, named as such.
fn placeholder(recorded: &User) -> User {
    User {
        id: recorded.id,
        email: String::new(),
        username: recorded.username.clone(),
        first_name: DELETED_USER.to_owned(),
        last_name: String::new(),
    }
}
