//! What a viewer sees of a conversation's read state: the unread count
//! and latest message every conversation shows, from the viewer's read
//! marker ([`super::read_state`]) and the log's heads.
//!
//! Counting is a subtraction. The log numbers messages (their ordinal: 1,
//! 2, ...) and a marker keeps the ordinal of the message it stands on, so
//! "messages after my marker" is `head count - marker count`: one lookup per
//! conversation whatever the number of messages, and a list of conversations
//! reads all its heads in one round trip (`MessageLog::heads`).
//!
//! "Not deleted" is one more subtraction: the log counts the deleted
//! messages after a marker (`MessageLog::deleted_after`), for all the
//! conversations with anything unread in one round trip.
//!
//! "Not sent by me" needs no counting: sending moves the sender's marker to
//! the message sent (forward only), so no message of mine lies after my
//! marker once my send has returned.

use std::collections::HashMap;

use super::{ConversationId, StreamId, UserId, message::Message};
use crate::{backends::message_log::Head, domain::state::AppState, error::Result, store};

/// What one viewer sees of a conversation's read state.
#[derive(Clone, Debug, Default)]
pub struct ReadState {
    /// Messages after the viewer's marker (none of them the viewer's).
    pub unread_count: u64,
    /// The conversation's latest message; `None` while it has none.
    pub last_message: Option<Message>,
    /// The viewer's marker; `None` before they read anything.
    pub last_read_id: Option<StreamId>,
}

/// The viewer's read state in each of these conversations, from their heads
/// (already read from the log) and one query for the viewer's markers.
pub(super) async fn for_viewer(
    state: &AppState,
    viewer: UserId,
    heads: &HashMap<ConversationId, Head>,
    ids: &[ConversationId],
) -> Result<HashMap<ConversationId, ReadState>> {
    let markers: HashMap<_, _> = store::read_markers::for_user(&state.db, viewer, ids)
        .await?
        .into_iter()
        .map(|m| (ConversationId(m.conversation_id), m))
        .collect();
    let read_count = |id: &ConversationId| {
        markers
            .get(id)
            .map_or(0, |m| u64::try_from(m.read_count).unwrap_or(0))
    };
    // Deleted messages are not unread: one more round trip, and only for
    // the conversations with anything unread.
    let unread: Vec<(ConversationId, u64)> = ids
        .iter()
        .filter(|id| heads.get(id).is_some_and(|h| h.count > read_count(id)))
        .map(|id| (*id, read_count(id)))
        .collect();
    let deleted = state.backends.message_log.deleted_after(&unread).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let marker = markers.get(id);
            let read = read_count(id);
            let head = heads.get(id);
            let gone = deleted.get(id).copied().unwrap_or(0);
            let read_state = ReadState {
                unread_count: head.map_or(0, |h| h.count.saturating_sub(read).saturating_sub(gone)),
                last_message: head.map(|h| h.last.clone()),
                last_read_id: marker.and_then(|m| {
                    let ms = u64::try_from(m.last_read_ms?).ok()?;
                    let seq = u64::try_from(m.last_read_seq?).ok()?;
                    Some(StreamId::new(ms, seq))
                }),
            };
            (*id, read_state)
        })
        .collect())
}

/// How many messages a conversation has had: where a newcomer's marker
/// starts, so history from before they joined is not unread for them.
pub(super) async fn message_count(state: &AppState, conversation: ConversationId) -> Result<u64> {
    let heads = state.backends.message_log.heads(&[conversation]).await?;
    Ok(heads.get(&conversation).map_or(0, |h| h.count))
}
