//! The message types every layer shares: a stored message, one about to be
//! stored, and one on its way to live subscribers. A leaf: it depends on
//! nothing of the crate but ids and users, so the backends that store and
//! fan out messages can use it without depending on the domain's services.

use std::{
    any::Any,
    sync::{Arc, Mutex, PoisonError},
};

use chrono::{DateTime, Utc};

use super::{ConversationId, StreamId, User};

/// A stored message. The sender is captured at send time, so showing a
/// message never needs another lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: StreamId,
    pub conversation_id: ConversationId,
    pub sender: User,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// A message about to be appended to the log.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub conversation_id: ConversationId,
    pub sender: User,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// A message on its way to live subscribers: decoded once per node and
/// shared by all of them. Surfaces keep their renderings of it here (the
/// legacy frame, a GraphQL selection's result), so a thousand subscribers
/// asking for the same shape cost one rendering, not a thousand.
#[derive(Debug)]
pub struct Delivery {
    pub message: Message,
    renderings: Mutex<Vec<(Arc<str>, Rendering)>>,
}

type Rendering = Arc<dyn Any + Send + Sync>;

/// Distinct renderings kept per message: beyond this (clients asking for
/// many different shapes), extra ones are computed but not kept.
const MAX_RENDERINGS: usize = 8;

impl Delivery {
    pub fn new(message: Message) -> Self {
        Self {
            message,
            renderings: Mutex::new(Vec::new()),
        }
    }

    /// The rendering kept under `key`: everything the rendering depends on
    /// besides the message itself (the surface, the request's shape).
    pub fn rendering<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        find(&self.renderings(), key)
    }

    /// Keeps `value` as the rendering for `key` (the first one kept wins)
    /// and returns the one kept.
    pub fn keep_rendering<T: Any + Send + Sync>(&self, key: &str, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut renderings = self.renderings();
        if let Some(kept) = find(&renderings, key) {
            return kept;
        }
        if renderings.len() < MAX_RENDERINGS {
            renderings.push((key.into(), value.clone()));
        }
        value
    }

    /// The rendering under `key`, made by the first caller that needs it.
    pub fn rendered<T: Any + Send + Sync>(
        &self,
        key: &str,
        render: impl FnOnce(&Message) -> T,
    ) -> Arc<T> {
        match self.rendering(key) {
            Some(kept) => kept,
            None => self.keep_rendering(key, render(&self.message)),
        }
    }

    fn renderings(&self) -> std::sync::MutexGuard<'_, Vec<(Arc<str>, Rendering)>> {
        // Never held across an await, and a push cannot be half done.
        self.renderings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The rendering of type `T` kept under `key`, if any.
fn find<T: Any + Send + Sync>(renderings: &[(Arc<str>, Rendering)], key: &str) -> Option<Arc<T>> {
    renderings
        .iter()
        .filter(|(k, _)| k.as_ref() == key)
        .find_map(|(_, r)| r.clone().downcast().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    #[test]
    fn renderings_are_kept_per_key_first_one_wins_and_bounded() {
        let delivery = Delivery::new(Message {
            id: StreamId::new(1, 0),
            conversation_id: ConversationId(uuid::Uuid::nil()),
            sender: User {
                id: UserId(1),
                email: "a@example.com".into(),
                username: "a".into(),
                first_name: String::new(),
                last_name: String::new(),
            },
            content: "hi".into(),
            created_at: Utc::now(),
        });
        let a = delivery.rendered("a", |m| m.content.clone());
        let again = delivery.rendered("a", |_| unreachable!("kept"));
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(*delivery.keep_rendering("a", "late".to_owned()), "hi");
        assert_eq!(*delivery.rendered("b", |_| "other".to_owned()), "other");
        // The same key with another type is not mistaken for it.
        assert!(delivery.rendering::<u32>("a").is_none());
        for i in 0..MAX_RENDERINGS * 2 {
            delivery.rendered(&format!("k{i}"), |_| i);
        }
        assert_eq!(delivery.renderings().len(), MAX_RENDERINGS);
    }
}
