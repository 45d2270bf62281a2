//! Membership changes: leaving, and admins removing participants. Either
//! takes effect at once everywhere: the row goes in one transaction (with
//! the promotion of a new admin when the last one leaves), then the
//! member's live streams on every node are told to end and every node
//! forgets the conversation's cached memberships (`backends::member_cache`),
//! so reads and sends stop with the commit on this node and within
//! moments on the others.

use chrono::Utc;
use sea_orm::TransactionTrait;

use super::{
    ConversationId, User, UserId,
    conversations::{self, Role},
};
use crate::{
    backends::{
        inbox::Notice,
        message_log::{self, Note},
    },
    domain::state::AppState,
    error::{Denied, Error, Missing, Result},
    store,
};

/// The caller leaves the conversation. When they were its last admin, the
/// longest-standing member becomes admin.
#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %conversation))]
pub async fn leave(state: &AppState, viewer: UserId, conversation: ConversationId) -> Result<()> {
    if conversations::role_of(state, conversation, viewer)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(Missing::Conversation));
    }
    drop_member(state, conversation, viewer).await
}

/// An admin removes a participant (admins included; removing oneself is
/// leaving).
#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %conversation))]
pub async fn remove_participant(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    target: UserId,
) -> Result<()> {
    match conversations::role_of(state, conversation, viewer).await? {
        None => return Err(Error::NotFound(Missing::Conversation)),
        Some(Role::Member) => return Err(Error::Forbidden(Denied::NotAdminToRemove)),
        Some(Role::Admin) => {}
    }
    if conversations::role_of(state, conversation, target)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(Missing::User));
    }
    drop_member(state, conversation, target).await
}

/// Removes `user`; a concurrent removal of the same user makes this a no-op.
async fn drop_member(state: &AppState, conversation: ConversationId, user: UserId) -> Result<()> {
    let txn = state.db.begin().await?;
    // Membership changes of one conversation take turns, so two admins
    // leaving at once cannot each count on the other staying.
    store::conversations::lock(&txn, conversation).await?;
    let removed = store::participants::remove(&txn, conversation, user).await?;
    if removed {
        store::read_markers::remove(&txn, conversation, user).await?;
        if !store::participants::has_admin(&txn, conversation).await?
            && let Some(next) = store::participants::longest_standing(&txn, conversation).await?
        {
            store::participants::set_role(&txn, next.id, Role::Admin.as_str()).await?;
            tracing::info!(promoted = next.user_id, "last admin gone; member promoted");
        }
        store::conversations::touch(&txn, conversation, Utc::now()).await?;
    }
    txn.commit().await?;
    if removed {
        tracing::info!(removed = user.0, "participant removed");
        state.backends.revoke(conversation, user).await;
        let notices = [
            Notice::Removed(conversation, user),
            Notice::Changed(conversation, None),
        ];
        state.backends.notify(&notices).await;
        // The removal is committed: a failure here is logged, not returned.
        match store::users::find_by_id(&state.db, user).await {
            Ok(Some(profile)) => {
                let left = Note::ParticipantLeft(User::from(profile));
                message_log::note_committed(&*state.backends.message_log, conversation, left).await;
            }
            Ok(None) => {}
            Err(e) => Error::from(e).log(),
        }
    }
    Ok(())
}
