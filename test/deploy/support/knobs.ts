/**
 * Every knob of the deployment, by the name each of the four tools gives it. The tests hold each
 * tool to exactly this list (Helm's values.schema.json, Terraform's variables, the Pulumi
 * program's config keys, deploy/README.md's table), so a knob that one tool gains and the others
 * lack fails the run.
 *
 * Paths are dotted: `ingress.tls.enabled` is the Helm value / Pulumi config path
 * (`pulumi config set --path ingress.tls.enabled true`) and `ingress.tls.enabled` the Terraform
 * attribute of the `ingress` object. A knob whose value is a map or a list (annotations, settings,
 * tolerations…) is one leaf: its entries are the user's.
 */
export interface Knob {
  /** The knob's name in deploy/README.md's table. */
  knob: string;
  /** Helm values paths; `(release name)` / `(release namespace)` for what helm takes on its command line. */
  helm: string[];
  /** Pulumi config keys (paths). */
  pulumi: string[];
  /** Terraform input variables (and attributes of object variables), as paths. */
  terraform: string[];
  /** Whether the value is a secret (Terraform: sensitive; Pulumi: a secret config value). */
  secret?: boolean;
}

const same = (knob: string, paths: string[], terraform: string[] = paths, secret?: boolean): Knob => ({
  knob,
  helm: paths,
  pulumi: paths,
  terraform,
  ...(secret ? { secret } : {}),
});

export const KNOBS: Knob[] = [
  { knob: "instance", helm: ["(release name)"], pulumi: ["instance"], terraform: ["instance"] },
  { knob: "namespace", helm: ["(release namespace)"], pulumi: ["namespace"], terraform: ["namespace"] },
  same("common labels", ["commonLabels"], ["common_labels"]),
  same("replicas", ["replicas"]),
  same("image", ["image.repository", "image.tag"]),
  same("image pull policy", ["image.pullPolicy"], ["image.pull_policy"]),
  same("image pull secrets", ["imagePullSecrets"], ["image_pull_secrets"]),
  same("server resources", ["resources"]),
  same("log level", ["logLevel"], ["log_level"]),
  same("settings", ["settings"]),
  same("extra environment variables", ["extraEnv"], ["extra_env"]),
  same("time to stop", ["terminationGracePeriodSeconds"], ["termination_grace_period_seconds"]),
  same("API key", ["apiKey"], ["api_key"], true),
  same("metrics token", ["metricsToken"], ["metrics_token"], true),
  same("secrets key", ["secretsKey"], ["secrets_key"], true),
  same("pod annotations", ["podAnnotations"], ["pod_annotations"]),
  same("pod labels", ["podLabels"], ["pod_labels"]),
  same("node selector", ["nodeSelector"], ["node_selector"]),
  same("tolerations", ["tolerations"]),
  same("affinity", ["affinity"]),
  same("topology spread", ["topologySpreadConstraints"], ["topology_spread_constraints"]),
  same("service type", ["service.type"]),
  same("service port", ["service.port"]),
  same("service nodePort", ["service.nodePort"], ["service.node_port"]),
  same("ingress", ["ingress.enabled"]),
  same("ingress host", ["ingress.host"]),
  same("ingress class", ["ingress.className"], ["ingress.class_name"]),
  same("ingress path", ["ingress.path", "ingress.pathType"], ["ingress.path", "ingress.path_type"]),
  same("ingress annotations", ["ingress.annotations"]),
  same("ingress TLS", ["ingress.tls.enabled", "ingress.tls.secretName"], ["ingress.tls.enabled", "ingress.tls.secret_name"]),
  same("ingress read timeout", ["ingress.readTimeoutSeconds"], ["ingress.read_timeout_seconds"]),
  same("in-cluster Redis", ["redis.enabled"]),
  same("external Redis URL", ["redis.url"], ["redis_url"], true),
  same("external Redis host", ["redis.host", "redis.port"]),
  same("Redis password", ["redis.password"], ["redis_password"], true),
  same("Redis Sentinel", ["redis.sentinel.addresses", "redis.sentinel.master"]),
  same("Redis Sentinel password", ["redis.sentinel.password"], ["redis_sentinel_password"], true),
  same("Redis Cluster", ["redis.cluster.nodes"]),
  same("external Redis TLS", ["redis.tls.enabled", "redis.tls.caCert"], ["redis.tls.enabled", "redis.tls.ca_cert"]),
  same("Redis image", ["redis.image"]),
  same("Redis maxmemory", ["redis.maxMemory"], ["redis.max_memory"]),
  same("Redis resources", ["redis.resources"]),
  same(
    "Redis persistence",
    ["redis.persistence.enabled", "redis.persistence.size", "redis.persistence.storageClass"],
    ["redis.persistence.enabled", "redis.persistence.size", "redis.persistence.storage_class"],
  ),
  same(
    "HorizontalPodAutoscaler",
    ["autoscaling.enabled", "autoscaling.minReplicas", "autoscaling.maxReplicas", "autoscaling.targetCPUUtilizationPercentage"],
    ["autoscaling.enabled", "autoscaling.min_replicas", "autoscaling.max_replicas", "autoscaling.target_cpu_utilization_percentage"],
  ),
  same(
    "NetworkPolicy",
    ["networkPolicy.enabled", "networkPolicy.ingressNamespaceLabels", "networkPolicy.ingressPodLabels"],
    ["network_policy.enabled", "network_policy.ingress_namespace_labels", "network_policy.ingress_pod_labels"],
  ),
  same(
    "Knative",
    ["knative.enabled", "knative.timeoutSeconds", "knative.minScale", "knative.maxScale", "knative.target"],
    ["knative.enabled", "knative.timeout_seconds", "knative.min_scale", "knative.max_scale", "knative.target"],
  ),
];

/** Paths of one tool, sorted. */
export const knobPaths = (tool: "helm" | "pulumi" | "terraform") =>
  KNOBS.flatMap((knob) => knob[tool]).filter((path) => !path.startsWith("(")).sort();

/**
 * Settings every tool's `settings` map accepts: every setting of the Node host the README
 * documents, except those with a knob of their own.
 */
export const SETTINGS_WITH_OWN_KNOB = [
  "PORT",
  "LOG_LEVEL",
  "REDIS_URL",
  "REDIS_HOST",
  "REDIS_PORT",
  "REDIS_PASSWORD",
  "REDIS_SENTINELS",
  "REDIS_SENTINEL_MASTER",
  "REDIS_SENTINEL_PASSWORD",
  "REDIS_CLUSTER_NODES",
  "REDIS_TLS",
  "REDIS_CA_FILE",
  "API_KEY",
  "METRICS_TOKEN",
  "SECRETS_KEY",
];
