/**
 * The configurations all four deployment tools must render identically. Each is a kustomize
 * overlay (deploy/kubectl/overlays/NAME, the reference: literal YAML), a Terraform example
 * (deploy/terraform/examples/NAME), a Helm values file (deploy/helm/examples/NAME.yaml, rendered
 * with the release name `instance` in namespace `namespace`) and a Pulumi stack
 * (deploy/pulumi/stacks/Pulumi.NAME.yaml). Secret inputs are not in those files (a user passes
 * them as TF_VAR_…, `--set`, `pulumi config set --secret`); the overlays hold the same example
 * values as literals.
 */
export type SecretKnob = "apiKey" | "metricsToken" | "secretsKey" | "redisUrl" | "redisPassword" | "redisSentinelPassword";

/** How each tool names the secret inputs (Helm values path = Pulumi config path; Terraform variable). */
export const SECRET_INPUTS: Record<SecretKnob, { helm: string; pulumi: string; terraform: string }> = {
  apiKey: { helm: "apiKey", pulumi: "apiKey", terraform: "api_key" },
  metricsToken: { helm: "metricsToken", pulumi: "metricsToken", terraform: "metrics_token" },
  secretsKey: { helm: "secretsKey", pulumi: "secretsKey", terraform: "secrets_key" },
  redisUrl: { helm: "redis.url", pulumi: "redis.url", terraform: "redis_url" },
  redisPassword: { helm: "redis.password", pulumi: "redis.password", terraform: "redis_password" },
  redisSentinelPassword: { helm: "redis.sentinel.password", pulumi: "redis.sentinel.password", terraform: "redis_sentinel_password" },
};

export interface Configuration {
  name: string;
  /** What the configuration shows, as the test names it. */
  about: string;
  /** Secret inputs, passed to each tool its own way (see SECRET_INPUTS). */
  secrets: Partial<Record<SecretKnob, string>>;
  /** The instance knob: Helm's release name (default realtime-svg). */
  instance?: string;
  /** The namespace knob: Helm's release namespace (default "default"). */
  namespace?: string;
  /** kinds expected in the rendering, as apiVersion/kind/name, sorted. */
  objects: string[];
}

/** The objects of one installation, by what they are; NAME is the instance's base name. */
const objectsOf = (name = "realtime-svg") => ({
  configMap: `v1/ConfigMap/${name}`,
  secret: `v1/Secret/${name}`,
  server: [`apps/v1/Deployment/${name}`, `v1/Service/${name}`],
  pdb: `policy/v1/PodDisruptionBudget/${name}`,
  hpa: `autoscaling/v2/HorizontalPodAutoscaler/${name}`,
  networkPolicies: [`networking.k8s.io/v1/NetworkPolicy/${name}`, `networking.k8s.io/v1/NetworkPolicy/${name}-redis`],
  redis: [`apps/v1/Deployment/${name}-redis`, `v1/Service/${name}-redis`],
  pvc: `v1/PersistentVolumeClaim/${name}-redis`,
  ingress: `networking.k8s.io/v1/Ingress/${name}`,
  knative: `serving.knative.dev/v1/Service/${name}`,
  redisCa: `v1/ConfigMap/${name}-redis-ca`,
});
const { configMap, secret, server, pdb, hpa, networkPolicies, redis, pvc, ingress, knative, redisCa } = objectsOf();
const blue = objectsOf("blue-realtime-svg");

const sorted = (...keys: Array<string | string[]>) => keys.flat().sort();

export const MATRIX: Configuration[] = [
  {
    name: "default",
    about: "defaults: server ×2 with an in-cluster Redis (no persistence)",
    secrets: {},
    objects: sorted(configMap, secret, server, pdb, redis),
  },
  {
    name: "external-redis",
    about: "an external Redis through REDIS_URL in the Secret, no Redis objects",
    secrets: { redisUrl: "rediss://:change-me@redis.example.internal:6380/0" },
    objects: sorted(configMap, secret, server, pdb),
  },
  {
    name: "external-redis-host",
    about: "an external Redis by host and port, its password in the Secret",
    secrets: { redisPassword: "change-me-redis-password" },
    objects: sorted(configMap, secret, server, pdb),
  },
  {
    name: "sentinel",
    about: "an external Redis behind Sentinel: three sentinels, the primary's name, the sentinels' and the data nodes' passwords in the Secret",
    secrets: { redisSentinelPassword: "change-me-sentinel-password", redisPassword: "change-me-redis-password" },
    objects: sorted(configMap, secret, server, pdb),
  },
  {
    name: "cluster",
    about: "an external Redis Cluster over TLS: three of its nodes, a CA certificate in a ConfigMap of its own, the password in the Secret",
    secrets: { redisPassword: "change-me-redis-password" },
    objects: sorted(configMap, secret, server, pdb, redisCa),
  },
  {
    name: "ingress",
    about: "an ingress-nginx Ingress with TLS, streaming and user annotations",
    secrets: {},
    objects: sorted(configMap, secret, server, pdb, redis, ingress),
  },
  {
    name: "knative",
    about: "a Knative Service in place of Deployment, Service and PodDisruptionBudget",
    secrets: {},
    objects: sorted(configMap, secret, redis, knative),
  },
  {
    name: "knative-tuned",
    about: "Knative with target 5000, an hour's timeout, 20 pods at most, and the pod-level knobs on the Knative Service",
    secrets: {},
    objects: sorted(configMap, secret, redis, knative),
  },
  {
    name: "custom",
    about: "a custom namespace, replica count, resources and image",
    secrets: {},
    namespace: "images",
    objects: sorted(configMap, secret, server, pdb, redis),
  },
  {
    name: "secrets",
    about: "an API key, a metrics token, a webhook secrets key and a password on the in-cluster Redis",
    secrets: {
      apiKey: "change-me-api-key",
      metricsToken: "change-me-metrics-token",
      secretsKey: "yAAItSbVWq5LmEPMI2NZrmJP4za94fCABoz1adDuSOw=",
      redisPassword: "change-me-redis-password",
    },
    objects: sorted(configMap, secret, server, pdb, redis),
  },
  {
    name: "single-replica",
    about: "one replica (no PodDisruptionBudget) with extra settings and a longer grace period",
    secrets: {},
    objects: sorted(configMap, secret, server, redis),
  },
  {
    name: "persistent-redis",
    about: "small production: Redis keeps an append-only file on a PersistentVolumeClaim",
    secrets: {},
    objects: sorted(configMap, secret, server, pdb, redis, pvc),
  },
  {
    name: "second-install",
    about: "a second installation (instance blue) beside the first, with a label of its own",
    secrets: {},
    instance: "blue",
    objects: sorted(blue.configMap, blue.secret, blue.server, blue.pdb, blue.redis),
  },
  {
    name: "scheduling",
    about: "pull policy and secret, pod annotations and labels, node selector, tolerations, affinity, spread, extra env",
    secrets: {},
    objects: sorted(configMap, secret, server, pdb, redis),
  },
  {
    name: "autoscaling",
    about: "a HorizontalPodAutoscaler in place of a fixed replica count, and NetworkPolicies",
    secrets: {},
    objects: sorted(configMap, secret, server, pdb, hpa, networkPolicies, redis),
  },
  {
    name: "node-port",
    about: "a NodePort Service on port 80, and a plain-HTTP Ingress for another controller",
    secrets: {},
    objects: sorted(configMap, secret, server, pdb, redis, ingress),
  },
];
