// The shell: signed out, the auth forms; signed in, the conversation list
// beside (or, narrow, instead of) the open conversation.
import { useEffect, useState } from "preact/hooks";
import type { UserFieldsFragment } from "../gql/graphql";
import { AuthView } from "./auth";
import { ApiError, endSession, hasSession, request, status, whenSignedOut } from "./connection";
import { ConversationView } from "./conversation";
import { InboxView } from "./inbox";
import { Me } from "./operations";

export function App() {
  const [me, setMe] = useState<UserFieldsFragment | null>(null);
  const [checking, setChecking] = useState(hasSession());
  const [openId, setOpenId] = useState<string | null>(null);
  const [online, setOnline] = useState(status.online);
  const [unreachable, setUnreachable] = useState(false);

  useEffect(() => {
    whenSignedOut(() => {
      setMe(null);
      setOpenId(null);
    });
    const listener = () => setOnline(status.online);
    status.listeners.add(listener);
    if (hasSession()) {
      request(Me, {})
        .then((data) => setMe(data.me))
        .catch((error) => {
          // Only a refused session ends it; an unreachable server does not.
          if (error instanceof ApiError && error.code === "UNAUTHENTICATED") endSession();
          else setUnreachable(true);
        })
        .finally(() => setChecking(false));
    }
    return () => status.listeners.delete(listener);
  }, []);

  if (checking) return <p class="loading">Loading…</p>;
  if (unreachable) {
    return (
      <main class="auth">
        <p role="alert">The server cannot be reached.</p>
        <button type="button" onClick={() => location.reload()}>Try again</button>
      </main>
    );
  }
  if (!me) return <AuthView onSignedIn={setMe} />;
  return (
    <div class={openId ? "shell has-open" : "shell"}>
      <header class="top">
        <h1>chatstream</h1>
        <span class="who">Signed in as <strong>{me.username}</strong></span>
        <nav aria-label="Tools">
          <a href="/graphql" target="_blank" rel="noopener">GraphiQL</a>
          <a href="/api/v1/docs" target="_blank" rel="noopener">API docs</a>
        </nav>
        <button type="button" onClick={() => endSession()}>Log out</button>
      </header>
      {!online && (
        <div class="banner" role="status">Connection lost: reconnecting…</div>
      )}
      <InboxView me={me} openId={openId} onOpen={setOpenId} />
      {openId ? (
        <ConversationView key={openId} me={me} conversationId={openId} onClose={() => setOpenId(null)} />
      ) : (
        <main class="empty"><p>Pick a conversation, or start one.</p></main>
      )}
    </div>
  );
}
