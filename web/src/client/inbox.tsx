// The conversation list: the server's unread counts and last messages, kept
// live by the `inbox` subscription (and read again after a reconnect, as the
// inbox has no resume), and the form to start a conversation.
import { useEffect, useState } from "preact/hooks";
import type { ConversationFieldsFragment, UserFieldsFragment } from "../gql/graphql";
import { ApiError, onReconnect, request, subscribe } from "./connection";
import { Conversations, CreateConversation, Inbox } from "./operations";
import { PeoplePicker } from "./people";

type Conversation = ConversationFieldsFragment;

function activity(c: Conversation): string {
  return c.lastMessage?.createdAt ?? c.updatedAt;
}

function upsert(list: Conversation[], c: Conversation): Conversation[] {
  const next = [c, ...list.filter((x) => x.id !== c.id)];
  return next.sort((a, b) => Date.parse(activity(b)) - Date.parse(activity(a)));
}

export function InboxView({
  me,
  openId,
  onOpen,
}: {
  me: UserFieldsFragment;
  openId: string | null;
  onOpen: (id: string) => void;
}) {
  const [list, setList] = useState<Conversation[] | null>(null);
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    const load = () =>
      request(Conversations, {}).then((data) => {
        setList(data.conversations.results);
        performance.mark("conversation-list-rendered");
      });
    // Subscribed first, then read: a change between the two is not lost.
    const stop = subscribe(
      Inbox,
      {},
      ({ inbox }) => {
        if (inbox.__typename === "RemovedFromConversation") {
          setList((l) => (l ?? []).filter((c) => c.id !== inbox.conversationId));
        } else if (inbox.__typename) {
          setList((l) => upsert(l ?? [], inbox.conversation));
        }
      },
      () => {},
    );
    void load().catch(() => setList([]));
    const stopReconnect = onReconnect(() => void load().catch(() => {}));
    return () => {
      stop();
      stopReconnect();
    };
  }, []);

  return (
    <nav class="inbox" aria-label="Conversations">
      <div class="inbox-head">
        <h2>Conversations</h2>
        <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          New conversation
        </button>
      </div>
      {creating && (
        <NewConversation
          me={me}
          onCreated={(c) => {
            setList((l) => upsert(l ?? [], c));
            setCreating(false);
            onOpen(c.id);
          }}
        />
      )}
      {list === null ? (
        <p class="muted">Loading…</p>
      ) : list.length === 0 ? (
        <p class="muted">No conversations yet.</p>
      ) : (
        <ul class="conversations">
          {list.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                class={c.id === openId ? "conversation current" : "conversation"}
                aria-current={c.id === openId ? "true" : undefined}
                onClick={() => onOpen(c.id)}
              >
                <span class="name">{c.name}</span>
                {c.unreadCount > 0 && (
                  <span class="badge" aria-label={`${c.unreadCount} unread`}>{c.unreadCount}</span>
                )}
                <span class="last">
                  {c.lastMessage
                    ? c.lastMessage.deleted
                      ? "Message deleted"
                      : `${c.lastMessage.sender.username}: ${c.lastMessage.content}`
                    : "No messages yet"}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}

function NewConversation({
  me,
  onCreated,
}: {
  me: UserFieldsFragment;
  onCreated: (c: Conversation) => void;
}) {
  const [name, setName] = useState("");
  const [people, setPeople] = useState<UserFieldsFragment[]>([]);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const data = await request(CreateConversation, {
        input: { name, participantIds: people.map((p) => p.id) },
      });
      onCreated(data.createConversation);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not create it");
    }
  }

  return (
    <form class="new-conversation" onSubmit={submit}>
      <label>
        Name
        <input value={name} required onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <PeoplePicker
        label="Find people"
        exclude={[me.id, ...people.map((p) => p.id)]}
        onPick={(u) => setPeople([...people, u])}
      />
      {people.length > 0 && (
        <ul class="chips" aria-label="People to add">
          {people.map((p) => (
            <li key={p.id}>
              {p.username}{" "}
              <button type="button" aria-label={`Remove ${p.username}`} onClick={() => setPeople(people.filter((x) => x.id !== p.id))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit">Create</button>
    </form>
  );
}
