/**
 * The Helm chart (deploy/helm/realtime-svg) on its own: it lints clean, its values are exactly the
 * knobs of knobs.ts and nothing else (values.schema.json refuses unknown keys, wrong types and the
 * combinations the deployment forbids), a map you give replaces the default whole (as in Terraform
 * and Pulumi, which render the same objects for it), and NOTES.txt warns when it should. That it
 * renders the objects of the kustomize overlays is parity.test.ts's job (it calls renderHelm).
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settingsFor } from "../../runtime/config.js";
import { chartDir, examplesDir, helm, helmBinary, helmStatus, helmTemplate, renderHelm, secretArgs } from "./support/helm.js";
import { knobPaths, SETTINGS_WITH_OWN_KNOB } from "./support/knobs.js";
import type { KubeObject } from "./support/kustomize.js";
import { MATRIX } from "./support/matrix.js";
import { pulumiProject, runPulumiProgram } from "./support/pulumi.js";
import { applyAndReadManifests, terraformDir } from "./support/terraform.js";
import { allowMissingTools, missingTools, requireTools } from "./support/tools.js";

// kubectl reads helm's YAML (support/helm.ts toObjects); helm itself comes from node_modules.
const skip = allowMissingTools && missingTools(["kubectl"]).length > 0;
// The comparison with the Terraform module also applies it (without a provider).
const skipTerraform = allowMissingTools && missingTools(["terraform"]).length > 0;

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  propertyNames?: { enum?: string[] };
  $ref?: string;
};

/**
 * Values paths of the schema: a node with `properties` is a fixed object and is walked into;
 * anything else (a free-form map such as settings or podAnnotations, a list, a Kubernetes type
 * passed through by $ref such as resources) is one leaf, as knobs.ts counts them.
 */
function schemaPaths(node: Schema, prefix = ""): string[] {
  if (!node.properties) return [prefix];
  return Object.entries(node.properties).flatMap(([key, child]) => schemaPaths(child, prefix ? `${prefix}.${key}` : key));
}

/** Every fixed object of the schema (one with properties), by path. */
function fixedObjects(node: Schema, prefix = "(root)"): Array<[string, Schema]> {
  if (!node.properties) return [];
  return [[prefix, node], ...Object.entries(node.properties).flatMap(([key, child]) => fixedObjects(child, prefix === "(root)" ? key : `${prefix}.${key}`))];
}

const lookup = (values: unknown, path: string) =>
  path.split(".").reduce<unknown>((node, key) => (node !== null && typeof node === "object" && key in node ? (node as Record<string, unknown>)[key] : undefined), values);

describe.skipIf(skip)("the Helm chart", () => {
  let scratch: string;
  /** A copy of the chart with two probe templates that print NOTES.txt and .Values (see probe()). */
  let probeChart: string;
  let schema: Schema;

  /** A values file in the scratch folder (JSON is YAML, and this project has no YAML writer). */
  let files = 0;
  const valuesFile = async (values: unknown) => {
    const file = join(scratch, `values-${++files}.yaml`);
    await writeFile(file, JSON.stringify(values, null, 2));
    return file;
  };

  beforeAll(async () => {
    requireTools(["kubectl"]);
    await helmBinary(); // unzips helm once for the whole file
    scratch = await mkdtemp(join(tmpdir(), "realtime-svg-helm-test-"));
    schema = JSON.parse(await readFile(join(chartDir, "values.schema.json"), "utf8")) as Schema;

    // `helm template` never renders NOTES.txt, and `helm install --dry-run=client` still asks a
    // cluster for its version. So the probe chart turns NOTES.txt into a named template, renders it
    // into a ConfigMap (base64, so no YAML quoting is involved) and does the same with .Values:
    // the text is exactly what `helm install` would print, rendered offline.
    probeChart = join(scratch, "realtime-svg");
    await cp(chartDir, probeChart, { recursive: true });
    const templates = join(probeChart, "templates");
    const notes = await readFile(join(templates, "NOTES.txt"), "utf8");
    await rm(join(templates, "NOTES.txt"));
    await writeFile(join(templates, "_probe-notes.tpl"), `{{- define "probe.notes" -}}\n${notes}\n{{- end -}}\n`);
    const probe = (name: string, text: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  text: {{ ${text} | b64enc }}\n`;
    await writeFile(join(templates, "probe-notes.yaml"), probe("probe-notes", `include "probe.notes" .`));
    await writeFile(join(templates, "probe-values.yaml"), probe("probe-values", ".Values | toJson"));
  }, 120_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** What one probe template of the probe chart prints for `args`. */
  async function probe(template: "notes" | "values", args: string[] = [], release = "realtime-svg"): Promise<string> {
    const { stdout } = await helm(["template", release, probeChart, "--show-only", `templates/probe-${template}.yaml`, ...args]);
    const encoded = /^ {2}text: (\S+)$/m.exec(stdout)?.[1];
    if (encoded === undefined) throw new Error(`no probe output in:\n${stdout}`);
    return Buffer.from(encoded, "base64").toString("utf8");
  }

  const find = (objects: KubeObject[], kind: string, name = "realtime-svg") => objects.find((o) => o.kind === kind && o.metadata.name === name);

  describe("lint", () => {
    it("passes helm lint --strict with the chart's defaults", async () => {
      const { stdout } = await helm(["lint", "--strict", chartDir]);
      expect(stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    });

    for (const configuration of MATRIX) {
      it(`passes helm lint --strict with examples/${configuration.name}.yaml and its secrets`, async () => {
        const { stdout } = await helm(["lint", "--strict", chartDir, "-f", join(examplesDir, `${configuration.name}.yaml`), ...secretArgs(configuration.secrets)]);
        expect(stdout).toMatch(/0 chart\(s\) failed/);
        expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
      });
    }

    it("has one example per configuration of the matrix, each opening with a comment, none holding a secret", async () => {
      const files = (await readdir(examplesDir)).sort();
      expect(files).toEqual(MATRIX.map((configuration) => `${configuration.name}.yaml`).sort());
      const secrets = MATRIX.flatMap((configuration) => Object.values(configuration.secrets));
      for (const file of files) {
        const text = await readFile(join(examplesDir, file), "utf8");
        expect(text, file).toMatch(new RegExp(`^# ${file.replace(".yaml", "")}: \\S`));
        for (const secret of secrets) expect(text, `${file} holds a secret value`).not.toContain(secret);
        expect(text, `${file} sets a secret value`).not.toMatch(/^\s*(apiKey|metricsToken|secretsKey|url|password):/m);
      }
    });
  });

  describe("values.schema.json", () => {
    it("names exactly the Helm knobs of knobs.ts", () => {
      expect(schemaPaths(schema).sort()).toEqual(knobPaths("helm"));
    });

    it("refuses unknown keys in every fixed object", () => {
      const open = fixedObjects(schema).filter(([, node]) => node.additionalProperties !== false);
      expect(open.map(([path]) => path)).toEqual([]);
    });

    it("is documented value by value in deploy/helm/README.md", async () => {
      const readme = await readFile(join(chartDir, "..", "README.md"), "utf8");
      const documented = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]).sort();
      expect(documented).toEqual(knobPaths("helm"));
    });

    it("allows in settings exactly the Node host's settings that have no value of their own", () => {
      const allowed = settingsFor("node")
        .map((setting) => setting.env)
        .filter((env) => !SETTINGS_WITH_OWN_KNOB.includes(env));
      // As a set: the schema lists them in the README's order, but the order means nothing to helm.
      expect([...schema.properties!["settings"]!.propertyNames!.enum!].sort()).toEqual([...allowed].sort());
    });

    it("gives every value a default in values.yaml", async () => {
      const values: unknown = JSON.parse(await probe("values"));
      const secrets = ["apiKey", "metricsToken", "secretsKey", "redis.url", "redis.password", "redis.sentinel.password"];
      for (const path of knobPaths("helm")) {
        // A secret defaults to "" (unset), service.nodePort to null (unset): present all the same.
        expect(lookup(values, path), path).toBeDefined();
        if (secrets.includes(path)) expect(lookup(values, path), path).toBe("");
      }
    });

    const refused: Array<[string, unknown, RegExp]> = [
      ["an unknown top-level key", { replica: 3 }, /\(root\): Additional property replica is not allowed/],
      ["an unknown key in image", { image: { name: "x" } }, /image: Additional property name is not allowed/],
      ["an unknown key two levels down", { ingress: { tls: { secret: "x" } } }, /ingress\.tls: Additional property secret is not allowed/],
      ["an unknown key in redis.persistence", { redis: { persistence: { sise: "2Gi" } } }, /redis\.persistence: Additional property sise is not allowed/],
      ["an unknown key in resources", { resources: { request: { cpu: "1" } } }, /resources: Additional property request is not allowed/],
      ["a string for replicas", { replicas: "3" }, /replicas: Invalid type\. Expected: integer, given: string/],
      ["a string for a boolean", { ingress: { enabled: "yes" } }, /ingress\.enabled: Invalid type\. Expected: boolean, given: string/],
      ["a string for a port", { service: { port: "80" } }, /service\.port: Invalid type\. Expected: integer, given: string/],
      ["a number for a quantity", { resources: { limits: { cpu: 1 } } }, /resources\.limits\.cpu: Invalid type\. Expected: string, given: integer/],
      ["a boolean for an annotation", { podAnnotations: { "prometheus.io/scrape": true } }, /podAnnotations\.prometheus\.io\/scrape: Invalid type\. Expected: string/],
      ["a number for a setting", { settings: { SHUTDOWN_GRACE_MS: 20000 } }, /settings\.SHUTDOWN_GRACE_MS: Invalid type\. Expected: string, given: integer/],
      ["a map of pull secrets", { imagePullSecrets: [{ name: "regcred" }] }, /imagePullSecrets\.0: Invalid type\. Expected: string, given: object/],
      // Refusals of values are shared with the other tools (refusals.test.ts runs them through
      // `helm template`); these two show that `helm lint` stops on them too.
      ["0 replicas", { replicas: 0 }, /replicas: Must be greater than or equal to 1/],
      ["an unknown log level", { logLevel: "verbose" }, /logLevel: logLevel must be one of the following: "fatal"/],
    ];
    for (const [what, values, message] of refused) {
      it(`refuses ${what}, naming it (helm lint and helm template)`, async () => {
        const file = await valuesFile(values);
        const lint = await helmStatus(["lint", "--strict", chartDir, "-f", file]);
        expect(lint.ok, lint.stdout).toBe(false);
        expect(lint.stderr).toMatch(message);
        const template = await helmStatus(["template", "realtime-svg", chartDir, "-f", file]);
        expect(template.ok).toBe(false);
        expect(template.stderr).toMatch(message);
      });
    }
  });

  describe("combination rules", () => {
    // The rules the schema can state (if/then, from both sides so that the error names both
    // values): `helm lint` refuses them, and so does the template, in words, when the schema is
    // skipped (--skip-schema-validation). That every tool refuses them, and the rules only the
    // templates can check (comparisons), is refusals.test.ts's.
    const rules: Array<{ rule: string; values: unknown; schema: RegExp; message: RegExp; ok: unknown }> = [
      {
        rule: "ingress.host is required with ingress.enabled",
        values: { ingress: { enabled: true } },
        schema: /ingress\.host: String length must be greater than or equal to 1/,
        message: /ingress\.host is required when ingress\.enabled is true/,
        ok: { ingress: { enabled: true, host: "img.example.com" } },
      },
      {
        rule: "not ingress and knative together",
        values: { ingress: { enabled: true, host: "img.example.com" }, knative: { enabled: true } },
        schema: /knative\.enabled: knative\.enabled does not match: false[\s\S]*ingress\.enabled: ingress\.enabled does not match: false|ingress\.enabled: ingress\.enabled does not match: false[\s\S]*knative\.enabled: knative\.enabled does not match: false/,
        message: /ingress\.enabled and knative\.enabled cannot both be true/,
        ok: { knative: { enabled: true } },
      },
      {
        rule: "no redis.url with the in-cluster Redis",
        values: { redis: { url: "redis://redis.example.internal:6379" } },
        schema: /redis\.url: String length must be less than or equal to 0/,
        message: /set redis\.enabled to false/,
        ok: { redis: { enabled: false, url: "redis://redis.example.internal:6379" } },
      },
      {
        rule: "no redis.host with the in-cluster Redis",
        values: { redis: { host: "redis.example.internal" } },
        schema: /redis\.enabled: redis\.enabled does not match: false/,
        message: /set redis\.enabled to false/,
        ok: { redis: { enabled: false, host: "redis.example.internal" } },
      },
      {
        rule: "redis.url or redis.host, not both",
        values: { redis: { enabled: false, url: "redis://a.example.internal", host: "b.example.internal" } },
        schema: /redis\.host: String length must be less than or equal to 0/,
        message: /set redis\.url or redis\.host, not both/,
        ok: { redis: { enabled: false, host: "b.example.internal" } },
      },
      {
        rule: "no redis.password with redis.url",
        values: { redis: { enabled: false, url: "redis://:a@redis.example.internal", password: "change-me-redis-password" } },
        schema: /redis\.password: String length must be less than or equal to 0/,
        message: /redis\.password is not used with redis\.url/,
        ok: { redis: { enabled: false, url: "redis://:a@redis.example.internal" } },
      },
      {
        rule: "redis.port only with redis.host",
        values: { redis: { port: 6380 } },
        schema: /redis\.host: String length must be greater than or equal to 1/,
        message: /redis\.port \(6380\) is your Redis's, with redis\.host/,
        ok: { redis: { enabled: false, host: "redis.example.internal", port: 6380 } },
      },
      {
        rule: "redis.persistence only for the in-cluster Redis",
        values: { redis: { enabled: false, host: "redis.example.internal", persistence: { enabled: true } } },
        schema: /redis\.persistence\.enabled: redis\.persistence\.enabled does not match: false/,
        message: /redis\.persistence\.enabled is for the in-cluster Redis/,
        ok: { redis: { persistence: { enabled: true } } },
      },
      {
        rule: "service.nodePort only with NodePort or LoadBalancer",
        values: { service: { nodePort: 30080 } },
        schema: /service\.nodePort: Invalid type\. Expected: null, given: integer/,
        message: /service\.nodePort needs service\.type NodePort or LoadBalancer/,
        ok: { service: { type: "NodePort", nodePort: 30080 } },
      },
    ];
    for (const { rule, values, schema: schemaMessage, message, ok } of rules) {
      it(`${rule}: refused by the schema and in words by the template, and the allowed neighbour renders`, async () => {
        const file = await valuesFile(values);
        const template = await helmStatus(["template", "realtime-svg", chartDir, "-f", file]);
        expect(template.ok).toBe(false);
        expect(template.stderr).toMatch(schemaMessage);
        // helm lint refuses what the schema refuses…
        const lint = await helmStatus(["lint", "--strict", chartDir, "-f", file]);
        expect(lint.ok).toBe(false);
        expect(lint.stderr).toMatch(schemaMessage);
        // …and without the schema (--skip-schema-validation) the template says it in words.
        const unchecked = await helmStatus(["template", "realtime-svg", chartDir, "--skip-schema-validation", "-f", file]);
        expect(unchecked.ok).toBe(false);
        expect(unchecked.stderr).toMatch(message);
        await expect(helmTemplate("realtime-svg", "default", ["-f", await valuesFile(ok)])).resolves.not.toHaveLength(0);
      });
    }
  });

  describe("rendering", () => {
    it("runs 5 replicas with `helm template realtime-svg deploy/helm/realtime-svg --set replicas=5`", async () => {
      const objects = await helmTemplate("realtime-svg", "default", ["--set", "replicas=5"]);
      expect(lookup(find(objects, "Deployment"), "spec.replicas")).toBe(5);
    });

    it("names objects after the release, and every object names its namespace", async () => {
      const blue = await helmTemplate("blue", "images", []);
      expect(blue.map((o) => o.metadata.name).sort()).toEqual(
        ["blue-realtime-svg", "blue-realtime-svg", "blue-realtime-svg", "blue-realtime-svg", "blue-realtime-svg", "blue-realtime-svg-redis", "blue-realtime-svg-redis"],
      );
      expect(blue.every((o) => o.metadata.namespace === "images")).toBe(true);
      const labels = (o: KubeObject) => o.metadata["labels"] as Record<string, string>;
      expect(blue.every((o) => labels(o)["app.kubernetes.io/instance"] === "blue")).toBe(true);
      // A release name that already says realtime-svg is NAME itself.
      const prod = await helmTemplate("realtime-svg-prod", "default", []);
      expect(new Set(prod.map((o) => o.metadata.name))).toEqual(new Set(["realtime-svg-prod", "realtime-svg-prod-redis"]));
    });

    it("adds no label or annotation of Helm's own in any configuration", async () => {
      for (const configuration of MATRIX) {
        const text = JSON.stringify(await renderHelm(configuration));
        expect(text, configuration.name).not.toMatch(/helm\.sh\/chart|app\.kubernetes\.io\/managed-by|app\.kubernetes\.io\/version|meta\.helm\.sh/);
      }
    }, 60_000);

    it("renders what the matrix leaves untried: defaults of TLS, node port, storage class, PDB with autoscaling", async () => {
      const objects = await helmTemplate("realtime-svg", "default", [
        "-f",
        await valuesFile({
          ingress: { enabled: true, host: "img.example.com", tls: { enabled: true } },
          service: { type: "LoadBalancer" }, // no nodePort: Kubernetes picks one
          redis: { persistence: { enabled: true } },
          autoscaling: { enabled: true, minReplicas: 1 },
        }),
      ]);
      expect(lookup(find(objects, "Ingress"), "spec.tls")).toEqual([{ hosts: ["img.example.com"], secretName: "realtime-svg-tls" }]);
      expect(lookup(find(objects, "Service"), "spec.ports")).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
      expect(lookup(find(objects, "PersistentVolumeClaim", "realtime-svg-redis"), "spec")).toEqual({
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "1Gi" } },
      });
      // minReplicas 1: the HPA may scale down to one pod, where minAvailable 1 would block drains.
      expect(find(objects, "PodDisruptionBudget")).toBeUndefined();
      expect(find(objects, "HorizontalPodAutoscaler")).toBeDefined();
      expect(lookup(find(objects, "Deployment"), "spec")).toBeDefined();
      expect(lookup(find(objects, "Deployment"), "spec.replicas")).toBeUndefined();
    });

    it("passes a Redis URL holding commas and backslashes through --set-string unchanged", async () => {
      const url = "rediss://:pa,ss\\word@redis.example.internal:6380/0";
      const objects = await renderHelm({ name: "external-redis", about: "", secrets: { redisUrl: url }, objects: [] });
      const encoded = lookup(find(objects, "Secret"), "data.redis-url");
      expect(Buffer.from(String(encoded), "base64").toString()).toBe(url);
    });

    it("renders a Secret without data when no secret is set", async () => {
      const secret = find(await helmTemplate("realtime-svg", "default", []), "Secret")!;
      expect(Object.keys(secret).sort()).toEqual(["apiVersion", "kind", "metadata", "type"]);
    });
  });

  describe("map-valued values: yours replace the default whole", () => {
    // Partial maps for the four values with a non-empty default: each must come out as given,
    // without the default's other keys (Helm would merge them in, were the default in values.yaml).
    const partial = {
      resources: { limits: { cpu: "1" } },
      redis: { resources: { requests: { memory: "64Mi" } } },
      networkPolicy: { enabled: true, ingressNamespaceLabels: { name: "my-ingress" }, ingressPodLabels: { "app.kubernetes.io/name": "traefik" } },
    };
    const serverResources = (objects: KubeObject[]) => lookup(find(objects, "Deployment"), "spec.template.spec.containers.0.resources");
    const redisResources = (objects: KubeObject[]) => lookup(find(objects, "Deployment", "realtime-svg-redis"), "spec.template.spec.containers.0.resources");
    const admitted = (objects: KubeObject[]) => lookup(find(objects, "NetworkPolicy"), "spec.ingress.0.from");
    const sortObjects = (objects: KubeObject[]) =>
      [...objects].sort((a, b) => `${a.apiVersion}/${a.kind}/${a.metadata.name}`.localeCompare(`${b.apiVersion}/${b.kind}/${b.metadata.name}`));

    it("holds no non-empty map in values.yaml: such a default would be merged with the user's map", async () => {
      const values: unknown = JSON.parse(await probe("values"));
      const isMap = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
      const merged = knobPaths("helm").filter((path) => isMap(lookup(values, path)) && Object.keys(lookup(values, path) as object).length > 0);
      expect(merged).toEqual([]);
      // Their defaults live in the templates (one helper each), and apply while the value is unset.
      for (const path of ["resources", "redis.resources", "networkPolicy.ingressNamespaceLabels", "networkPolicy.ingressPodLabels"]) {
        expect(lookup(values, path), path).toBeNull();
      }
      const defaults = await helmTemplate("realtime-svg", "default", ["--set", "networkPolicy.enabled=true"]);
      expect(serverResources(defaults)).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
      expect(redisResources(defaults)).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
      expect(admitted(defaults)).toEqual([
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } } },
      ]);
    });

    it("renders a partial map as given, from a values file and from --set", async () => {
      const fromFile = await helmTemplate("realtime-svg", "default", ["-f", await valuesFile(partial)]);
      expect(serverResources(fromFile)).toEqual({ limits: { cpu: "1" } });
      expect(redisResources(fromFile)).toEqual({ requests: { memory: "64Mi" } });
      // Only the user's labels: the default namespace label beside them would match no namespace.
      expect(admitted(fromFile)).toEqual([{ namespaceSelector: { matchLabels: { name: "my-ingress" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } } }]);
      const fromSet = await helmTemplate("realtime-svg", "default", [
        "--set-string",
        "resources.limits.cpu=1",
        "--set",
        "networkPolicy.enabled=true",
        "--set",
        "networkPolicy.ingressNamespaceLabels.name=my-ingress",
      ]);
      expect(serverResources(fromSet)).toEqual({ limits: { cpu: "1" } });
      expect(admitted(fromSet)).toEqual([
        { namespaceSelector: { matchLabels: { name: "my-ingress" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } } },
      ]);
    });

    it.skipIf(skipTerraform)("renders for that input exactly the objects of the Terraform module and the Pulumi program", async () => {
      requireTools(["terraform"]);
      const fromHelm = await helmTemplate("realtime-svg", "default", ["-f", await valuesFile(partial)]);
      const { name: project } = await pulumiProject();
      const { objects: fromPulumi } = await runPulumiProgram({
        config: Object.fromEntries(Object.entries(partial).map(([key, value]) => [`${project}:${key}`, value])),
      });
      // The inner module on its own (no provider), as parity.test.ts applies it.
      const module = join(scratch, "terraform-partial-maps");
      await cp(join(terraformDir, "modules", "manifests"), module, { recursive: true, filter: (source) => !source.includes(".terraform") });
      const fromTerraform = await applyAndReadManifests(module, {
        resources: partial.resources,
        redis: partial.redis,
        network_policy: {
          enabled: true,
          ingress_namespace_labels: partial.networkPolicy.ingressNamespaceLabels,
          ingress_pod_labels: partial.networkPolicy.ingressPodLabels,
        },
      });
      expect(serverResources(fromTerraform)).toEqual({ limits: { cpu: "1" } });
      expect(serverResources(fromPulumi)).toEqual({ limits: { cpu: "1" } });
      expect(sortObjects(fromPulumi), "Pulumi (received) vs Helm (expected)").toStrictEqual(sortObjects(fromHelm));
      expect(sortObjects(fromTerraform), "Terraform (received) vs Helm (expected)").toStrictEqual(sortObjects(fromHelm));
    }, 120_000);
  });

  describe("NOTES.txt", () => {
    const WARN_REDIS = "WARNING: the in-cluster Redis keeps no data: a Redis restart";
    const WARN_API_KEY = "WARNING: no apiKey is set: anyone who can reach the server can create sessions";
    const SECRETS_NOTE = /Helm stores them in the\s+Secret realtime-svg and in the release history/;

    it("with the defaults: port-forward, both warnings, the note on secrets", async () => {
      const notes = await probe("notes");
      expect(notes).toContain("kubectl -n default port-forward service/realtime-svg 8080:8080");
      expect(notes).toContain(WARN_REDIS);
      expect(notes).toContain(WARN_API_KEY);
      expect(notes).toMatch(SECRETS_NOTE);
    });

    it("with persistence and an API key: neither warning, the note on secrets still", async () => {
      const notes = await probe("notes", ["--set", "redis.persistence.enabled=true", "--set-string", "apiKey=0123456789abcdef"]);
      expect(notes).not.toContain("WARNING");
      expect(notes).toMatch(SECRETS_NOTE);
    });

    it("with your own Redis: no warning about the in-cluster one", async () => {
      const notes = await probe("notes", ["-f", join(examplesDir, "external-redis-host.yaml")]);
      expect(notes).not.toContain(WARN_REDIS);
      expect(notes).toContain(WARN_API_KEY);
    });

    it("with no Redis at all (one pod): a warning that its sessions live in its memory", async () => {
      const notes = await probe("notes", ["--set", "redis.enabled=false", "--set", "replicas=1"]);
      expect(notes).toContain("WARNING: no Redis is configured");
    });

    it("says how to reach the service: ingress URL, NodePort, LoadBalancer, Knative", async () => {
      expect(await probe("notes", ["-f", join(examplesDir, "ingress.yaml")])).toContain("https://img.example.com/ once img.example.com resolves");
      const nodePort = await probe("notes", ["--set", "service.type=NodePort", "--set", "service.nodePort=30080"]);
      expect(nodePort).toContain("every node's port 30080");
      expect(await probe("notes", ["--set", "service.type=LoadBalancer"])).toContain("status.loadBalancer.ingress[0].ip");
      expect(await probe("notes", ["-f", join(examplesDir, "knative.yaml")], "blue")).toContain("kubectl -n default get ksvc blue-realtime-svg");
    });
  });
});
