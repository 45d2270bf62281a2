// The REST reference: Scalar's self-contained browser build from the npm
// package, emitted as a hashed asset. Scalar's default fonts, its hosted
// request proxy and its cloud features come from other origins: all off.
import scalarUrl from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js?url";

declare global {
  interface Window {
    Scalar?: { createApiReference: (selector: string, config: object) => unknown };
  }
}

const root = document.getElementById("app");
const script = document.createElement("script");
script.src = scalarUrl;
script.addEventListener("load", () => {
  window.Scalar?.createApiReference("#app", {
    url: root?.dataset.url ?? "/api/v1/openapi.json",
    withDefaultFonts: false,
    hideClientButton: true,
    showDeveloperTools: "never",
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
  });
});
document.head.append(script);
