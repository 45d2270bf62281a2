//! The node's inbox index: which local `inbox` subscribers care about which
//! conversation. Notices ("conversation X changed", "user U was added to /
//! removed from X") arrive once per node — from this node's own changes, and
//! in Redis mode from the others through the node's one Pub/Sub connection
//! (see [`super::revocations`]) — and are handed only to the subscribers of
//! that conversation (or user): a notice costs as many steps as it has
//! local subscribers to tell, never one per subscriber of the node.
//!
//! A subscriber's slot coalesces: it keeps a set of changed conversations
//! and a wake-up, so a burst of messages in one conversation is one entry,
//! whatever the rate; the subscriber loads each conversation once per flush.
//!
//! Arm before read: a slot is registered under its user and as a catch-all
//! before the subscriber lists its conversations; once they are known the
//! slot moves to them, keeping what it caught meanwhile for those only. So
//! a change committed after the subscription began is never missed.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use tokio::sync::Notify;

use crate::model::{ConversationId, UserId};

/// What changed, as nodes tell each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The conversation's latest message, participants or counts changed:
    /// for everyone in it, or (`Some`) for one user only (their marker).
    Changed(ConversationId, Option<UserId>),
    /// The user was added to the conversation.
    Added(ConversationId, UserId),
    /// The user left or was removed.
    Removed(ConversationId, UserId),
}

impl Notice {
    /// `c <conversation> [user]`, `a <conversation> <user>`,
    /// `r <conversation> <user>`: the form on the Pub/Sub channel.
    pub fn encode(self) -> String {
        match self {
            Notice::Changed(c, None) => format!("c {c}"),
            Notice::Changed(c, Some(u)) => format!("c {c} {u}"),
            Notice::Added(c, u) => format!("a {c} {u}"),
            Notice::Removed(c, u) => format!("r {c} {u}"),
        }
    }

    /// The reverse of [`Notice::encode`]; `None` for anything else.
    pub fn decode(payload: &str) -> Option<Notice> {
        let mut parts = payload.split(' ');
        let (kind, conversation) = (parts.next()?, parts.next()?.parse().ok()?);
        let user = parts.next().map(str::parse).transpose().ok()?;
        if parts.next().is_some() {
            return None;
        }
        match (kind, user) {
            ("c", user) => Some(Notice::Changed(conversation, user)),
            ("a", Some(user)) => Some(Notice::Added(conversation, user)),
            ("r", Some(user)) => Some(Notice::Removed(conversation, user)),
            _ => None,
        }
    }
}

/// What a subscriber has to tell its client, gathered since its last flush.
#[derive(Debug, Default)]
pub struct Pending {
    pub changed: HashSet<ConversationId>,
    pub added: Vec<ConversationId>,
    pub removed: Vec<ConversationId>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

/// One inbox subscriber.
#[derive(Default)]
pub struct Slot {
    pending: Mutex<Pending>,
    /// Woken when something is pending.
    pub wake: Notify,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Never held across an await.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn note(&self, update: impl FnOnce(&mut Pending)) {
        update(&mut self.lock());
        self.wake.notify_one();
    }

    /// Everything pending, leaving the slot empty.
    pub fn take(&self) -> Pending {
        std::mem::take(&mut *self.lock())
    }
}

type Slots = Vec<(UserId, Arc<Slot>)>;

#[derive(Default)]
struct Index {
    by_conversation: HashMap<ConversationId, Slots>,
    by_user: HashMap<UserId, Vec<Arc<Slot>>>,
    /// Slots still listing their conversations: they hear every change.
    arming: Slots,
}

/// The node's inbox subscribers, by conversation and by user.
#[derive(Default)]
pub struct Inbox {
    index: Mutex<Index>,
}

/// A registered slot; dropping it unregisters.
pub struct Registration {
    inbox: Arc<Inbox>,
    user: UserId,
    pub slot: Arc<Slot>,
    conversations: Mutex<HashSet<ConversationId>>,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, Index> {
        // Never held across an await; every update is complete or absent.
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a subscriber of `user`'s inbox, hearing every change until
    /// [`Registration::armed`] names its conversations.
    pub fn register(self: &Arc<Self>, user: UserId) -> Registration {
        let slot = Arc::new(Slot::default());
        let mut index = self.lock();
        index.by_user.entry(user).or_default().push(slot.clone());
        index.arming.push((user, slot.clone()));
        Registration {
            inbox: self.clone(),
            user,
            slot,
            conversations: Mutex::new(HashSet::new()),
        }
    }

    /// Hands a notice to the local subscribers it concerns.
    pub fn dispatch(&self, notice: Notice) {
        let index = self.lock();
        match notice {
            Notice::Changed(conversation, only) => {
                let concerned = |user: &UserId| only.is_none_or(|only| only == *user);
                let followers = index.by_conversation.get(&conversation);
                for (user, slot) in followers.into_iter().flatten().chain(&index.arming) {
                    if concerned(user) {
                        slot.note(|p| {
                            p.changed.insert(conversation);
                        });
                    }
                }
            }
            Notice::Added(conversation, user) => {
                for slot in index.by_user.get(&user).into_iter().flatten() {
                    slot.note(|p| p.added.push(conversation));
                }
            }
            Notice::Removed(conversation, user) => {
                for slot in index.by_user.get(&user).into_iter().flatten() {
                    slot.note(|p| p.removed.push(conversation));
                }
            }
        }
    }

    /// Notices may have been missed (the link to the other nodes was
    /// down): every subscriber reloads every conversation it follows.
    pub fn resync(&self) {
        let index = self.lock();
        for (conversation, slots) in &index.by_conversation {
            for (_, slot) in slots {
                slot.note(|p| {
                    p.changed.insert(*conversation);
                });
            }
        }
    }

    /// How many subscribers follow a conversation on this node (tests,
    /// metrics).
    pub fn followers(&self, conversation: ConversationId) -> usize {
        self.lock()
            .by_conversation
            .get(&conversation)
            .map_or(0, Vec::len)
    }
}

impl Registration {
    /// The subscriber's conversations are known: it follows them from now
    /// on, stops hearing every change, and keeps only what it caught about
    /// them meanwhile.
    pub fn armed(&self, conversations: &[ConversationId]) {
        let mut index = self.inbox.lock();
        for conversation in conversations {
            self.follow_locked(&mut index, *conversation);
        }
        index.arming.retain(|(_, s)| !Arc::ptr_eq(s, &self.slot));
        let mut pending = self.slot.lock();
        let mut mine: HashSet<_> = conversations.iter().copied().collect();
        mine.extend(pending.added.iter().copied());
        pending.changed.retain(|c| mine.contains(c));
    }

    /// Follows one more conversation (the user was added to it).
    pub fn follow(&self, conversation: ConversationId) {
        let mut index = self.inbox.lock();
        self.follow_locked(&mut index, conversation);
    }

    /// Stops following a conversation (the user left it).
    pub fn unfollow(&self, conversation: ConversationId) {
        let mut index = self.inbox.lock();
        self.unfollow_locked(&mut index, conversation);
    }

    fn follow_locked(&self, index: &mut Index, conversation: ConversationId) {
        let mut mine = self
            .conversations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if mine.insert(conversation) {
            index
                .by_conversation
                .entry(conversation)
                .or_default()
                .push((self.user, self.slot.clone()));
        }
    }

    fn unfollow_locked(&self, index: &mut Index, conversation: ConversationId) {
        if let Some(slots) = index.by_conversation.get_mut(&conversation) {
            slots.retain(|(_, s)| !Arc::ptr_eq(s, &self.slot));
            if slots.is_empty() {
                index.by_conversation.remove(&conversation);
            }
        }
        self.conversations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&conversation);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut index = self.inbox.lock();
        let followed: Vec<_> = self
            .conversations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect();
        for conversation in followed {
            self.unfollow_locked(&mut index, conversation);
        }
        if let Some(slots) = index.by_user.get_mut(&self.user) {
            slots.retain(|s| !Arc::ptr_eq(s, &self.slot));
            if slots.is_empty() {
                index.by_user.remove(&self.user);
            }
        }
        index.arming.retain(|(_, s)| !Arc::ptr_eq(s, &self.slot));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation() -> ConversationId {
        ConversationId(uuid::Uuid::new_v4())
    }

    #[test]
    fn notices_round_trip_and_garbage_is_refused() {
        let c = conversation();
        for notice in [
            Notice::Changed(c, None),
            Notice::Changed(c, Some(UserId(3))),
            Notice::Added(c, UserId(4)),
            Notice::Removed(c, UserId(5)),
        ] {
            assert_eq!(Notice::decode(&notice.encode()), Some(notice));
        }
        for garbage in [
            "",
            "c",
            "x 1",
            "a nope 1",
            &format!("a {c}"),
            &format!("c {c} 1 2"),
        ] {
            assert_eq!(Notice::decode(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn notices_reach_only_the_subscribers_concerned_and_coalesce() {
        let inbox = Arc::new(Inbox::default());
        let (mine, other) = (conversation(), conversation());
        let ada = inbox.register(UserId(1));
        let bob = inbox.register(UserId(2));
        // Still arming: hears everything, keeps only its own afterwards.
        inbox.dispatch(Notice::Changed(other, None));
        ada.armed(&[mine]);
        bob.armed(&[other]);
        assert!(ada.slot.take().is_empty(), "not ada's conversation");
        assert_eq!(bob.slot.take().changed.len(), 1);
        for _ in 0..100 {
            inbox.dispatch(Notice::Changed(mine, None));
        }
        inbox.dispatch(Notice::Changed(mine, Some(UserId(2))));
        let pending = ada.slot.take();
        assert_eq!(
            pending.changed,
            HashSet::from([mine]),
            "one entry for the burst"
        );
        assert!(bob.slot.take().is_empty(), "bob is not in it");

        inbox.dispatch(Notice::Added(other, UserId(1)));
        assert_eq!(ada.slot.take().added, [other]);
        ada.follow(other);
        assert_eq!(inbox.followers(other), 2);
        drop(ada);
        assert_eq!((inbox.followers(mine), inbox.followers(other)), (0, 1));
    }
}
