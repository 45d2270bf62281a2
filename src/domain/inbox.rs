//! The inbox: one live feed per client for every conversation the viewer is
//! in. Changes reach it as notices through the node's inbox index
//! ([`crate::backends::inbox`]); each changed conversation is then loaded
//! for the viewer (unread count, latest message, participants), at most
//! once per conversation per [`COALESCE`] whatever the rate of changes.

use std::{pin::Pin, time::Duration};

use futures::{Stream, future::BoxFuture};

use super::{
    ConversationId, UserId,
    conversations::{self, Conversation},
};
use crate::{
    domain::state::AppState,
    error::{Error, Result},
    store,
};

/// The shortest time between two loads of the same subscriber's changes: a
/// burst of messages in a busy conversation costs one load per subscriber
/// per interval.
pub const COALESCE: Duration = Duration::from_millis(100);

/// What an inbox subscriber is told.
#[derive(Debug)]
pub enum InboxEvent {
    /// A conversation of the viewer's changed (latest message, unread
    /// count, participants).
    Changed(Box<Conversation>),
    /// The viewer was added to a conversation (or created it).
    Added(Box<Conversation>),
    /// The viewer left or was removed.
    Removed(ConversationId),
}

/// The inbox stream; ends after yielding an `Err`.
pub type InboxStream = Pin<Box<dyn Stream<Item = Result<InboxEvent>> + Send>>;

/// The viewer's inbox, from the moment of subscribing: registered with the
/// node's index (catching every change) before the viewer's conversations
/// are listed, so nothing committed after this call began is missed.
pub fn live(state: &AppState, viewer: UserId) -> BoxFuture<'_, Result<InboxStream>> {
    Box::pin(open(state, viewer))
}

#[tracing::instrument(skip_all, fields(user.id = viewer.0))]
async fn open(state: &AppState, viewer: UserId) -> Result<InboxStream> {
    let registration = state.backends.inbox.register(viewer);
    let mine: Vec<ConversationId> = store::conversations::updated_for_user(&state.db, viewer)
        .await?
        .into_iter()
        .map(|(id, _)| ConversationId(id))
        .collect();
    registration.armed(&mine);
    let state = state.clone();
    Ok(Box::pin(async_stream::stream! {
        let mut last_flush: Option<tokio::time::Instant> = None;
        loop {
            registration.slot.wake.notified().await;
            if let Some(last) = last_flush {
                tokio::time::sleep_until(last + COALESCE).await;
            }
            last_flush = Some(tokio::time::Instant::now());
            let pending = registration.slot.take();
            for conversation in &pending.removed {
                registration.unfollow(*conversation);
                yield Ok(InboxEvent::Removed(*conversation));
            }
            for conversation in &pending.added {
                registration.follow(*conversation);
                match load(&state, viewer, *conversation).await {
                    Ok(Some(c)) => yield Ok(InboxEvent::Added(Box::new(c))),
                    Ok(None) => {}
                    Err(e) => {
                        yield Err(e);
                        return;
                    }
                }
            }
            for conversation in &pending.changed {
                if pending.added.contains(conversation) || pending.removed.contains(conversation) {
                    continue;
                }
                match load(&state, viewer, *conversation).await {
                    Ok(Some(c)) => yield Ok(InboxEvent::Changed(Box::new(c))),
                    Ok(None) => {}
                    Err(e) => {
                        yield Err(e);
                        return;
                    }
                }
            }
        }
    }))
}

/// The conversation as the viewer sees it; `None` when they are no longer
/// in it (a removal notice follows or came first).
async fn load(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
) -> Result<Option<Conversation>> {
    match conversations::get(state, viewer, conversation).await {
        Ok(c) => Ok(Some(c)),
        Err(Error::NotFound(_) | Error::Forbidden(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
