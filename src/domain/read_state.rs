//! Read markers: each participant's, moved forward only, by reading
//! (`markRead`) and by sending. What a viewer sees of them in a
//! conversation (unread count, latest message) is [`super::unread`].

use chrono::Utc;

use super::{ConversationId, StreamId, UserId, conversations};
use crate::{
    backends::{
        inbox::Notice,
        message_log::{self, Note, Position},
    },
    domain::state::AppState,
    error::Result,
    store,
};

/// A read position as a client gives it (`field` names it in the error):
/// a stream id, surrounding spaces ignored.
pub fn parse_up_to(field: &str, raw: &str) -> Result<StreamId> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(crate::error::Error::field(
            field,
            "This field may not be blank.",
        ));
    }
    raw.parse()
        .map_err(|e: super::ids::InvalidStreamId| crate::error::Error::field(field, e.to_string()))
}

/// Marks the conversation read up to `up_to` (the last message at or before
/// it: an id beyond the latest message reads everything, never messages to
/// come). Forward only: a position at or before the marker changes nothing.
#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %conversation))]
pub async fn mark_read(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    up_to: StreamId,
) -> Result<conversations::Conversation> {
    let (_, user) = conversations::require_member(state, conversation, viewer).await?;
    let log = &state.backends.message_log;
    if let Some(position) = log.position_at(conversation, up_to).await?
        && store::read_markers::advance(&state.db, conversation, viewer, position, Utc::now())
            .await?
    {
        let moved = Note::ReadMarkerMoved {
            user,
            up_to: position.id,
        };
        message_log::note_committed(&*state.backends.message_log, conversation, moved).await;
        let mine = Notice::Changed(conversation, Some(viewer));
        state.backends.notify(&[mine]).await;
    }
    conversations::get(state, viewer, conversation).await
}

/// A message just sent is read by its sender. The message is stored
/// whatever happens here, so a failure is logged, not returned: the sender
/// must not retry and send it twice.
pub(super) async fn sent(
    state: &AppState,
    sender: UserId,
    conversation: ConversationId,
    position: Position,
) {
    let moved =
        store::read_markers::advance(&state.db, conversation, sender, position, Utc::now()).await;
    if let Err(e) = moved {
        crate::error::Error::from(e).log();
    }
}
