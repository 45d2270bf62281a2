//! Live fan-out on one node. Each conversation with local subscribers has one
//! bounded broadcast channel, carrying its messages and its log's events
//! (edits, deletes) in one id order; a message is decoded once per node and shared
//! by every subscriber as an `Arc`. A subscriber that falls behind the
//! channel learns how far (`Lagged`) and resumes from the log, so nothing is
//! dropped.
//!
//! Where messages come from: the embedded log publishes after each append;
//! in Redis mode the node's stream readers publish what they read. Either
//! way a [`LiveFeed`] is told which conversations this node needs and
//! answers from which log position on it publishes everything.
//!
//! Typing and presence travel beside them, on a second channel per
//! conversation that only the subscribers wanting them join
//! ([`Hub::signals`]): never replayed, so a subscriber that lags on it
//! just misses some.
//!
//! Membership changes travel on the same channels ([`Live::Revoked`]): a
//! conversation's live streams hear of a removal from it in order with its
//! events, and end themselves when it names their viewer. One receiver per
//! stream, so a delivery costs a subscriber one channel read, not two. A
//! stream is armed before it checks membership (arm before read), so a
//! removal committed after that check still reaches it.
//!
//! Every subscription knows its arm position ([`Subscription::armed_after`]):
//! each message with a larger id reaches it, none with a smaller or equal id
//! needs to. A subscriber compares that with where it wants to start and
//! reads the log only for the difference, so joining a conversation this
//! node already follows costs no I/O at all.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;
use tokio::sync::{OnceCell, broadcast};

use crate::{
    error::Result,
    model::{
        ConversationId, StreamId, UserId,
        message::{Delivery, Event, Message, Signal},
    },
};

/// Signals a subscriber may fall behind by before it misses some.
const SIGNAL_BUFFER: usize = 256;

/// What publishes a conversation's messages to the hub: the embedded log,
/// or the Redis stream readers.
#[async_trait]
pub trait LiveFeed: Send + Sync {
    /// Starts delivering `conversation`'s new entries to the hub. Resolves
    /// to a log position once every entry after it is guaranteed to be
    /// published, and every entry up to it already has been.
    async fn register(&self, conversation: ConversationId) -> Result<StreamId>;
}

struct Channel {
    sender: broadcast::Sender<Live>,
    /// Typing and presence, for the subscribers that want them; made when
    /// the first of those joins. Apart from the log's channel, so a burst
    /// of signals (everyone connecting at once) never makes a message-only
    /// subscriber lag and re-read the log.
    signals: Option<broadcast::Sender<Arc<Delivery>>>,
    /// The feed's position once it has acknowledged the conversation;
    /// concurrent first subscribers all wait on the same registration.
    registered: Arc<OnceCell<StreamId>>,
    /// The largest id published to this channel so far.
    published: StreamId,
}

/// A membership that ended, as live streams hear of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// The user left or was removed from the conversation.
    Member(ConversationId, UserId),
    /// Revocations may have been missed (the node's link to the other nodes
    /// was down): every stream checks its membership again.
    Recheck,
}

/// What a conversation's channel carries.
#[derive(Clone, Debug)]
pub enum Live {
    /// A message or an event of the conversation's log.
    Delivery(Arc<Delivery>),
    /// This user is no longer in the conversation.
    Revoked(UserId),
    /// Revocations may have been missed: check membership again.
    Recheck,
}

/// The node's live fan-out.
pub struct Hub {
    channels: Mutex<HashMap<ConversationId, Channel>>,
    capacity: usize,
    feed: OnceCell<Arc<dyn LiveFeed>>,
    /// What subscribers are shown of a delivery (the domain's rule, e.g.
    /// emails hidden); applied once per delivery and node.
    view: std::sync::OnceLock<fn(Delivery) -> Delivery>,
}

/// A live subscription to one conversation. Dropping it releases the
/// conversation's channel when it was the last local subscriber.
pub struct Subscription {
    /// Always `Some` until dropped; taken first in `drop` so the release
    /// below sees the true receiver count.
    receiver: Option<broadcast::Receiver<Live>>,
    conversation: ConversationId,
    hub: Arc<Hub>,
    armed_after: StreamId,
}

impl Subscription {
    /// Every message with a larger id reaches this subscription; every one
    /// up to it had been published before the subscription existed.
    pub fn armed_after(&self) -> StreamId {
        self.armed_after
    }

    /// The next live item, or how many were missed (`Lagged`; revocations
    /// may be among them).
    pub async fn recv(&mut self) -> Result<Live, broadcast::error::RecvError> {
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
            view: std::sync::OnceLock::new(),
        })
    }

    /// Tells this node's live streams that a membership ended (or that they
    /// should all check theirs).
    pub fn revoke(&self, revocation: Revocation) {
        let channels = self.lock();
        // No live stream on this node is not an error.
        match revocation {
            Revocation::Member(conversation, user) => {
                if let Some(channel) = channels.get(&conversation) {
                    let _ = channel.sender.send(Live::Revoked(user));
                }
            }
            Revocation::Recheck => {
                for channel in channels.values() {
                    let _ = channel.sender.send(Live::Recheck);
                }
            }
        }
    }

    /// Connects the feed: the embedded log or the Redis stream readers.
    pub fn set_feed(&self, feed: Arc<dyn LiveFeed>) {
        let _ = self.feed.set(feed);
    }

    /// Sets what subscribers are shown of each delivery (once, at start,
    /// before anyone subscribes; without it, deliveries as published).
    pub fn set_view(&self, view: fn(Delivery) -> Delivery) {
        let _ = self.view.set(view);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, Channel>> {
        // Never held across an await; a poisoned map is still consistent.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Subscribes to `conversation`, registering it with the feed when this
    /// node did not follow it yet. When this returns, every message after
    /// [`Subscription::armed_after`] will reach the subscription (arm before
    /// reading history).
    ///
    /// The receiver joins the channel when this is called, before anything
    /// is awaited: revocations sent from then on reach it.
    pub fn subscribe(
        self: &Arc<Self>,
        conversation: ConversationId,
    ) -> impl Future<Output = Result<Subscription>> + Send + 'static {
        let (mut subscription, registered) = self.join(conversation);
        let feed = self.feed.get().cloned();
        async move {
            let registered = match feed {
                Some(feed) => {
                    *registered
                        .get_or_try_init(|| feed.register(conversation))
                        .await?
                }
                None => StreamId::MIN,
            };
            // Joined while the registration was under way: the feed
            // publishes everything after its answer to this receiver too.
            subscription.armed_after = subscription.armed_after.max(registered);
            Ok(subscription)
        }
    }

    /// Subscribes at once, with no I/O, when this node already follows
    /// `conversation`; `None` when [`Hub::subscribe`] has to register it.
    pub fn subscribe_now(self: &Arc<Self>, conversation: ConversationId) -> Option<Subscription> {
        let mut channels = self.lock();
        let channel = channels.get_mut(&conversation)?;
        let registered = *channel.registered.get()?;
        Some(Subscription {
            receiver: Some(channel.sender.subscribe()),
            conversation,
            hub: self.clone(),
            armed_after: channel.published.max(registered),
        })
    }

    /// A receiver on the conversation's channel (created when missing) and
    /// the channel's registration.
    fn join(
        self: &Arc<Self>,
        conversation: ConversationId,
    ) -> (Subscription, Arc<OnceCell<StreamId>>) {
        let mut channels = self.lock();
        let channel = channels.entry(conversation).or_insert_with(|| Channel {
            sender: broadcast::channel(self.capacity).0,
            signals: None,
            registered: Arc::new(OnceCell::new()),
            published: StreamId::MIN,
        });
        let subscription = Subscription {
            receiver: Some(channel.sender.subscribe()),
            conversation,
            hub: self.clone(),
            // Under the lock publishing takes too, so nothing published
            // after this is missing from the receiver.
            armed_after: channel.published,
        };
        (subscription, channel.registered.clone())
    }

    /// Hands a new message to the conversation's local subscribers, if any.
    pub fn publish(&self, message: Message) {
        self.deliver(Delivery::new(message));
    }

    /// Hands a message or an event to the conversation's local subscribers,
    /// if any. Callers deliver in the order of [`Delivery::position`].
    pub fn deliver(&self, delivery: Delivery) {
        let mut channels = self.lock();
        if let Some(channel) = channels.get_mut(&delivery.conversation_id) {
            channel.published = channel.published.max(delivery.position());
            // No receivers left is not an error: the last one just left.
            let delivery = match self.view.get() {
                Some(view) => view(delivery),
                None => delivery,
            };
            let _ = channel.sender.send(Live::Delivery(Arc::new(delivery)));
        }
    }

    /// Hands a typing or presence signal to the conversation's local
    /// subscribers of signals, if any. Signals have no place in the log's
    /// order, and a subscriber that lags past one simply misses it (it is
    /// never replayed).
    pub fn signal(&self, conversation: ConversationId, signal: Signal) {
        let channels = self.lock();
        if let Some(sender) = channels.get(&conversation).and_then(|c| c.signals.as_ref()) {
            let delivery = Delivery::event(conversation, Event::Signal(signal));
            let delivery = match self.view.get() {
                Some(view) => view(delivery),
                None => delivery,
            };
            let _ = sender.send(Arc::new(delivery));
        }
    }

    /// A receiver of `conversation`'s signals, for a subscription to it
    /// (which keeps its channel); `None` when it has none on this node.
    pub fn signals(
        &self,
        conversation: ConversationId,
    ) -> Option<broadcast::Receiver<Arc<Delivery>>> {
        let mut channels = self.lock();
        let channel = channels.get_mut(&conversation)?;
        let capacity = self.capacity;
        Some(
            channel
                .signals
                .get_or_insert_with(|| broadcast::channel(capacity.min(SIGNAL_BUFFER)).0)
                .subscribe(),
        )
    }

    /// The largest id published to `conversation`'s local subscribers so
    /// far (`None` when it has none): whatever a subscriber lagging now
    /// has missed lies at or before it.
    pub fn published(&self, conversation: ConversationId) -> Option<StreamId> {
        self.lock().get(&conversation).map(|c| c.published)
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
    use super::*;

    fn message(conversation: ConversationId, ms: u64) -> Message {
        crate::model::message::sample(conversation, StreamId::new(ms, 0), &format!("m{ms}"))
    }

    #[tokio::test]
    async fn subscribers_share_one_decoded_message() {
        let hub = Hub::new(16);
        let conversation = ConversationId(uuid::Uuid::new_v4());
        let mut a = hub.subscribe(conversation).await.expect("subscribe");
        let mut b = hub.subscribe(conversation).await.expect("subscribe");
        hub.publish(message(conversation, 1));
        let (x, y) = (a.recv().await.expect("a"), b.recv().await.expect("b"));
        let (Live::Delivery(x), Live::Delivery(y)) = (x, y) else {
            panic!("expected deliveries");
        };
        assert!(Arc::ptr_eq(&x, &y), "one allocation shared by both");
    }

    #[tokio::test]
    async fn a_revocation_reaches_the_conversation_s_subscribers_in_order() {
        let hub = Hub::new(16);
        let (one, other) = (
            ConversationId(uuid::Uuid::new_v4()),
            ConversationId(uuid::Uuid::new_v4()),
        );
        // Armed when called, before it is awaited.
        let pending = hub.subscribe(one);
        hub.revoke(Revocation::Member(one, UserId(7)));
        let mut subscription = pending.await.expect("subscribe");
        let mut elsewhere = hub.subscribe(other).await.expect("subscribe");
        hub.publish(message(one, 1));
        hub.revoke(Revocation::Recheck);
        assert!(matches!(
            subscription.recv().await,
            Ok(Live::Revoked(UserId(7)))
        ));
        assert!(matches!(subscription.recv().await, Ok(Live::Delivery(_))));
        assert!(matches!(subscription.recv().await, Ok(Live::Recheck)));
        // Only the recheck concerns the other conversation.
        assert!(matches!(elsewhere.recv().await, Ok(Live::Recheck)));
    }

    #[tokio::test]
    async fn signals_reach_only_their_subscribers_and_never_make_the_log_lag() {
        let hub = Hub::new(16);
        let conversation = ConversationId(uuid::Uuid::new_v4());
        let mut messages_only = hub.subscribe(conversation).await.expect("subscribe");
        let _events = hub.subscribe(conversation).await.expect("subscribe");
        let mut signals = hub.signals(conversation).expect("followed");
        let user = crate::model::message::sample(conversation, StreamId::MIN, "")
            .sender
            .clone();
        // Far more signals than the log's buffer holds.
        for n in 0..100 {
            hub.signal(
                conversation,
                Signal::Typing {
                    user: user.clone(),
                    typing: n % 2 == 0,
                },
            );
        }
        hub.publish(message(conversation, 1));
        assert!(
            matches!(messages_only.recv().await, Ok(Live::Delivery(d)) if d.signal().is_none()),
            "the message, with no lag"
        );
        // The signals' subscriber lagged on its own channel: it misses
        // the oldest, and goes on with the rest.
        assert!(matches!(
            signals.recv().await,
            Err(broadcast::error::RecvError::Lagged(84))
        ));
        assert!(matches!(
            signals.recv().await,
            Ok(d) if matches!(d.signal(), Some(Signal::Typing { typing: true, .. }))
        ));
        assert!(
            hub.signals(ConversationId(uuid::Uuid::new_v4())).is_none(),
            "no channel without a subscriber"
        );
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

    /// A feed whose log ends at a fixed id.
    struct FixedFeed(StreamId);

    #[async_trait]
    impl LiveFeed for FixedFeed {
        async fn register(&self, _: ConversationId) -> Result<StreamId> {
            Ok(self.0)
        }
    }

    #[tokio::test]
    async fn subscriptions_know_where_they_are_armed() {
        let hub = Hub::new(16);
        hub.set_feed(Arc::new(FixedFeed(StreamId::new(5, 0))));
        let conversation = ConversationId(uuid::Uuid::new_v4());
        assert!(
            hub.subscribe_now(conversation).is_none(),
            "a conversation nobody follows needs registering"
        );
        let first = hub.subscribe(conversation).await.expect("subscribe");
        assert_eq!(
            first.armed_after(),
            StreamId::new(5, 0),
            "the feed's position"
        );
        hub.publish(message(conversation, 7));
        let joined = hub.subscribe_now(conversation).expect("followed already");
        assert_eq!(
            joined.armed_after(),
            StreamId::new(7, 0),
            "after what was published"
        );
        let later = hub.subscribe(conversation).await.expect("subscribe");
        assert_eq!(later.armed_after(), StreamId::new(7, 0));
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
