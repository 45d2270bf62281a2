import type { CodegenConfig } from "@graphql-codegen/cli";

// Every API type of the client comes from here: the server's schema (the
// committed `schema.graphql`, which a Rust test keeps equal to the code) and
// the operations written in `src/`.
const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/client/**/*.ts", "src/client/**/*.tsx"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      // Operations as strings: the client bundles no GraphQL parser or printer.
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { StreamId: "string", DateTime: "string" },
      },
    },
  },
};

export default config;
