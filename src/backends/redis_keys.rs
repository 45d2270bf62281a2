//! Redis key names in one place: django-chat's names, behind an optional prefix.

use super::rate_limit::LimitKey;
use crate::domain::{ConversationId, UserId};

#[derive(Clone, Debug)]
pub struct RedisKeys {
    prefix: String,
}

impl RedisKeys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// `stream:conv:{uuid}`: a conversation's message stream.
    pub fn stream(&self, conversation: ConversationId) -> String {
        format!("{}stream:conv:{}", self.prefix, conversation)
    }

    /// A conversation's edits and deletes, in one id order with its
    /// messages (chatstream's own: django-chat never reads it).
    pub fn events(&self, conversation: ConversationId) -> String {
        format!("{}chatstream:events:{}", self.prefix, conversation)
    }

    /// Message id -> current state, for the edited and deleted messages of
    /// a conversation.
    pub fn changed(&self, conversation: ConversationId) -> String {
        format!("{}chatstream:changed:{}", self.prefix, conversation)
    }

    /// The ordinals of a conversation's deleted messages (a sorted set), so
    /// unread counts can leave them out.
    pub fn deleted(&self, conversation: ConversationId) -> String {
        format!("{}chatstream:deleted:{}", self.prefix, conversation)
    }

    /// The conversations whose streams are over their hot limit, scored by
    /// when they went over (chatstream's own; see the archiver).
    pub fn archive_due(&self) -> String {
        format!("{}chatstream:archive:due", self.prefix)
    }

    /// The archiver's lease: the id of the one node archiving, expiring
    /// unless renewed.
    pub fn archive_lease(&self) -> String {
        format!("{}chatstream:archive:lease", self.prefix)
    }

    /// A node's private wake-up stream for one of its readers.
    pub fn wake(&self, node: &str, reader: usize) -> String {
        format!("{}chatstream:wake:{node}:{reader}", self.prefix)
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
        format!("{}chatstream:sockets:", self.prefix)
    }

    /// Online users (a sorted set scored by when they stop counting).
    pub fn online(&self) -> String {
        format!("{}chatstream:online", self.prefix)
    }

    /// The Pub/Sub channel of membership revocations (chatstream's own).
    pub fn revocations(&self) -> String {
        format!("{}chatstream:revocations", self.prefix)
    }
}

/// A connection to the server in `TEST_REDIS_URL`, and keys under a prefix
/// no other test uses; none when the variable is unset (the test is skipped).
#[cfg(test)]
pub async fn test_server() -> Option<(redis::aio::ConnectionManager, RedisKeys)> {
    let url = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let client = redis::Client::open(url).expect("url");
    let manager = redis::aio::ConnectionManager::new(client)
        .await
        .expect("connect");
    let keys = RedisKeys::new(&format!("test-{}:", uuid::Uuid::new_v4()));
    Some((manager, keys))
}
