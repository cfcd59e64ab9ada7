/**
 * Runs the Pulumi program (deploy/pulumi) without the Pulumi CLI or a cluster, under Pulumi's
 * mocks (`pulumi.runtime.setMocks`): every resource the program registers is recorded with its
 * inputs, which for a Kubernetes resource are the object the provider applies (apiVersion, kind,
 * metadata, …). The configuration is what the CLI would pass: the stack file's `config:` section
 * (deploy/pulumi/stacks/Pulumi.NAME.yaml), plus the configuration's secrets as secret config
 * values, at their Pulumi paths (SECRET_INPUTS).
 *
 * Isolation: the Pulumi runtime keeps its state (settings, mocks, config) in a store that is
 * module-level by default, so two programs in one process would mix. Each run gets a fresh store
 * of its own through the AsyncLocalStorage the SDK uses for its Automation API inline programs
 * (`withLocalStorage`), so runs are independent and may overlap; should a future SDK drop that
 * function, runs fall back to one at a time on the shared store, each starting with setMocks.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import type { KubeObject } from "./kustomize.js";
import { SECRET_INPUTS, type Configuration, type SecretKnob } from "./matrix.js";
import { deployDir } from "./tools.js";
import { readYaml } from "./yaml.js";

export const pulumiDir = join(deployDir, "pulumi");
export const stacksDir = join(pulumiDir, "stacks");

const require = createRequire(import.meta.url);

/** What deploy/pulumi/program.ts exports (loaded at run time: see loadProgram). */
export interface PulumiProgram {
  main(): { name: string; namespace: string; objects: string[]; url: string; redisKeepsData: string };
  configKeys(): string[];
  ALLOWED_SETTINGS: readonly string[];
  SETTINGS_WITH_OWN_KNOB: Readonly<Record<string, string>>;
  SERVER_DEFAULTS: Readonly<Record<string, number>>;
}

let program: Promise<PulumiProgram> | undefined;
/**
 * The program's module. Imported by a computed path so the root type-check does not compile
 * deploy/pulumi with the server's settings: the program is a CommonJS package of its own, checked
 * with its own tsconfig.json (pulumi.test.ts does that).
 */
export function loadProgram(): Promise<PulumiProgram> {
  program ??= import(pathToFileURL(join(pulumiDir, "program.ts")).href) as Promise<PulumiProgram>;
  return program;
}

/** The project's name (Pulumi.yaml), which is also its config namespace. */
export async function pulumiProject(): Promise<{ name: string; stackConfigDir?: string }> {
  const project = (await readYaml(join(pulumiDir, "Pulumi.yaml"))) as { name: string; stackConfigDir?: string };
  return project;
}

/** The `config:` section of a stack file, keys namespaced as in the file (`realtime-svg:replicas`). */
export async function stackConfig(stack: string): Promise<Record<string, unknown>> {
  const file = (await readYaml(join(stacksDir, `Pulumi.${stack}.yaml`))) as { config?: Record<string, unknown> } | null;
  return file?.config ?? {};
}

export interface PulumiRun {
  /** The Kubernetes objects, in registration order, secrets unwrapped. */
  objects: KubeObject[];
  /** Where a secret sat, as "apiVersion/kind/name: path" (Pulumi marks the enclosing property). */
  secretPaths: string[];
  /** Every resource type registered, the component and the Kubernetes objects. */
  types: string[];
  /** The component's outputs (what index.ts exports). */
  outputs: ReturnType<PulumiProgram["main"]>;
}

// Pulumi's wire markers (sdk/nodejs/runtime/rpc.ts): a secret, an unknown (computed) value, and a
// resource reference.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function unwrap(value: unknown, path: string, secrets: string[]): unknown {
  if (value === UNKNOWN) throw new Error(`unknown (computed) value at ${path}: the program must not depend on other resources' outputs`);
  if (Array.isArray(value)) return value.map((item, i) => unwrap(item, `${path}[${i}]`, secrets));
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (SIG_KEY in record) {
      if (record[SIG_KEY] !== SECRET_SIG) throw new Error(`unexpected Pulumi value at ${path}: ${JSON.stringify(record)}`);
      secrets.push(path);
      return unwrap(record["value"], path, secrets);
    }
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, unwrap(item, path ? `${path}.${key}` : key, secrets)]));
  }
  return value;
}

type StateModule = { withLocalStorage?: <T>(callback: () => Promise<T>) => Promise<T> };
const withLocalStorage = (() => {
  try {
    return (require("@pulumi/pulumi/runtime/state") as StateModule).withLocalStorage;
  } catch {
    return undefined;
  }
})();
let queue: Promise<unknown> = Promise.resolve();
function isolated<T>(run: () => Promise<T>): Promise<T> {
  if (withLocalStorage) return withLocalStorage(run);
  const result = queue.then(run);
  queue = result.catch(() => {});
  return result;
}

/** A config value as the CLI hands it to the program: text, JSON for anything structured. */
const engineValue = (value: unknown) => (typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value));

/**
 * Runs the program once. `config` is a stack file's `config:` section (keys `project:key`);
 * `secrets` are secret config values by Pulumi path (`apiKey`, `redis.password`), set as
 * `pulumi config set --secret [--path]` would. Rejects with the program's error if it refuses the
 * configuration.
 */
export async function runPulumiProgram(options: { stack?: string; config?: Record<string, unknown>; secrets?: Record<string, string> } = {}): Promise<PulumiRun> {
  const { name: project } = await pulumiProject();
  const config: Record<string, string> = {};
  const structured: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[key] = engineValue(value);
    structured[key] = value;
  }
  const secretKeys = new Set<string>();
  for (const [path, value] of Object.entries(options.secrets ?? {})) {
    const [top, ...rest] = path.split(".");
    const key = `${project}:${top}`;
    if (rest.length === 0) {
      config[key] = value;
    } else {
      // A nested secret makes the whole top-level value a secret one, as in the CLI.
      const object = structuredClone((structured[key] ?? {}) as Record<string, unknown>);
      let node = object;
      for (const part of rest.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
      node[rest.at(-1)!] = value;
      structured[key] = object;
      config[key] = JSON.stringify(object);
    }
    secretKeys.add(key);
  }
  const loaded = await loadProgram();

  return isolated(async () => {
    const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      project,
      options.stack ?? "test",
      false,
    );
    pulumi.runtime.setAllConfig(config, [...secretKeys]);
    try {
      const outputs = loaded.main();
      // Every registration (they are asynchronous) has reached the mocks once this resolves.
      await pulumi.runtime.disconnect();
      const secretPaths: string[] = [];
      const objects = registered
        .filter((resource) => resource.type.startsWith("kubernetes:"))
        .map((resource) => {
          const paths: string[] = [];
          const object = unwrap(resource.inputs, "", paths) as KubeObject;
          secretPaths.push(...paths.map((path) => `${object.apiVersion}/${object.kind}/${object.metadata.name}: ${path}`));
          return object;
        });
      const { name, namespace, url, redisKeepsData } = outputs;
      return { objects, secretPaths, types: registered.map((resource) => resource.type), outputs: { name, namespace, url, redisKeepsData, objects: [...outputs.objects] } };
    } catch (error) {
      await pulumi.runtime.disconnect().catch(() => {});
      // How many resources were registered before the program gave up (a refused configuration
      // must register none).
      throw Object.assign(error as Error, { registered: registered.length });
    }
  });
}

/** The Pulumi path of each secret input of a configuration. */
export function secretConfig(secrets: Configuration["secrets"]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secrets).map(([knob, value]) => {
      const input = SECRET_INPUTS[knob as SecretKnob];
      if (!input) throw new Error(`unknown secret input ${knob} (SECRET_INPUTS has ${Object.keys(SECRET_INPUTS).join(", ")})`);
      return [input.pulumi, value as string];
    }),
  );
}

/**
 * The objects the program creates for one configuration of the matrix: its stack file
 * (stacks/Pulumi.NAME.yaml) and its secrets, as `pulumi up` on stack NAME would apply them.
 */
export async function renderPulumi(configuration: Configuration): Promise<KubeObject[]> {
  const { name: project } = await pulumiProject();
  const config = await stackConfig(configuration.name);
  // The matrix names the instance and namespace for Helm's command line; the stack must agree.
  for (const knob of ["instance", "namespace"] as const) {
    const inStack = config[`${project}:${knob}`];
    if (inStack !== configuration[knob]) {
      throw new Error(`stacks/Pulumi.${configuration.name}.yaml sets ${knob} ${JSON.stringify(inStack)}, the matrix ${JSON.stringify(configuration[knob])}`);
    }
  }
  const { objects } = await runPulumiProgram({ stack: configuration.name, config, secrets: secretConfig(configuration.secrets) });
  return objects;
}
