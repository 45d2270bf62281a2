import { resolve } from "node:path";
import { defineConfig } from "vite";

// Three pages, each its own entry: the client (Preact), GraphiQL (React)
// and the REST reference (Scalar). Output names carry content hashes; the
// server caches those for a year and never caches the HTML.
export default defineConfig({
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact", legalComments: "none" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    // Scalar's build is one large file; inlining nothing keeps CSP simple.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 6000,
    reportCompressedSize: false,
    rollupOptions: {
      // GraphiQL's dependencies mark themselves "use client" (React Server
      // Components); meaningless in a browser bundle.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        graphiql: resolve(import.meta.dirname, "graphiql.html"),
        docs: resolve(import.meta.dirname, "docs.html"),
      },
    },
  },
});
