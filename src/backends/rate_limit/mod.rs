//! Rate limiting of sends: at most N per window per user per conversation.

pub mod memory;
pub mod redis;

use async_trait::async_trait;

use crate::domain::{ConversationId, UserId};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The send may go ahead; it has been counted.
    Allowed,
    /// Over the limit: not counted; retry after this many seconds (>= 1).
    Throttled { retry_after: u64 },
}

/// A sliding-window limiter. Implementations: in-process, and Redis (shared
/// by every node, one atomic round trip per check).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one send attempt for `user` in `conversation`, unless throttled.
    async fn check(&self, user: UserId, conversation: ConversationId) -> Decision;
}
