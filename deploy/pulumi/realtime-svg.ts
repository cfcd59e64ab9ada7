/**
 * The realtime-svg component: every Kubernetes object of one installation, exactly as the
 * kustomize overlays (deploy/kubectl, the reference) and the other tools create them for the
 * same knobs. deploy/README.md lists the objects and knobs; test/deploy holds the four tools to
 * the same objects, field for field.
 *
 * Every object gets an explicit metadata.name: Pulumi would otherwise auto-name it with a random
 * suffix (and mark it with a `pulumi.com/autonamed` annotation), and the other tools could not
 * match it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Toleration = k8s.types.input.core.v1.Toleration;
type Affinity = k8s.types.input.core.v1.Affinity;
type TopologySpreadConstraint = k8s.types.input.core.v1.TopologySpreadConstraint;
type StringMap = Record<string, string>;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
export const PATH_TYPES = ["Prefix", "Exact", "ImplementationSpecific"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type PullPolicy = (typeof PULL_POLICIES)[number];
export type ServiceType = (typeof SERVICE_TYPES)[number];
export type PathType = (typeof PATH_TYPES)[number];

/**
 * Settings the `settings` map accepts: every setting of the Node host that the README documents,
 * minus those with a knob of their own (SETTINGS_WITH_OWN_KNOB). Held literally because a Pulumi
 * program cannot import the server's code at run time; test/deploy/pulumi.test.ts requires this
 * list to equal runtime/config.ts's.
 */
export const ALLOWED_SETTINGS: readonly string[] = [
  "HOST",
  "REDIS_WAIT_REPLICAS",
  "REDIS_WAIT_TIMEOUT_MS",
  "MEMORY_MAX_BYTES",
  "MEMORY_MAX_SESSIONS",
  "KEY_PREFIX",
  "PUBLIC_URL",
  "SHUTDOWN_GRACE_MS",
  "DRAIN_SECONDS",
  "MAX_CONNECTIONS",
  "MAX_STREAMS",
  "MAX_STREAMS_PER_CLIENT",
  "MAX_EVENT_IDS",
  "MAX_PREVIEWS",
  "MAX_PREVIEWS_PER_CLIENT",
  "TRUSTED_PROXY_HEADER",
  "TRUSTED_PROXY_HOPS",
  "CORS_ORIGINS",
  "MAX_HOOKS_PER_SESSION",
  "MAX_BODY_BYTES",
  "BODY_TIMEOUT_MS",
  "MAX_TEMPLATE_BYTES",
  "MAX_ARGS_BYTES",
  "MAX_ARGS_DEPTH",
  "MAX_ARGS_KEYS",
  "MAX_FRAME_BYTES",
  "MAX_SVG_DEPTH",
  "RENDER_TIMEOUT_MS",
  "RENDER_MEMORY_BYTES",
  "RENDER_WORKERS",
  "RENDER_WORKER_MEMORY_BYTES",
  "RENDER_QUEUE",
  "DEFAULT_EXPIRE",
  "MAX_EXPIRE",
  "LOST_SESSION_GRACE_SECONDS",
  "KEEP_ALIVE_MS",
  "READY_TIMEOUT_MS",
  "MAX_HTML_BYTES",
  "MAX_HTML_NODES",
  "MAX_HTML_TEXT",
  "MAX_HTML_DEPTH",
  "MAX_PNG_SCALE",
  "MAX_PNG_PIXELS",
  "MAX_PNG_FILTER_PIXELS",
  "MAX_PNG_FILTER_RADIUS",
  "PNG_TIMEOUT_MS",
  "PNG_CACHE_BYTES",
  "TEMPLATE_CACHE_BYTES",
  "WRITE_CACHE_BYTES",
];

/** Settings the server reads that are set through a knob instead (the error names the knob). */
export const SETTINGS_WITH_OWN_KNOB: Readonly<Record<string, string>> = {
  PORT: "none: the container port is fixed at 8080",
  LOG_LEVEL: "logLevel",
  REDIS_URL: "redis.url",
  REDIS_HOST: "redis.host",
  REDIS_PORT: "redis.port",
  REDIS_PASSWORD: "redis.password",
  REDIS_SENTINELS: "redis.sentinel.addresses",
  REDIS_SENTINEL_MASTER: "redis.sentinel.master",
  REDIS_SENTINEL_PASSWORD: "redis.sentinel.password",
  REDIS_CLUSTER_NODES: "redis.cluster.nodes",
  REDIS_TLS: "redis.tls.enabled",
  REDIS_CA_FILE: "redis.tls.caCert",
  API_KEY: "apiKey",
  METRICS_TOKEN: "metricsToken",
  SECRETS_KEY: "secretsKey",
};

/**
 * The server's own defaults of the three settings the knobs are checked against (runtime/config.ts;
 * the test holds them equal): the ingress read timeout must outlast KEEP_ALIVE_MS (or every quiet
 * stream is cut), the grace period (Knative: the request timeout) must outlast DRAIN_SECONDS +
 * SHUTDOWN_GRACE_MS (or the kubelet kills the server while its streams drain).
 */
export const SERVER_DEFAULTS = { KEEP_ALIVE_MS: 25_000, SHUTDOWN_GRACE_MS: 10_000, DRAIN_SECONDS: 300 } as const;

export interface ResourceRequirements {
  requests?: StringMap;
  limits?: StringMap;
}

/** The knobs (deploy/README.md's table), by their Pulumi config paths. Everything is optional. */
export interface RealtimeSvgArgs {
  /** Names the objects (NAME = instance, or `<instance>-realtime-svg`) and labels them. */
  instance?: string;
  namespace?: string;
  /** Added to every object's labels and every pod template's labels (never to selectors). */
  commonLabels?: StringMap;
  replicas?: number;
  image?: { repository?: string; tag?: string; pullPolicy?: PullPolicy };
  /** Names of Secrets of type kubernetes.io/dockerconfigjson. */
  imagePullSecrets?: string[];
  /** The server container's resources; replaces the default as a whole. */
  resources?: ResourceRequirements;
  logLevel?: LogLevel;
  /** Server settings (NAME → value) for the ConfigMap; names from ALLOWED_SETTINGS only. */
  settings?: StringMap;
  /** Appended to the server container's env as given. */
  extraEnv?: EnvVar[];
  terminationGracePeriodSeconds?: number;
  apiKey?: pulumi.Input<string>;
  metricsToken?: pulumi.Input<string>;
  /** SECRETS_KEY: base64 of exactly 32 bytes, the AES-256-GCM key webhook secrets are sealed under. */
  secretsKey?: pulumi.Input<string>;
  podAnnotations?: StringMap;
  podLabels?: StringMap;
  nodeSelector?: StringMap;
  tolerations?: Toleration[];
  affinity?: Affinity;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  service?: { type?: ServiceType; port?: number; nodePort?: number };
  ingress?: {
    enabled?: boolean;
    host?: string;
    className?: string;
    path?: string;
    pathType?: PathType;
    annotations?: StringMap;
    tls?: { enabled?: boolean; secretName?: string };
    readTimeoutSeconds?: number;
  };
  redis?: {
    /** The in-cluster Redis (Deployment, Service and optionally a PersistentVolumeClaim). */
    enabled?: boolean;
    url?: pulumi.Input<string>;
    host?: string;
    port?: number;
    password?: pulumi.Input<string>;
    /** An external Redis behind Sentinel: the sentinels (host:port), the primary's name, their own password. */
    sentinel?: { addresses?: string[]; master?: string; password?: pulumi.Input<string> };
    /** An external Redis Cluster: some of its nodes (host:port); password: redis.password. */
    cluster?: { nodes?: string[] };
    /** TLS to an external host, sentinels or cluster (a URL says rediss://), and the PEM of its CA. */
    tls?: { enabled?: boolean; caCert?: string };
    image?: string;
    maxMemory?: string;
    resources?: ResourceRequirements;
    persistence?: { enabled?: boolean; size?: string; storageClass?: string };
  };
  autoscaling?: { enabled?: boolean; minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number };
  networkPolicy?: { enabled?: boolean; ingressNamespaceLabels?: StringMap; ingressPodLabels?: StringMap };
  knative?: { enabled?: boolean; timeoutSeconds?: number; minScale?: number; maxScale?: number; target?: number };
}

/** The defaults of every knob (deploy/README.md's table). */
export const DEFAULTS = {
  instance: "realtime-svg",
  namespace: "default",
  replicas: 2,
  image: { repository: "ghcr.io/realtime-svg/realtime-svg", tag: "0.1.0", pullPolicy: "IfNotPresent" as PullPolicy },
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  logLevel: "info" as LogLevel,
  // DRAIN_SECONDS (300 s) + SHUTDOWN_GRACE_MS (10 s) + a 10 s margin.
  terminationGracePeriodSeconds: 320,
  service: { type: "ClusterIP" as ServiceType, port: 8080 },
  ingress: { enabled: false, className: "nginx", path: "/", pathType: "Prefix" as PathType, tlsEnabled: false, readTimeoutSeconds: 3600 },
  redis: {
    enabled: true,
    port: 6379,
    image: "redis:7-alpine",
    maxMemory: "200mb",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
    persistence: { enabled: false, size: "1Gi" },
  },
  autoscaling: { enabled: false, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
  networkPolicy: {
    enabled: false,
    ingressNamespaceLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } as StringMap,
    ingressPodLabels: { "app.kubernetes.io/name": "ingress-nginx" } as StringMap,
  },
  // One default, kept in step with the other tools: target 10000 is what one pod of the default
  // resources holds (MAX_STREAMS; deploy/README.md, "Knative", has the measurement).
  knative: { enabled: false, timeoutSeconds: 600, minScale: 1, maxScale: 10, target: 10000 },
} as const;

/** Object base name: Helm's usual fullname rule, so every tool names objects alike. */
export const baseName = (instance: string) => (instance.includes("realtime-svg") ? instance : `${instance}-realtime-svg`);

const STANDARD_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of"];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Service names must also start with a letter (DNS-1035). */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS subdomain (Secret, IngressClass, StorageClass names; host names), checked for length apart. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IMAGE_REPOSITORY = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$/;
/** Canonical quantities only: the API server rewrites other spellings ("0.5" → "500m"). */
const CPU_QUANTITY = /^([1-9][0-9]*m|[0-9]+)$/;
const BYTE_QUANTITY = /^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$/;
const CLAIM_SIZE = /^[1-9][0-9]*(Mi|Gi|Ti)$/;
/** host:port with a port of 1-65535, IPv6 in brackets: what the server's REDIS_SENTINELS / REDIS_CLUSTER_NODES take per entry. */
const REDIS_ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\],]+):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$/;
const PEM_CERTIFICATE = /^\s*-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;
/** Where the CA of an external Redis (redis.tls.caCert) is mounted; REDIS_CA_FILE is ca.crt in it. */
export const REDIS_CA_DIR = "/etc/realtime-svg/redis-ca";
/** Redis's own memory sizes, more than 0 (0 would be no limit). */
const REDIS_MEMORY = /^[1-9][0-9]*([kmg]b?)?$/i;
/** [prefix/]name: the prefix a DNS subdomain of at most 253, the name at most 63 characters. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
/** At least 16 printable ASCII characters without spaces: Terraform's [[:graph:]]{16,}. */
const TOKEN_16 = /^[\x21-\x7e]{16,}$/;
/** base64 of exactly 32 bytes: 43 characters and one `=` of padding. */
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ENV_VAR_FIELDS = ["name", "value", "valueFrom"];
const TOLERATION_FIELDS = ["key", "operator", "value", "effect", "tolerationSeconds"];
const AFFINITY_FIELDS = ["nodeAffinity", "podAffinity", "podAntiAffinity"];
const TOPOLOGY_SPREAD_FIELDS = ["maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "matchLabelKeys", "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy"];

/** Thrown for a configuration the program refuses; Pulumi prints it without a stack trace. */
export class RealtimeSvgConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(`realtime-svg: the configuration is not valid:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

const isInt = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value);
const isEmpty = (value: object | undefined) => value === undefined || Object.keys(value).length === 0;
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const inRange = (value: number | undefined, min: number, max: number) => value === undefined || (isInt(value) && value >= min && value <= max);
const unknownFields = (value: object, known: readonly string[]) => Object.keys(value).filter((key) => !known.includes(key));

/**
 * Every reason the arguments cannot be deployed, each naming its knob: the same refusals as the
 * Helm chart's and the Terraform module's (test/deploy/refusals.test.ts holds the three to one
 * table) — enums, ranges, required and forbidden combinations, settings names and durations, the
 * secrets' form, names and labels that Kubernetes would refuse, the fields of the objects passed
 * through, and the no-empty-map rule.
 * Secrets are checked for their content only when given as plain strings (config.ts checks the
 * plain config values before wrapping them as secret Outputs).
 */
export function problemsOf(args: RealtimeSvgArgs): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const oneOf = <T extends string>(value: T | undefined, allowed: readonly T[], knob: string) =>
    check(value === undefined || allowed.includes(value), `${knob} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`);
  const range = (value: number | undefined, min: number, max: number, knob: string) =>
    check(inRange(value, min, max), `${knob} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  const atLeast = (value: number | undefined, min: number, knob: string) =>
    check(value === undefined || (isInt(value) && value >= min), `${knob} must be an integer, at least ${min} (got ${JSON.stringify(value)})`);
  const labelKey = (key: string) => LABEL_KEY.test(key) && key.length <= 317;
  const labels = (map: StringMap | undefined, knob: string, { standard = true } = {}) => {
    for (const [key, value] of Object.entries(map ?? {})) {
      check(labelKey(key), `${knob}: "${key}" is not a valid label name`);
      check(typeof value === "string" && LABEL_VALUE.test(value), `${knob}["${key}"]: ${JSON.stringify(value)} is not a valid label value`);
      // The standard labels are the selectors: overriding one would detach the pods from their
      // Deployment and Service.
      if (standard) check(!STANDARD_LABELS.includes(key), `${knob} must not set "${key}": the program sets it (it is part of the selectors)`);
    }
  };
  const annotations = (map: StringMap | undefined, knob: string) => {
    for (const [key, value] of Object.entries(map ?? {})) {
      check(labelKey(key), `${knob}: "${key}" is not a valid annotation name`);
      check(typeof value === "string", `${knob}["${key}"] must be a string`);
    }
  };
  const subdomain = (value: string | undefined, knob: string, what: string) =>
    check(value === undefined || (DNS_SUBDOMAIN.test(value) && value.length <= 253), `${knob} must be ${what} (got ${JSON.stringify(value)})`);

  const instance = args.instance ?? DEFAULTS.instance;
  const name = baseName(instance);
  check(
    DNS_1035_LABEL.test(instance) && `${name}-redis`.length <= 63,
    `instance must be lower-case letters, digits and "-", start with a letter, and leave "${name}-redis" at most 63 characters (got ${JSON.stringify(instance)})`,
  );
  const namespace = args.namespace ?? DEFAULTS.namespace;
  check(DNS_LABEL.test(namespace) && namespace.length <= 63, `namespace must be a DNS label (got ${JSON.stringify(namespace)})`);
  labels(args.commonLabels, "commonLabels");
  labels(args.podLabels, "podLabels");
  // With the same key in both, which value the pods get would be a matter of merge order.
  for (const key of Object.keys(args.podLabels ?? {})) {
    check(!(key in (args.commonLabels ?? {})), `podLabels and commonLabels both set "${key}": set it in one of them`);
  }
  range(args.replicas, 1, 100, "replicas");
  check(
    args.image?.repository === undefined || IMAGE_REPOSITORY.test(args.image.repository),
    `image.repository must be an image repository such as ghcr.io/realtime-svg/realtime-svg (lower case, no tag; got ${JSON.stringify(args.image?.repository)})`,
  );
  check(args.image?.tag === undefined || /^[\w][\w.-]{0,127}$/.test(args.image.tag), `image.tag must be a Docker tag (got ${JSON.stringify(args.image?.tag)})`);
  oneOf(args.image?.pullPolicy, PULL_POLICIES, "image.pullPolicy");
  const pullSecrets = args.imagePullSecrets ?? [];
  for (const secret of pullSecrets) subdomain(secret, "imagePullSecrets", "Secret names");
  check(new Set(pullSecrets).size === pullSecrets.length, "imagePullSecrets must name each Secret once");
  resources(args.resources, "resources", check);
  oneOf(args.logLevel, LOG_LEVELS, "logLevel");

  for (const [key, value] of Object.entries(args.settings ?? {})) {
    const knob = SETTINGS_WITH_OWN_KNOB[key];
    if (knob) problems.push(`settings.${key} is not allowed: it has a knob of its own (${knob})`);
    else check(ALLOWED_SETTINGS.includes(key), `settings.${key} is not a setting of the server (allowed: ${ALLOWED_SETTINGS.join(", ")})`);
    check(typeof value === "string", `settings.${key} must be a string`);
    // The server reads every duration as a whole number; three of them are compared below.
    if (/_(MS|SECONDS)$/.test(key)) check(typeof value !== "string" || /^\d+$/.test(value), `settings.${key} must be a whole number, digits only (got ${JSON.stringify(value)})`);
  }
  const keepAliveMs = integerSetting(args.settings, "KEEP_ALIVE_MS", SERVER_DEFAULTS.KEEP_ALIVE_MS);
  const shutdownGraceMs = integerSetting(args.settings, "SHUTDOWN_GRACE_MS", SERVER_DEFAULTS.SHUTDOWN_GRACE_MS);
  const drainSeconds = integerSetting(args.settings, "DRAIN_SECONDS", SERVER_DEFAULTS.DRAIN_SECONDS);
  const stoppingMs = drainSeconds * 1000 + shutdownGraceMs;

  for (const [i, env] of (args.extraEnv ?? []).entries()) {
    const fields = env as unknown as Record<string, unknown>;
    check(typeof env?.name === "string" && ENV_NAME.test(env.name), `extraEnv[${i}] needs a name (an environment variable name)`);
    check(unknownFields(fields, ENV_VAR_FIELDS).length === 0, `extraEnv[${i}] has fields an EnvVar does not have: ${unknownFields(fields, ENV_VAR_FIELDS).join(", ")}`);
    check(("value" in fields) !== ("valueFrom" in fields), `extraEnv[${i}] needs exactly one of value and valueFrom`);
    check(!("valueFrom" in fields) || (isPlainObject(fields["valueFrom"]) && !isEmpty(fields["valueFrom"])), `extraEnv[${i}].valueFrom must be a non-empty object`);
  }
  const grace = args.terminationGracePeriodSeconds;
  atLeast(grace, 1, "terminationGracePeriodSeconds");
  // After SIGTERM the server drains for DRAIN_SECONDS, then stops within SHUTDOWN_GRACE_MS. (With
  // Knative there is no such field: see knative.timeoutSeconds below.)
  check(
    args.knative?.enabled === true || (grace ?? DEFAULTS.terminationGracePeriodSeconds) * 1000 > stoppingMs,
    `terminationGracePeriodSeconds (${grace ?? DEFAULTS.terminationGracePeriodSeconds} s) must be longer than DRAIN_SECONDS (${drainSeconds} s) + SHUTDOWN_GRACE_MS (${shutdownGraceMs} ms) from settings (defaults 300 s and 10000 ms), or the kubelet kills the server while its streams drain`,
  );
  check(typeof args.apiKey !== "string" || TOKEN_16.test(args.apiKey), "apiKey must be at least 16 printable characters, without spaces");
  check(typeof args.metricsToken !== "string" || TOKEN_16.test(args.metricsToken), "metricsToken must be at least 16 printable characters, without spaces");
  check(typeof args.secretsKey !== "string" || BASE64_32.test(args.secretsKey), "secretsKey must be base64 of exactly 32 bytes (44 characters ending in =, e.g. `openssl rand -base64 32`)");
  annotations(args.podAnnotations, "podAnnotations");
  labels(args.nodeSelector, "nodeSelector", { standard: false });

  for (const [i, toleration] of (args.tolerations ?? []).entries()) {
    const fields = toleration as unknown as Record<string, unknown>;
    check(unknownFields(fields, TOLERATION_FIELDS).length === 0, `tolerations[${i}] has fields a Toleration does not have: ${unknownFields(fields, TOLERATION_FIELDS).join(", ")}`);
    check(fields["operator"] === undefined || ["Equal", "Exists"].includes(fields["operator"] as string), `tolerations[${i}].operator must be Equal or Exists (got ${JSON.stringify(fields["operator"])})`);
    check(
      fields["effect"] === undefined || ["", "NoSchedule", "PreferNoSchedule", "NoExecute"].includes(fields["effect"] as string),
      `tolerations[${i}].effect must be NoSchedule, PreferNoSchedule or NoExecute (got ${JSON.stringify(fields["effect"])})`,
    );
  }
  if (args.affinity !== undefined) {
    const unknown = isPlainObject(args.affinity) ? unknownFields(args.affinity, AFFINITY_FIELDS) : ["(not an object)"];
    check(unknown.length === 0, `affinity may hold only ${AFFINITY_FIELDS.join(", ")} (got ${unknown.join(", ")})`);
  }
  for (const [i, constraint] of (args.topologySpreadConstraints ?? []).entries()) {
    const fields = constraint as unknown as Record<string, unknown>;
    const unknown = unknownFields(fields, TOPOLOGY_SPREAD_FIELDS);
    check(unknown.length === 0, `topologySpreadConstraints[${i}] has fields a TopologySpreadConstraint does not have: ${unknown.join(", ")}`);
    check(isInt(fields["maxSkew"]) && fields["maxSkew"] >= 1, `topologySpreadConstraints[${i}].maxSkew must be an integer, at least 1`);
    check(typeof fields["topologyKey"] === "string" && fields["topologyKey"] !== "", `topologySpreadConstraints[${i}].topologyKey is required`);
    check(
      ["DoNotSchedule", "ScheduleAnyway"].includes(fields["whenUnsatisfiable"] as string),
      `topologySpreadConstraints[${i}].whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway (got ${JSON.stringify(fields["whenUnsatisfiable"])})`,
    );
  }

  oneOf(args.service?.type, SERVICE_TYPES, "service.type");
  range(args.service?.port, 1, 65535, "service.port");
  range(args.service?.nodePort, 30000, 32767, "service.nodePort");
  check(
    args.service?.nodePort === undefined || (args.service.type ?? DEFAULTS.service.type) !== "ClusterIP",
    "service.nodePort needs service.type NodePort or LoadBalancer: a ClusterIP Service has no node port",
  );

  const ingress = args.ingress ?? {};
  if (ingress.enabled) check(typeof ingress.host === "string" && ingress.host.length > 0, "ingress.host is required when ingress.enabled is true");
  subdomain(ingress.host, "ingress.host", "a lower-case DNS name such as img.example.com (no wildcard)");
  subdomain(ingress.className, "ingress.className", "an IngressClass name");
  check(ingress.path === undefined || ingress.path.startsWith("/"), `ingress.path must start with "/" (got ${JSON.stringify(ingress.path)})`);
  oneOf(ingress.pathType, PATH_TYPES, "ingress.pathType");
  annotations(ingress.annotations, "ingress.annotations");
  subdomain(ingress.tls?.secretName, "ingress.tls.secretName", "a Secret name");
  const readTimeout = ingress.readTimeoutSeconds;
  atLeast(readTimeout, 1, "ingress.readTimeoutSeconds");
  check(
    (readTimeout ?? DEFAULTS.ingress.readTimeoutSeconds) * 1000 > keepAliveMs,
    `ingress.readTimeoutSeconds (${readTimeout ?? DEFAULTS.ingress.readTimeoutSeconds} s) must be longer than KEEP_ALIVE_MS (${keepAliveMs} ms), or the proxy cuts every quiet stream`,
  );
  check(!(ingress.enabled && args.knative?.enabled), "ingress.enabled and knative.enabled cannot both be true: Knative routes traffic itself");

  const redis = args.redis ?? {};
  const inCluster = redis.enabled ?? DEFAULTS.redis.enabled;
  check(!(inCluster && redis.url !== undefined), "redis.url needs redis.enabled false (it replaces the in-cluster Redis)");
  check(!(inCluster && redis.host !== undefined), "redis.host needs redis.enabled false (it replaces the in-cluster Redis)");
  check(!(redis.url !== undefined && redis.host !== undefined), "redis.url and redis.host cannot both be set: the server refuses REDIS_URL with REDIS_HOST");
  check(!(redis.url !== undefined && redis.password !== undefined), "redis.password is not used with redis.url: put the password in the URL");
  // The external topologies, by the server's own rules (runtime/config.ts).
  const sentinels = redis.sentinel?.addresses;
  const nodes = redis.cluster?.nodes;
  check(!(inCluster && (sentinels !== undefined || nodes !== undefined)), "redis.sentinel.addresses and redis.cluster.nodes are for your own Redis: set redis.enabled false to use them instead of the in-cluster Redis");
  for (const [knob, set] of [["url", redis.url !== undefined], ["host", redis.host !== undefined]] as const) {
    check(!(set && sentinels !== undefined), `set redis.sentinel.addresses or redis.${knob}, not both (the server refuses REDIS_SENTINELS with REDIS_${knob.toUpperCase()})`);
    check(!(set && nodes !== undefined), `set redis.cluster.nodes or redis.${knob}, not both (the server refuses REDIS_CLUSTER_NODES with REDIS_${knob.toUpperCase()})`);
  }
  check(!(sentinels !== undefined && nodes !== undefined), "set redis.sentinel.addresses or redis.cluster.nodes, not both (the server refuses REDIS_SENTINELS with REDIS_CLUSTER_NODES)");
  for (const [knob, list, port] of [["redis.sentinel.addresses", sentinels, 26379], ["redis.cluster.nodes", nodes, 6379]] as const) {
    if (list === undefined) continue;
    check(list.length > 0, `${knob} must name at least one host:port (leave it unset for none)`);
    for (const entry of list) {
      check(typeof entry === "string" && REDIS_ADDRESS.test(entry), `${knob}: ${JSON.stringify(entry)} is not host:port (one address per entry, port 1-65535, IPv6 as [fd00::1]:${port})`);
    }
  }
  const master = redis.sentinel?.master;
  check(!(sentinels !== undefined && master === undefined), "redis.sentinel.master is required with redis.sentinel.addresses: the name the sentinels monitor the primary under (REDIS_SENTINEL_MASTER)");
  check(!(sentinels === undefined && master !== undefined), "redis.sentinel.master is only used with redis.sentinel.addresses (REDIS_SENTINEL_MASTER only with REDIS_SENTINELS)");
  check(master === undefined || /^\S+$/.test(master), `redis.sentinel.master must be a name without spaces (got ${JSON.stringify(master)})`);
  const sentinelPassword = redis.sentinel?.password;
  check(!(sentinels === undefined && sentinelPassword !== undefined), "redis.sentinel.password is only used with redis.sentinel.addresses: it is the sentinels' own password (redis.password is the data nodes')");
  check(
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    typeof sentinelPassword !== "string" || /^[^\x00-\x1f\x7f]+$/.test(sentinelPassword),
    "redis.sentinel.password must not be empty nor hold control characters (a trailing newline, say)",
  );
  const tlsOn = redis.tls?.enabled ?? false;
  check(!(tlsOn && inCluster), "redis.tls.enabled is for your own Redis: the in-cluster Redis (redis.enabled) speaks no TLS");
  check(!(tlsOn && redis.url !== undefined), "redis.tls.enabled is not used with redis.url: a URL chooses TLS itself (rediss://)");
  // A URL that is already a secret Output cannot be read here; config.ts checks the plain one.
  const urlTls = typeof redis.url === "string" ? redis.url.startsWith("rediss://") : redis.url !== undefined;
  const caCert = redis.tls?.caCert;
  check(caCert === undefined || tlsOn || urlTls, "redis.tls.caCert is only used with TLS: set redis.tls.enabled, or give a rediss:// redis.url");
  check(caCert === undefined || (typeof caCert === "string" && PEM_CERTIFICATE.test(caCert)), "redis.tls.caCert must be PEM text: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----");
  // Without any Redis each pod keeps its own sessions in memory: only one pod may run.
  const onePod = (args.replicas ?? DEFAULTS.replicas) === 1 && !args.autoscaling?.enabled && !args.knative?.enabled;
  check(
    inCluster || redis.url !== undefined || redis.host !== undefined || sentinels !== undefined || nodes !== undefined || onePod,
    "redis.enabled is false and neither redis.url nor redis.host (nor redis.sentinel.addresses, redis.cluster.nodes) is set, so each server pod keeps its own sessions in memory: that needs exactly one pod (replicas 1, no autoscaling, no knative). Otherwise set redis.url or redis.host",
  );
  check(typeof redis.url !== "string" || /^rediss?:\/\/./.test(redis.url), "redis.url must be a redis:// or rediss:// URL");
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  check(typeof redis.password !== "string" || /^[^\x00-\x1f\x7f]+$/.test(redis.password), "redis.password must not be empty nor hold control characters (a trailing newline, say)");
  check(
    redis.host === undefined || /^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$/.test(redis.host),
    `redis.host must be a host name or address (IPv6 without brackets; got ${JSON.stringify(redis.host)})`,
  );
  range(redis.port, 1, 65535, "redis.port");
  check(redis.port === undefined || redis.port === DEFAULTS.redis.port || redis.host !== undefined, `redis.port (${redis.port}) is your Redis's, with redis.host: the in-cluster Redis listens on 6379`);
  check(redis.image === undefined || /^[a-z0-9][^\s]*$/.test(redis.image), `redis.image must be an image reference without spaces (got ${JSON.stringify(redis.image)})`);
  check(
    redis.maxMemory === undefined || REDIS_MEMORY.test(redis.maxMemory),
    `redis.maxMemory must be a Redis memory size above 0 such as 200mb, 1gb or 524288000 (got ${JSON.stringify(redis.maxMemory)})`,
  );
  resources(redis.resources, "redis.resources", check);
  const size = redis.persistence?.size;
  check(size === undefined || CLAIM_SIZE.test(size), `redis.persistence.size must be a quantity such as 1Gi or 512Mi (got ${JSON.stringify(size)})`);
  subdomain(redis.persistence?.storageClass, "redis.persistence.storageClass", "a StorageClass name");
  check(!(redis.persistence?.enabled && !inCluster), "redis.persistence.enabled is for the in-cluster Redis: it needs redis.enabled");

  const autoscaling = args.autoscaling ?? {};
  range(autoscaling.minReplicas, 1, 100, "autoscaling.minReplicas");
  range(autoscaling.maxReplicas, 1, 100, "autoscaling.maxReplicas");
  range(autoscaling.targetCPUUtilizationPercentage, 1, 100, "autoscaling.targetCPUUtilizationPercentage");
  check(
    (autoscaling.minReplicas ?? DEFAULTS.autoscaling.minReplicas) <= (autoscaling.maxReplicas ?? DEFAULTS.autoscaling.maxReplicas),
    "autoscaling.minReplicas must not be more than autoscaling.maxReplicas",
  );

  // An empty selector means "everything", and an empty map cannot be written at all (no {} in any
  // object), so these two must name at least one label.
  for (const knob of ["ingressNamespaceLabels", "ingressPodLabels"] as const) {
    const map = args.networkPolicy?.[knob];
    check(map === undefined || !isEmpty(map), `networkPolicy.${knob} must name at least one label`);
    labels(map, `networkPolicy.${knob}`, { standard: false });
  }

  const knative = args.knative ?? {};
  atLeast(knative.timeoutSeconds, 1, "knative.timeoutSeconds");
  atLeast(knative.minScale, 0, "knative.minScale");
  atLeast(knative.maxScale, 0, "knative.maxScale");
  atLeast(knative.target, 1, "knative.target");
  const maxScale = knative.maxScale ?? DEFAULTS.knative.maxScale;
  check(
    maxScale === 0 || (knative.minScale ?? DEFAULTS.knative.minScale) <= maxScale,
    "knative.minScale must not be more than knative.maxScale (unless knative.maxScale is 0: no limit)",
  );
  // Knative has no terminationGracePeriodSeconds: a stopping pod gets the revision's timeoutSeconds.
  const timeoutSeconds = knative.timeoutSeconds ?? DEFAULTS.knative.timeoutSeconds;
  check(
    !knative.enabled || stoppingMs < timeoutSeconds * 1000,
    `DRAIN_SECONDS (${drainSeconds} s) + SHUTDOWN_GRACE_MS (${shutdownGraceMs} ms) from settings (defaults 300 s and 10000 ms) must be shorter than knative.timeoutSeconds (${timeoutSeconds} s): Knative gives a stopping pod timeoutSeconds, and kills the server after it`,
  );
  return problems;
}

function resources(value: ResourceRequirements | undefined, knob: string, check: (ok: boolean, problem: string) => void) {
  if (value === undefined) return;
  check(!isEmpty(value), `${knob} must name requests or limits (leave it unset for the default)`);
  for (const [section, quantities] of Object.entries(value)) {
    check(section === "requests" || section === "limits", `${knob}.${section} is not a field of resources (requests, limits)`);
    check(!isEmpty(quantities), `${knob}.${section} must not be empty`);
    for (const [resource, quantity] of Object.entries(quantities ?? {})) {
      const pattern = resource === "cpu" ? CPU_QUANTITY : resource === "memory" || resource === "ephemeral-storage" ? BYTE_QUANTITY : undefined;
      check(pattern !== undefined, `${knob}.${section}.${resource}: resources are cpu, memory and ephemeral-storage`);
      check(
        pattern === undefined || (typeof quantity === "string" && pattern.test(quantity)),
        `${knob}.${section}.${resource} must be a canonical quantity: cpu as "250m" or "1", memory as "512Mi" (got ${JSON.stringify(quantity)}; "0.5" or "1000m" come back rewritten)`,
      );
    }
  }
}

/** A setting the checks compare, as a number (its default when unset or not digits, which is refused apart). */
function integerSetting(settings: StringMap | undefined, key: string, fallback: number): number {
  const value = settings?.[key];
  return typeof value === "string" && /^\d+$/.test(value) ? Number(value) : fallback;
}

/** `{}` and `[]` are never written (Terraform's kubernetes_manifest cannot round-trip them). */
const nonEmpty = <T extends object>(value: T | undefined): T | undefined => (value === undefined || isEmpty(value) ? undefined : value);
const base64 = (value: pulumi.Input<string>) => pulumi.output(value).apply((plain) => Buffer.from(plain, "utf8").toString("base64"));

/** One installation of realtime-svg. Construction throws RealtimeSvgConfigError before creating anything. */
export class RealtimeSvg extends pulumi.ComponentResource {
  /** Base name of the objects. */
  readonly name: string;
  readonly namespace: string;
  /** Every object, as apiVersion/kind/name. */
  readonly objects: string[] = [];
  /** Where the server answers: the Ingress URL, or the in-cluster address. */
  readonly url: string;
  /** Whether the in-cluster Redis keeps its data across restarts ("yes", "no" or "external"). */
  readonly redisKeepsData: "yes" | "no" | "external";

  constructor(name: string, args: RealtimeSvgArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const problems = problemsOf(args);
    if (problems.length > 0) throw new RealtimeSvgConfigError(problems);
    super("realtime-svg:index:RealtimeSvg", name, {}, opts);

    const instance = args.instance ?? DEFAULTS.instance;
    const NAME = baseName(instance);
    const REDIS = `${NAME}-redis`;
    const namespace = args.namespace ?? DEFAULTS.namespace;
    this.name = NAME;
    this.namespace = namespace;

    const image = { ...DEFAULTS.image, ...args.image };
    const service = { ...DEFAULTS.service, ...args.service };
    const ingress = { ...DEFAULTS.ingress, ...args.ingress };
    const tls = { enabled: args.ingress?.tls?.enabled ?? DEFAULTS.ingress.tlsEnabled, secretName: args.ingress?.tls?.secretName ?? `${NAME}-tls` };
    const redis = { ...DEFAULTS.redis, ...args.redis, persistence: { ...DEFAULTS.redis.persistence, ...args.redis?.persistence } };
    const autoscaling = { ...DEFAULTS.autoscaling, ...args.autoscaling };
    const networkPolicy = { ...DEFAULTS.networkPolicy, ...args.networkPolicy };
    const knative = { ...DEFAULTS.knative, ...args.knative };
    const commonLabels = args.commonLabels ?? {};

    const selector = (app: string, component: string): StringMap => ({
      "app.kubernetes.io/name": app,
      "app.kubernetes.io/instance": instance,
      "app.kubernetes.io/component": component,
    });
    const serverSelector = selector("realtime-svg", "server");
    const redisSelector = selector("redis", "store");
    const labelsOf = (selectorLabels: StringMap): StringMap => ({ ...selectorLabels, "app.kubernetes.io/part-of": "realtime-svg", ...commonLabels });
    const serverLabels = labelsOf(serverSelector);
    const redisLabels = labelsOf(redisSelector);
    const metadata = (objectName: string, labels: StringMap) => ({ name: objectName, namespace, labels });
    const childOpts: pulumi.CustomResourceOptions = { parent: this };
    const track = <R extends pulumi.CustomResource>(resource: R, apiVersion: string, kind: string, objectName: string): R => {
      this.objects.push(`${apiVersion}/${kind}/${objectName}`);
      return resource;
    };

    // ConfigMap: what the server reads as environment variables (envFrom).
    const redisAddress: StringMap = redis.enabled
      ? { REDIS_HOST: REDIS, REDIS_PORT: "6379" }
      : redis.host !== undefined
        ? { REDIS_HOST: redis.host, REDIS_PORT: String(redis.port) }
        : {}; // with redis.url, sentinels or cluster nodes: the server refuses REDIS_HOST beside each
    const caCert = redis.tls?.caCert;
    const redisTopology: StringMap = {
      ...(redis.sentinel?.addresses !== undefined ? { REDIS_SENTINELS: redis.sentinel.addresses.join(",") } : {}),
      ...(redis.sentinel?.master !== undefined ? { REDIS_SENTINEL_MASTER: redis.sentinel.master } : {}),
      ...(redis.cluster?.nodes !== undefined ? { REDIS_CLUSTER_NODES: redis.cluster.nodes.join(",") } : {}),
      ...(redis.tls?.enabled ? { REDIS_TLS: "true" } : {}),
      ...(caCert !== undefined ? { REDIS_CA_FILE: `${REDIS_CA_DIR}/ca.crt` } : {}),
    };
    track(
      new k8s.core.v1.ConfigMap(NAME, { metadata: metadata(NAME, serverLabels), data: { PORT: "8080", LOG_LEVEL: args.logLevel ?? DEFAULTS.logLevel, ...redisAddress, ...redisTopology, ...args.settings } }, childOpts),
      "v1",
      "ConfigMap",
      NAME,
    );

    // The CA of an external Redis's certificates: public, so a ConfigMap, mounted into the server.
    const REDIS_CA = `${NAME}-redis-ca`;
    if (caCert !== undefined) {
      track(new k8s.core.v1.ConfigMap(REDIS_CA, { metadata: metadata(REDIS_CA, serverLabels), data: { "ca.crt": caCert } }, childOpts), "v1", "ConfigMap", REDIS_CA);
    }

    // Secret: one key per secret that is set; no `data` at all when none is. The provider's SDK
    // marks `data` secret as well; the values themselves arrive as secret Outputs.
    const secretValues: Record<string, pulumi.Input<string> | undefined> = {
      "redis-url": redis.url,
      "redis-password": redis.password,
      "redis-sentinel-password": redis.sentinel?.password,
      apiKey: args.apiKey,
      "metrics-token": args.metricsToken,
      "secrets-key": args.secretsKey,
    };
    const data = Object.fromEntries(
      Object.entries(secretValues)
        .filter((entry): entry is [string, pulumi.Input<string>] => entry[1] !== undefined)
        .map(([key, value]) => [key, pulumi.secret(base64(value))]),
    );
    track(new k8s.core.v1.Secret(NAME, { metadata: metadata(NAME, serverLabels), type: "Opaque", data: nonEmpty(data) }, childOpts), "v1", "Secret", NAME);

    // The server's container and pod, shared by the Deployment and the Knative Service.
    const secretEnv = (envName: string, key: string): EnvVar => ({ name: envName, valueFrom: { secretKeyRef: { name: NAME, key, optional: true } } });
    const env: EnvVar[] = [
      secretEnv("REDIS_URL", "redis-url"),
      secretEnv("REDIS_PASSWORD", "redis-password"),
      secretEnv("REDIS_SENTINEL_PASSWORD", "redis-sentinel-password"),
      secretEnv("API_KEY", "apiKey"),
      secretEnv("METRICS_TOKEN", "metrics-token"),
      secretEnv("SECRETS_KEY", "secrets-key"),
      ...(args.extraEnv ?? []),
    ];
    const securityContext = {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    };
    const container = {
      name: "realtime-svg",
      image: `${image.repository}:${image.tag}`,
      imagePullPolicy: image.pullPolicy,
      envFrom: [{ configMapRef: { name: NAME } }],
      // Secret keys are optional: an absent key leaves its variable unset.
      env,
      resources: args.resources ?? DEFAULTS.resources,
      securityContext,
      volumeMounts: caCert !== undefined ? [{ name: "redis-ca", mountPath: REDIS_CA_DIR, readOnly: true }] : undefined,
    };
    const podTemplateMetadata = {
      labels: { ...serverLabels, ...args.podLabels },
      annotations: nonEmpty(args.podAnnotations),
    };
    // Pod-level knobs, passed to the Deployment and the Knative Service alike (Knative accepts
    // nodeSelector, tolerations, affinity and topologySpreadConstraints only when its
    // config-features enable kubernetes.podspec-nodeselector, -tolerations, -affinity and
    // -topologyspreadconstraints).
    const podPlacement = {
      imagePullSecrets: nonEmpty((args.imagePullSecrets ?? []).map((secret) => ({ name: secret }))),
      nodeSelector: nonEmpty(args.nodeSelector),
      tolerations: nonEmpty(args.tolerations),
      affinity: nonEmpty(args.affinity),
      topologySpreadConstraints: nonEmpty(args.topologySpreadConstraints),
      volumes: caCert !== undefined ? [{ name: "redis-ca", configMap: { name: REDIS_CA } }] : undefined,
    };
    const podBasics = {
      automountServiceAccountToken: false,
      // Service links would inject e.g. REDIS_PORT=tcp://… for a Service named "redis", which the
      // server would reject as an invalid port.
      enableServiceLinks: false,
    };

    if (knative.enabled) {
      const annotations = {
        "autoscaling.knative.dev/metric": "concurrency",
        "autoscaling.knative.dev/target": String(knative.target),
        "autoscaling.knative.dev/min-scale": String(knative.minScale),
        "autoscaling.knative.dev/max-scale": String(knative.maxScale),
        ...args.podAnnotations,
      };
      track(
        new k8s.apiextensions.CustomResource(
          NAME,
          {
            apiVersion: "serving.knative.dev/v1",
            kind: "Service",
            metadata: metadata(NAME, serverLabels),
            spec: {
              template: {
                metadata: { labels: podTemplateMetadata.labels, annotations },
                spec: {
                  ...podBasics,
                  ...podPlacement,
                  // Knative ends every request after timeoutSeconds, and an <img> never reconnects.
                  timeoutSeconds: knative.timeoutSeconds,
                  containers: [
                    {
                      ...container,
                      // Knative names the serving port by protocol (http1 or h2c) and probes it
                      // itself: the probes name no port.
                      ports: [{ name: "http1", containerPort: 8080, protocol: "TCP" }],
                      livenessProbe: { httpGet: { path: "/health" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                      readinessProbe: { httpGet: { path: "/ready" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                    },
                  ],
                },
              },
            },
          },
          childOpts,
        ),
        "serving.knative.dev/v1",
        "Service",
        NAME,
      );
    } else {
      track(
        new k8s.apps.v1.Deployment(
          NAME,
          {
            metadata: metadata(NAME, serverLabels),
            spec: {
              // The autoscaler owns the replica count when there is one.
              replicas: autoscaling.enabled ? undefined : (args.replicas ?? DEFAULTS.replicas),
              selector: { matchLabels: serverSelector },
              strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
              template: {
                metadata: podTemplateMetadata,
                spec: {
                  ...podBasics,
                  // Longer than the server's drain and shutdown grace: streams drain and end with their final boundary.
                  terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? DEFAULTS.terminationGracePeriodSeconds,
                  ...podPlacement,
                  containers: [
                    {
                      ...container,
                      ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
                      livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                      readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                    },
                  ],
                },
              },
            },
          },
          childOpts,
        ),
        "apps/v1",
        "Deployment",
        NAME,
      );

      const exposesNodePort = service.type === "NodePort" || service.type === "LoadBalancer";
      track(
        new k8s.core.v1.Service(
          NAME,
          {
            metadata: metadata(NAME, serverLabels),
            spec: {
              type: service.type,
              selector: serverSelector,
              ports: [{ name: "http", port: service.port, targetPort: "http", protocol: "TCP", nodePort: exposesNodePort ? service.nodePort : undefined }],
            },
          },
          childOpts,
        ),
        "v1",
        "Service",
        NAME,
      );

      // minAvailable 1 over a single pod would block every node drain.
      const podsAtLeast = autoscaling.enabled ? autoscaling.minReplicas : (args.replicas ?? DEFAULTS.replicas);
      if (podsAtLeast > 1) {
        track(
          new k8s.policy.v1.PodDisruptionBudget(NAME, { metadata: metadata(NAME, serverLabels), spec: { minAvailable: 1, selector: { matchLabels: serverSelector } } }, childOpts),
          "policy/v1",
          "PodDisruptionBudget",
          NAME,
        );
      }

      if (autoscaling.enabled) {
        track(
          new k8s.autoscaling.v2.HorizontalPodAutoscaler(
            NAME,
            {
              metadata: metadata(NAME, serverLabels),
              spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: NAME },
                minReplicas: autoscaling.minReplicas,
                maxReplicas: autoscaling.maxReplicas,
                metrics: [
                  { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage } } },
                ],
              },
            },
            childOpts,
          ),
          "autoscaling/v2",
          "HorizontalPodAutoscaler",
          NAME,
        );
      }
    }

    if (networkPolicy.enabled) {
      // Only the ingress controller's pods reach the server.
      track(
        new k8s.networking.v1.NetworkPolicy(
          NAME,
          {
            metadata: metadata(NAME, serverLabels),
            spec: {
              podSelector: { matchLabels: serverSelector },
              policyTypes: ["Ingress"],
              ingress: [
                {
                  from: [{ namespaceSelector: { matchLabels: networkPolicy.ingressNamespaceLabels }, podSelector: { matchLabels: networkPolicy.ingressPodLabels } }],
                  ports: [{ protocol: "TCP", port: 8080 }],
                },
              ],
            },
          },
          childOpts,
        ),
        "networking.k8s.io/v1",
        "NetworkPolicy",
        NAME,
      );
      if (redis.enabled) {
        // Only the server's pods reach Redis.
        track(
          new k8s.networking.v1.NetworkPolicy(
            REDIS,
            {
              metadata: metadata(REDIS, redisLabels),
              spec: {
                podSelector: { matchLabels: redisSelector },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: { matchLabels: serverSelector } }], ports: [{ protocol: "TCP", port: 6379 }] }],
              },
            },
            childOpts,
          ),
          "networking.k8s.io/v1",
          "NetworkPolicy",
          REDIS,
        );
      }
    }

    if (redis.enabled) this.createRedis(REDIS, NAME, metadata(REDIS, redisLabels), redisSelector, redis, track, childOpts);

    if (ingress.enabled) {
      const host = ingress.host!;
      const timeout = String(ingress.readTimeoutSeconds);
      track(
        new k8s.networking.v1.Ingress(
          NAME,
          {
            metadata: {
              ...metadata(NAME, serverLabels),
              annotations: {
                // Streaming: pass each frame on at once and keep a quiet stream open (the read
                // timeout counts the gap between two reads; keep-alive frames come every KEEP_ALIVE_MS).
                "nginx.ingress.kubernetes.io/proxy-buffering": "off",
                "nginx.ingress.kubernetes.io/proxy-read-timeout": timeout,
                "nginx.ingress.kubernetes.io/proxy-send-timeout": timeout,
                ...ingress.annotations,
              },
            },
            spec: {
              ingressClassName: ingress.className,
              tls: tls.enabled ? [{ hosts: [host], secretName: tls.secretName }] : undefined,
              rules: [
                {
                  host,
                  http: { paths: [{ path: ingress.path, pathType: ingress.pathType, backend: { service: { name: NAME, port: { name: "http" } } } }] },
                },
              ],
            },
          },
          childOpts,
        ),
        "networking.k8s.io/v1",
        "Ingress",
        NAME,
      );
    }

    this.url = ingress.enabled
      ? `${tls.enabled ? "https" : "http"}://${ingress.host}${ingress.path}`
      : knative.enabled
        ? `http://${NAME}.${namespace}.svc.cluster.local`
        : `http://${NAME}.${namespace}.svc.cluster.local:${service.port}`;
    this.redisKeepsData = !redis.enabled ? "external" : redis.persistence.enabled ? "yes" : "no";
    this.registerOutputs({ name: NAME, namespace, objects: this.objects, url: this.url, redisKeepsData: this.redisKeepsData });
  }

  /** Deployment + Service (+ PersistentVolumeClaim) of the in-cluster Redis. */
  private createRedis(
    REDIS: string,
    NAME: string,
    metadata: { name: string; namespace: string; labels: StringMap },
    redisSelector: StringMap,
    redis: {
      image: string;
      maxMemory: string;
      resources?: ResourceRequirements;
      password?: pulumi.Input<string>;
      persistence: { enabled: boolean; size: string; storageClass?: string };
    },
    track: <R extends pulumi.CustomResource>(resource: R, apiVersion: string, kind: string, objectName: string) => R,
    childOpts: pulumi.CustomResourceOptions,
  ) {
    const persistent = redis.persistence.enabled;
    // No persistence: sessions are short-lived and re-creatable. With persistence: an append-only
    // file, at most a second of writes lost on a crash. `noeviction` makes a full Redis refuse
    // writes with an error instead of silently dropping sessions.
    const args = [
      "--save",
      "",
      ...(persistent ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"]),
      "--maxmemory",
      redis.maxMemory,
      "--maxmemory-policy",
      "noeviction",
      // redis-cli (the readiness probe) reads the password from REDISCLI_AUTH, and Kubernetes
      // expands $(REDISCLI_AUTH) in the arguments.
      ...(redis.password !== undefined ? ["--requirepass", "$(REDISCLI_AUTH)"] : []),
    ];
    const env: EnvVar[] | undefined =
      redis.password !== undefined ? [{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: NAME, key: "redis-password" } } }] : undefined;

    if (persistent) {
      track(
        new k8s.core.v1.PersistentVolumeClaim(
          REDIS,
          {
            metadata,
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: redis.persistence.size } }, storageClassName: redis.persistence.storageClass },
          },
          childOpts,
        ),
        "v1",
        "PersistentVolumeClaim",
        REDIS,
      );
    }

    track(
      new k8s.apps.v1.Deployment(
        REDIS,
        {
          metadata,
          spec: {
            replicas: 1,
            selector: { matchLabels: redisSelector },
            // One Redis at a time: two would split sessions between them during a rollout (and a
            // ReadWriteOnce volume cannot be mounted twice).
            strategy: { type: "Recreate" },
            template: {
              metadata: { labels: metadata.labels },
              spec: {
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                // The volume must be writable by Redis's uid 999.
                securityContext: { fsGroup: 999 },
                containers: [
                  {
                    name: "redis",
                    image: redis.image,
                    imagePullPolicy: "IfNotPresent",
                    command: ["redis-server"],
                    args,
                    env,
                    ports: [{ name: "redis", containerPort: 6379, protocol: "TCP" }],
                    livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                    readinessProbe: { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                    resources: redis.resources ?? DEFAULTS.redis.resources,
                    securityContext: {
                      runAsNonRoot: true,
                      runAsUser: 999,
                      runAsGroup: 999,
                      readOnlyRootFilesystem: true,
                      allowPrivilegeEscalation: false,
                      capabilities: { drop: ["ALL"] },
                      seccompProfile: { type: "RuntimeDefault" },
                    },
                    volumeMounts: [{ name: "data", mountPath: "/data" }],
                  },
                ],
                volumes: [persistent ? { name: "data", persistentVolumeClaim: { claimName: REDIS } } : { name: "data", emptyDir: { sizeLimit: "64Mi" } }],
              },
            },
          },
        },
        childOpts,
      ),
      "apps/v1",
      "Deployment",
      REDIS,
    );

    track(
      new k8s.core.v1.Service(
        REDIS,
        {
          metadata,
          spec: { type: "ClusterIP", selector: redisSelector, ports: [{ name: "redis", port: 6379, targetPort: "redis", protocol: "TCP" }] },
        },
        childOpts,
      ),
      "v1",
      "Service",
      REDIS,
    );
  }
}
