/**
 * kubectl (kustomize), Terraform, Helm and Pulumi must create exactly the same Kubernetes objects.
 * For every configuration of the matrix, the kustomize overlay is the reference (literal YAML,
 * rendered with `kubectl kustomize`); each other tool renders the same configuration its own way —
 * the Terraform example applied in a provider-free copy (support/terraform.ts), `helm template`
 * of the chart with the example's values file (support/helm.ts), the Pulumi program with the
 * stack's config (support/pulumi.ts) — and must produce the same objects, compared strictly.
 * The reference objects are then validated against the Kubernetes schemas.
 */
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHelm } from "./support/helm.js";
import { KNOBS, knobPaths } from "./support/knobs.js";
import { renderKustomization, type KubeObject } from "./support/kustomize.js";
import { MATRIX, SECRET_INPUTS } from "./support/matrix.js";
import { renderPulumi } from "./support/pulumi.js";
import { describeObject, schemaErrors, unknownFields } from "./support/schema.js";
import {
  appliedObjects,
  applyAndReadManifests,
  providerFreeWorkspace,
  terraformDir,
  terraformInputPaths,
  terraformSecrets,
  type Workspace,
} from "./support/terraform.js";
import { allowMissingTools, deployDir, missingTools, requireTools } from "./support/tools.js";
import { limited } from "./support/limited.js";

const overlaysDir = join(deployDir, "kubectl", "overlays");
const skip = allowMissingTools && missingTools(["kubectl", "terraform"]).length > 0;

/** The tools held to the kubectl reference, each rendering a configuration its own way. */
const TOOLS = ["terraform", "helm", "pulumi"] as const;
type Tool = (typeof TOOLS)[number];

/**
 * The only normalization: order. kustomize prints objects in its own kind order, the others in
 * theirs; no order reaches the cluster (kubectl applies the set, kubernetes_manifest is a
 * for_each, Helm and Pulumi order by kind themselves). Nothing inside an object is touched: no
 * null-dropping, no defaulting, no coercion.
 */
const objectKey = (object: KubeObject) => `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
const sortObjects = (objects: KubeObject[]) => [...objects].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));

/** Values kubernetes_manifest cannot round-trip (null, {} and []), as JSON paths. */
function emptyValues(value: unknown, path = ""): string[] {
  if (value === null) return [`${path}: null`];
  if (Array.isArray(value)) {
    return value.length === 0 ? [`${path}: []`] : value.flatMap((item, i) => emptyValues(item, `${path}[${i}]`));
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as object);
    return entries.length === 0 ? [`${path}: {}`] : entries.flatMap(([key, item]) => emptyValues(item, path ? `${path}.${key}` : key));
  }
  return [];
}

/** A rendering that a test awaits; its failure is reported there, not as an unhandled rejection. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

interface TerraformRendering {
  objects: KubeObject[];
  /** What kubernetes.tf applies, by resource key. */
  applied: Record<string, KubeObject>;
}

interface Renderings {
  kubectl: Promise<KubeObject[]>;
  terraform: Promise<TerraformRendering>;
  helm: Promise<KubeObject[]>;
  pulumi: Promise<KubeObject[]>;
}

const objectsOf = async (renderings: Renderings, tool: "kubectl" | Tool): Promise<KubeObject[]> =>
  tool === "terraform" ? (await renderings.terraform).objects : renderings[tool];

describe.skipIf(skip)("kubectl, Terraform, Helm and Pulumi deploy the same objects", () => {
  let workspace: Workspace | undefined;
  const renderings = new Map<string, Renderings>();
  let innerDefaults: Promise<KubeObject[]>;
  let innerDefaultsDir: string | undefined;

  beforeAll(async () => {
    requireTools(["kubectl", "terraform"]);
    workspace = await providerFreeWorkspace();
    const examples = join(workspace.dir, "examples");
    const terraformSlot = limited(4);
    const helmSlot = limited(4);
    const pulumiSlot = limited(2);
    // Every configuration with every tool, each Terraform example in its own directory with its
    // own state; the limits only queue them.
    for (const configuration of MATRIX) {
      const example = join(examples, configuration.name);
      renderings.set(configuration.name, {
        kubectl: settled(renderKustomization(join(overlaysDir, configuration.name))),
        terraform: settled(
          terraformSlot(async () => {
            const objects = await applyAndReadManifests(example, terraformSecrets(configuration));
            return { objects, applied: await appliedObjects(example) };
          }),
        ),
        helm: settled(helmSlot(() => renderHelm(configuration))),
        pulumi: settled(pulumiSlot(() => renderPulumi(configuration))),
      });
    }
    // The inner module on its own, with no inputs at all.
    innerDefaultsDir = await mkdtemp(join(tmpdir(), "realtime-svg-tf-inner-"));
    await cp(join(terraformDir, "modules", "manifests"), innerDefaultsDir, { recursive: true, filter: (source) => !source.includes(".terraform") });
    innerDefaults = settled(terraformSlot(() => applyAndReadManifests(innerDefaultsDir!)));
    await Promise.allSettled([...[...renderings.values()].flatMap((rendering) => Object.values(rendering) as Promise<unknown>[]), innerDefaults]);
  }, 900_000);

  afterAll(async () => {
    await workspace?.remove();
    if (innerDefaultsDir) await rm(innerDefaultsDir, { recursive: true, force: true });
  });

  it("covers every overlay, Terraform example, Helm values file and Pulumi stack, and they name the same configurations", async () => {
    const names = MATRIX.map((configuration) => configuration.name).sort();
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect((await readdir(overlaysDir)).sort(), "deploy/kubectl/overlays").toEqual(names);
    expect((await readdir(join(terraformDir, "examples"))).sort(), "deploy/terraform/examples").toEqual(names);
    const helmExamples = (await readdir(join(deployDir, "helm", "examples"))).sort();
    expect(helmExamples, "deploy/helm/examples").toEqual(names.map((name) => `${name}.yaml`).sort());
    const stacks = (await readdir(join(deployDir, "pulumi", "stacks"))).sort();
    expect(stacks, "deploy/pulumi/stacks").toEqual(names.map((name) => `Pulumi.${name}.yaml`).sort());
  });

  for (const configuration of MATRIX) describe(`${configuration.name}: ${configuration.about}`, () => {
    const rendering = () => renderings.get(configuration.name)!;

    it("renders with kubectl kustomize the objects the matrix lists, in the matrix's instance and namespace", async () => {
      const kubectl = await rendering().kubectl;
      expect(kubectl.map((object) => `${object.apiVersion}/${object.kind}/${object.metadata.name}`).sort()).toEqual(configuration.objects);
      // Helm takes both from its command line (support/helm.ts), so the matrix must say them right.
      expect(new Set(kubectl.map((object) => object.metadata.namespace))).toEqual(new Set([configuration.namespace ?? "default"]));
      const instances = kubectl.map((object) => (object.metadata["labels"] as Record<string, string>)["app.kubernetes.io/instance"]);
      expect(new Set(instances)).toEqual(new Set([configuration.instance ?? "realtime-svg"]));
    });

    for (const tool of TOOLS) {
      it(`renders with ${tool} exactly the objects of kubectl kustomize`, async () => {
        const fromKubectl = sortObjects(await rendering().kubectl);
        const fromTool = sortObjects(await objectsOf(rendering(), tool));
        expect(fromTool.map(objectKey), "the same objects by apiVersion/kind/namespace/name").toEqual(fromKubectl.map(objectKey));
        for (const [i, object] of fromKubectl.entries()) {
          expect(fromTool[i], `${describeObject(object)}: ${tool} (received) vs kubectl kustomize (expected)`).toStrictEqual(object);
        }
      }, 60_000);
    }

    it("applies through kubernetes.tf exactly the objects Terraform outputs, one resource each", async () => {
      const { objects, applied } = await rendering().terraform;
      expect(Object.keys(applied).sort()).toEqual(objects.map((object) => `${object.apiVersion}/${object.kind}/${object.metadata.namespace}/${object.metadata.name}`).sort());
      expect(sortObjects(Object.values(applied))).toStrictEqual(sortObjects(objects));
    });

    // The other tools' objects are the kubectl ones (the tests above), so one validation covers all.
    it("passes the Kubernetes schemas, unknown fields included", async () => {
      const kubectl = await rendering().kubectl;
      expect(schemaErrors(kubectl)).toEqual([]);
      expect(unknownFields(kubectl)).toEqual([]);
    }, 60_000);

    // Checked for each tool on its own: a tool that differs fails above, and this names its nulls.
    it("holds no null, {} or [] in any tool's objects (kubernetes_manifest cannot round-trip them)", async () => {
      for (const tool of ["kubectl", ...TOOLS] as const) {
        const objects = await objectsOf(rendering(), tool);
        expect(objects.flatMap((object) => emptyValues(object).map((path) => `${describeObject(object)}: ${path}`)), tool).toEqual([]);
      }
    });
  });

  it("gives the inner module with no inputs exactly the objects of the default overlay", async () => {
    const [fromModule, kubectl] = await Promise.all([innerDefaults, renderings.get("default")!.kubectl]);
    expect(sortObjects(fromModule)).toStrictEqual(sortObjects(kubectl));
  });
});

describe("every tool has exactly the knobs of the registry", () => {
  const variables = () => readFile(join(terraformDir, "variables.tf"), "utf8");

  it("Terraform: the module's inputs (variables and their object attributes) are the registry's Terraform paths", async () => {
    expect(terraformInputPaths(await variables())).toEqual(knobPaths("terraform"));
  });

  it("Terraform: exactly the secret knobs are sensitive variables", async () => {
    const hcl = await variables();
    const sensitive = [...hcl.matchAll(/^variable\s+"([^"]+)"\s*\{([\s\S]*?)^\}/gm)]
      .filter((match) => /^\s*sensitive\s*=\s*true\s*$/m.test(match[2]!))
      .map((match) => match[1]);
    expect(sensitive.sort()).toEqual(KNOBS.filter((knob) => knob.secret).flatMap((knob) => knob.terraform).sort());
  });

  it("names each tool's secret inputs (support/matrix.ts) as the registry names its secret knobs", () => {
    for (const tool of ["helm", "pulumi", "terraform"] as const) {
      const secretPaths = KNOBS.filter((knob) => knob.secret).flatMap((knob) => knob[tool]);
      expect(Object.values(SECRET_INPUTS).map((names) => names[tool]).sort(), tool).toEqual(secretPaths.sort());
    }
  });
});

describe("the schema checks themselves", () => {
  const deployment = (): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "probe", namespace: "default", labels: { app: "probe" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "probe" } },
      template: {
        metadata: { labels: { app: "probe" } },
        spec: {
          containers: [
            {
              name: "probe",
              image: "example/probe:1",
              readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 },
            },
          ],
        },
      },
    },
  });

  it("accept a well-formed object", () => {
    expect(schemaErrors([deployment()])).toEqual([]);
    expect(unknownFields([deployment()])).toEqual([]);
  }, 60_000);

  it("reject a misspelled field deep inside a container, naming its path", () => {
    const object = deployment() as KubeObject & { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    const container = object.spec.template.spec.containers[0]!;
    container["readinesProbe"] = container["readinessProbe"];
    delete container["readinessProbe"];
    expect(unknownFields([object])).toEqual([
      'apps/v1/Deployment default/probe: spec.template.spec.containers[0].readinesProbe: unknown field "readinesProbe" (not in the schema)',
    ]);
  }, 60_000);

  it("reject unknown fields in every kind the deployments use, Knative's Service included", () => {
    const objects: KubeObject[] = [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "default", lables: {} }, data: { A: "1" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "a", namespace: "default" }, type: "Opaque", stringdata: { a: "b" } },
      { apiVersion: "v1", kind: "Service", metadata: { name: "a", namespace: "default" }, spec: { ports: [{ port: 80, targetport: 8080 }] } },
      { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "a", namespace: "default" }, spec: { minAvailible: 1 } },
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "a", namespace: "default" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClass: "standard" },
      },
      {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "a", namespace: "default" },
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "a" }, maxReplicas: 3, targetCPUUtilizationPercentage: 70 },
      },
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: "a", namespace: "default" },
        spec: { rules: [{ host: "a.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "a", port: { nubmer: 80 } } } }] } }] },
      },
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "a", namespace: "default" },
        spec: { podSelector: { matchLabels: { app: "a" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "b" } } }], port: [{ port: 8080 }] }] },
      },
      {
        apiVersion: "serving.knative.dev/v1",
        kind: "Service",
        metadata: { name: "a", namespace: "default" },
        spec: { template: { spec: { timeoutSecond: 600, containers: [{ image: "example/probe:1" }] } } },
      },
    ];
    expect(unknownFields(objects)).toEqual([
      'v1/ConfigMap default/a: metadata.lables: unknown field "lables" (not in the schema)',
      'v1/Secret default/a: stringdata: unknown field "stringdata" (not in the schema)',
      'v1/Service default/a: spec.ports[0].targetport: unknown field "targetport" (not in the schema)',
      'policy/v1/PodDisruptionBudget default/a: spec.minAvailible: unknown field "minAvailible" (not in the schema)',
      'v1/PersistentVolumeClaim default/a: spec.storageClass: unknown field "storageClass" (not in the schema)',
      // autoscaling/v1's field, gone in v2 (metrics replace it).
      'autoscaling/v2/HorizontalPodAutoscaler default/a: spec.targetCPUUtilizationPercentage: unknown field "targetCPUUtilizationPercentage" (not in the schema)',
      'networking.k8s.io/v1/Ingress default/a: spec.rules[0].http.paths[0].backend.service.port.nubmer: unknown field "nubmer" (not in the schema)',
      'networking.k8s.io/v1/NetworkPolicy default/a: spec.ingress[0].port: unknown field "port" (not in the schema)',
      'serving.knative.dev/v1/Service default/a: spec.template.spec.timeoutSecond: unknown field "timeoutSecond" (not in the schema)',
    ]);
  }, 60_000);

  it("reject wrong types and missing required fields", () => {
    const wrongType = deployment() as KubeObject & { spec: Record<string, unknown> };
    wrongType.spec["replicas"] = "2";
    const missing = deployment() as KubeObject & { spec: Record<string, unknown> };
    delete missing.spec["selector"];
    const errors = schemaErrors([wrongType, missing]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/replicas/);
    expect(errors[1]).toMatch(/selector/);
  });

  it("refuse a kind they have no schema for", () => {
    expect(() => schemaErrors([{ apiVersion: "v1", kind: "Pod", metadata: { name: "a" } }])).toThrow(/no schema for v1\/Pod/);
  });
});
