/**
 * kubectl (kustomize) and Terraform must create exactly the same Kubernetes objects. For every
 * configuration of the matrix: render the overlay with `kubectl kustomize`, apply the Terraform
 * example (provider-free copy, see support/terraform.ts) and read `terraform output -json
 * manifests`, then require deep equality and validate every object against the schemas.
 */
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MATRIX } from "./support/matrix.js";
import { renderKustomization, type KubeObject } from "./support/kustomize.js";
import { describeObject, schemaErrors, unknownFields } from "./support/schema.js";
import { appliedObjects, applyAndReadManifests, providerFreeWorkspace, terraformDir, type Workspace } from "./support/terraform.js";
import { allowMissingTools, deployDir, missingTools, requireTools } from "./support/tools.js";

const overlaysDir = join(deployDir, "kubectl", "overlays");
const skip = allowMissingTools && missingTools(["kubectl", "terraform"]).length > 0;

/**
 * The only normalization: order. kustomize prints objects in its own kind order, the module in
 * apply order; neither order reaches the cluster (kubectl applies the set, kubernetes_manifest is a
 * for_each). Nothing inside an object is touched: no null-dropping, no defaulting, no coercion.
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

interface Rendering {
  kubectl: KubeObject[];
  terraform: KubeObject[];
  /** What kubernetes.tf applies, by resource key. */
  applied: Record<string, KubeObject>;
}

describe.skipIf(skip)("kubectl and Terraform deploy the same objects", () => {
  let workspace: Workspace | undefined;
  const renderings = new Map<string, Promise<Rendering>>();
  let innerDefaults: Promise<KubeObject[]>;
  let innerDefaultsDir: string | undefined;

  beforeAll(async () => {
    requireTools(["kubectl", "terraform"]);
    workspace = await providerFreeWorkspace();
    const examples = join(workspace.dir, "examples");
    // Every configuration at once, each in its own directory with its own state.
    for (const configuration of MATRIX) {
      const example = join(examples, configuration.name);
      const rendering = Promise.all([
        renderKustomization(join(overlaysDir, configuration.name)),
        applyAndReadManifests(example, configuration.secrets).then(async (terraform) => ({ terraform, applied: await appliedObjects(example) })),
      ]).then(([kubectl, { terraform, applied }]) => ({ kubectl, terraform, applied }));
      rendering.catch(() => {}); // reported by the test of that configuration
      renderings.set(configuration.name, rendering);
    }
    // The inner module on its own, with no inputs at all.
    innerDefaultsDir = await mkdtemp(join(tmpdir(), "realtime-svg-tf-inner-"));
    await cp(join(terraformDir, "modules", "manifests"), innerDefaultsDir, { recursive: true, filter: (source) => !source.includes(".terraform") });
    innerDefaults = applyAndReadManifests(innerDefaultsDir);
    innerDefaults.catch(() => {});
    await Promise.allSettled([...renderings.values(), innerDefaults]);
  }, 240_000);

  afterAll(async () => {
    await workspace?.remove();
    if (innerDefaultsDir) await rm(innerDefaultsDir, { recursive: true, force: true });
  });

  it("covers every overlay and every Terraform example, and they name the same configurations", async () => {
    const names = MATRIX.map((configuration) => configuration.name).sort();
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect((await readdir(overlaysDir)).sort()).toEqual(names);
    expect((await readdir(join(terraformDir, "examples"))).sort()).toEqual(names);
  });

  for (const configuration of MATRIX) describe(`${configuration.name}: ${configuration.about}`, () => {
    it("renders the same objects with kubectl kustomize and terraform", async () => {
      const { kubectl, terraform } = await renderings.get(configuration.name)!;
      const fromKubectl = sortObjects(kubectl);
      const fromTerraform = sortObjects(terraform);
      expect(fromTerraform.map(objectKey), "the same objects by apiVersion/kind/namespace/name").toEqual(fromKubectl.map(objectKey));
      for (const [i, object] of fromKubectl.entries()) {
        expect(fromTerraform[i], `${describeObject(object)}: terraform output (received) vs kubectl kustomize (expected)`).toStrictEqual(object);
      }
      expect(fromKubectl.map((object) => `${object.apiVersion}/${object.kind}/${object.metadata.name}`).sort()).toEqual(configuration.objects);
    });

    it("applies through kubernetes.tf exactly the objects Terraform outputs, one resource each", async () => {
      const { terraform, applied } = await renderings.get(configuration.name)!;
      expect(Object.keys(applied).sort()).toEqual(terraform.map((object) => `${object.apiVersion}/${object.kind}/${object.metadata.namespace}/${object.metadata.name}`).sort());
      expect(sortObjects(Object.values(applied))).toStrictEqual(sortObjects(terraform));
    });

    // Terraform's objects are the kubectl ones (the test above), so one validation covers both.
    it("passes the Kubernetes schemas, unknown fields included", async () => {
      const { kubectl } = await renderings.get(configuration.name)!;
      expect(schemaErrors(kubectl)).toEqual([]);
      expect(unknownFields(kubectl)).toEqual([]);
    }, 60_000);

    it("holds no null, {} or [] (kubernetes_manifest cannot round-trip them)", async () => {
      const { kubectl, terraform } = await renderings.get(configuration.name)!;
      expect(kubectl.flatMap((object) => emptyValues(object).map((path) => `${describeObject(object)}: ${path}`))).toEqual([]);
      expect(terraform.flatMap((object) => emptyValues(object).map((path) => `${describeObject(object)}: ${path}`))).toEqual([]);
    });
  });

  it("gives the inner module with no inputs exactly the objects of the default overlay", async () => {
    const [fromModule, { kubectl }] = await Promise.all([innerDefaults, renderings.get("default")!]);
    expect(sortObjects(fromModule)).toStrictEqual(sortObjects(kubectl));
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
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: "a", namespace: "default" },
        spec: { rules: [{ host: "a.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "a", port: { nubmer: 80 } } } }] } }] },
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
      'networking.k8s.io/v1/Ingress default/a: spec.rules[0].http.paths[0].backend.service.port.nubmer: unknown field "nubmer" (not in the schema)',
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
