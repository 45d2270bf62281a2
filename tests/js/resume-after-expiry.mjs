// The reference graphql-ws client, configured as a browser app would be:
// `connectionParams` is a function that exchanges the refresh token for a
// fresh access token on every (re)connection, and the subscription's
// `since` follows the last message received, so a reconnect resumes
// exactly where the closed socket stopped.
//
// Usage: node resume-after-expiry.mjs BASE_URL CONVERSATION_ID REFRESH_TOKEN SINCE
// Prints one JSON object per line on stdout (the Rust test reads them):
// {"event":"token"} {"event":"connected"} {"event":"closed","code","reason"}
// {"event":"message","id","content"} and exits once the message "done" came.

import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [base, conversation, firstRefresh, since] = process.argv.slice(2);
if (!since) {
  console.error("usage: resume-after-expiry.mjs BASE_URL CONVERSATION_ID REFRESH_TOKEN SINCE");
  process.exit(2);
}
const say = (event) => process.stdout.write(JSON.stringify(event) + "\n");

let refresh = firstRefresh;
async function freshToken() {
  const response = await fetch(`${base}/api/v1/auth/refresh/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh }),
  });
  if (!response.ok) throw new Error(`refresh failed: ${response.status}`);
  const tokens = await response.json();
  refresh = tokens.refresh;
  say({ event: "token" });
  return tokens.access;
}

const client = createClient({
  url: base.replace(/^http/, "ws") + "/graphql/ws",
  webSocketImpl: WebSocket,
  connectionParams: async () => ({ Authorization: `Bearer ${await freshToken()}` }),
  retryAttempts: 5,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
  on: {
    connected: () => say({ event: "connected" }),
    closed: (event) => say({ event: "closed", code: event.code, reason: event.reason }),
  },
});

// The client sends this object again when it resubscribes after a
// reconnect: moving `since` along is what makes the resume exact.
const payload = {
  query: `subscription($id: ID!, $since: StreamId) {
    messageAdded(conversationId: $id, since: $since) { id content }
  }`,
  variables: { id: conversation, since },
};

const timeout = setTimeout(() => {
  console.error("no \"done\" message within 120 s");
  process.exit(1);
}, 120_000);

client.subscribe(payload, {
  next: ({ data, errors }) => {
    if (errors) {
      console.error(JSON.stringify(errors));
      process.exit(1);
    }
    const { id, content } = data.messageAdded;
    payload.variables.since = id;
    say({ event: "message", id, content });
    if (content === "done") {
      clearTimeout(timeout);
      client.dispose();
      process.exit(0);
    }
  },
  error: (error) => {
    console.error("subscription failed:", error?.code ?? "", error?.reason ?? error);
    process.exit(1);
  },
  complete: () => {
    console.error("subscription completed before \"done\"");
    process.exit(1);
  },
});
