// One conversation: history loaded backwards, then every event after the
// newest id seen (`since`), so a reconnect or a reload neither misses nor
// repeats a message (messages are kept by id); sending shows the message at
// once and swaps it for the server's by id.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type {
  ConversationFieldsFragment,
  MessageFieldsFragment,
  UserFieldsFragment,
} from "../gql/graphql";
import { ApiError, request, subscribe } from "./connection";
import { compareIds, laterId } from "./ids";
import {
  AddParticipant,
  ConversationById,
  Delete,
  Edit,
  Events,
  History,
  MarkRead,
  Send,
  SetTyping,
} from "./operations";
import { PeoplePicker } from "./people";

type Message = MessageFieldsFragment;

interface Pending {
  key: number;
  content: string;
  error: string | null;
}

function sorted(messages: Map<string, Message>): Message[] {
  return [...messages.values()].sort((a, b) => compareIds(a.id, b.id));
}

export function ConversationView({
  me,
  conversationId,
  onClose,
}: {
  me: UserFieldsFragment;
  conversationId: string;
  onClose: () => void;
}) {
  const [conversation, setConversation] = useState<ConversationFieldsFragment | null>(null);
  const [messages, setMessages] = useState<Map<string, Message>>(new Map());
  const [pending, setPending] = useState<Pending[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [seenBy, setSeenBy] = useState<Map<string, { user: UserFieldsFragment; upTo: string }>>(new Map());
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  // Typing and presence are not in the event order (no id): shown as they come.
  const [typing, setTypingUsers] = useState<Map<string, UserFieldsFragment>>(new Map());
  const [online, setOnline] = useState<Set<string>>(new Set());
  const typingTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const lastEventId = useRef<string | null>(null);
  const markedUpTo = useRef<string | null>(null);
  const log = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const keepOffset = useRef<number | null>(null);
  const nextKey = useRef(0);

  const put = (list: Message[]) =>
    setMessages((current) => {
      const next = new Map(current);
      for (const m of list) next.set(m.id, m);
      return next;
    });

  useEffect(() => {
    let stop = () => {};
    let alive = true;
    (async () => {
      const [found, history] = await Promise.all([
        request(ConversationById, { id: conversationId }),
        request(History, { conversationId, before: null }),
      ]);
      if (!alive) return;
      setConversation(found.conversation ?? null);
      markedUpTo.current = found.conversation?.lastReadId ?? null;
      setOnline(new Set(found.conversation?.onlineParticipants.map((u) => u.id) ?? []));
      put(history.messages.messages);
      setHasMore(history.messages.hasMore);
      const newest = history.messages.messages.at(-1);
      // "0-0" before the first message: every event from the start.
      lastEventId.current = newest?.id ?? "0-0";
      stop = subscribe(
        Events,
        {
          conversationId,
          // Read when graphql-ws (re)subscribes: resume after the last event seen.
          get since() {
            return lastEventId.current;
          },
        },
        ({ conversationEvents: event }) => {
          if (event.__typename === "TypingChanged") {
            showTyping(event.user, event.typing);
            return;
          }
          if (event.__typename === "PresenceChanged") {
            setOnline((s) => {
              const next = new Set(s);
              if (event.online) next.add(event.user.id);
              else next.delete(event.user.id);
              return next;
            });
            return;
          }
          if (!("id" in event) || !event.id) return;
          if (lastEventId.current && compareIds(event.id, lastEventId.current) <= 0) return;
          lastEventId.current = laterId(lastEventId.current, event.id);
          switch (event.__typename) {
            case "MessageAdded":
              showTyping(event.message.sender, false);
              put([event.message]);
              break;
            case "MessageEdited":
            case "MessageDeleted":
              put([event.message]);
              break;
            case "ReadMarkerMoved":
              setSeenBy((s) => new Map(s).set(event.user.id, { user: event.user, upTo: event.upTo }));
              break;
            case "ParticipantJoined":
            case "ParticipantLeft":
              void request(ConversationById, { id: conversationId }).then((d) => setConversation(d.conversation ?? null));
              break;
          }
        },
        (error) => setFailure(error.message),
      );
    })().catch((e) => setFailure(e instanceof ApiError ? e.message : "Could not open the conversation"));
    return () => {
      alive = false;
      stop();
    };
  }, [conversationId]);

  /** Typing shows until `typing: false`, a message from them, or 8 s of silence. */
  function showTyping(user: UserFieldsFragment, on: boolean) {
    if (user.id === me.id) return;
    clearTimeout(typingTimers.current.get(user.id));
    setTypingUsers((t) => {
      const next = new Map(t);
      if (on) next.set(user.id, user);
      else next.delete(user.id);
      return next;
    });
    if (on) typingTimers.current.set(user.id, setTimeout(() => showTyping(user, false), 8000));
  }

  const list = sorted(messages);
  const newest = list.at(-1)?.id ?? null;

  // Seen: the newest message is on screen while the page is visible.
  useEffect(() => {
    const mark = () => {
      if (!newest || document.visibilityState !== "visible") return;
      if (markedUpTo.current && compareIds(newest, markedUpTo.current) <= 0) return;
      markedUpTo.current = newest;
      void request(MarkRead, { conversationId, upTo: newest }).catch(() => {});
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [newest, conversationId]);

  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    if (keepOffset.current !== null) {
      el.scrollTop = el.scrollHeight - keepOffset.current;
      keepOffset.current = null;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [messages, pending]);

  async function loadOlder() {
    const oldest = list[0]?.id;
    if (!oldest || !hasMore) return;
    const el = log.current;
    keepOffset.current = el ? el.scrollHeight - el.scrollTop : null;
    const page = await request(History, { conversationId, before: oldest });
    setHasMore(page.messages.hasMore);
    put(page.messages.messages);
  }

  async function send(content: string, key = nextKey.current++) {
    setPending((p) => [...p.filter((x) => x.key !== key), { key, content, error: null }]);
    stickToBottom.current = true;
    try {
      const data = await request(Send, { conversationId, content });
      put([data.sendMessage]);
      setPending((p) => p.filter((x) => x.key !== key));
    } catch (e) {
      const error =
        e instanceof ApiError && e.code === "THROTTLED"
          ? `Too many messages: wait ${e.retryAfter ?? 1} s, then retry.`
          : e instanceof ApiError
            ? e.message
            : "Not sent.";
      setPending((p) => p.map((x) => (x.key === key ? { ...x, error } : x)));
    }
  }

  // Each other reader is shown under the newest message they have read.
  const readers = new Map<string, string[]>();
  for (const { user, upTo } of seenBy.values()) {
    if (user.id === me.id) continue;
    const at = list.findLast((m) => compareIds(m.id, upTo) <= 0);
    if (at) readers.set(at.id, [...(readers.get(at.id) ?? []), user.username]);
  }
  return (
    <main class="conversation-view" aria-labelledby="conversation-title">
      <div class="conversation-head">
        <button type="button" class="back" onClick={onClose}>Back</button>
        <h2 id="conversation-title">{conversation?.name ?? "…"}</h2>
        <span class="muted">
          {conversation?.participants
            .map((p) => (online.has(p.user.id) ? `${p.user.username} (online)` : p.user.username))
            .join(", ")}
        </span>
        <button type="button" aria-expanded={adding} onClick={() => setAdding(!adding)}>Add people</button>
      </div>
      {adding && conversation && (
        <PeoplePicker
          label="Add someone"
          exclude={conversation.participants.map((p) => p.user.id)}
          onPick={(u) =>
            void request(AddParticipant, { conversationId, userId: u.id })
              .then((d) => setConversation(d.addParticipant))
              .catch((e) => setFailure(e instanceof ApiError ? e.message : "Could not add"))
          }
        />
      )}
      {failure && <p class="error" role="alert">{failure}</p>}
      <div
        class="messages"
        ref={log}
        role="log"
        aria-label="Messages"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget as HTMLElement;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          if (el.scrollTop < 40 && hasMore && keepOffset.current === null) void loadOlder();
        }}
      >
        <ol>
        {hasMore && (
          <li class="older">
            <button type="button" onClick={() => void loadOlder()}>Load older messages</button>
          </li>
        )}
        {list.map((m) => (
          <MessageItem
            key={m.id}
            message={m}
            mine={m.sender.id === me.id}
            editing={editing === m.id}
            seenBy={readers.get(m.id) ?? []}
            onEdit={() => setEditing(m.id)}
            onCancel={() => setEditing(null)}
            onSave={(content) =>
              void request(Edit, { conversationId, messageId: m.id, content })
                .then((d) => {
                  put([d.editMessage]);
                  setEditing(null);
                })
                .catch((e) => setFailure(e instanceof ApiError ? e.message : "Not edited"))
            }
            onDelete={() =>
              void request(Delete, { conversationId, messageId: m.id })
                .then((d) => put([d.deleteMessage]))
                .catch((e) => setFailure(e instanceof ApiError ? e.message : "Not deleted"))
            }
          />
        ))}
        {pending.map((p) => (
          <li key={`pending-${p.key}`} class="message mine pending">
            <span class="content">{p.content}</span>
            {p.error ? (
              <span class="send-error" role="alert">
                {p.error}{" "}
                <button type="button" onClick={() => void send(p.content, p.key)}>Retry</button>
              </span>
            ) : (
              <span class="muted"> Sending…</span>
            )}
          </li>
        ))}
        </ol>
      </div>
      <p class="typing muted" aria-live="polite">
        {typing.size > 0 &&
          `${[...typing.values()].map((u) => u.username).join(", ")} ${typing.size === 1 ? "is" : "are"} typing…`}
      </p>
      <Composer
        onSend={(text) => void send(text)}
        onTyping={(on) => void request(SetTyping, { conversationId, typing: on }).catch(() => {})}
      />
    </main>
  );
}

function MessageItem({
  message,
  mine,
  editing,
  seenBy,
  onEdit,
  onCancel,
  onSave,
  onDelete,
}: {
  message: Message;
  mine: boolean;
  editing: boolean;
  seenBy: string[];
  onEdit: () => void;
  onCancel: () => void;
  onSave: (content: string) => void;
  onDelete: () => void;
}) {
  const time = new Date(message.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return (
    <li class={mine ? "message mine" : "message"} data-id={message.id}>
      <span class="meta">
        <strong>{message.sender.username}</strong> <time dateTime={message.createdAt}>{time}</time>
        {message.editedAt && !message.deleted && <span class="muted"> (edited)</span>}
      </span>
      {editing ? (
        <form
          class="edit"
          onSubmit={(e) => {
            e.preventDefault();
            const input = (e.currentTarget as HTMLFormElement).elements.namedItem("content") as HTMLInputElement;
            onSave(input.value);
          }}
        >
          <input
            name="content"
            aria-label="Edit message"
            defaultValue={message.content}
            ref={(el) => el?.focus()}
            onKeyDown={(e) => e.key === "Escape" && onCancel()}
          />
          <button type="submit">Save</button>
          <button type="button" onClick={onCancel}>Cancel</button>
        </form>
      ) : message.deleted ? (
        <span class="content deleted">Message deleted</span>
      ) : (
        <span class="content">{message.content}</span>
      )}
      {mine && !message.deleted && !editing && (
        <span class="actions">
          <button type="button" onClick={onEdit} aria-label={`Edit: ${message.content}`}>Edit</button>
          <button type="button" onClick={onDelete} aria-label={`Delete: ${message.content}`}>Delete</button>
        </span>
      )}
      {seenBy.length > 0 && <span class="seen muted">Seen by {seenBy.join(", ")}</span>}
    </li>
  );
}

function Composer({ onSend, onTyping }: { onSend: (text: string) => void; onTyping: (on: boolean) => void }) {
  const [text, setText] = useState("");
  // At most one "typing" every 3 s while keys are pressed; "stopped" once.
  const lastTyping = useRef(0);
  const typed = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value.trim() && now - lastTyping.current > 3000) {
      lastTyping.current = now;
      onTyping(true);
    } else if (!value.trim() && lastTyping.current) {
      lastTyping.current = 0;
      onTyping(false);
    }
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (!text.trim()) return;
        onSend(text);
        setText("");
        lastTyping.current = 0;
      }}
    >
      <label class="visually-hidden" for="composer-input">Message</label>
      <input
        id="composer-input"
        value={text}
        autocomplete="off"
        placeholder="Write a message"
        maxLength={2000}
        onInput={(e) => typed((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit">Send</button>
    </form>
  );
}
