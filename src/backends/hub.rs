//! Live fan-out on one node. Each conversation with local subscribers has one
//! bounded broadcast channel; a message is decoded once per node and shared
//! by every subscriber as an `Arc`. A subscriber that falls behind the
//! channel learns how far (`Lagged`) and resumes from the log, so nothing is
//! dropped.
//!
//! Where messages come from: the embedded log publishes after each append;
//! in Redis mode a [`LiveFeed`] (the node's stream readers) publishes what it
//! reads, and must be told which conversations this node needs.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;
use tokio::sync::{OnceCell, broadcast};

use crate::{
    domain::{
        ConversationId,
        messaging::{Delivery, Message},
    },
    error::Result,
};

/// Something that feeds a hub from outside the process (Redis stream readers).
#[async_trait]
pub trait LiveFeed: Send + Sync {
    /// Starts delivering `conversation`'s new entries to the hub. Resolves
    /// once every entry appended from now on is guaranteed to be published.
    async fn register(&self, conversation: ConversationId) -> Result<()>;
}

struct Channel {
    sender: broadcast::Sender<Arc<Delivery>>,
    /// Set once the feed has acknowledged the conversation; concurrent first
    /// subscribers all wait on the same registration.
    registered: Arc<OnceCell<()>>,
}

/// The node's live fan-out.
pub struct Hub {
    channels: Mutex<HashMap<ConversationId, Channel>>,
    capacity: usize,
    feed: OnceCell<Arc<dyn LiveFeed>>,
}

/// A live subscription to one conversation. Dropping it releases the
/// conversation's channel when it was the last local subscriber.
pub struct Subscription {
    /// Always `Some` until dropped; taken first in `drop` so the release
    /// below sees the true receiver count.
    receiver: Option<broadcast::Receiver<Arc<Delivery>>>,
    conversation: ConversationId,
    hub: Arc<Hub>,
}

impl Subscription {
    /// The next live message, or how many were missed (`Lagged`).
    pub async fn recv(&mut self) -> Result<Arc<Delivery>, broadcast::error::RecvError> {
        match self.receiver.as_mut() {
            Some(receiver) => receiver.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Hub {
    /// `capacity`: messages a subscriber may fall behind before it lags and
    /// resumes from the log.
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            channels: Mutex::new(HashMap::new()),
            capacity: capacity.max(16),
            feed: OnceCell::new(),
        })
    }

    /// Connects the external feed (Redis mode); embedded mode has none.
    pub fn set_feed(&self, feed: Arc<dyn LiveFeed>) {
        let _ = self.feed.set(feed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, Channel>> {
        // Never held across an await; a poisoned map is still consistent.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Subscribes to `conversation`. When this returns, every message
    /// appended afterwards will reach the subscription (arm before reading
    /// history).
    pub async fn subscribe(self: &Arc<Self>, conversation: ConversationId) -> Result<Subscription> {
        let (receiver, registered) = {
            let mut channels = self.lock();
            let channel = channels.entry(conversation).or_insert_with(|| Channel {
                sender: broadcast::channel(self.capacity).0,
                registered: Arc::new(OnceCell::new()),
            });
            (channel.sender.subscribe(), channel.registered.clone())
        };
        let subscription = Subscription {
            receiver: Some(receiver),
            conversation,
            hub: self.clone(),
        };
        if let Some(feed) = self.feed.get() {
            registered
                .get_or_try_init(|| feed.register(conversation))
                .await?;
        }
        Ok(subscription)
    }

    /// Hands a message to the conversation's local subscribers, if any.
    pub fn publish(&self, message: Message) {
        let channels = self.lock();
        if let Some(channel) = channels.get(&message.conversation_id) {
            // No receivers left is not an error: the last one just left.
            let _ = channel.sender.send(Arc::new(Delivery::new(message)));
        }
    }

    /// Whether any local subscriber still wants `conversation`.
    pub fn is_active(&self, conversation: ConversationId) -> bool {
        self.lock().contains_key(&conversation)
    }

    /// How many conversations have local subscribers.
    pub fn active_conversations(&self) -> usize {
        self.lock().len()
    }

    fn release(&self, conversation: ConversationId) {
        let mut channels = self.lock();
        if channels
            .get(&conversation)
            .is_some_and(|c| c.sender.receiver_count() == 0)
        {
            channels.remove(&conversation);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        self.hub.release(self.conversation);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::{StreamId, User, UserId};

    fn message(conversation: ConversationId, ms: u64) -> Message {
        Message {
            id: StreamId::new(ms, 0),
            conversation_id: conversation,
            sender: User {
                id: UserId(1),
                email: "a@example.com".into(),
                username: "a".into(),
                first_name: "A".into(),
                last_name: "B".into(),
            },
            content: format!("m{ms}"),
            created_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn subscribers_share_one_decoded_message() {
        let hub = Hub::new(16);
        let conversation = ConversationId(uuid::Uuid::new_v4());
        let mut a = hub.subscribe(conversation).await.expect("subscribe");
        let mut b = hub.subscribe(conversation).await.expect("subscribe");
        hub.publish(message(conversation, 1));
        let (x, y) = (a.recv().await.expect("a"), b.recv().await.expect("b"));
        assert!(Arc::ptr_eq(&x, &y), "one allocation shared by both");
    }

    #[tokio::test]
    async fn the_last_subscriber_releases_the_channel() {
        let hub = Hub::new(16);
        let conversation = ConversationId(uuid::Uuid::new_v4());
        let a = hub.subscribe(conversation).await.expect("subscribe");
        let b = hub.subscribe(conversation).await.expect("subscribe");
        drop(a);
        assert!(hub.is_active(conversation));
        drop(b);
        assert!(!hub.is_active(conversation));
        hub.publish(message(conversation, 2));
    }

    #[tokio::test]
    async fn a_lagging_subscriber_learns_how_far_behind_it_is() {
        let hub = Hub::new(16);
        let conversation = ConversationId(uuid::Uuid::new_v4());
        let mut slow = hub.subscribe(conversation).await.expect("subscribe");
        for ms in 0..40 {
            hub.publish(message(conversation, ms));
        }
        match slow.recv().await {
            Err(broadcast::error::RecvError::Lagged(n)) => assert_eq!(n, 24),
            other => panic!("expected a lag, got {other:?}"),
        }
    }
}
