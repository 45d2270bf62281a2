//! Messaging: send (validate -> authorize -> throttle -> append) and history.

use std::{pin::Pin, sync::Arc};

use chrono::Utc;
use futures::{Stream, future::BoxFuture};
use tokio::sync::broadcast::{self, error::RecvError};

pub use super::message::{Change, Cursor, Delivery, Event, Message, NewMessage};
use super::{
    ConversationId, StreamId, UserId, catch_up::Replay, conversations, paging::PageSize,
    read_state, typing, visibility,
};
use crate::{
    backends::{
        hub::{Live, Subscription},
        inbox::Notice,
        message_log::Position,
        rate_limit::{Decision, LimitKey},
    },
    domain::state::AppState,
    error::{Error, Result, Unsendable},
};

/// The longest message, in Unicode characters after trimming.
pub const MAX_CONTENT_CHARS: usize = 2000;

impl Cursor {
    /// From the `from` / `before` parameters of either surface; a malformed
    /// id, or both given, is a validation error on the field.
    pub fn parse(from: Option<&str>, before: Option<&str>) -> Result<Cursor> {
        match (stream_id("from", from)?, stream_id("before", before)?) {
            (None, None) => Ok(Cursor::Latest),
            (Some(from), None) => Ok(Cursor::After(from)),
            (None, Some(before)) => Ok(Cursor::Before(before)),
            (Some(_), Some(_)) => Err(Error::field(
                "before",
                "Give either from or before, not both.",
            )),
        }
    }
}

/// A subscription's `since`, from any surface: blank is absent, a malformed
/// id is a validation error on `since`.
pub fn parse_since(raw: Option<&str>) -> Result<Option<StreamId>> {
    stream_id("since", raw)
}

/// A stream id parameter: absent or blank is `None`, surrounding spaces are
/// ignored, anything else must parse.
pub(super) fn stream_id(field: &str, raw: Option<&str>) -> Result<Option<StreamId>> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<StreamId>()
                .map_err(|e| Error::field(field, e.to_string()))
        })
        .transpose()
}

/// A page of history, oldest first.
#[derive(Clone, Debug)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// The id of the last message returned, to continue forwards.
    pub next_from: Option<StreamId>,
    /// More messages exist in the direction read.
    pub has_more: bool,
}

/// Sends a message: validate, authorize, throttle, append. Every surface
/// (GraphQL, REST, legacy WebSocket) comes through here.
#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %conversation))]
pub async fn send(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    content: &str,
) -> Result<Message> {
    let content = validate_content(content)?;
    let (_, sender) = conversations::require_member(state, conversation, viewer).await?;
    throttle(state, viewer, conversation).await?;
    let appended = state
        .backends
        .message_log
        .append(NewMessage {
            conversation_id: conversation,
            sender,
            content,
            created_at: Utc::now(),
        })
        .await?;
    let message = visibility::message_as_seen(state.config.email_visibility, appended.message);
    tracing::debug!(message.id = %message.id, "message stored");
    let position = Position {
        id: message.id,
        count: appended.count,
    };
    // Neither can fail the send, nor depends on the other. The notice
    // waits for the read marker: the sender's inbox re-reads their unread
    // count when it hears it.
    tokio::join!(
        read_state::sent(state, viewer, conversation, position),
        typing::sent(state, viewer, conversation),
    );
    state
        .backends
        .notify(&[Notice::Changed(conversation, None)])
        .await;
    metrics::counter!("messages_sent_total").increment(1);
    Ok(message)
}

/// The send rate limit, which edits share.
pub(super) async fn throttle(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
) -> Result<()> {
    if let Decision::Throttled { retry_after } = state
        .backends
        .limiter
        .check(&LimitKey::Send(viewer, conversation))
        .await
    {
        tracing::info!(retry_after, "send throttled");
        metrics::counter!("messages_throttled_total").increment(1);
        return Err(Error::Throttled { retry_after });
    }
    Ok(())
}

/// A page of a conversation's history, for participants only.
pub async fn history(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    cursor: Cursor,
    limit: PageSize,
) -> Result<MessagePage> {
    let limit = limit.get();
    conversations::require_member(state, conversation, viewer).await?;
    let log = &state.backends.message_log;
    let page = log.read(conversation, cursor, limit).await?;
    let visibility = state.config.email_visibility;
    Ok(MessagePage {
        next_from: page.messages.last().map(|m| m.id),
        has_more: page.has_more,
        messages: page
            .messages
            .into_iter()
            .map(|m| visibility::message_as_seen(visibility, m))
            .collect(),
    })
}

/// Trims, then checks the length in Unicode characters. Other control
/// characters than NUL (tabs, newlines, ...) are kept as sent.
pub fn validate_content(content: &str) -> Result<String> {
    let trimmed = content.trim();
    if trimmed.is_empty() {
        return Err(Error::InvalidContent(Unsendable::Empty));
    }
    if trimmed.contains('\0') {
        return Err(Error::InvalidContent(Unsendable::Nul));
    }
    if trimmed.chars().count() > MAX_CONTENT_CHARS {
        return Err(Error::ContentTooLong {
            max: MAX_CONTENT_CHARS,
        });
    }
    Ok(trimmed.to_owned())
}

/// Why a live stream ended.
#[derive(Debug)]
pub enum LiveEnd {
    /// The subscriber fell further behind than the configured bound; it
    /// should reconnect with `since` (WebSocket close 4008).
    SlowConsumer,
    /// Reading the log failed during a catch-up.
    Failed(Error),
    /// The viewer left or was removed from the conversation (graphql-ws:
    /// `FORBIDDEN`; legacy WebSocket: close 4003).
    Revoked,
}

/// A live stream of a conversation's messages: ends after yielding an `Err`.
pub type LiveStream = Pin<Box<dyn Stream<Item = Result<Arc<Delivery>, LiveEnd>> + Send>>;

/// Live messages for a participant. With `since`: first every message after
/// it, in order, then live ones, with no gap and no duplicate. Without:
/// every message stored after this call began (see [`start_live`]). A
/// subscriber that lags re-reads the log from the last id it delivered, so
/// it never loses a message.
///
/// The setup (database and Redis calls) is boxed: whatever awaits it lives
/// as long as the subscription, and holding the setup's state inline would
/// make each of those kilobytes larger for good.
pub fn live(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    since: Option<StreamId>,
) -> BoxFuture<'_, Result<LiveStream>> {
    Box::pin(open_live(
        state,
        viewer,
        conversation,
        since,
        Feed::Messages,
    ))
}

/// Every event of a conversation's log, messages added, edited and deleted,
/// in the log's one id order; otherwise exactly like [`live`]: with `since`
/// (a message's or an event's id), everything after it, then live, with no
/// gap and no duplicate. Typing and presence signals come too, live only.
pub fn live_events(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    since: Option<StreamId>,
) -> BoxFuture<'_, Result<LiveStream>> {
    Box::pin(open_live(state, viewer, conversation, since, Feed::Events))
}

/// A conversation's typing and presence signals as this node hears them:
/// live only, never replayed (a receiver that lags skips what it missed).
/// For a viewer whose [`live`] stream of the conversation is open: that
/// stream checked the membership and keeps the conversation followed, and
/// the node hears no signals of a conversation it does not follow. The
/// legacy protocol takes them once its client opts in, so that older
/// clients' sockets are not woken by signals they would drop.
pub fn signals(state: &AppState, conversation: ConversationId) -> Signals {
    Signals(state.backends.hub.signals(conversation))
}

/// See [`signals`]; the default hears none.
#[derive(Default)]
pub struct Signals(Option<broadcast::Receiver<Arc<Delivery>>>);

impl Signals {
    pub fn is_listening(&self) -> bool {
        self.0.is_some()
    }

    /// The next signal; never resolves without one.
    pub async fn next(&mut self) -> Arc<Delivery> {
        loop {
            let Some(receiver) = &mut self.0 else {
                return std::future::pending().await;
            };
            match receiver.recv().await {
                Ok(signal) => return signal,
                // Missed signals are gone: they are not replayed.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => self.0 = None,
            }
        }
    }
}

/// What a live stream carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// New messages only (`messageAdded`, the legacy protocol).
    Messages,
    /// Every event of the log, typing and presence.
    Events,
}

impl Feed {
    /// What a catch-up of this feed reads from the log.
    fn replay(self) -> Replay {
        match self {
            Feed::Messages => Replay::Messages,
            Feed::Events => Replay::Events,
        }
    }
}

#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %conversation))]
async fn open_live(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    since: Option<StreamId>,
    feed: Feed,
) -> Result<LiveStream> {
    let (mut subscription, start) = start_live(state, viewer, conversation, since).await?;
    let state = state.clone();
    let catch_ups = state.catch_ups.clone();
    let max_lag = state.config.slow_consumer_lag;
    let mut last = start;
    let mut signals = match feed {
        Feed::Events => signals(&state, conversation),
        Feed::Messages => Signals::default(),
    };
    // Whatever lies between the start and the arm position was published
    // before the subscription existed: it comes from the log.
    let mut catching_up = subscription.armed_after() > start;
    if catching_up && since.is_some() {
        count_catch_up("since");
    }
    // How far the catch-up must reach: the arm position, since everything
    // after it arrives live. A read of the log another subscriber started
    // serves this one only when it covers that much (see `catch_up`).
    let mut needs = Some(subscription.armed_after());
    // Looked up once per subscriber, not once per message.
    let delivered = metrics::counter!("live_deliveries_total");
    Ok(Box::pin(async_stream::stream! {
        loop {
            if catching_up {
                // Boxed: rare, and inline it would make every idle stream larger.
                let page = Box::pin(catch_ups.read(conversation, feed.replay(), last, needs));
                match page.await {
                    Ok(page) => {
                        catching_up = page.has_more;
                        for delivery in &page.deliveries {
                            last = delivery.position();
                            delivered.increment(1);
                            yield Ok(delivery.clone());
                        }
                    }
                    Err(e) => {
                        yield Err(LiveEnd::Failed(e));
                        return;
                    }
                }
                continue;
            }
            let live = tokio::select! {
                biased;
                live = subscription.recv() => live,
                // Live only: neither ordered nor caught up.
                signal = signals.next() => Ok(Live::Delivery(signal)),
            };
            match live {
                Ok(Live::Revoked(user)) if user == viewer => {
                    yield Err(LiveEnd::Revoked);
                    return;
                }
                Ok(Live::Revoked(_)) => {}
                Ok(Live::Recheck) => {
                    if !Box::pin(still_member(&state, viewer, conversation)).await {
                        yield Err(LiveEnd::Revoked);
                        return;
                    }
                }
                Ok(Live::Delivery(delivery)) if delivery.signal().is_some() => {
                    yield Ok(delivery);
                }
                Ok(Live::Delivery(delivery)) => {
                    // Not for this feed, before the start, or already
                    // delivered by a catch-up read.
                    if (feed != Feed::Events && delivery.added().is_none())
                        || delivery.position() <= last
                    {
                        continue;
                    }
                    // The viewer's own departure, heard before its
                    // revocation (another path in Redis mode) ends the
                    // stream the same way.
                    if matches!(&delivery.event, Event::ParticipantLeft { user, .. } if user.id == viewer) {
                        yield Err(LiveEnd::Revoked);
                        return;
                    }
                    last = delivery.position();
                    delivered.increment(1);
                    yield Ok(delivery);
                }
                Err(RecvError::Lagged(missed)) => {
                    if missed > max_lag {
                        tracing::info!(missed, "slow consumer");
                        metrics::counter!("live_slow_consumers_total").increment(1);
                        yield Err(LiveEnd::SlowConsumer);
                        return;
                    }
                    // A revocation may have been among the missed.
                    if !Box::pin(still_member(&state, viewer, conversation)).await {
                        yield Err(LiveEnd::Revoked);
                        return;
                    }
                    tracing::debug!(missed, "subscriber lagged; resuming from the log");
                    count_catch_up("lagged");
                    // What it missed was published by now.
                    needs = state.backends.hub.published(conversation);
                    catching_up = true;
                }
                // The node is shutting down.
                Err(RecvError::Closed) => return,
            }
        }
    }))
}

/// Arms a live subscription and says where its stream starts: after
/// `since`, or without it at the log position of the moment this is called.
///
/// Arming comes first, before anything is awaited, so a removal committed
/// after the membership check still reaches the stream. When this node
/// already follows the conversation, its arm position is the start;
/// otherwise the log's tail is read, concurrently with the membership
/// check, before the conversation is registered with the feed.
/// So a message stored while the membership lookup or the registration is
/// still running is delivered: it lies after the start, and either reaches
/// the armed subscription or is read from the log. Authorization comes after
/// arming, but nothing is delivered before it passes.
async fn start_live(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    since: Option<StreamId>,
) -> Result<(Subscription, StreamId)> {
    let hub = &state.backends.hub;
    let member = conversations::require_member(state, conversation, viewer);
    if let Some(subscription) = hub.subscribe_now(conversation) {
        member.await?;
        let start = since.unwrap_or(subscription.armed_after());
        return Ok((subscription, start));
    }
    let subscribing = hub.subscribe(conversation);
    let start = match since {
        Some(since) => {
            member.await?;
            since
        }
        None => {
            let tail = state.backends.message_log.last_id(conversation);
            futures::try_join!(tail, member)?.0
        }
    };
    Ok((subscribing.await?, start))
}

/// Whether a live stream survives when revocations may have been missed (a
/// re-check, or the stream lagging behind its channel): the membership
/// check decides (after a re-check the cache is empty, so the database). A
/// storage failure keeps the stream: sends and reads still check
/// membership themselves. Boxed where a stream awaits it: it is rare, and
/// its database future inline would make every idle stream that much larger.
async fn still_member(state: &AppState, viewer: UserId, conversation: ConversationId) -> bool {
    !matches!(
        conversations::require_member(state, conversation, viewer).await,
        Err(Error::Forbidden(_))
    )
}

/// A subscriber starts reading the log: replaying from `since`, or resuming
/// after it fell behind the live buffer (`lagged`, a sign of slow clients).
fn count_catch_up(reason: &'static str) {
    metrics::counter!("live_catch_ups_total", "reason" => reason).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_counted_in_characters() {
        assert_eq!(validate_content("  hi  ").ok().as_deref(), Some("hi"));
        assert!(matches!(
            validate_content(" \n\t "),
            Err(Error::InvalidContent(Unsendable::Empty))
        ));
        assert!(validate_content(&"é".repeat(2000)).is_ok());
        assert!(matches!(
            validate_content(&"é".repeat(2001)),
            Err(Error::ContentTooLong { .. })
        ));
    }

    #[test]
    fn cursors_parse_or_name_the_field() {
        assert!(matches!(Cursor::parse(None, None), Ok(Cursor::Latest)));
        assert!(matches!(
            Cursor::parse(Some("5-1"), None),
            Ok(Cursor::After(_))
        ));
        assert!(matches!(
            Cursor::parse(None, Some("5-1")),
            Ok(Cursor::Before(_))
        ));
        match Cursor::parse(Some("nope"), None) {
            Err(Error::Validation(fields)) => assert!(fields.contains_key("from")),
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert!(Cursor::parse(Some("1-0"), Some("2-0")).is_err());
    }
}
