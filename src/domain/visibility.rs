//! Whose email a viewer is shown (`EMAIL_VISIBILITY`): the one rule every
//! surface applies, to users, messages and live events alike.

use super::{
    User, UserId,
    message::{Delivery, Message},
};
use crate::config::EmailVisibility;

/// How a user whose email might be shown relates to the viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The viewer searched for exactly this user's email (so knows it).
    SearchedFor,
    /// They share a conversation.
    CoParticipant,
    /// Neither.
    Stranger,
}

/// The one rule for whose email a viewer is shown, on every surface: their
/// own; the address they searched for exactly; and with
/// `EMAIL_VISIBILITY=participants` (django-chat's behaviour), the emails
/// of the people they share a conversation with. Hidden emails are the
/// empty string (the field stays, as existing clients expect it).
pub fn shows_email(
    visibility: EmailVisibility,
    viewer: UserId,
    user: UserId,
    relation: Relation,
) -> bool {
    match relation {
        _ if viewer == user => true,
        Relation::SearchedFor => true,
        Relation::CoParticipant => visibility == EmailVisibility::Participants,
        Relation::Stranger => false,
    }
}

/// `user` as `viewer` is shown them, by [`shows_email`].
pub fn as_seen(
    visibility: EmailVisibility,
    viewer: UserId,
    relation: Relation,
    mut user: User,
) -> User {
    if !shows_email(visibility, viewer, user.id, relation) {
        user.email.clear();
    }
    user
}

/// A message as its readers are shown it. A live message is rendered once
/// for every reader, so the sender counts as a co-participant of nobody in
/// particular: with `EMAIL_VISIBILITY=self` the sender's email is hidden
/// in messages, from the sender too.
pub fn message_as_seen(visibility: EmailVisibility, mut message: Message) -> Message {
    if visibility != EmailVisibility::Participants {
        message.sender.email.clear();
    }
    message
}

/// A live or replayed event as every subscriber is shown it: like
/// [`message_as_seen`], for whichever user the event names.
pub fn delivery_as_seen(visibility: EmailVisibility, mut delivery: Delivery) -> Delivery {
    if visibility != EmailVisibility::Participants {
        delivery.user_mut().email.clear();
    }
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whose_email_is_shown() {
        use EmailVisibility::{OwnOnly, Participants};
        let (me, you) = (UserId(1), UserId(2));
        for visibility in [Participants, OwnOnly] {
            assert!(shows_email(visibility, me, me, Relation::Stranger));
            assert!(shows_email(visibility, me, you, Relation::SearchedFor));
            assert!(!shows_email(visibility, me, you, Relation::Stranger));
        }
        assert!(shows_email(Participants, me, you, Relation::CoParticipant));
        assert!(!shows_email(OwnOnly, me, you, Relation::CoParticipant));
    }
}
