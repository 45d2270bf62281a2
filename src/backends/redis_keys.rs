//! Redis key names in one place. On a single server: django-chat's names,
//! behind an optional prefix. On a cluster every script, transaction and
//! multi-key command must stay in one hash slot, so names carry hash tags:
//! a conversation's keys share its partition's tag `{pN}` (one of
//! [`PARTITIONS`]), which its node's reader of that partition also uses
//! for its wake-up stream; presence keys share `{presence}` (its scripts
//! span many users) and the archiver's keys `{archive}`.

use super::rate_limit::LimitKey;
use crate::model::{ConversationId, UserId};

/// Conversations per cluster are grouped into this many partitions, each
/// one hash slot. Fixed: it decides key names, so every node of a
/// deployment must agree on it, and changing it orphans existing streams.
pub const PARTITIONS: usize = 16;

#[derive(Clone, Debug)]
pub struct RedisKeys {
    prefix: String,
    cluster: bool,
}

impl RedisKeys {
    /// `cluster` selects the hash-tagged names; a cluster's prefix must not
    /// hold `{` or `}`, which would move the hash tag into it.
    pub fn new(prefix: &str, cluster: bool) -> Self {
        Self {
            prefix: prefix.to_owned(),
            cluster,
        }
    }

    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// A conversation's partition: stable across nodes and releases (the
    /// uuid's own bits, not a process-seeded hash).
    pub fn partition(conversation: ConversationId) -> usize {
        usize::try_from(conversation.0.as_u128() % PARTITIONS as u128).unwrap_or(0)
    }

    /// What goes between a key's kind and the conversation id: nothing on
    /// one server (django-chat's names), the partition's tag on a cluster.
    fn tag(&self, conversation: ConversationId) -> String {
        if self.cluster {
            format!("{{p{}}}:", Self::partition(conversation))
        } else {
            String::new()
        }
    }

    /// `conversations`' indices grouped so that each group's keys share a
    /// slot: one group on a single server, one per partition on a cluster.
    /// A script over many conversations runs once per group.
    pub fn slot_groups(&self, conversations: &[ConversationId]) -> Vec<Vec<usize>> {
        if !self.cluster {
            return vec![(0..conversations.len()).collect()];
        }
        let mut groups = vec![Vec::new(); PARTITIONS];
        for (index, conversation) in conversations.iter().enumerate() {
            groups[Self::partition(*conversation)].push(index);
        }
        groups.retain(|g| !g.is_empty());
        groups
    }

    /// `stream:conv:{uuid}`: a conversation's message stream.
    pub fn stream(&self, conversation: ConversationId) -> String {
        format!(
            "{}stream:conv:{}{}",
            self.prefix,
            self.tag(conversation),
            conversation
        )
    }

    /// A conversation's edits and deletes, in one id order with its
    /// messages (chatstream's own: django-chat never reads it).
    pub fn events(&self, conversation: ConversationId) -> String {
        format!(
            "{}chatstream:events:{}{}",
            self.prefix,
            self.tag(conversation),
            conversation
        )
    }

    /// Message id -> current state, for the edited and deleted messages of
    /// a conversation.
    pub fn changed(&self, conversation: ConversationId) -> String {
        format!(
            "{}chatstream:changed:{}{}",
            self.prefix,
            self.tag(conversation),
            conversation
        )
    }

    /// The ordinals of a conversation's deleted messages (a sorted set), so
    /// unread counts can leave them out.
    pub fn deleted(&self, conversation: ConversationId) -> String {
        format!(
            "{}chatstream:deleted:{}{}",
            self.prefix,
            self.tag(conversation),
            conversation
        )
    }

    /// The conversations whose streams are over their hot limit, scored by
    /// when they went over (chatstream's own; see the archiver).
    pub fn archive_due(&self) -> String {
        format!("{}chatstream:{}due", self.prefix, self.archive_tag())
    }

    /// The archiver's lease: the id of the one node archiving, expiring
    /// unless renewed.
    pub fn archive_lease(&self) -> String {
        format!("{}chatstream:{}lease", self.prefix, self.archive_tag())
    }

    /// A node's private wake-up stream for one of its readers; on a
    /// cluster reader `i` reads partition `i`, and its wake-up stream shares
    /// that partition's slot so one `XREAD` covers both.
    pub fn wake(&self, node: &str, reader: usize) -> String {
        if self.cluster {
            format!("{}chatstream:wake:{{p{reader}}}:{node}", self.prefix)
        } else {
            format!("{}chatstream:wake:{node}:{reader}", self.prefix)
        }
    }

    fn archive_tag(&self) -> &'static str {
        if self.cluster {
            "{archive}:"
        } else {
            "archive:"
        }
    }

    /// Presence keys on a cluster share one slot: heartbeat and sweep
    /// scripts touch many users' sets with the online set. Presence writes
    /// are few (a heartbeat per node per interval), so one master carries them.
    fn presence_tag(&self) -> &'static str {
        if self.cluster { "{presence}:" } else { "" }
    }

    /// A rate limiter window. Sends keep django-chat's
    /// `ratelimit:{user}:{conversation}`; the other kinds are chatstream's own.
    pub fn limit(&self, key: &LimitKey) -> String {
        let p = &self.prefix;
        match key {
            LimitKey::Send(user, conversation) => format!("{p}ratelimit:{user}:{conversation}"),
            LimitKey::Search(user) => format!("{p}chatstream:ratelimit:search:{user}"),
            LimitKey::LoginFailures(account) => {
                format!("{p}chatstream:ratelimit:login:{}", account.as_str())
            }
            // The address first: it has no `/`, so the key reads back unambiguously.
            LimitKey::LoginFailuresFrom(account, ip) => {
                format!(
                    "{p}chatstream:ratelimit:login-from:{ip}/{}",
                    account.as_str()
                )
            }
            LimitKey::AuthAddress(ip) => format!("{p}chatstream:ratelimit:auth-address:{ip}"),
            LimitKey::MembershipChanges(user) => {
                format!("{p}chatstream:ratelimit:membership:{user}")
            }
        }
    }

    /// The sorted set of a user's open sockets, on every node (chatstream's own).
    pub fn sockets(&self, user: UserId) -> String {
        format!("{}{}", self.sockets_prefix(), user)
    }

    /// What [`RedisKeys::sockets`] puts before the user id.
    pub fn sockets_prefix(&self) -> String {
        format!("{}chatstream:{}sockets:", self.prefix, self.presence_tag())
    }

    /// Online users (a sorted set scored by when they stop counting).
    pub fn online(&self) -> String {
        format!("{}chatstream:{}online", self.prefix, self.presence_tag())
    }

    /// The Pub/Sub channel of membership revocations (chatstream's own).
    pub fn revocations(&self) -> String {
        format!("{}chatstream:revocations", self.prefix)
    }
}

/// A connection to the server (or cluster) in `TEST_REDIS_URL`, and keys
/// under a prefix no other test uses; none when the variable is unset (the
/// test is skipped).
#[cfg(test)]
pub async fn test_server() -> Option<(super::redis_conn::RedisConn, RedisKeys)> {
    let url = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let target = super::redis_conn::RedisTarget::open(&url).expect("url");
    let conn = target.shared().await.expect("connect");
    let keys = RedisKeys::new(
        &format!("test-{}:", uuid::Uuid::new_v4()),
        target.is_cluster(),
    );
    Some((conn, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_server_names_are_django_chats_and_cluster_names_share_a_slot() {
        let c = ConversationId(uuid::Uuid::from_u128(0x2a));
        let single = RedisKeys::new("", false);
        assert_eq!(single.stream(c), format!("stream:conv:{c}"));
        assert_eq!(single.online(), "chatstream:online");
        let cluster = RedisKeys::new("x:", true);
        let tag = format!("{{p{}}}", 0x2a % PARTITIONS);
        for key in [
            cluster.stream(c),
            cluster.events(c),
            cluster.changed(c),
            cluster.deleted(c),
        ] {
            assert!(key.contains(&tag), "{key}");
        }
        assert!(cluster.wake("n", 0x2a % PARTITIONS).contains(&tag));
        assert!(cluster.sockets(UserId(1)).contains("{presence}"));
        assert!(cluster.online().contains("{presence}"));
        assert!(cluster.archive_due().contains("{archive}"));
        assert_eq!(single.slot_groups(&[c, c]), vec![vec![0, 1]]);
    }
}
