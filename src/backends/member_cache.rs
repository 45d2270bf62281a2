//! Per-node memory of who is in which conversation, so sends, history
//! pages, subscribes, typing and read markers do not each cost a
//! membership query.
//!
//! Only memberships are remembered, never their absence: an added
//! participant is let in at once on every node, with nothing to invalidate.
//! A removal (or a leave) forgets the whole conversation on every node, on
//! the same path that ends live streams ([`super::Backends::revoke`], then
//! the Pub/Sub relay on the other nodes): the whole conversation because a
//! removal can also promote another member to admin.
//!
//! What keeps the membership rules (a removal takes effect within one
//! second on every node) when that path fails:
//! - a fill that raced an invalidation is dropped: every fill carries the
//!   generation it read the database under ([`MemberCache::ticket`]);
//! - in Redis mode the cache is off while the node is not subscribed to the
//!   revocation channel, and starts empty each time it subscribes again;
//! - every entry ages out (`MEMBERSHIP_CACHE_SECS`), so a revocation lost
//!   between publisher and a still-connected node heals;
//! - at most `MEMBERSHIP_CACHE_ENTRIES` entries: when full, expired ones
//!   go, and when none had expired, everything does (a cheap bound; a node
//!   that needs more refills at one query per membership).

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use crate::model::{ConversationId, User, UserId, role::Role};

/// A membership as the message endpoints need it.
pub type Member = (Role, User);

/// The node's membership cache.
pub struct MemberCache {
    inner: Mutex<Inner>,
    ttl: Duration,
    capacity: usize,
}

struct Inner {
    conversations: HashMap<ConversationId, HashMap<UserId, Entry>>,
    len: usize,
    /// Bumped by every invalidation; a fill read under an older one is stale.
    generation: u64,
    /// Whether invalidations reach this node (always in embedded mode; in
    /// Redis mode while subscribed to the revocation channel).
    listening: bool,
}

struct Entry {
    stored: Instant,
    member: Member,
}

/// The generation a membership query started under; see [`MemberCache::fill`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

impl MemberCache {
    /// `ttl` zero or `capacity` zero turns the cache off. `listening`: whether
    /// invalidations already reach this node.
    pub fn new(ttl: Duration, capacity: usize, listening: bool) -> Self {
        Self {
            inner: Mutex::new(Inner {
                conversations: HashMap::new(),
                len: 0,
                generation: 0,
                listening,
            }),
            ttl,
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Never held across an await; a poisoned map is still consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.capacity > 0
    }

    /// The remembered membership of `user` in `conversation`, if fresh.
    pub fn get(&self, conversation: ConversationId, user: UserId) -> Option<Member> {
        self.get_at(conversation, user, Instant::now())
    }

    fn get_at(&self, conversation: ConversationId, user: UserId, now: Instant) -> Option<Member> {
        if !self.enabled() {
            return None;
        }
        let inner = self.lock();
        if !inner.listening {
            return None;
        }
        let entry = inner.conversations.get(&conversation)?.get(&user)?;
        (now.saturating_duration_since(entry.stored) < self.ttl).then(|| entry.member.clone())
    }

    /// Taken before querying the database for a membership.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Remembers a membership read from the database under `ticket`, unless
    /// an invalidation came in the meantime.
    pub fn fill(&self, ticket: Ticket, conversation: ConversationId, user: UserId, member: Member) {
        if !self.enabled() {
            return;
        }
        let now = Instant::now();
        let mut inner = self.lock();
        if !inner.listening || inner.generation != ticket.0 {
            return;
        }
        if inner.len >= self.capacity {
            let ttl = self.ttl;
            inner.conversations.retain(|_, users| {
                users.retain(|_, e| now.saturating_duration_since(e.stored) < ttl);
                !users.is_empty()
            });
            inner.len = inner.conversations.values().map(HashMap::len).sum();
            if inner.len >= self.capacity {
                inner.conversations.clear();
                inner.len = 0;
            }
        }
        let users = inner.conversations.entry(conversation).or_default();
        let added = users
            .insert(
                user,
                Entry {
                    stored: now,
                    member,
                },
            )
            .is_none();
        if added {
            inner.len += 1;
        }
    }

    /// Forgets every membership of `conversation` (someone left or was removed).
    pub fn forget_conversation(&self, conversation: ConversationId) {
        let mut inner = self.lock();
        inner.generation += 1;
        if let Some(users) = inner.conversations.remove(&conversation) {
            inner.len -= users.len();
        }
    }

    /// Forgets every membership of `user` (their account was deactivated).
    pub fn forget_user(&self, user: UserId) {
        let mut inner = self.lock();
        inner.generation += 1;
        let mut gone = 0;
        inner.conversations.retain(|_, users| {
            gone += usize::from(users.remove(&user).is_some());
            !users.is_empty()
        });
        inner.len -= gone;
    }

    /// Forgets everything and sets whether invalidations reach this node:
    /// called when the revocation channel is (re)subscribed or lost.
    pub fn reset(&self, listening: bool) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.conversations.clear();
        inner.len = 0;
        inner.listening = listening;
    }

    /// How many memberships are remembered (expired ones included until
    /// they are swept).
    pub fn len(&self) -> usize {
        self.lock().len
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64) -> Member {
        (
            Role::Member,
            User {
                id: UserId(id),
                email: format!("u{id}@example.com"),
                username: format!("u{id}"),
                first_name: String::new(),
                last_name: String::new(),
            },
        )
    }

    fn conversation() -> ConversationId {
        ConversationId(uuid::Uuid::new_v4())
    }

    fn cache() -> MemberCache {
        MemberCache::new(Duration::from_secs(60), 100, true)
    }

    #[test]
    fn a_filled_membership_is_remembered_until_its_conversation_is_forgotten() {
        let cache = cache();
        let (c, other) = (conversation(), conversation());
        cache.fill(cache.ticket(), c, UserId(1), member(1));
        cache.fill(cache.ticket(), c, UserId(2), member(2));
        cache.fill(cache.ticket(), other, UserId(1), member(1));
        assert_eq!(cache.get(c, UserId(1)).map(|m| m.1.id), Some(UserId(1)));
        assert!(cache.get(c, UserId(3)).is_none());
        assert_eq!(cache.len(), 3);

        cache.forget_conversation(c);
        assert!(cache.get(c, UserId(1)).is_none());
        assert!(cache.get(c, UserId(2)).is_none());
        assert!(cache.get(other, UserId(1)).is_some());
        assert_eq!(cache.len(), 1);

        cache.fill(cache.ticket(), c, UserId(2), member(2));
        cache.forget_user(UserId(1));
        assert!(cache.get(other, UserId(1)).is_none());
        assert!(cache.get(c, UserId(2)).is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_fill_that_raced_an_invalidation_is_dropped() {
        let cache = cache();
        let c = conversation();
        let ticket = cache.ticket();
        // The removal commits and is heard while the query is in flight.
        cache.forget_conversation(c);
        cache.fill(ticket, c, UserId(1), member(1));
        assert!(cache.get(c, UserId(1)).is_none());

        let ticket = cache.ticket();
        cache.reset(true);
        cache.fill(ticket, c, UserId(1), member(1));
        assert!(cache.get(c, UserId(1)).is_none());
    }

    #[test]
    fn nothing_is_remembered_while_invalidations_cannot_arrive() {
        let cache = MemberCache::new(Duration::from_secs(60), 100, false);
        let c = conversation();
        cache.fill(cache.ticket(), c, UserId(1), member(1));
        assert!(cache.is_empty());

        cache.reset(true);
        cache.fill(cache.ticket(), c, UserId(1), member(1));
        assert!(cache.get(c, UserId(1)).is_some());

        // The channel drops: everything goes, and stays off until it is back.
        cache.reset(false);
        assert!(cache.get(c, UserId(1)).is_none());
        cache.fill(cache.ticket(), c, UserId(1), member(1));
        assert!(cache.is_empty());
    }

    #[test]
    fn entries_age_out() {
        let cache = MemberCache::new(Duration::from_millis(20), 100, true);
        let c = conversation();
        cache.fill(cache.ticket(), c, UserId(1), member(1));
        let now = Instant::now();
        assert!(cache.get_at(c, UserId(1), now).is_some());
        let later = now + Duration::from_millis(30);
        assert!(cache.get_at(c, UserId(1), later).is_none());
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = MemberCache::new(Duration::from_secs(60), 10, true);
        let c = conversation();
        for user in 0..25 {
            cache.fill(cache.ticket(), c, UserId(user), member(user));
            assert!(cache.len() <= 10);
        }
        assert!(cache.get(c, UserId(24)).is_some());
    }

    #[test]
    fn a_zero_ttl_or_capacity_turns_it_off() {
        let c = conversation();
        for cache in [
            MemberCache::new(Duration::ZERO, 10, true),
            MemberCache::new(Duration::from_secs(60), 0, true),
        ] {
            cache.fill(cache.ticket(), c, UserId(1), member(1));
            assert!(cache.get(c, UserId(1)).is_none());
            assert!(cache.is_empty());
        }
    }
}
