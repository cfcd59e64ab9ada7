/**
 * Reads the stack's configuration (namespace `realtime-svg:`) into RealtimeSvgArgs.
 *
 * Pulumi itself accepts any key, so a misspelled one (`replica`, `ingress.hots`) would be ignored
 * and the default deployed. This reads the whole bag instead and refuses every key, at any depth,
 * that is not a knob, naming it. Values are checked for their type here and for their meaning by
 * the component (problemsOf); all problems are reported together, before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { problemsOf, RealtimeSvgConfigError, type RealtimeSvgArgs } from "./realtime-svg";

/**
 * How a knob's value is read. `secret` is a string read with getSecret; `stringMap`, `list`,
 * `objectList`, `object` and `resources` are single knobs whose entries are the user's (one leaf,
 * as in test/deploy/support/knobs.ts), passed on as given.
 */
type Leaf = "string" | "secret" | "integer" | "boolean" | "stringMap" | "stringList" | "objectList" | "object" | "resources";
interface Group {
  [key: string]: Leaf | Group;
}

/** Every config key, by its path (`pulumi config set --path ingress.tls.enabled true`). */
export const CONFIG_SCHEMA: Group = {
  instance: "string",
  namespace: "string",
  commonLabels: "stringMap",
  replicas: "integer",
  image: { repository: "string", tag: "string", pullPolicy: "string" },
  imagePullSecrets: "stringList",
  resources: "resources",
  logLevel: "string",
  settings: "stringMap",
  extraEnv: "objectList",
  terminationGracePeriodSeconds: "integer",
  apiKey: "secret",
  metricsToken: "secret",
  secretsKey: "secret",
  podAnnotations: "stringMap",
  podLabels: "stringMap",
  nodeSelector: "stringMap",
  tolerations: "objectList",
  affinity: "object",
  topologySpreadConstraints: "objectList",
  service: { type: "string", port: "integer", nodePort: "integer" },
  ingress: {
    enabled: "boolean",
    host: "string",
    className: "string",
    path: "string",
    pathType: "string",
    annotations: "stringMap",
    tls: { enabled: "boolean", secretName: "string" },
    readTimeoutSeconds: "integer",
  },
  redis: {
    enabled: "boolean",
    url: "secret",
    host: "string",
    port: "integer",
    password: "secret",
    sentinel: { addresses: "stringList", master: "string", password: "secret" },
    cluster: { nodes: "stringList" },
    tls: { enabled: "boolean", caCert: "string" },
    image: "string",
    maxMemory: "string",
    resources: "resources",
    persistence: { enabled: "boolean", size: "string", storageClass: "string" },
  },
  autoscaling: { enabled: "boolean", minReplicas: "integer", maxReplicas: "integer", targetCPUUtilizationPercentage: "integer" },
  networkPolicy: { enabled: "boolean", ingressNamespaceLabels: "stringMap", ingressPodLabels: "stringMap" },
  knative: { enabled: "boolean", timeoutSeconds: "integer", minScale: "integer", maxScale: "integer", target: "integer" },
};

/** Every config key path, sorted (the test holds it equal to knobPaths("pulumi")). */
export function configKeys(group: Group = CONFIG_SCHEMA, prefix = ""): string[] {
  return Object.entries(group)
    .flatMap(([key, kind]) => (typeof kind === "string" ? [`${prefix}${key}`] : configKeys(kind, `${prefix}${key}.`)))
    .sort();
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Levenshtein distance, for "did you mean" on a misspelled key. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function unknownKey(path: string, known: string[]): string {
  const key = path.split(".").pop()!;
  const closest = known.map((candidate) => ({ candidate, d: distance(key, candidate) })).sort((a, b) => a.d - b.d)[0];
  const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".") + 1) : "";
  const hint = closest && closest.d <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${parent}${closest.candidate}"?)` : "";
  return `unknown config key "${path}"${hint}; the keys are listed in deploy/pulumi/README.md`;
}

/**
 * Reads one value. Pulumi stores `pulumi config set --path x.y 5` as the number 5 and `true` as a
 * boolean, while top-level values always arrive as strings: so a string knob also takes a number
 * or boolean (as its text: an image tag 2024, a label "true"), and a number or boolean knob also
 * takes its text.
 */
function readLeaf(kind: Leaf, value: unknown, path: string, problems: string[]): unknown {
  const wrong = (expected: string) => {
    problems.push(`${path} must be ${expected} (got ${JSON.stringify(value)})`);
    return undefined;
  };
  const text = (item: unknown) => (typeof item === "string" ? item : typeof item === "number" || typeof item === "boolean" ? String(item) : undefined);
  switch (kind) {
    case "string":
      return text(value) ?? wrong("a string");
    case "secret":
      return typeof value === "string" ? value : wrong("a string (set it with `pulumi config set --secret`)");
    case "integer": {
      const number = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      return typeof number === "number" && Number.isInteger(number) ? number : wrong("a whole number");
    }
    case "boolean":
      if (typeof value === "boolean") return value;
      return value === "true" ? true : value === "false" ? false : wrong("true or false");
    case "stringMap": {
      if (!isPlainObject(value)) return wrong("a map of names to strings");
      const map: Record<string, string> = {};
      for (const [key, item] of Object.entries(value)) {
        const itemText = text(item);
        if (itemText === undefined) problems.push(`${path}["${key}"] must be a string (got ${JSON.stringify(item)})`);
        else map[key] = itemText;
      }
      return map;
    }
    case "stringList":
      return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : wrong("a list of strings");
    case "objectList":
      return Array.isArray(value) && value.every(isPlainObject) ? value : wrong("a list of objects");
    case "object":
      return isPlainObject(value) ? value : wrong("an object");
    case "resources": {
      if (!isPlainObject(value)) return wrong("an object with requests and/or limits");
      // Quantities as the API stores them: strings ("1", not 1).
      return Object.fromEntries(
        Object.entries(value).map(([section, quantities]) => [
          section,
          isPlainObject(quantities) ? Object.fromEntries(Object.entries(quantities).map(([key, quantity]) => [key, text(quantity) ?? quantity])) : quantities,
        ]),
      );
    }
  }
}

function readGroup(group: Group, value: unknown, path: string, problems: string[]): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    problems.push(`${path} must be an object of ${Object.keys(group).join(", ")} (set its keys with --path, e.g. \`pulumi config set --path ${path}.${Object.keys(group)[0]} …\`)`);
    return undefined;
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const kind = group[key];
    const itemPath = `${path}.${key}`;
    if (kind === undefined) problems.push(unknownKey(itemPath, Object.keys(group)));
    else if (typeof kind === "string") result[key] = readLeaf(kind, item, itemPath, problems);
    else result[key] = readGroup(kind, item, itemPath, problems);
  }
  return result;
}

/** A top-level value as the engine passes it: a string, JSON for anything structured. */
function parseTopLevel(kind: Leaf | Group, raw: string, key: string, problems: string[]): unknown {
  if (kind === "string" || kind === "secret" || kind === "integer" || kind === "boolean") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    problems.push(`${key} must be ${typeof kind === "string" ? `a ${kind === "stringList" || kind === "objectList" ? "list" : "map"}` : "an object"} in the stack file, not the text ${JSON.stringify(raw)}`);
    return undefined;
  }
}

/**
 * The stack's configuration as component arguments, secrets as secret Outputs. Throws
 * RealtimeSvgConfigError listing every problem.
 */
export function readConfig(): RealtimeSvgArgs {
  const project = pulumi.getProject();
  const config = new pulumi.Config(project);
  const all = pulumi.runtime.allConfig();
  const problems: string[] = [];
  const plain: Record<string, unknown> = {};

  for (const [fullKey, raw] of Object.entries(all)) {
    if (!fullKey.startsWith(`${project}:`)) continue;
    const key = fullKey.slice(project.length + 1);
    const kind = CONFIG_SCHEMA[key];
    if (kind === undefined) {
      problems.push(unknownKey(key, Object.keys(CONFIG_SCHEMA)));
      continue;
    }
    const value = parseTopLevel(kind, raw, key, problems);
    if (value === undefined) continue;
    plain[key] = typeof kind === "string" ? readLeaf(kind, value, key, problems) : readGroup(kind, value, key, problems);
  }

  // A secret typed without --secret sits in plain text in the stack file (which is committed).
  // The SDK knows which keys the CLI passed as secrets; the function is internal, hence the guard.
  const isSecret = (runtimeConfig as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  if (isSecret) {
    const secretPaths: Array<[string, unknown]> = [
      ["apiKey", plain["apiKey"]],
      ["metricsToken", plain["metricsToken"]],
      ["secretsKey", plain["secretsKey"]],
      ["redis.url", (plain["redis"] as Record<string, unknown> | undefined)?.["url"]],
      ["redis.password", (plain["redis"] as Record<string, unknown> | undefined)?.["password"]],
      ["redis.sentinel.password", ((plain["redis"] as Record<string, unknown> | undefined)?.["sentinel"] as Record<string, unknown> | undefined)?.["password"]],
    ];
    for (const [path, value] of secretPaths) {
      if (value !== undefined && !isSecret(`${project}:${path.split(".")[0]}`)) {
        problems.push(`${path} is stored in plain text: set it with \`pulumi config set --secret ${path.includes(".") ? "--path " : ""}${path} …\``);
      }
    }
  }

  // With client-side apply the provider labels every object app.kubernetes.io/managed-by: pulumi,
  // a label the other tools do not set (server-side apply, the provider's default, adds nothing).
  const serverSideApply = all["kubernetes:enableServerSideApply"] ?? process.env["PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY"];
  if (serverSideApply === "false") {
    problems.push("kubernetes:enableServerSideApply is false: the provider would then add an app.kubernetes.io/managed-by label the other tools do not set; leave it unset");
  }

  // The plain values go through the component's checks here, secrets included (their content
  // cannot be checked once they are secret Outputs).
  if (problems.length === 0) problems.push(...problemsOf(plain as RealtimeSvgArgs));
  if (problems.length > 0) throw new RealtimeSvgConfigError(problems);

  const args = plain as RealtimeSvgArgs;
  if (args.apiKey !== undefined) args.apiKey = config.requireSecret("apiKey");
  if (args.metricsToken !== undefined) args.metricsToken = config.requireSecret("metricsToken");
  if (args.secretsKey !== undefined) args.secretsKey = config.requireSecret("secretsKey");
  if (args.redis?.url !== undefined || args.redis?.password !== undefined || args.redis?.sentinel?.password !== undefined) {
    // Nested secrets: `pulumi config set --secret --path redis.password …` makes the whole
    // `redis` object a secret value; only the three secret fields stay secret Outputs.
    const redis = config.requireSecretObject<{ url?: string; password?: string; sentinel?: { password?: string } }>("redis");
    if (args.redis.url !== undefined) args.redis.url = redis.apply((value) => value.url!);
    if (args.redis.password !== undefined) args.redis.password = redis.apply((value) => value.password!);
    if (args.redis.sentinel?.password !== undefined) args.redis.sentinel.password = redis.apply((value) => value.sentinel!.password!);
  }
  return args;
}
