//! The message types every layer shares: a stored message, one about to be
//! stored, and one on its way to live subscribers. A leaf: it depends on
//! nothing of the crate but ids and users, so the backends that store and
//! fan out messages can use it without depending on the domain's services.
//!
//! A [`Delivery`] also keeps the surfaces' renderings of its message, typed
//! without the domain knowing any surface: a surface names its kind of
//! rendering with a type of its own implementing [`Rendering`] (the key it
//! depends on, the value, how many to keep), and renderings are stored
//! under that type. Only code that can name the type reads or writes them,
//! and it gets back exactly the type it kept.

use std::{
    any::Any,
    sync::{Mutex, MutexGuard, PoisonError},
};

use chrono::{DateTime, Utc};

use super::{
    ids::{ConversationId, StreamId},
    user::User,
};

/// Where a page of a conversation's log starts.
#[derive(Clone, Copy, Debug, Default)]
pub enum Cursor {
    /// The latest messages.
    #[default]
    Latest,
    /// Strictly after this id, oldest first.
    After(StreamId),
    /// Strictly before this id (paging backwards).
    Before(StreamId),
}

/// A stored message. The sender is captured at send time, so showing a
/// message never needs another lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: StreamId,
    pub conversation_id: ConversationId,
    pub sender: User,
    /// The current content: the latest edit's, or empty once deleted.
    pub content: String,
    pub created_at: DateTime<Utc>,
    /// When the content was last edited; `None` unless edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// A deleted message keeps its id and place; its content is empty.
    pub deleted: bool,
}

impl Message {
    /// This message as `change` leaves it.
    pub fn changed(mut self, change: &Change) -> Self {
        match change {
            Change::Edit { content, at } => {
                self.content.clone_from(content);
                self.edited_at = Some(*at);
            }
            Change::Delete => {
                self.content.clear();
                self.deleted = true;
            }
        }
        self
    }
}

/// A change to a stored message, recorded in the log in order with the
/// messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// New content (already validated), edited at `at`.
    Edit { content: String, at: DateTime<Utc> },
    /// The content goes; the message keeps its id and place.
    Delete,
}

/// A place in a conversation: a message and how many messages the
/// conversation had up to and including it (its ordinal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub id: StreamId,
    pub count: u64,
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
    pub conversation_id: ConversationId,
    pub event: Event,
    renderings: Renderings,
}

/// What a delivery announces: an event of a conversation's log, or a
/// signal that never enters it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A message added, edited or deleted, as that left it.
    Message {
        message: Message,
        happened: Happened,
    },
    /// A participant's read marker moved to `up_to`.
    ReadMarkerMoved {
        id: StreamId,
        user: User,
        up_to: StreamId,
    },
    /// Someone was added to the conversation.
    ParticipantJoined { id: StreamId, user: User },
    /// Someone left or was removed.
    ParticipantLeft { id: StreamId, user: User },
    /// Typing or presence: live only, never stored, never replayed by
    /// `since`, so it has no place in the log's order.
    Signal(Signal),
}

/// What participants see of each other's activity, as it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// `user` started typing (or renewed it), or stopped.
    Typing { user: User, typing: bool },
    /// `user`'s first socket opened (`online`) or their last one closed.
    Presence { user: User, online: bool },
}

impl Signal {
    pub fn user(&self) -> &User {
        match self {
            Signal::Typing { user, .. } | Signal::Presence { user, .. } => user,
        }
    }

    fn user_mut(&mut self) -> &mut User {
        match self {
            Signal::Typing { user, .. } | Signal::Presence { user, .. } => user,
        }
    }
}

/// What happened to a message, with its place in the conversation's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Happened {
    /// The message was added; its place is its id.
    Added,
    /// The message was edited by the event with this id.
    Edited(StreamId),
    /// The message was deleted by the event with this id.
    Deleted(StreamId),
}

/// One surface's kind of rendering of a delivered message.
///
/// The domain knows no surface: each surface implements this on a type of
/// its own, kept private, and renderings are stored under that type. So a
/// surface reads only what it wrote, with the type it wrote, and two
/// surfaces cannot collide however their keys and values look.
pub trait Rendering: 'static {
    /// Whatever the rendering depends on besides the message (the request's
    /// shape), or `()` when there is one rendering per message.
    type Key: PartialEq + Send + Sync;
    /// The rendering, cloned for each reader while the renderings are
    /// locked: make it cheap to clone (shared bytes, an `Arc`).
    type Value: Clone + Send + Sync;
    /// How many renderings with distinct keys a message keeps; beyond that
    /// (clients asking for many different shapes), extra ones are computed
    /// but not kept.
    const KEPT: usize;
}

/// The renderings kept for one message, each stored as the `Kept<R>` of the
/// surface's type `R`: the type is the key, the downcast is the check.
#[derive(Default)]
struct Renderings(Mutex<Vec<Box<dyn Any + Send + Sync>>>);

struct Kept<R: Rendering> {
    key: R::Key,
    value: R::Value,
}

impl Delivery {
    /// A message just added.
    pub fn new(message: Message) -> Self {
        Self::of(message, Happened::Added)
    }

    /// `message` after what `happened` to it.
    pub fn of(message: Message, happened: Happened) -> Self {
        Self::event(
            message.conversation_id,
            Event::Message { message, happened },
        )
    }

    /// Any event of `conversation`'s log.
    pub fn event(conversation_id: ConversationId, event: Event) -> Self {
        Self {
            conversation_id,
            event,
            renderings: Renderings::default(),
        }
    }

    /// Its place in the conversation's order of messages and events; a
    /// [`Event::Signal`] has none and reports [`StreamId::MIN`] (check
    /// [`Delivery::signal`] first wherever order matters).
    pub fn position(&self) -> StreamId {
        match &self.event {
            Event::Message {
                message,
                happened: Happened::Added,
            } => message.id,
            Event::Message {
                happened: Happened::Edited(id) | Happened::Deleted(id),
                ..
            }
            | Event::ReadMarkerMoved { id, .. }
            | Event::ParticipantJoined { id, .. }
            | Event::ParticipantLeft { id, .. } => *id,
            Event::Signal(_) => StreamId::MIN,
        }
    }

    /// The signal it carries, if it is one rather than a log event.
    pub fn signal(&self) -> Option<&Signal> {
        match &self.event {
            Event::Signal(signal) => Some(signal),
            _ => None,
        }
    }

    /// The user the event is about: a message's sender, or the reader,
    /// joiner or leaver. For rules on what of a user a viewer sees.
    pub fn user_mut(&mut self) -> &mut User {
        match &mut self.event {
            Event::Message { message, .. } => &mut message.sender,
            Event::ReadMarkerMoved { user, .. }
            | Event::ParticipantJoined { user, .. }
            | Event::ParticipantLeft { user, .. } => user,
            Event::Signal(signal) => signal.user_mut(),
        }
    }

    /// The message, for the events about one.
    pub fn message(&self) -> Option<&Message> {
        match &self.event {
            Event::Message { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The new message it announces, if that is what it announces (what
    /// message-only feeds show).
    pub fn added(&self) -> Option<&Message> {
        match &self.event {
            Event::Message {
                message,
                happened: Happened::Added,
            } => Some(message),
            _ => None,
        }
    }

    /// The rendering of kind `R` kept under `key`.
    pub fn rendering<R: Rendering>(&self, key: &R::Key) -> Option<R::Value> {
        self.renderings.lock().iter().find_map(|kept| {
            kept.downcast_ref::<Kept<R>>()
                .filter(|kept| kept.key == *key)
                .map(|kept| kept.value.clone())
        })
    }

    /// Keeps `value` as the rendering of kind `R` for `key` (the first one
    /// kept wins) and returns the one kept.
    pub fn keep_rendering<R: Rendering>(&self, key: R::Key, value: R::Value) -> R::Value {
        let mut renderings = self.renderings.lock();
        let mut of_kind = 0;
        for kept in renderings
            .iter()
            .filter_map(|k| k.downcast_ref::<Kept<R>>())
        {
            if kept.key == key {
                return kept.value.clone();
            }
            of_kind += 1;
        }
        if of_kind < R::KEPT {
            renderings.push(Box::new(Kept::<R> {
                key,
                value: value.clone(),
            }));
        }
        value
    }

    /// The rendering of kind `R` under `key`, made by the first caller that
    /// needs it (others racing it may render too; the first one kept wins).
    pub fn rendered<R: Rendering>(
        &self,
        key: R::Key,
        render: impl FnOnce(&Self) -> R::Value,
    ) -> R::Value {
        match self.rendering::<R>(&key) {
            Some(kept) => kept,
            None => self.keep_rendering::<R>(key, render(self)),
        }
    }
}

impl Renderings {
    fn lock(&self) -> MutexGuard<'_, Vec<Box<dyn Any + Send + Sync>>> {
        // Never held across an await, and a push cannot be half done.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Renderings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Renderings({} kept)", self.lock().len())
    }
}

/// A message from user 1 ("a"), for the unit tests of every layer.
#[cfg(test)]
pub fn sample(conversation: ConversationId, id: StreamId, content: &str) -> Message {
    Message {
        id,
        conversation_id: conversation,
        sender: User {
            id: super::ids::UserId(1),
            email: "a@example.com".into(),
            username: "a".into(),
            first_name: String::new(),
            last_name: String::new(),
        },
        content: content.into(),
        created_at: Utc::now(),
        edited_at: None,
        deleted: false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Two surfaces with the same key and value types.
    struct Plain;
    struct Shouted;

    impl Rendering for Plain {
        type Key = &'static str;
        type Value = Arc<str>;
        const KEPT: usize = 8;
    }

    impl Rendering for Shouted {
        type Key = &'static str;
        type Value = Arc<str>;
        const KEPT: usize = 1;
    }

    #[test]
    fn renderings_are_kept_per_kind_and_key_first_one_wins_and_bounded() {
        let delivery = Delivery::new(sample(
            ConversationId(uuid::Uuid::nil()),
            StreamId::new(1, 0),
            "hi",
        ));
        let a = delivery.rendered::<Plain>("a", |d| {
            d.message().map_or("", |m| m.content.as_str()).into()
        });
        let again = delivery.rendered::<Plain>("a", |_| unreachable!("kept"));
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(&*delivery.keep_rendering::<Plain>("a", "late".into()), "hi");
        assert_eq!(
            &*delivery.rendered::<Plain>("b", |_| "other".into()),
            "other"
        );
        // Another surface never sees these, though its types are the same.
        assert!(delivery.rendering::<Shouted>(&"a").is_none());
        assert_eq!(&*delivery.rendered::<Shouted>("a", |_| "HI".into()), "HI");
        // Each kind has its own bound: Plain fills up, Shouted keeps its one.
        for key in ["c", "d", "e", "f", "g", "h", "i", "j"] {
            delivery.rendered::<Plain>(key, |_| key.into());
        }
        assert!(delivery.rendering::<Plain>(&"h").is_some());
        assert!(delivery.rendering::<Plain>(&"i").is_none());
        delivery.rendered::<Shouted>("b", |_| "OTHER".into());
        assert!(delivery.rendering::<Shouted>(&"b").is_none());
        assert_eq!(delivery.renderings.lock().len(), 8 + 1);
    }
}
