import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // handlers/ is the portable core: nothing Node-only may be imported there.
    files: ["handlers/**/*.ts"],
    ignores: ["handlers/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["node:*", "ioredis", "pino", "@hono/node-server", "../runtime/*"], message: "handlers/ must stay portable (Web APIs only)" }] },
      ],
    },
  },
);
