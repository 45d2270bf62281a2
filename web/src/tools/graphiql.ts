// GraphiQL, bundled from the `graphiql` npm package so that it renders with
// no network. Opened from the client it starts with the signed-in user's
// token (same origin: the client's session in localStorage).
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import "./graphiql-page.css";
import { createClient } from "graphql-ws";
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { storedAccessToken } from "../client/session-store";

const root = document.getElementById("graphiql");
if (root) {
  const endpoint = root.dataset.endpoint ?? "/graphql";
  const wsPath = root.dataset.subscriptionEndpoint ?? "/graphql/ws";
  const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${wsPath}`;
  const token = storedAccessToken();
  const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
  const fetcher = createGraphiQLFetcher({
    url: endpoint,
    headers,
    // The token is read per connection: a refreshed one is picked up.
    wsClient: createClient({
      url: wsUrl,
      connectionParams: () => {
        const current = storedAccessToken();
        return current ? { Authorization: `Bearer ${current}` } : {};
      },
    }),
  });
  root.textContent = "";
  createRoot(root).render(
    createElement(GraphiQL, {
      fetcher,
      defaultHeaders: headers ? JSON.stringify(headers, null, 2) : undefined,
      defaultQuery: "query Me {\n  me {\n    id\n    username\n  }\n}\n",
    }),
  );
}
