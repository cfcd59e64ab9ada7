/**
 * The Pulumi program (deploy/pulumi) on its own: its config keys are the knobs, it refuses what it
 * cannot deploy before creating anything, its secrets stay secrets, and every example stack
 * renders the objects the matrix lists. (Object-for-object equality with the kustomize overlays is
 * parity.test.ts's.) Runs under Pulumi's mocks: no CLI, no cluster.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { defaultsFor, settingsFor } from "../../runtime/config.js";
import { knobPaths, KNOBS, SETTINGS_WITH_OWN_KNOB } from "./support/knobs.js";
import type { KubeObject } from "./support/kustomize.js";
import { MATRIX } from "./support/matrix.js";
import { loadProgram, pulumiDir, pulumiProject, renderPulumi, runPulumiProgram, stackConfig, stacksDir, type PulumiRun } from "./support/pulumi.js";
import { repoRoot } from "./support/tools.js";

const P = "realtime-svg";
const find = (run: PulumiRun, id: string) => run.objects.find((object) => `${object.apiVersion}/${object.kind}/${object.metadata.name}` === id);
type Spec = { spec: Record<string, unknown> & { template: { spec: { containers: Array<Record<string, unknown>> } } } };

/** Runs the program with this config and returns its error message (and how much it registered). */
async function refusal(config: Record<string, unknown>, secrets?: Record<string, string>): Promise<{ message: string; registered: number }> {
  const error = await runPulumiProgram({ config, secrets }).then(
    () => undefined,
    (caught: Error & { registered?: number }) => caught,
  );
  if (!error) throw new Error(`the program accepted ${JSON.stringify(config)}`);
  return { message: error.message, registered: error.registered ?? -1 };
}

describe("the Pulumi program's project", () => {
  it("is project realtime-svg on nodejs, with one stack file per configuration of the matrix", async () => {
    const project = (await pulumiProject()) as { name: string; runtime?: unknown; stackConfigDir?: string };
    expect(project.name).toBe(P);
    expect(project.stackConfigDir).toBe("stacks");
    expect(JSON.stringify(project.runtime)).toContain("nodejs");
    expect((await readdir(stacksDir)).sort()).toEqual(MATRIX.map((configuration) => `Pulumi.${configuration.name}.yaml`).sort());
  });

  it("keeps non-secret config only in the stack files, each saying what it shows", async () => {
    const secretKeys = KNOBS.filter((knob) => knob.secret).flatMap((knob) => knob.pulumi);
    for (const configuration of MATRIX) {
      const text = await readFile(join(stacksDir, `Pulumi.${configuration.name}.yaml`), "utf8");
      expect(text, configuration.name).toMatch(new RegExp(`^# ${configuration.name}: `));
      expect(text, configuration.name).not.toMatch(/secure:/);
      const config = await stackConfig(configuration.name);
      for (const [key, value] of Object.entries(config)) {
        expect(key, configuration.name).toMatch(new RegExp(`^${P}:`));
        for (const path of secretKeys) {
          const [top, ...rest] = path.split(".");
          if (`${P}:${top}` !== key) continue;
          const secret = rest.reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], value);
          expect(rest.length === 0 || secret === undefined, `${configuration.name}: ${path} is a secret`).toBe(true);
        }
      }
    }
  });

  it("depends on the Pulumi packages the repository has installed, in a package of its own", async () => {
    const root = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    const own = JSON.parse(await readFile(join(pulumiDir, "package.json"), "utf8")) as { type?: string; main: string; dependencies: Record<string, string> };
    expect(own.main).toBe("index.ts");
    expect(own.type).toBeUndefined(); // CommonJS: what Pulumi's TypeScript support runs without extra setup
    for (const name of ["@pulumi/pulumi", "@pulumi/kubernetes"]) expect(own.dependencies[name], name).toBe(root.devDependencies[name]);
  });

  // The root type-check leaves deploy/pulumi out (its own package, CommonJS): this is its check.
  it("type-checks with its own tsconfig.json", () => {
    const configPath = join(pulumiDir, "tsconfig.json");
    const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, pulumiDir, { noEmit: true });
    expect(parsed.errors).toEqual([]);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const files = program.getRootFileNames().concat(program.getSourceFiles().map((file) => file.fileName)).filter((file) => file.startsWith(pulumiDir));
    expect(new Set(files.map((file) => file.slice(pulumiDir.length + 1)))).toEqual(new Set(["index.ts", "program.ts", "config.ts", "realtime-svg.ts"]));
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: ` : "";
      return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    });
    expect(diagnostics).toEqual([]);
  }, 60_000);
});

describe("the Pulumi program's config keys", () => {
  it("are exactly the knobs' Pulumi paths", async () => {
    const program = await loadProgram();
    expect(program.configKeys()).toEqual(knobPaths("pulumi"));
  });

  it("take in settings exactly the server's Node settings that have no knob of their own", async () => {
    const program = await loadProgram();
    const expected = settingsFor("node")
      .map((setting) => setting.env)
      .filter((env) => !SETTINGS_WITH_OWN_KNOB.includes(env));
    expect([...program.ALLOWED_SETTINGS]).toEqual(expected);
    expect(Object.keys(program.SETTINGS_WITH_OWN_KNOB).sort()).toEqual([...SETTINGS_WITH_OWN_KNOB].sort());
    const defaults = defaultsFor("node");
    expect(program.SERVER_DEFAULTS).toEqual({ KEEP_ALIVE_MS: defaults.limits.keepAliveMs, SHUTDOWN_GRACE_MS: defaults.shutdownGraceMs, DRAIN_SECONDS: defaults.drainSeconds });
  });
});

describe("the Pulumi program", () => {
  it("deploys 5 replicas after `pulumi config set replicas 5`", async () => {
    // Top-level values reach the program as text, as the CLI stores them.
    const run = await runPulumiProgram({ config: { [`${P}:replicas`]: "5" } });
    expect((find(run, "apps/v1/Deployment/realtime-svg") as KubeObject & Spec).spec["replicas"]).toBe(5);
    const defaults = await runPulumiProgram();
    expect((find(defaults, "apps/v1/Deployment/realtime-svg") as KubeObject & Spec).spec["replicas"]).toBe(2);
  });

  it("takes nested values as `pulumi config set --path` stores them (numbers and booleans typed)", async () => {
    const typed = await runPulumiProgram({ config: { [`${P}:service`]: { port: 80 }, [`${P}:redis`]: { persistence: { enabled: true } } } });
    const asText = await runPulumiProgram({ config: { [`${P}:service`]: { port: "80" }, [`${P}:redis`]: { persistence: { enabled: "true" } } } });
    expect(asText.objects).toStrictEqual(typed.objects);
    expect(find(typed, "v1/PersistentVolumeClaim/realtime-svg-redis")).toBeDefined();
  });

  it("renders every example stack with exactly the objects the matrix lists, none holding null, {} or []", async () => {
    const empty = (value: unknown): boolean =>
      value === null ||
      (Array.isArray(value) ? value.length === 0 || value.some(empty) : typeof value === "object" && (Object.keys(value).length === 0 || Object.values(value).some(empty)));
    for (const configuration of MATRIX) {
      const started = performance.now();
      const objects = await renderPulumi(configuration);
      expect(performance.now() - started, `${configuration.name}: one render`).toBeLessThan(5_000);
      expect(objects.map((object) => `${object.apiVersion}/${object.kind}/${object.metadata.name}`).sort(), configuration.name).toEqual(configuration.objects);
      expect(objects.filter(empty).map((object) => object.metadata.name), configuration.name).toEqual([]);
      expect(new Set(objects.map((object) => object.metadata.namespace)), configuration.name).toEqual(new Set([configuration.namespace ?? "default"]));
    }
  });

  it("keeps overlapping runs apart (each has its own Pulumi runtime state)", async () => {
    const runs = await Promise.all(
      [1, 2, 3, 4].map((replicas) => runPulumiProgram({ stack: `s${replicas}`, config: { [`${P}:replicas`]: String(replicas), [`${P}:instance`]: `i${replicas}` } })),
    );
    for (const [i, run] of runs.entries()) {
      const deployment = find(run, `apps/v1/Deployment/i${i + 1}-realtime-svg`) as KubeObject & Spec;
      expect(deployment.spec["replicas"]).toBe(i + 1);
      expect(run.objects.every((object) => object.metadata.name.startsWith(`i${i + 1}-`))).toBe(true);
    }
  });

  it("exports what the installation keeps and where it answers", async () => {
    expect((await runPulumiProgram()).outputs).toMatchObject({ name: "realtime-svg", namespace: "default", redisKeepsData: "no", url: "http://realtime-svg.default.svc.cluster.local:8080" });
    const persistent = await runPulumiProgram({ config: await stackConfig("persistent-redis") });
    expect(persistent.outputs.redisKeepsData).toBe("yes");
    const ingress = await runPulumiProgram({ config: await stackConfig("ingress") });
    expect(ingress.outputs.url).toBe("https://img.example.com/");
    expect(ingress.outputs.objects.sort()).toEqual(ingress.objects.map((object) => `${object.apiVersion}/${object.kind}/${object.metadata.name}`).sort());
  });
});

describe("the Pulumi program's secrets", () => {
  const values = {
    apiKey: "change-me-api-key",
    metricsToken: "change-me-metrics-token",
    secretsKey: "yAAItSbVWq5LmEPMI2NZrmJP4za94fCABoz1adDuSOw=",
    "redis.password": "change-me-redis-password",
  };

  it("reach the Secret as Pulumi secrets, base64 and nowhere else", async () => {
    const run = await runPulumiProgram({ secrets: values });
    expect(run.secretPaths).toEqual(["v1/Secret/realtime-svg: data"]);
    const secret = find(run, "v1/Secret/realtime-svg") as KubeObject & { data: Record<string, string> };
    expect(Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, "base64").toString()]))).toEqual({
      apiKey: values.apiKey,
      "metrics-token": values.metricsToken,
      "secrets-key": values.secretsKey,
      "redis-password": values["redis.password"],
    });
    const elsewhere = JSON.stringify(run.objects.filter((object) => object !== secret));
    for (const value of Object.values(values)) expect(elsewhere).not.toContain(value);
  });

  it("leave the Secret without data when none is set, and with only the keys that are", async () => {
    const none = await runPulumiProgram();
    expect(find(none, "v1/Secret/realtime-svg")).not.toHaveProperty("data");
    expect(none.secretPaths).toEqual([]);
    const url = "rediss://:pw@redis.example.internal:6380/0";
    const external = await runPulumiProgram({ config: { [`${P}:redis`]: { enabled: false } }, secrets: { "redis.url": url } });
    expect((find(external, "v1/Secret/realtime-svg") as KubeObject & { data: Record<string, string> }).data).toEqual({ "redis-url": Buffer.from(url).toString("base64") });
    expect(external.secretPaths).toEqual(["v1/Secret/realtime-svg: data"]);
  });
});

describe("the Pulumi program refuses, before creating anything,", () => {
  it("unknown config keys, at any depth, naming each", async () => {
    const { message, registered } = await refusal({
      [`${P}:replica`]: "3",
      [`${P}:ingress`]: { enabled: true, host: "a.example.com", hots: "x", tls: { enable: true } },
      [`${P}:redis`]: { persistence: { sise: "2Gi" } },
      "kubernetes:context": "mine", // another namespace: the provider's, not the program's
    });
    expect(registered).toBe(0);
    expect(message).toContain('unknown config key "replica" (did you mean "replicas"?)');
    expect(message).toContain('unknown config key "ingress.hots" (did you mean "ingress.host"?)');
    expect(message).toContain('unknown config key "ingress.tls.enable" (did you mean "ingress.tls.enabled"?)');
    expect(message).toContain('unknown config key "redis.persistence.sise" (did you mean "redis.persistence.size"?)');
    expect(message).not.toContain("context");
  });

  // What every tool refuses is refusals.test.ts's (support/refusals.ts); these are the program's
  // own: config values of the wrong type, as the Pulumi CLI stores them.
  const cases: Array<[string, Record<string, unknown>, RegExp, Record<string, string>?]> = [
    ["replicas not a number", { replicas: "two" }, /replicas must be a whole number \(got "two"\)/],
    ["a boolean that is not one", { ingress: { enabled: "yes" } }, /ingress\.enabled must be true or false \(got "yes"\)/],
    ["a list where a map belongs", { nodeSelector: ["linux"] }, /nodeSelector must be a map of names to strings/],
    ["a map where a list belongs", { tolerations: { key: "dedicated" } }, /tolerations must be a list of objects/],
    ["an object given as text", { ingress: "on" }, /ingress must be an object in the stack file/],
    ["a value where an object of keys belongs", { redis: { persistence: true } }, /redis\.persistence must be an object of enabled, size, storageClass/],
  ];
  for (const [what, config, expected, secrets] of cases) {
    it(what, async () => {
      const namespaced = Object.fromEntries(Object.entries(config).map(([key, value]) => [`${P}:${key}`, value]));
      const { message, registered } = await refusal(namespaced, secrets);
      expect(message).toMatch(expected);
      expect(message).toMatch(/^realtime-svg: the configuration is not valid:/);
      expect(registered).toBe(0);
    });
  }

  it("secrets stored in plain text (set without --secret)", async () => {
    const { message } = await refusal({ [`${P}:apiKey`]: "0123456789abcdef", [`${P}:redis`]: { enabled: false, url: "redis://r.example.internal:6379" } });
    expect(message).toContain("apiKey is stored in plain text: set it with `pulumi config set --secret apiKey …`");
    expect(message).toContain("redis.url is stored in plain text: set it with `pulumi config set --secret --path redis.url …`");
  });

  it("client-side apply, under which the provider would label every object managed-by pulumi", async () => {
    const { message } = await refusal({ "kubernetes:enableServerSideApply": "false" });
    expect(message).toMatch(/kubernetes:enableServerSideApply is false/);
  });
});
