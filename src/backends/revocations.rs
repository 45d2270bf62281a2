//! Membership revocations, inbox notices, typing and presence across nodes
//! (Redis mode): a node that removes a participant, changes a
//! conversation or sees someone type publishes it on one Pub/Sub channel;
//! every node relays what it hears to its [`Hub`] (whose live streams end
//! themselves, or pass the signal on) or its [`Inbox`] (which tells the
//! local inbox subscribers concerned). One Pub/Sub connection per node,
//! whatever the number of subscribers.
//!
//! Pub/Sub forgets what a disconnected node missed, so after every
//! (re)subscription the relay asks all local streams to re-check their
//! membership ([`Revocation::Recheck`]): nothing is missed, at the cost of
//! one membership query per live stream after a Redis outage. The node's
//! membership cache is off while the channel is not subscribed, and starts
//! empty when it is again.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{
    hub::{Hub, Revocation},
    inbox::{Inbox, Notice},
    member_cache::MemberCache,
    signals::Broadcast,
};
use crate::model::{ConversationId, UserId};

/// Waits between reconnection attempts.
const RETRY: Duration = Duration::from_millis(500);

/// `conversation user`, the message on the channel.
pub fn encode(conversation: ConversationId, user: UserId) -> String {
    format!("{conversation} {user}")
}

fn decode(payload: &str) -> Option<Revocation> {
    let (conversation, user) = payload.split_once(' ')?;
    Some(Revocation::Member(
        conversation.parse().ok()?,
        user.parse().ok()?,
    ))
}

/// Relays `channel` to `hub`, `inbox` and `members` until `shutdown`,
/// subscribed through the first of `clients` that answers: on a cluster,
/// one client per listed node (classic `PUBLISH` reaches every node), so
/// when the node subscribed to dies the relay moves to the next.
pub fn start(
    clients: Vec<redis::Client>,
    channel: String,
    (hub, inbox, members): (Arc<Hub>, Arc<Inbox>, Arc<MemberCache>),
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        for client in clients.iter().cycle() {
            tokio::select! {
                () = shutdown.cancelled() => return,
                result = relay(client, &channel, (&hub, &inbox, &members)) => {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "revocation channel lost; reconnecting");
                    }
                }
            }
            // Removals published from now on would go unheard.
            members.reset(false);
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RETRY) => {}
            }
        }
    });
}

async fn relay(
    client: &redis::Client,
    channel: &str,
    (hub, inbox, members): (&Hub, &Inbox, &MemberCache),
) -> anyhow::Result<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    // Whatever was published while this node was not listening.
    members.reset(true);
    hub.revoke(Revocation::Recheck);
    inbox.resync();
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        let payload: String = message.get_payload()?;
        if payload.starts_with('{') {
            match Broadcast::decode(&payload) {
                Some(broadcast) => broadcast.deliver(hub),
                None => tracing::warn!(payload, "ignoring a malformed signal"),
            }
            continue;
        }
        // A notice's first word is one letter; a revocation's, a UUID.
        if let Some(notice) = Notice::decode(&payload) {
            inbox.dispatch(notice);
            continue;
        }
        match decode(&payload) {
            Some(revocation) => {
                if let Revocation::Member(conversation, _) = revocation {
                    members.forget_conversation(conversation);
                }
                hub.revoke(revocation);
            }
            None => tracing::warn!(payload, "ignoring a malformed revocation"),
        }
    }
    anyhow::bail!("the Pub/Sub connection closed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocations_round_trip_and_garbage_is_ignored() {
        let conversation = ConversationId(uuid::Uuid::new_v4());
        assert_eq!(
            decode(&encode(conversation, UserId(7))),
            Some(Revocation::Member(conversation, UserId(7)))
        );
        assert_eq!(decode("nonsense"), None);
        assert_eq!(decode("x 7"), None);
    }
}
