// Where the session (tokens) lives between page loads: localStorage, shared
// with GraphiQL on the same origin.
export interface StoredSession {
  access: string;
  refresh: string;
}

const KEY = "chatstream.session";

export function loadSession(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (
      typeof parsed === "object" && parsed !== null &&
      typeof (parsed as StoredSession).access === "string" &&
      typeof (parsed as StoredSession).refresh === "string"
    ) {
      return parsed as StoredSession;
    }
  } catch {
    // A corrupt entry is the same as none.
  }
  return null;
}

export function saveSession(session: StoredSession | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

export function storedAccessToken(): string | null {
  return loadSession()?.access ?? null;
}
