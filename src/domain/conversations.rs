//! Conversations: create, list, read, add participants, and the membership
//! rules every other operation relies on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{DbErr, TransactionTrait};

use super::{
    ConversationId, NO_CONTROL, StreamId, User, UserId, accounts, has_control,
    message::Message,
    paging::PageSize,
    unread,
    visibility::{self, Relation},
};
use crate::{
    backends::{
        inbox::Notice,
        message_log::{self, Head, Note},
        rate_limit::{Decision, LimitKey},
    },
    domain::state::AppState,
    error::{Clash, Denied, Error, Missing, Result, Validator},
    store,
};

pub use super::role::Role;

/// A user's membership in a conversation.
#[derive(Clone, Debug)]
pub struct Participant {
    pub id: i64,
    pub user: User,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

/// A conversation with its creator and participants, as one viewer sees it
/// (the read state is theirs).
#[derive(Clone, Debug)]
pub struct Conversation {
    pub id: ConversationId,
    pub name: String,
    pub slug: String,
    pub created_by: User,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub participants: Vec<Participant>,
    /// Messages after the viewer's read marker.
    pub unread_count: u64,
    pub last_message: Option<Message>,
    /// The viewer's read marker; `None` before they read anything.
    pub last_read_id: Option<StreamId>,
}

/// One page of the caller's conversations and how many there are in all.
#[derive(Clone, Debug)]
pub struct ConversationPage {
    pub count: u64,
    pub results: Vec<Conversation>,
}

/// What `createConversation` submits.
#[derive(Clone, Debug, Default)]
pub struct NewConversation {
    pub name: String,
    pub participant_ids: Vec<UserId>,
}

/// Who to add: by id or by email.
#[derive(Clone, Debug)]
pub enum UserRef {
    Id(UserId),
    Email(String),
}

impl UserRef {
    /// Whom an add-participant request names: the id when given, else a
    /// non-blank email; neither is refused the same way on every surface.
    pub fn from_either(user_id: Option<UserId>, email: Option<String>) -> Result<Self> {
        match (user_id, email.filter(|e| !e.trim().is_empty())) {
            (Some(user), _) => Ok(UserRef::Id(user)),
            (None, Some(email)) => Ok(UserRef::Email(email)),
            (None, None) => Err(Error::BadRequest(
                "Either user_id or email is required".into(),
            )),
        }
    }
}

/// The longest conversation name, in characters after trimming.
pub const NAME_MAX: usize = 255;

/// The most users one creation may add: enough for any real group, and far
/// from a way to enrol a whole user directory in one request.
pub const MAX_PARTICIPANT_IDS: usize = 100;
const SLUG_ATTEMPTS: usize = 5;

/// Creates a conversation: the creator is its admin, the others members;
/// unknown participant ids are ignored.
#[tracing::instrument(skip_all, fields(user.id = viewer.0))]
pub async fn create(
    state: &AppState,
    viewer: UserId,
    input: NewConversation,
) -> Result<Conversation> {
    let name = input.name.trim().to_owned();
    let mut v = Validator::default();
    v.check(name.is_empty(), "name", "This field may not be blank.");
    v.check(
        name.chars().count() > NAME_MAX,
        "name",
        format!("Ensure this field has no more than {NAME_MAX} characters."),
    );
    // On the name as sent: a tab at either end is refused too.
    v.check(has_control(&input.name), "name", NO_CONTROL);
    v.check(
        input.participant_ids.len() > MAX_PARTICIPANT_IDS,
        "participant_ids",
        format!("Ensure this list has no more than {MAX_PARTICIPANT_IDS} elements."),
    );
    v.finish()?;
    // The creator's row is referenced by the new rows; a token that outlived
    // its user is refused here, not by a foreign key.
    accounts::current_user(state, viewer).await?;
    let mut named: Vec<UserId> = input
        .participant_ids
        .iter()
        .copied()
        .filter(|id| *id != viewer)
        .collect();
    named.sort_unstable();
    named.dedup();
    spend_membership_changes(state, viewer, named.len().max(1)).await?;

    let mut members: Vec<UserId> = store::users::find_many(&state.db, &input.participant_ids)
        .await?
        .into_iter()
        .filter(|u| u.is_active && u.id != viewer.0)
        .map(|u| UserId(u.id))
        .collect();
    members.sort_unstable();
    members.dedup();

    let base = base_slug(&name);
    for _ in 0..SLUG_ATTEMPTS {
        let taken = store::conversations::slugs_like(&state.db, &base).await?;
        let slug = free_slug(&base, &taken);
        match insert_conversation(state, viewer, &name, &slug, &members).await {
            Ok(id) => {
                tracing::info!(conversation.id = %id, "conversation created");
                let everyone = std::iter::once(viewer).chain(members.iter().copied());
                let notices: Vec<_> = everyone.map(|user| Notice::Added(id, user)).collect();
                state.backends.notify(&notices).await;
                return get(state, viewer, id).await;
            }
            // Another creation took this slug between our read and write:
            // an expected race, not a storage failure.
            Err(e) if store::is_unique_violation(&e) && slug_was_taken(state, &slug).await => {
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(Clash::SlugsExhausted))
}

async fn insert_conversation(
    state: &AppState,
    creator: UserId,
    name: &str,
    slug: &str,
    members: &[UserId],
) -> Result<ConversationId, DbErr> {
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let model = store::conversations::insert(&txn, name, slug, creator, now).await?;
    let id = ConversationId(model.id);
    store::participants::insert(&txn, id, creator, Role::Admin.as_str(), now).await?;
    for member in members {
        store::participants::insert(&txn, id, *member, Role::Member.as_str(), now).await?;
    }
    txn.commit().await?;
    Ok(id)
}

async fn slug_was_taken(state: &AppState, slug: &str) -> bool {
    store::conversations::slugs_like(&state.db, slug)
        .await
        .is_ok_and(|found| found.iter().any(|s| s == slug))
}

/// The caller's conversations by latest activity, newest first: the time
/// of the latest message, else `updated_at`; ties by id.
///
/// A fixed number of round trips whatever the page size and message
/// counts: the caller's conversation ids (1 query), their heads from the
/// log (1 round trip: one Redis `EVALSHA`, or one SQL query), then for the
/// page its rows, participants, creators and the caller's read markers (4
/// queries). The heads of all the caller's conversations are read, not just
/// the page's, because the order depends on them: O(conversations of the
/// caller) work in that one round trip.
pub async fn list(
    state: &AppState,
    viewer: UserId,
    limit: PageSize,
    offset: u64,
) -> Result<ConversationPage> {
    let mine = store::conversations::updated_for_user(&state.db, viewer).await?;
    let ids: Vec<ConversationId> = mine.iter().map(|(id, _)| ConversationId(*id)).collect();
    let heads = state.backends.message_log.heads(&ids).await?;
    let mut by_activity: Vec<(DateTime<Utc>, ConversationId)> = mine
        .into_iter()
        .map(|(id, updated_at)| {
            let id = ConversationId(id);
            let active = heads.get(&id).map_or(updated_at, |h| h.last.created_at);
            (active, id)
        })
        .collect();
    by_activity.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.0.cmp(&b.1.0)));
    if by_activity.is_empty() {
        // A signed token can outlive its user: an empty list must not
        // pass for "no conversations yet".
        accounts::current_user(state, viewer).await?;
    }
    let count = u64::try_from(by_activity.len()).unwrap_or(u64::MAX);
    let page: Vec<ConversationId> = by_activity
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit.get())
        .map(|(_, id)| id)
        .collect();
    let mut models: HashMap<ConversationId, _> = store::conversations::find_many(&state.db, &page)
        .await?
        .into_iter()
        .map(|m| (ConversationId(m.id), m))
        .collect();
    let models = page.iter().filter_map(|id| models.remove(id)).collect();
    let results = assemble(state, viewer, models, &heads).await?;
    Ok(ConversationPage { count, results })
}

/// A conversation the caller takes part in. Absent and "not yours" are the
/// same NOT_FOUND, so ids cannot be probed.
pub async fn get(state: &AppState, viewer: UserId, id: ConversationId) -> Result<Conversation> {
    let model = store::conversations::find(&state.db, id)
        .await?
        .ok_or(Error::NotFound(Missing::Conversation))?;
    let heads = state.backends.message_log.heads(&[id]).await?;
    let mut conversations = assemble(state, viewer, vec![model], &heads).await?;
    match conversations.pop() {
        Some(c) if c.participants.iter().any(|p| p.user.id == viewer) => Ok(c),
        _ => Err(Error::NotFound(Missing::Conversation)),
    }
}

/// Adds a user (by id or email) as a member. Only admins may; adding someone
/// already there succeeds without change.
#[tracing::instrument(skip_all, fields(user.id = viewer.0, conversation.id = %id))]
pub async fn add_participant(
    state: &AppState,
    viewer: UserId,
    id: ConversationId,
    target: UserRef,
) -> Result<Conversation> {
    match role_of(state, id, viewer).await? {
        None => return Err(Error::NotFound(Missing::Conversation)),
        Some(Role::Member) => {
            return Err(Error::Forbidden(Denied::NotAdmin));
        }
        Some(Role::Admin) => {}
    }
    // Counted before the lookup: adding by email also tells whether an
    // address has an account.
    spend_membership_changes(state, viewer, 1).await?;
    let user = match target {
        UserRef::Id(user) => store::users::find_by_id(&state.db, user).await?,
        UserRef::Email(email) => {
            accounts::find_by_email(state, &email.trim().to_lowercase()).await?
        }
    }
    .filter(|u| u.is_active)
    .ok_or(Error::NotFound(Missing::User))?;
    let profile = User::from(user);
    let user = profile.id;
    if role_of(state, id, user).await?.is_none() {
        let already_sent = unread::message_count(state, id).await?;
        let now = Utc::now();
        let txn = state.db.begin().await?;
        match store::participants::insert(&txn, id, user, Role::Member.as_str(), now).await {
            Ok(_) => {
                store::read_markers::start_at(&txn, id, user, already_sent, now).await?;
                store::conversations::touch(&txn, id, now).await?;
                txn.commit().await?;
                tracing::info!(added = user.0, "participant added");
                let joined = Note::ParticipantJoined(profile);
                message_log::note_committed(&*state.backends.message_log, id, joined).await;
                let notices = [Notice::Changed(id, None), Notice::Added(id, user)];
                state.backends.notify(&notices).await;
            }
            // A concurrent add of the same user: already a member, which is the goal.
            Err(e) if store::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    get(state, viewer, id).await
}

/// `MEMBERSHIP_CHANGES_PER_HOUR`: a creation costs one per other user it
/// names (at least one), an add one, so enrolling a user directory takes
/// hours. Refused, nothing is counted.
async fn spend_membership_changes(state: &AppState, viewer: UserId, cost: usize) -> Result<()> {
    let cost = u32::try_from(cost).unwrap_or(u32::MAX);
    match state
        .backends
        .limiter
        .acquire(&LimitKey::MembershipChanges(viewer), cost)
        .await
    {
        Decision::Allowed => Ok(()),
        Decision::Throttled { retry_after } => {
            tracing::info!(retry_after, cost, "membership change throttled");
            metrics::counter!("membership_changes_throttled_total").increment(1);
            Err(Error::Throttled { retry_after })
        }
    }
}

/// The caller's role in a conversation, or None when absent or not a member.
pub async fn role_of(state: &AppState, id: ConversationId, user: UserId) -> Result<Option<Role>> {
    store::participants::membership(&state.db, id, user)
        .await?
        .map(|(p, _)| Role::parse(&p.role))
        .transpose()
}

/// Membership with the member's profile; FORBIDDEN when absent or not a
/// participant (the message endpoints do not distinguish the two).
///
/// Served from the node's membership cache when it remembers one (see
/// `backends::member_cache` for how removals reach it); refusals are
/// always read from the database, so an added participant is let in at once.
pub async fn require_member(
    state: &AppState,
    id: ConversationId,
    user: UserId,
) -> Result<(Role, User)> {
    let cache = &state.backends.members;
    if let Some(member) = cache.get(id, user) {
        metrics::counter!("membership_cache_total", "result" => "hit").increment(1);
        return Ok(member);
    }
    metrics::counter!("membership_cache_total", "result" => "miss").increment(1);
    let ticket = cache.ticket();
    match store::participants::membership(&state.db, id, user).await? {
        Some((p, u)) if u.is_active => {
            let member = (Role::parse(&p.role)?, User::from(u));
            cache.fill(ticket, id, user, member.clone());
            Ok(member)
        }
        _ => Err(Error::Forbidden(Denied::NotParticipant)),
    }
}

/// Loads participants, creators and the viewer's read state for many
/// conversations in three queries, given their heads.
async fn assemble(
    state: &AppState,
    viewer: UserId,
    models: Vec<entity::conversations::Model>,
    heads: &HashMap<ConversationId, Head>,
) -> Result<Vec<Conversation>> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<ConversationId> = models.iter().map(|m| ConversationId(m.id)).collect();
    let mut read = unread::for_viewer(state, viewer, heads, &ids).await?;
    // Everyone listed shares this conversation with the viewer.
    let visibility = state.config.email_visibility;
    let seen = |user| visibility::as_seen(visibility, viewer, Relation::CoParticipant, user);
    let mut participants: HashMap<ConversationId, Vec<Participant>> = HashMap::new();
    for (p, u) in store::participants::with_users_for(&state.db, &ids).await? {
        participants
            .entry(ConversationId(p.conversation_id))
            .or_default()
            .push(Participant {
                id: p.id,
                user: seen(User::from(u)),
                role: Role::parse(&p.role)?,
                joined_at: p.joined_at,
            });
    }
    let creator_ids: Vec<UserId> = models.iter().map(|m| UserId(m.created_by_id)).collect();
    let creators: HashMap<i64, User> = store::users::find_many(&state.db, &creator_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, seen(User::from(u))))
        .collect();
    models
        .into_iter()
        .map(|m| {
            let created_by = creators.get(&m.created_by_id).cloned().ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("conversation {} has no creator", m.id))
            })?;
            let id = ConversationId(m.id);
            let read = read.remove(&id).unwrap_or_default();
            Ok(Conversation {
                id,
                name: m.name,
                slug: m.slug,
                created_by,
                created_at: m.created_at,
                updated_at: m.updated_at,
                participants: participants.remove(&id).unwrap_or_default(),
                unread_count: read.unread_count,
                last_message: read
                    .last_message
                    .map(|m| visibility::message_as_seen(visibility, m)),
                last_read_id: read.last_read_id,
            })
        })
        .collect()
}

/// Django's `slugify`, with a fallback for names that have no slug-able
/// characters at all.
fn base_slug(name: &str) -> String {
    let slug = slug::slugify(name);
    let slug: String = slug.chars().take(200).collect();
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "conversation".to_owned()
    } else {
        slug
    }
}

/// `base`, else `base-1`, `base-2`, ... the first not in `taken`.
fn free_slug(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|s| s == base) {
        return base.to_owned();
    }
    let used: std::collections::HashSet<u64> = taken
        .iter()
        .filter_map(|s| s.strip_prefix(base)?.strip_prefix('-')?.parse().ok())
        .collect();
    let n = (1..).find(|n| !used.contains(n)).unwrap_or(1);
    format!("{base}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_with_numeric_suffixes() {
        assert_eq!(base_slug("My Chat!"), "my-chat");
        assert_eq!(base_slug("¿¿??"), "conversation");
        let taken = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(free_slug("my-chat", &taken(&[])), "my-chat");
        assert_eq!(free_slug("my-chat", &taken(&["my-chat"])), "my-chat-1");
        assert_eq!(
            free_slug("my-chat", &taken(&["my-chat", "my-chat-1"])),
            "my-chat-2"
        );
        assert_eq!(
            free_slug("my-chat", &taken(&["my-chat", "my-chat-2"])),
            "my-chat-1"
        );
        assert_eq!(
            free_slug("my-chat", &taken(&["my-chat", "my-chat-room"])),
            "my-chat-1"
        );
    }
}
