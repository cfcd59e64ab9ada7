/**
 * The objects the overlays render meet the deployment's requirements (the parity test then holds
 * Terraform, Helm and Pulumi to the very same objects): probes, resources, security, streaming
 * settings, labels, and what each variant adds.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MATRIX } from "./support/matrix.js";
import { renderKustomization, type KubeObject } from "./support/kustomize.js";
import { allowMissingTools, deployDir, missingTools, requireTools } from "./support/tools.js";

const skip = allowMissingTools && missingTools(["kubectl"]).length > 0;
const overlaysDir = join(deployDir, "kubectl", "overlays");

// Loosely typed views of the objects, for reading fields.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const find = (objects: KubeObject[], apiVersion: string, kind: string, name = "realtime-svg"): Json => {
  const object = objects.find((o) => o.apiVersion === apiVersion && o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`no ${apiVersion} ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return object;
};
const component = (object: KubeObject) => (object.metadata["labels"] as Record<string, string> | undefined)?.["app.kubernetes.io/component"];
const serverDeployment = (objects: KubeObject[], name = "realtime-svg"): Json => find(objects, "apps/v1", "Deployment", name);
const serverContainer = (objects: KubeObject[], name = "realtime-svg"): Json => serverDeployment(objects, name).spec.template.spec.containers[0];
const redisDeployment = (objects: KubeObject[], name = "realtime-svg-redis"): Json => find(objects, "apps/v1", "Deployment", name);
const redisContainer = (objects: KubeObject[], name = "realtime-svg-redis"): Json => redisDeployment(objects, name).spec.template.spec.containers[0];

/** The comment a kustomization.yaml starts with: what the overlay shows. */
async function leadingComment(name: string): Promise<string> {
  const text = await readFile(join(overlaysDir, name, "kustomization.yaml"), "utf8");
  const lines = text.split("\n");
  return lines
    .slice(0, lines.findIndex((line) => !line.startsWith("#")))
    .map((line) => line.replace(/^#\s?/, ""))
    .join(" ");
}

describe.skipIf(skip)("the rendered objects", () => {
  const rendered = new Map<string, KubeObject[]>();
  const get = (name: string) => rendered.get(name)!;

  beforeAll(async () => {
    requireTools(["kubectl"]);
    await Promise.all(MATRIX.map(async ({ name }) => rendered.set(name, await renderKustomization(join(overlaysDir, name)))));
    // The base works alone and is what the default overlay renders.
    expect(await renderKustomization(join(deployDir, "kubectl", "base"))).toStrictEqual(get("default"));
  }, 60_000);

  it("run the server as 2 replicas, rolling one at a time, on port 8080", () => {
    const deployment = serverDeployment(get("default"));
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } });
    expect(serverContainer(get("default")).ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
  });

  it("probe /health every 10 s and /ready every 5 s, with requests 100m/128Mi and limits 500m/512Mi", () => {
    const container = serverContainer(get("default"));
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

  it("give the server longer to stop than its drain and shutdown grace, in every configuration", () => {
    for (const [name, objects] of rendered) {
      const configMap = objects.find((o) => o.kind === "ConfigMap") as Json;
      // After SIGTERM the server drains for DRAIN_SECONDS, then stops within SHUTDOWN_GRACE_MS.
      const stoppingMs = Number(configMap.data.DRAIN_SECONDS ?? "300") * 1000 + Number(configMap.data.SHUTDOWN_GRACE_MS ?? "10000");
      const deployment = objects.find((o) => o.kind === "Deployment" && component(o) === "server") as Json;
      const knative = objects.find((o) => o.apiVersion === "serving.knative.dev/v1") as Json;
      // Knative has no terminationGracePeriodSeconds: a stopping pod gets the request timeout.
      const graceSeconds = deployment ? deployment.spec.template.spec.terminationGracePeriodSeconds : knative.spec.template.spec.timeoutSeconds;
      expect(graceSeconds * 1000, name).toBeGreaterThan(stoppingMs);
    }
    expect(serverDeployment(get("default")).spec.template.spec.terminationGracePeriodSeconds).toBe(320);
  });

  it("use this project's own image, set once in the base, pulled only when the node lacks it", () => {
    expect(serverContainer(get("default")).image).toBe("ghcr.io/realtime-svg/realtime-svg:0.1.0");
    expect(serverContainer(get("custom")).image).toBe("registry.example.com/team/realtime-svg:0.2.0");
    expect(serverContainer(get("default")).imagePullPolicy).toBe("IfNotPresent");
    expect(redisContainer(get("default")).imagePullPolicy).toBe("IfNotPresent");
  });

  it("configure the server through a ConfigMap and optional Secret keys", () => {
    const objects = get("default");
    expect(find(objects, "v1", "ConfigMap").data).toEqual({ PORT: "8080", LOG_LEVEL: "info", REDIS_HOST: "realtime-svg-redis", REDIS_PORT: "6379" });
    const container = serverContainer(objects);
    expect(container.envFrom).toEqual([{ configMapRef: { name: "realtime-svg" } }]);
    expect(container.env.map((variable: Json) => [variable.name, variable.valueFrom.secretKeyRef.key, variable.valueFrom.secretKeyRef.optional])).toEqual([
      ["REDIS_URL", "redis-url", true],
      ["REDIS_PASSWORD", "redis-password", true],
      ["REDIS_SENTINEL_PASSWORD", "redis-sentinel-password", true],
      ["API_KEY", "apiKey", true],
      ["METRICS_TOKEN", "metrics-token", true],
      ["SECRETS_KEY", "secrets-key", true],
    ]);
    // No data at all without a secret; each key only when set.
    expect(find(objects, "v1", "Secret")).not.toHaveProperty("data");
    expect(Object.keys(find(get("secrets"), "v1", "Secret").data).sort()).toEqual(["apiKey", "metrics-token", "redis-password", "secrets-key"]);
    expect(Object.keys(find(get("external-redis-host"), "v1", "Secret").data)).toEqual(["redis-password"]);
    expect(Object.keys(find(get("external-redis"), "v1", "Secret").data)).toEqual(["redis-url"]);
  });

  it("never set REDIS_URL and REDIS_HOST together (the server refuses both)", () => {
    const objects = get("external-redis");
    expect(find(objects, "v1", "Secret").data["redis-url"]).toBeDefined();
    expect(find(objects, "v1", "ConfigMap").data.REDIS_HOST).toBeUndefined();
    expect(find(get("external-redis-host"), "v1", "ConfigMap").data).toMatchObject({ REDIS_HOST: "redis.example.internal", REDIS_PORT: "6380" });
  });

  it("run Redis as redis:7-alpine without persistence by default, never evicting sessions, with the design's resources", () => {
    const objects = get("default");
    const redis = redisContainer(objects);
    expect(redis.image).toBe("redis:7-alpine");
    expect(redis.args).toEqual(["--save", "", "--appendonly", "no", "--maxmemory", "200mb", "--maxmemory-policy", "noeviction"]);
    expect(redis.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
    expect(redis.ports[0].containerPort).toBe(6379);
    expect(redis.livenessProbe).toBeDefined();
    expect(redis.readinessProbe).toBeDefined();
    expect(redisDeployment(objects).spec.strategy).toEqual({ type: "Recreate" });
    expect(redisDeployment(objects).spec.template.spec.volumes).toEqual([{ name: "data", emptyDir: { sizeLimit: "64Mi" } }]);
    expect(find(objects, "v1", "Service", "realtime-svg-redis").spec.ports[0].port).toBe(6379);
  });

  it("give every Redis pod fsGroup 999, so that a claim mounted at /data is writable", () => {
    for (const [name, objects] of rendered) {
      for (const object of objects.filter((o) => o.kind === "Deployment" && component(o) === "store") as Json[]) {
        expect(object.spec.template.spec.securityContext, name).toEqual({ fsGroup: 999 });
      }
    }
  });

  it("keep Redis's data in an append-only file on a PersistentVolumeClaim with persistent-redis", () => {
    const objects = get("persistent-redis");
    expect(redisContainer(objects).args).toEqual([
      "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory", "200mb", "--maxmemory-policy", "noeviction",
    ]);
    expect(redisDeployment(objects).spec.template.spec.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "realtime-svg-redis" } }]);
    expect(find(objects, "v1", "PersistentVolumeClaim", "realtime-svg-redis").spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      storageClassName: "standard",
      resources: { requests: { storage: "2Gi" } },
    });
  });

  it("say in each overlay's opening comment whether Redis keeps data", async () => {
    for (const [name, objects] of rendered) {
      const comment = await leadingComment(name);
      const inCluster = objects.some((o) => o.kind === "Deployment" && component(o) === "store");
      const persistent = objects.some((o) => o.kind === "PersistentVolumeClaim");
      if (persistent) expect(comment, name).toMatch(/append-only file on a\s+PersistentVolumeClaim/);
      else if (inCluster) expect(comment, name).toMatch(/no persistence/);
      else expect(comment, name).toMatch(/No Redis objects/);
    }
    expect(await leadingComment("default")).toMatch(/dev\/test: no persistence/);
    expect(await leadingComment("persistent-redis")).toMatch(/^Small production: .*append-only file on a PersistentVolumeClaim/);
  });

  it("require the password on the in-cluster Redis when one is set", () => {
    const redis = redisContainer(get("secrets"));
    expect(redis.args.slice(-2)).toEqual(["--requirepass", "$(REDISCLI_AUTH)"]);
    expect(redis.env).toEqual([{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: "realtime-svg", key: "redis-password" } } }]);
  });

  it("keep one server available during disruptions when there are several", () => {
    expect(find(get("default"), "policy/v1", "PodDisruptionBudget").spec.minAvailable).toBe(1);
    expect(get("single-replica").some((o) => o.kind === "PodDisruptionBudget")).toBe(false);
    // The autoscaler never goes below 2 pods.
    expect(find(get("autoscaling"), "policy/v1", "PodDisruptionBudget").spec.minAvailable).toBe(1);
  });

  it("serve streams through ingress-nginx unbuffered, with a read timeout beyond the keep-alive interval, over TLS", () => {
    const ingress = find(get("ingress"), "networking.k8s.io/v1", "Ingress");
    const annotations = ingress.metadata.annotations;
    expect(annotations["nginx.ingress.kubernetes.io/proxy-buffering"]).toBe("off");
    expect(Number(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"])).toBeGreaterThan(25);
    expect(annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt");
    expect(ingress.spec.ingressClassName).toBe("nginx");
    expect(ingress.spec.tls).toEqual([{ hosts: ["img.example.com"], secretName: "realtime-svg-tls" }]);
    expect(ingress.spec.rules[0].http.paths[0]).toEqual({ path: "/", pathType: "Prefix", backend: { service: { name: "realtime-svg", port: { name: "http" } } } });
  });

  it("put the Service on a node port and route another controller's plain-HTTP Ingress to it with node-port", () => {
    const objects = get("node-port");
    const service = find(objects, "v1", "Service");
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.ports).toEqual([{ name: "http", port: 80, nodePort: 30080, targetPort: "http", protocol: "TCP" }]);
    const ingress = find(objects, "networking.k8s.io/v1", "Ingress");
    expect(ingress.spec).not.toHaveProperty("tls");
    expect(ingress.spec.ingressClassName).toBe("traefik");
    expect(ingress.spec.rules[0].http.paths[0].pathType).toBe("ImplementationSpecific");
    expect(ingress.metadata.annotations).toEqual({
      "nginx.ingress.kubernetes.io/proxy-buffering": "off",
      "nginx.ingress.kubernetes.io/proxy-read-timeout": "600",
      "nginx.ingress.kubernetes.io/proxy-send-timeout": "600",
    });
  });

  it("give Knative the server's environment, the longest default request timeout and concurrency autoscaling", () => {
    const service = find(get("knative"), "serving.knative.dev/v1", "Service");
    const container = service.spec.template.spec.containers[0];
    const deployed = serverContainer(get("default"));
    for (const field of ["image", "imagePullPolicy", "env", "envFrom", "resources", "securityContext"]) expect(container[field], field).toEqual(deployed[field]);
    expect(service.spec.template.spec.timeoutSeconds).toBe(600);
    expect(service.spec.template.metadata.annotations).toEqual({
      "autoscaling.knative.dev/metric": "concurrency",
      "autoscaling.knative.dev/target": "10000",
      "autoscaling.knative.dev/min-scale": "1",
      "autoscaling.knative.dev/max-scale": "10",
    });
    expect(container.livenessProbe.httpGet.path).toBe("/health");
    expect(container.readinessProbe.httpGet.path).toBe("/ready");
    expect(get("knative").filter((o) => o.metadata.name === "realtime-svg").map((o) => o.kind).sort()).toEqual(["ConfigMap", "Secret", "Service"]);
  });

  it("tune Knative in knative-tuned and give its Knative Service the pod-level knobs, as a Deployment would get them", async () => {
    const service = find(get("knative-tuned"), "serving.knative.dev/v1", "Service");
    const pod = service.spec.template.spec;
    // 5 frames a second: the README's 5,800 streams per pod, rounded down; streams of an hour.
    expect(service.spec.template.metadata.annotations).toEqual({
      "autoscaling.knative.dev/metric": "concurrency",
      "autoscaling.knative.dev/target": "5000",
      "autoscaling.knative.dev/min-scale": "1",
      "autoscaling.knative.dev/max-scale": "20",
      "autoscaling.knative.dev/scale-down-delay": "10m",
    });
    expect(pod.timeoutSeconds).toBe(3600);
    expect(service.spec.template.metadata.labels.tier).toBe("frontend");
    // The same scheduling as the scheduling overlay's Deployment, where both set a field.
    const scheduling = serverDeployment(get("scheduling")).spec.template.spec;
    for (const field of ["imagePullSecrets", "nodeSelector", "tolerations", "topologySpreadConstraints"]) expect(pod[field], field).toEqual(scheduling[field]);
    expect(pod.containers[0].env.at(-1)).toEqual({ name: "NODE_OPTIONS", value: "--max-old-space-size=384" });
    // The copied booleans stay booleans (a strategic-merge patch of the custom resource would
    // turn them into strings).
    expect([pod.automountServiceAccountToken, pod.enableServiceLinks]).toEqual([false, false]);
    // Knative takes these fields only with its feature flags, which the overlay names.
    const comment = await leadingComment("knative-tuned");
    for (const flag of ["kubernetes.podspec-nodeselector", "kubernetes.podspec-tolerations", "kubernetes.podspec-topologyspreadconstraints", "max-revision-timeout-seconds"]) {
      expect(comment, flag).toContain(flag);
    }
  });

  it("leave the replica count to a HorizontalPodAutoscaler, and let only ingress-nginx and the server in, with autoscaling", () => {
    const objects = get("autoscaling");
    expect(serverDeployment(objects).spec).not.toHaveProperty("replicas");
    expect(find(objects, "autoscaling/v2", "HorizontalPodAutoscaler").spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "realtime-svg" },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }],
    });
    const server = find(objects, "networking.k8s.io/v1", "NetworkPolicy");
    expect(server.spec.podSelector.matchLabels).toEqual(serverDeployment(objects).spec.selector.matchLabels);
    expect(server.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } } }],
        ports: [{ protocol: "TCP", port: 8080 }],
      },
    ]);
    const redis = find(objects, "networking.k8s.io/v1", "NetworkPolicy", "realtime-svg-redis");
    expect(redis.spec.podSelector.matchLabels).toEqual(redisDeployment(objects).spec.selector.matchLabels);
    expect(redis.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: serverDeployment(objects).spec.selector.matchLabels } }], ports: [{ protocol: "TCP", port: 6379 }] }]);
  });

  it("reach an external Redis behind Sentinel: sentinels and master in the ConfigMap, both passwords in the Secret, no Redis objects", () => {
    const objects = get("sentinel");
    expect(find(objects, "v1", "ConfigMap").data).toEqual({
      PORT: "8080",
      LOG_LEVEL: "info",
      REDIS_SENTINELS: "sentinel-0.redis.example.internal:26379,sentinel-1.redis.example.internal:26379,sentinel-2.redis.example.internal:26379",
      REDIS_SENTINEL_MASTER: "mymaster",
    });
    expect(Object.keys(find(objects, "v1", "Secret").data).sort()).toEqual(["redis-password", "redis-sentinel-password"]);
    expect(objects.filter((object) => object.metadata.name.endsWith("-redis"))).toEqual([]);
  });

  it("reach an external Redis Cluster over TLS, its CA mounted read-only from a ConfigMap of its own", () => {
    const objects = get("cluster");
    const data = find(objects, "v1", "ConfigMap").data;
    expect(data).toMatchObject({ REDIS_TLS: "true", REDIS_CA_FILE: "/etc/realtime-svg/redis-ca/ca.crt" });
    expect(data.REDIS_CLUSTER_NODES.split(",")).toHaveLength(3);
    expect(data).not.toHaveProperty("REDIS_HOST");
    expect(find(objects, "v1", "ConfigMap", "realtime-svg-redis-ca").data["ca.crt"]).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const pod = serverDeployment(objects).spec.template.spec;
    expect(pod.volumes).toEqual([{ name: "redis-ca", configMap: { name: "realtime-svg-redis-ca" } }]);
    expect(serverContainer(objects).volumeMounts).toEqual([{ name: "redis-ca", mountPath: "/etc/realtime-svg/redis-ca", readOnly: true }]);
    // No CA, no volume: the other variants' pods mount nothing.
    expect(serverDeployment(get("default")).spec.template.spec).not.toHaveProperty("volumes");
  });

  it("pass the scheduling settings to the server's pods only, extra variables after the module's own", () => {
    const objects = get("scheduling");
    const deployment = serverDeployment(objects);
    const pod = deployment.spec.template;
    expect(pod.metadata.annotations).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": "8080" });
    expect(pod.metadata.labels.tier).toBe("frontend");
    expect(deployment.metadata.labels).not.toHaveProperty("tier");
    expect(deployment.spec.selector.matchLabels).not.toHaveProperty("tier");
    expect(pod.spec.imagePullSecrets).toEqual([{ name: "regcred" }]);
    expect(pod.spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(pod.spec.tolerations).toEqual([{ key: "dedicated", operator: "Equal", value: "images", effect: "NoSchedule" }]);
    expect(Object.keys(pod.spec.affinity)).toEqual(["podAntiAffinity"]);
    expect(pod.spec.topologySpreadConstraints[0]).toMatchObject({ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" });
    const container = serverContainer(objects);
    expect(container.imagePullPolicy).toBe("Always");
    expect(container.env.map((variable: Json) => variable.name)).toEqual(["REDIS_URL", "REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD", "API_KEY", "METRICS_TOKEN", "SECRETS_KEY", "NODE_OPTIONS", "POD_NAME"]);
    // Redis is not the server: none of it reaches its pod.
    const redisPod = redisDeployment(objects).spec.template;
    expect(redisPod.metadata).not.toHaveProperty("annotations");
    expect(Object.keys(redisPod.spec).sort()).toEqual(["automountServiceAccountToken", "containers", "enableServiceLinks", "securityContext", "volumes"]);
  });

  it("name and label a second installation apart from the first, REDIS_HOST and references included", () => {
    const objects = get("second-install");
    expect(find(objects, "v1", "ConfigMap", "blue-realtime-svg").data.REDIS_HOST).toBe("blue-realtime-svg-redis");
    const container = serverContainer(objects, "blue-realtime-svg");
    expect(container.envFrom).toEqual([{ configMapRef: { name: "blue-realtime-svg" } }]);
    expect(new Set(container.env.map((variable: Json) => variable.valueFrom.secretKeyRef.name))).toEqual(new Set(["blue-realtime-svg"]));
    for (const object of objects as Json[]) {
      expect(object.metadata.labels, `${object.kind}/${object.metadata.name}`).toMatchObject({ "app.kubernetes.io/instance": "blue", team: "images" });
      const template = object.spec?.template;
      if (template) expect(template.metadata.labels, `${object.kind}/${object.metadata.name} pods`).toMatchObject({ "app.kubernetes.io/instance": "blue", team: "images" });
      const selector = object.spec?.selector?.matchLabels ?? (object.kind === "Service" ? object.spec.selector : undefined);
      if (selector) {
        expect(selector["app.kubernetes.io/instance"], `${object.kind}/${object.metadata.name} selector`).toBe("blue");
        expect(selector, `${object.kind}/${object.metadata.name} selector`).not.toHaveProperty("team");
      }
    }
  });

  it("label every object with app.kubernetes.io/* labels (and commonLabels, where set), pod templates too", () => {
    const standard = ["app.kubernetes.io/component", "app.kubernetes.io/instance", "app.kubernetes.io/name", "app.kubernetes.io/part-of"];
    const common: Record<string, string[]> = { "second-install": ["team"] };
    for (const [name, objects] of rendered) {
      const instance = MATRIX.find((configuration) => configuration.name === name)!.instance ?? "realtime-svg";
      for (const object of objects as Json[]) {
        const labels = object.metadata.labels ?? {};
        expect(Object.keys(labels).sort(), `${name}: ${object.kind}/${object.metadata.name}`).toEqual([...standard, ...(common[name] ?? [])].sort());
        expect(labels["app.kubernetes.io/instance"]).toBe(instance);
        expect(labels["app.kubernetes.io/part-of"]).toBe("realtime-svg");
        expect(labels["app.kubernetes.io/name"]).toBe(labels["app.kubernetes.io/component"] === "store" ? "redis" : "realtime-svg");
        const template = object.spec?.template?.metadata?.labels;
        if (template) expect(template, `${name}: ${object.kind}/${object.metadata.name} pods`).toMatchObject(labels);
      }
    }
  });
});
