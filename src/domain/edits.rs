//! Editing and deleting messages: who may, the send rules an edit follows,
//! and the log recording each change in order with the messages.

use chrono::{SubsecRound, Utc};

use super::{
    ConversationId, StreamId, UserId,
    conversations::{self, Role},
    messaging::{Change, Message, stream_id, throttle, validate_content},
};
use crate::{
    backends::{inbox::Notice, message_log::Changed},
    domain::state::AppState,
    error::{Denied, Error, Missing, Result},
};

/// Edits a message: the send rules (content, rate limit shared with sends)
/// plus: only its sender edits it, and a deleted message stays deleted.
#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %conversation))]
pub async fn edit(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    id: StreamId,
    content: &str,
) -> Result<Message> {
    let content = validate_content(content)?;
    let (_, current) = existing(state, viewer, conversation, id).await?;
    if current.sender.id != viewer {
        return Err(Error::Forbidden(Denied::NotSender));
    }
    if current.deleted {
        return Err(deleted_error());
    }
    throttle(state, viewer, conversation).await?;
    let change = Change::Edit {
        content,
        // Milliseconds, as every backend stores it: the answer and later
        // reads agree.
        at: Utc::now().trunc_subsecs(3),
    };
    match state
        .backends
        .message_log
        .change(&current, viewer, change)
        .await?
    {
        Changed::Applied { message, event } => {
            tracing::debug!(event.id = %event, "message edited");
            changed(state, conversation).await;
            Ok(message)
        }
        Changed::AlreadyDeleted(_) => Err(deleted_error()),
        Changed::Missing => Err(Error::NotFound(Missing::Message)),
    }
}

/// Deletes a message (its sender, or an admin of the conversation): the
/// content goes, the id and place stay. Deleting a deleted message changes
/// nothing and returns it.
#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %conversation))]
pub async fn delete(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    id: StreamId,
) -> Result<Message> {
    let (role, current) = existing(state, viewer, conversation, id).await?;
    if current.sender.id != viewer && role != Role::Admin {
        return Err(Error::Forbidden(Denied::NotSenderOrAdmin));
    }
    if current.deleted {
        return Ok(current);
    }
    let log = &state.backends.message_log;
    match log.change(&current, viewer, Change::Delete).await? {
        Changed::Applied { message, event } => {
            tracing::debug!(event.id = %event, "message deleted");
            changed(state, conversation).await;
            Ok(message)
        }
        Changed::AlreadyDeleted(message) => Ok(message),
        Changed::Missing => Err(Error::NotFound(Missing::Message)),
    }
}

/// The viewer's role and message `id` as it stands; FORBIDDEN for
/// non-participants (as every message endpoint), NOT_FOUND for no such
/// message.
async fn existing(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    id: StreamId,
) -> Result<(Role, Message)> {
    let (role, _) = conversations::require_member(state, conversation, viewer).await?;
    let message = state.backends.message_log.get(conversation, id).await?;
    Ok((role, message.ok_or(Error::NotFound(Missing::Message))?))
}

/// Inboxes show the latest message and unread counts, which a change can
/// move.
async fn changed(state: &AppState, conversation: ConversationId) {
    let notice = Notice::Changed(conversation, None);
    state.backends.notify(&[notice]).await;
}

fn deleted_error() -> Error {
    Error::field("message_id", "A deleted message cannot be edited.")
}

/// A message id from any surface (`field` names it in the error).
pub fn parse_message_id(field: &str, raw: &str) -> Result<StreamId> {
    stream_id(field, Some(raw))?.ok_or_else(|| Error::field(field, "This field may not be blank."))
}
