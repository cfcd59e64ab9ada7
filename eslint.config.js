import { builtinModules } from "node:module";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// ---------------------------------------------------------------------------
// Portability guard for handlers/ (the Fetch-API core that must run on Node and in workerd).
//
// A typecheck cannot be the guard: handlers/ is compiled with `types: ["node"]`, and liquidjs's
// declarations pull in Node's types anyway, so `Buffer`, `process` and `import "fs"` all typecheck.
// test/portability-lint.test.ts plants each violation below and proves this config rejects it.
// ---------------------------------------------------------------------------

const PORTABLE = "handlers/ must stay portable (web-standard APIs only; it also runs in workerd).";

/** Every Node built-in, bare and `node:`-prefixed, subpaths included (`fs/promises`, `stream/web`, …). */
const nodeBuiltins = [...new Set(builtinModules.filter((m) => !m.startsWith("node:")))].sort();

/** Packages that only work on Node (sockets, fs, worker threads…); subpaths are covered too. */
const nodeOnlyPackages = ["ioredis", "pino", "@hono/node-server", "prom-client", "testcontainers"];

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Source matches a Node built-in: any `node:` specifier (also node:-only ones such as node:test), or a bare built-in name. */
const builtinSource = `^(?:node:.*|(?:${nodeBuiltins.map(escapeRegex).join("|")}))$`;
/** Source matches a Node-only package or one of its subpaths. */
const nodeOnlySource = `^(?:${nodeOnlyPackages.map(escapeRegex).join("|")})(?:/.*)?$`;
/**
 * Relative source that reaches a `runtime` or `test` directory, however deep the importing file is
 * (`../runtime/x.js`, `../../runtime/stores/memory.js`, `./../http/../../test/support/x.js`).
 * Deliberately strict: any relative path with a `runtime`/`test` segment is refused, so do not name
 * a folder inside handlers/ `runtime` or `test`.
 */
const layerSource = `^\\.\\.?/(?:.*/)?(?:runtime|test)(?:/.*)?$`;

/**
 * esquery (used by no-restricted-syntax) cannot take a `/` inside a /regex/ literal, so slashes are
 * written as \x2F. Applied to the `value` of string literals in dynamic `import()` / `import("x").T`.
 */
const selectorRegex = (source) => `/${source.replaceAll("/", "\\x2F")}/`;
const forbiddenDynamicSource = selectorRegex(`(?:${builtinSource})|(?:${nodeOnlySource})|(?:${layerSource})`);

const nodeGlobals = [
  { name: "Buffer", message: "Use Uint8Array, TextEncoder/TextDecoder, btoa/atob instead. " + PORTABLE },
  { name: "process", message: "Take configuration through AppOptions (runtime/ reads process.env). " + PORTABLE },
  { name: "require", message: "Use a static `import` (or `import()`). " + PORTABLE },
  { name: "module", message: "CommonJS is Node-only; use ES module `export`. " + PORTABLE },
  { name: "exports", message: "CommonJS is Node-only; use ES module `export`. " + PORTABLE },
  { name: "__dirname", message: "There is no file system path in workerd; get assets through the context/ports. " + PORTABLE },
  { name: "__filename", message: "There is no file system path in workerd; get assets through the context/ports. " + PORTABLE },
  { name: "global", message: "Use globalThis. " + PORTABLE },
  { name: "setImmediate", message: "Use setTimeout(fn, 0) or queueMicrotask(fn). " + PORTABLE },
  { name: "clearImmediate", message: "Use clearTimeout with a setTimeout handle. " + PORTABLE },
];

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
    // handlers/ is the portable core: nothing Node-only may be imported or referenced there.
    files: ["handlers/**/*.ts"],
    ignores: ["handlers/**/*.test.ts"],
    languageOptions: {
      // Undo the `process` global granted to every file above (console stays allowed everywhere).
      globals: { process: "off" },
    },
    rules: {
      // The typescript-eslint variant also sees `import x = require("fs")` and `export … from`.
      "no-restricted-imports": "off",
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: nodeBuiltins.map((name) => ({ name, message: `'${name}' is a Node built-in. ${PORTABLE}` })),
          patterns: [
            { regex: "^node:", message: `Node built-ins are not available. ${PORTABLE}` },
            { regex: nodeOnlySource, message: `This package is Node-only; put it behind a port in runtime/. ${PORTABLE}` },
            { regex: layerSource, message: `handlers/ must not import from runtime/ or test/; depend on a port in handlers/ports instead. ${PORTABLE}` },
          ],
        },
      ],
      "no-restricted-globals": ["error", { globals: nodeGlobals, checkGlobalObject: true }],
      "no-restricted-syntax": [
        "error",
        {
          selector: `ImportExpression[source.type='Literal'][source.value=${forbiddenDynamicSource}]`,
          message: `Dynamic import of a Node built-in, a Node-only package, runtime/ or test/. ${PORTABLE}`,
        },
        {
          selector: `ImportExpression > TemplateLiteral.source[expressions.length=0] > TemplateElement[value.cooked=${forbiddenDynamicSource}]`,
          message: `Dynamic import of a Node built-in, a Node-only package, runtime/ or test/. ${PORTABLE}`,
        },
        {
          selector: `TSImportType[argument.literal.value=${forbiddenDynamicSource}]`,
          message: `Type import of a Node built-in, a Node-only package, runtime/ or test/. ${PORTABLE}`,
        },
        {
          selector: "MemberExpression[object.type='MetaProperty'][object.meta.name='import'][property.name=/^(?:dirname|filename)$/]",
          message: `import.meta.dirname/filename are Node-only. ${PORTABLE}`,
        },
      ],
    },
  },
  {
    // ui/src/ is browser code (bundled by ui/build.ts): no Node built-in, no Node global.
    files: ["ui/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { process: "off" } },
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: nodeBuiltins.map((name) => ({ name, message: `'${name}' is a Node built-in; ui/src runs in the browser.` })),
          patterns: [{ regex: "^node:", message: "ui/src runs in the browser." }],
        },
      ],
      "no-restricted-globals": ["error", { globals: nodeGlobals, checkGlobalObject: true }],
    },
  },
);
