// The one connection to the server: GraphQL over HTTP for queries and
// mutations, graphql-ws for live data, and the session's tokens (refreshed
// before they expire and once more on UNAUTHENTICATED).
import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "../gql/graphql";
import { Refresh } from "./operations";
import { loadSession, saveSession, type StoredSession } from "./session-store";

/** A GraphQL error as the server reports it (`extensions.code`). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryAfter: number | null,
  ) {
    super(message);
  }
}

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; retryAfter?: number };
}

type Listener = () => void;

/** Connection state the views show: whether the live socket is down. */
export const status = {
  online: true,
  listeners: new Set<Listener>(),
  set(online: boolean) {
    if (this.online === online) return;
    this.online = online;
    for (const l of this.listeners) l();
  },
};

let session: StoredSession | null = loadSession();
let refreshing: Promise<StoredSession | null> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let onSignedOut: Listener = () => {};
let ws: Client | null = null;

export function hasSession(): boolean {
  return session !== null;
}

export function whenSignedOut(listener: Listener): void {
  onSignedOut = listener;
}

/** Seconds until the access token's `exp` (from its payload). */
function secondsLeft(access: string): number {
  try {
    const payload = access.split(".")[1] ?? "";
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof json.exp === "number" ? json.exp - Date.now() / 1000 : 0;
  } catch {
    return 0;
  }
}

export function startSession(tokens: StoredSession): void {
  session = tokens;
  saveSession(tokens);
  scheduleRefresh();
}

export function endSession(): void {
  session = null;
  saveSession(null);
  clearTimeout(refreshTimer);
  ws?.dispose();
  ws = null;
  onSignedOut();
}

function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  if (!session) return;
  // A little before expiry, so no request goes out with a dead token.
  const wait = Math.max(1, secondsLeft(session.access) - 30) * 1000;
  refreshTimer = setTimeout(() => void refresh(), Math.min(wait, 2 ** 31 - 1));
}

/** One refresh at a time: refresh tokens are single use. */
function refresh(): Promise<StoredSession | null> {
  const current = session;
  if (!current) return Promise.resolve(null);
  refreshing ??= post(Refresh, { refresh: current.refresh }, null)
    .then((data) => {
      startSession(data.refreshToken.tokens);
      return session;
    })
    .catch((error) => {
      // A refused refresh token ends the session; a network failure does
      // not (the next request or reconnect tries again).
      if (error instanceof ApiError && error.code !== "UNAVAILABLE") endSession();
      else scheduleRefresh();
      return null;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function post<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  access: string | null,
): Promise<R> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
      ...(access ? { Authorization: `Bearer ${access}` } : {}),
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json().catch(() => null)) as
    | { data?: R | null; errors?: GraphQLErrorShape[] }
    | null;
  const error = body?.errors?.[0];
  if (error) {
    const retryAfter = error.extensions?.retryAfter;
    throw new ApiError(error.message, error.extensions?.code ?? "ERROR", retryAfter ?? null);
  }
  if (!response.ok || !body?.data) {
    throw new ApiError(`The server answered ${response.status}`, "UNAVAILABLE", null);
  }
  return body.data;
}

/** A query or mutation; signed in, it carries the token (refreshed once on a 401). */
export async function request<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
  try {
    return await post(document, variables, session?.access ?? null);
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED" && session) {
      const renewed = await refresh();
      if (renewed) return post(document, variables, renewed.access);
    }
    throw error;
  }
}

function socket(): Client {
  if (ws) return ws;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`;
  let connectedOnce = false;
  ws = createClient({
    url,
    // Computed per attempt: a reconnect after expiry brings a fresh token.
    connectionParams: async () => {
      if (session && secondsLeft(session.access) < 5) await refresh();
      return session ? { Authorization: `Bearer ${session.access}` } : {};
    },
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** retries, 10_000)));
    },
    on: {
      connected: () => {
        connectedOnce = true;
        status.set(true);
      },
      closed: () => {
        if (connectedOnce) status.set(false);
      },
    },
  });
  return ws;
}

/**
 * A subscription whose variables are read on every (re)subscribe: graphql-ws
 * sends the payload it was given again after a reconnect, and serialises it
 * then, so a getter in `variables` (e.g. `since`) is evaluated per attempt.
 */
export function subscribe<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  onData: (data: R) => void,
  onError: (error: ApiError) => void,
): () => void {
  return socket().subscribe<R>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        const error = result.errors?.[0] as GraphQLErrorShape | undefined;
        if (error) onError(new ApiError(error.message, error.extensions?.code ?? "ERROR", null));
        else if (result.data) onData(result.data);
      },
      error: () => onError(new ApiError("The live connection failed", "UNAVAILABLE", null)),
      complete: () => {},
    },
  );
}

/** Run `listener` after each reconnect (not the first connect). */
export function onReconnect(listener: Listener): () => void {
  let wasOffline = false;
  const check = () => {
    if (!status.online) wasOffline = true;
    else if (wasOffline) {
      wasOffline = false;
      listener();
    }
  };
  status.listeners.add(check);
  return () => status.listeners.delete(check);
}

if (session) scheduleRefresh();
