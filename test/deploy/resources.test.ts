/**
 * The objects the overlays render meet the deployment's requirements (the parity test then holds
 * Terraform to the very same objects): probes, resources, security, streaming settings, labels.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MATRIX } from "./support/matrix.js";
import { renderKustomization, type KubeObject } from "./support/kustomize.js";
import { allowMissingTools, deployDir, missingTools, requireTools } from "./support/tools.js";

const skip = allowMissingTools && missingTools(["kubectl"]).length > 0;

// Loosely typed views of the objects, for reading fields.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const find = (objects: KubeObject[], apiVersion: string, kind: string, name: string): Json => {
  const object = objects.find((o) => o.apiVersion === apiVersion && o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`no ${apiVersion} ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return object;
};
const serverContainer = (objects: KubeObject[]): Json => find(objects, "apps/v1", "Deployment", "realtime-svg").spec.template.spec.containers[0];

describe.skipIf(skip)("the rendered objects", () => {
  const rendered = new Map<string, KubeObject[]>();

  beforeAll(async () => {
    requireTools(["kubectl"]);
    await Promise.all(
      MATRIX.map(async ({ name }) => rendered.set(name, await renderKustomization(join(deployDir, "kubectl", "overlays", name)))),
    );
    // The base works alone and is what the default overlay renders.
    expect(await renderKustomization(join(deployDir, "kubectl", "base"))).toStrictEqual(rendered.get("default"));
  }, 60_000);

  it("run the server as 2 replicas, rolling one at a time, on port 8080", () => {
    const deployment = find(rendered.get("default")!, "apps/v1", "Deployment", "realtime-svg");
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } });
    expect(serverContainer(rendered.get("default")!).ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
  });

  it("probe /health every 10 s and /ready every 5 s, with requests 100m/128Mi and limits 500m/512Mi", () => {
    const container = serverContainer(rendered.get("default")!);
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: "/health", port: "http" }, periodSeconds: 10 });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 });
    expect(container.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
  });

  it("run as non-root on a read-only root filesystem without privilege escalation", () => {
    for (const [name, objects] of rendered) {
      for (const object of objects.filter((o) => o.kind === "Deployment") as Json[]) {
        for (const container of object.spec.template.spec.containers) {
          expect(container.securityContext, `${name}: ${object.metadata.name}`).toMatchObject({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
          });
        }
      }
    }
  });

  it("give the server longer to stop than its own shutdown grace, in every configuration", () => {
    for (const [name, objects] of rendered) {
      const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "realtime-svg") as Json;
      if (!deployment) continue; // Knative sets the grace period from timeoutSeconds itself
      const grace = Number(find(objects, "v1", "ConfigMap", "realtime-svg").data.SHUTDOWN_GRACE_MS ?? "10000");
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000, name).toBeGreaterThan(grace);
    }
  });

  it("use this project's own image, set once in the base", () => {
    expect(serverContainer(rendered.get("default")!).image).toBe("ghcr.io/realtime-svg/realtime-svg:0.1.0");
    expect(serverContainer(rendered.get("custom")!).image).toBe("registry.example.com/team/realtime-svg:0.2.0");
  });

  it("configure the server through a ConfigMap and optional Secret keys", () => {
    const objects = rendered.get("default")!;
    expect(find(objects, "v1", "ConfigMap", "realtime-svg").data).toEqual({ PORT: "8080", LOG_LEVEL: "info", REDIS_HOST: "realtime-svg-redis", REDIS_PORT: "6379" });
    const container = serverContainer(objects);
    expect(container.envFrom).toEqual([{ configMapRef: { name: "realtime-svg" } }]);
    expect(container.env.map((variable: Json) => [variable.name, variable.valueFrom.secretKeyRef.key, variable.valueFrom.secretKeyRef.optional])).toEqual([
      ["REDIS_URL", "redis-url", true],
      ["REDIS_PASSWORD", "redis-password", true],
      ["API_KEY", "api-key", true],
      ["METRICS_TOKEN", "metrics-token", true],
    ]);
    const secret = find(rendered.get("secrets")!, "v1", "Secret", "realtime-svg");
    expect(Object.keys(secret.data).sort()).toEqual(["api-key", "metrics-token", "redis-password"]);
  });

  it("never set REDIS_URL and REDIS_HOST together (the server refuses both)", () => {
    const objects = rendered.get("external-redis")!;
    expect(find(objects, "v1", "Secret", "realtime-svg").data["redis-url"]).toBeDefined();
    expect(find(objects, "v1", "ConfigMap", "realtime-svg").data.REDIS_HOST).toBeUndefined();
  });

  it("run Redis as redis:7-alpine without persistence, never evicting sessions", () => {
    const redis = find(rendered.get("default")!, "apps/v1", "Deployment", "realtime-svg-redis").spec.template.spec.containers[0];
    expect(redis.image).toBe("redis:7-alpine");
    expect(redis.args.join(" ")).toContain('--save  --appendonly no');
    expect(redis.args.slice(redis.args.indexOf("--maxmemory-policy"))).toEqual(["--maxmemory-policy", "noeviction"]);
    expect(redis.ports[0].containerPort).toBe(6379);
    expect(redis.livenessProbe).toBeDefined();
    expect(redis.readinessProbe).toBeDefined();
    expect(find(rendered.get("default")!, "v1", "Service", "realtime-svg-redis").spec.ports[0].port).toBe(6379);
  });

  it("keep one server available during disruptions when there are several", () => {
    expect(find(rendered.get("default")!, "policy/v1", "PodDisruptionBudget", "realtime-svg").spec.minAvailable).toBe(1);
    expect(rendered.get("single-replica")!.some((o) => o.kind === "PodDisruptionBudget")).toBe(false);
  });

  it("serve streams through ingress-nginx unbuffered, with a read timeout beyond the keep-alive interval, over TLS", () => {
    const ingress = find(rendered.get("ingress")!, "networking.k8s.io/v1", "Ingress", "realtime-svg");
    const annotations = ingress.metadata.annotations;
    expect(annotations["nginx.ingress.kubernetes.io/proxy-buffering"]).toBe("off");
    expect(Number(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"])).toBeGreaterThan(25);
    expect(annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt");
    expect(ingress.spec.tls).toEqual([{ hosts: ["img.example.com"], secretName: "realtime-svg-tls" }]);
    expect(ingress.spec.rules[0].http.paths[0]).toMatchObject({ path: "/", pathType: "Prefix", backend: { service: { name: "realtime-svg" } } });
  });

  it("give Knative the server's environment and the longest default request timeout", () => {
    const service = find(rendered.get("knative")!, "serving.knative.dev/v1", "Service", "realtime-svg");
    const container = service.spec.template.spec.containers[0];
    const deployed = serverContainer(rendered.get("default")!);
    for (const field of ["image", "env", "envFrom", "resources", "securityContext"]) expect(container[field], field).toEqual(deployed[field]);
    expect(service.spec.template.spec.timeoutSeconds).toBe(600);
    expect(container.livenessProbe.httpGet.path).toBe("/health");
    expect(container.readinessProbe.httpGet.path).toBe("/ready");
    expect(rendered.get("knative")!.filter((o) => o.metadata.name === "realtime-svg").map((o) => o.kind).sort()).toEqual(["ConfigMap", "Secret", "Service"]);
  });

  it("label every object with app.kubernetes.io/* labels", () => {
    for (const [name, objects] of rendered) {
      for (const object of objects as Json[]) {
        expect(Object.keys(object.metadata.labels ?? {}).sort(), `${name}: ${object.kind}/${object.metadata.name}`).toEqual([
          "app.kubernetes.io/component",
          "app.kubernetes.io/instance",
          "app.kubernetes.io/name",
          "app.kubernetes.io/part-of",
        ]);
      }
    }
  });
});
