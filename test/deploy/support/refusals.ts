/**
 * What every validating tool must refuse: ONE table of invalid inputs, each given to Helm (values
 * and/or `--set`, release name, namespace), Pulumi (stack config and secret config) and Terraform
 * (module inputs), with the knobs its error must name. kubectl has no validation: an overlay is
 * literal YAML. refusals.test.ts runs every case through the three tools and requires each to
 * refuse it before anything is created, naming those knobs — so a mistake one tool catches and
 * another deploys fails the run. ACCEPTED holds the neighbours just inside each boundary, which
 * every tool must take.
 *
 * `names` are Helm values paths / Pulumi config paths (the same paths, knobs.ts) or setting names
 * (DRAIN_SECONDS); namesIn() gives each tool's spelling (Terraform's `service.node_port`, Helm's
 * "release name" for the instance).
 *
 * What is deliberately not here, being one tool's own: input syntax and types (Helm's schema
 * refuses unknown keys and a YAML number where a string belongs; Pulumi refuses unknown config
 * keys and secrets stored in plain text; Terraform drops unknown attributes of an object input
 * without a word, which it cannot be made to refuse) — each tool's own test file covers those.
 */
import { KNOBS } from "./knobs.js";

export interface HelmInput {
  /** Written to a values file (-f). */
  values?: Record<string, unknown>;
  /** More command-line arguments, e.g. ["--set", "replicas=0"]. */
  set?: string[];
  /** The release name (the instance knob); default realtime-svg. */
  release?: string;
  /** The release namespace; default "default". */
  namespace?: string;
}

export interface PulumiInput {
  /** Stack config by key, without the project's `realtime-svg:` namespace. */
  config?: Record<string, unknown>;
  /** Secret config by path (`pulumi config set --secret [--path] PATH …`). */
  secrets?: Record<string, string>;
}

export interface Inputs {
  helm: HelmInput;
  pulumi: PulumiInput;
  /** Input variables of the module. */
  terraform: Record<string, unknown>;
}

export interface Refusal extends Inputs {
  /** What is wrong, as the test names it. */
  what: string;
  /** What the error must name: knob paths as Helm and Pulumi spell them, or setting names. */
  names: string[];
}

export interface Accepted extends Inputs {
  what: string;
}

/** Helm values and Pulumi config are the same paths: one object for both. */
const same = (values: Record<string, unknown>): Pick<Inputs, "helm" | "pulumi"> => ({ helm: { values }, pulumi: { config: values } });

/** Each tool's spelling of a name of the table: a knob path (via knobs.ts) or a setting name. */
export function nameIn(tool: "helm" | "pulumi" | "terraform", name: string): string {
  for (const knob of KNOBS) {
    const at = knob.pulumi.indexOf(name);
    if (at < 0) continue;
    const spelled = knob[tool][at] ?? knob[tool][0]!;
    return spelled === "(release name)" ? "release name" : spelled === "(release namespace)" ? "namespace" : spelled;
  }
  if (/^[A-Z][A-Z0-9_]*$/.test(name)) return name; // a setting
  throw new Error(`"${name}" is neither a Pulumi path of knobs.ts nor a setting name`);
}

const LONG_LABEL_NAME = `x${"a".repeat(63)}`; // 64 characters: one too many for a label name
const GRACE_NAMES = ["terminationGracePeriodSeconds", "DRAIN_SECONDS", "SHUTDOWN_GRACE_MS"];
const KNATIVE_DRAIN_NAMES = ["knative.timeoutSeconds", "DRAIN_SECONDS", "SHUTDOWN_GRACE_MS"];
const ingressOn = { enabled: true, host: "img.example.com" };
const SENTINELS = ["sentinel-0.example.internal:26379", "sentinel-1.example.internal:26379"];
const NODES = ["redis-0.example.internal:6379", "redis-1.example.internal:6379"];
/** An external Redis's knobs as Helm/Pulumi spell them, and as Terraform does (redis.tls.ca_cert). */
const external = (redis: Record<string, unknown>) => ({ redis: { enabled: false, ...redis } });
const CA = "-----BEGIN CERTIFICATE-----\nMIIBrTCCAVOgAwIBAgIU\n-----END CERTIFICATE-----\n";

export const REFUSALS: Refusal[] = [
  // ── enums ─────────────────────────────────────────────────────────────────────────────────────
  { what: "an unknown log level", ...same({ logLevel: "verbose" }), terraform: { log_level: "verbose" }, names: ["logLevel"] },
  { what: "an unknown image pull policy", ...same({ image: { pullPolicy: "Sometimes" } }), terraform: { image: { pull_policy: "Sometimes" } }, names: ["image.pullPolicy"] },
  { what: "an unknown Service type", ...same({ service: { type: "ExternalName" } }), terraform: { service: { type: "ExternalName" } }, names: ["service.type"] },
  {
    what: "an unknown ingress path type",
    ...same({ ingress: { ...ingressOn, pathType: "Regex" } }),
    terraform: { ingress: { ...ingressOn, path_type: "Regex" } },
    names: ["ingress.pathType"],
  },

  // ── ranges ────────────────────────────────────────────────────────────────────────────────────
  { what: "0 replicas", ...same({ replicas: 0 }), terraform: { replicas: 0 }, names: ["replicas"] },
  { what: "101 replicas", ...same({ replicas: 101 }), terraform: { replicas: 101 }, names: ["replicas"] },
  { what: "a fractional replica count", ...same({ replicas: 2.5 }), terraform: { replicas: 2.5 }, names: ["replicas"] },
  { what: "Service port 0", ...same({ service: { port: 0 } }), terraform: { service: { port: 0 } }, names: ["service.port"] },
  { what: "Service port 65536", ...same({ service: { port: 65536 } }), terraform: { service: { port: 65536 } }, names: ["service.port"] },
  {
    what: "a node port below 30000",
    ...same({ service: { type: "NodePort", nodePort: 29999 } }),
    terraform: { service: { type: "NodePort", node_port: 29999 } },
    names: ["service.nodePort"],
  },
  {
    what: "a node port above 32767",
    ...same({ service: { type: "LoadBalancer", nodePort: 32768 } }),
    terraform: { service: { type: "LoadBalancer", node_port: 32768 } },
    names: ["service.nodePort"],
  },
  {
    what: "a node port on a ClusterIP Service (it would be dropped)",
    ...same({ service: { nodePort: 30080 } }),
    terraform: { service: { node_port: 30080 } },
    names: ["service.nodePort"],
  },
  {
    what: "autoscaling.minReplicas above maxReplicas",
    ...same({ autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 } }),
    terraform: { autoscaling: { enabled: true, min_replicas: 5, max_replicas: 3 } },
    names: ["autoscaling.minReplicas", "autoscaling.maxReplicas"],
  },
  {
    what: "autoscaling.minReplicas 0",
    ...same({ autoscaling: { enabled: true, minReplicas: 0 } }),
    terraform: { autoscaling: { enabled: true, min_replicas: 0 } },
    names: ["autoscaling.minReplicas"],
  },
  {
    what: "autoscaling.maxReplicas 101",
    ...same({ autoscaling: { enabled: true, maxReplicas: 101 } }),
    terraform: { autoscaling: { enabled: true, max_replicas: 101 } },
    names: ["autoscaling.maxReplicas"],
  },
  {
    what: "a CPU target of 0 %",
    ...same({ autoscaling: { enabled: true, targetCPUUtilizationPercentage: 0 } }),
    terraform: { autoscaling: { enabled: true, target_cpu_utilization_percentage: 0 } },
    names: ["autoscaling.targetCPUUtilizationPercentage"],
  },
  {
    what: "a CPU target of 101 %",
    ...same({ autoscaling: { enabled: true, targetCPUUtilizationPercentage: 101 } }),
    terraform: { autoscaling: { enabled: true, target_cpu_utilization_percentage: 101 } },
    names: ["autoscaling.targetCPUUtilizationPercentage"],
  },
  {
    what: "a negative knative.minScale",
    ...same({ knative: { enabled: true, minScale: -1 } }),
    terraform: { knative: { enabled: true, min_scale: -1 } },
    names: ["knative.minScale"],
  },
  {
    what: "a negative knative.maxScale",
    ...same({ knative: { enabled: true, maxScale: -1 } }),
    terraform: { knative: { enabled: true, max_scale: -1 } },
    names: ["knative.maxScale"],
  },
  {
    what: "knative.minScale above maxScale",
    ...same({ knative: { enabled: true, minScale: 5, maxScale: 2 } }),
    terraform: { knative: { enabled: true, min_scale: 5, max_scale: 2 } },
    names: ["knative.minScale", "knative.maxScale"],
  },
  { what: "knative.target 0", ...same({ knative: { enabled: true, target: 0 } }), terraform: { knative: { enabled: true, target: 0 } }, names: ["knative.target"] },
  { what: "a fractional knative.target", ...same({ knative: { enabled: true, target: 1.5 } }), terraform: { knative: { enabled: true, target: 1.5 } }, names: ["knative.target"] },
  {
    what: "knative.timeoutSeconds 0",
    ...same({ knative: { enabled: true, timeoutSeconds: 0 } }),
    terraform: { knative: { enabled: true, timeout_seconds: 0 } },
    names: ["knative.timeoutSeconds"],
  },
  {
    what: "a termination grace period of 0",
    ...same({ terminationGracePeriodSeconds: 0 }),
    terraform: { termination_grace_period_seconds: 0 },
    names: ["terminationGracePeriodSeconds"],
  },

  // ── the timeouts and what they must outlast ───────────────────────────────────────────────────
  {
    what: "an ingress read timeout equal to the default KEEP_ALIVE_MS",
    ...same({ ingress: { readTimeoutSeconds: 25 } }),
    terraform: { ingress: { read_timeout_seconds: 25 } },
    names: ["ingress.readTimeoutSeconds", "KEEP_ALIVE_MS"],
  },
  {
    what: "an ingress read timeout within KEEP_ALIVE_MS from settings",
    ...same({ settings: { KEEP_ALIVE_MS: "120000" }, ingress: { readTimeoutSeconds: 120 } }),
    terraform: { settings: { KEEP_ALIVE_MS: "120000" }, ingress: { read_timeout_seconds: 120 } },
    names: ["ingress.readTimeoutSeconds", "KEEP_ALIVE_MS"],
  },
  {
    what: "a grace period of exactly DRAIN_SECONDS + SHUTDOWN_GRACE_MS (defaults 300 s + 10 s)",
    ...same({ terminationGracePeriodSeconds: 310 }),
    terraform: { termination_grace_period_seconds: 310 },
    names: GRACE_NAMES,
  },
  {
    what: "a longer DRAIN_SECONDS with the default grace period",
    ...same({ settings: { DRAIN_SECONDS: "400" } }),
    terraform: { settings: { DRAIN_SECONDS: "400" } },
    names: GRACE_NAMES,
  },
  {
    what: "a longer SHUTDOWN_GRACE_MS with the default grace period (300 s + 20 s = 320 s)",
    ...same({ settings: { SHUTDOWN_GRACE_MS: "20000" } }),
    terraform: { settings: { SHUTDOWN_GRACE_MS: "20000" } },
    names: GRACE_NAMES,
  },
  {
    what: "single-replica's grace period (45 s) without its short drain",
    ...same({ replicas: 1, settings: { SHUTDOWN_GRACE_MS: "20000" }, terminationGracePeriodSeconds: 45 }),
    terraform: { replicas: 1, settings: { SHUTDOWN_GRACE_MS: "20000" }, termination_grace_period_seconds: 45 },
    names: GRACE_NAMES,
  },
  {
    what: "a Knative drain as long as the request timeout",
    ...same({ knative: { enabled: true }, settings: { DRAIN_SECONDS: "590" } }),
    terraform: { knative: { enabled: true }, settings: { DRAIN_SECONDS: "590" } },
    names: KNATIVE_DRAIN_NAMES,
  },
  {
    what: "a Knative request timeout shorter than the default drain",
    ...same({ knative: { enabled: true, timeoutSeconds: 300 } }),
    terraform: { knative: { enabled: true, timeout_seconds: 300 } },
    names: KNATIVE_DRAIN_NAMES,
  },

  // ── required and forbidden combinations ───────────────────────────────────────────────────────
  { what: "an ingress without a host", ...same({ ingress: { enabled: true } }), terraform: { ingress: { enabled: true } }, names: ["ingress.host"] },
  {
    what: "an ingress with Knative",
    ...same({ ingress: ingressOn, knative: { enabled: true } }),
    terraform: { ingress: ingressOn, knative: { enabled: true } },
    names: ["ingress.enabled", "knative.enabled"],
  },
  {
    what: "redis.url with the in-cluster Redis",
    helm: { values: { redis: { url: "redis://redis.example.internal:6379" } } },
    pulumi: { secrets: { "redis.url": "redis://redis.example.internal:6379" } },
    terraform: { redis_url: "redis://redis.example.internal:6379" },
    names: ["redis.url", "redis.enabled"],
  },
  {
    what: "redis.host with the in-cluster Redis",
    ...same({ redis: { host: "redis.example.internal" } }),
    terraform: { redis: { host: "redis.example.internal" } },
    names: ["redis.host", "redis.enabled"],
  },
  {
    what: "redis.url and redis.host together",
    helm: { values: { redis: { enabled: false, host: "redis.example.internal", url: "redis://redis.example.internal:6379" } } },
    pulumi: { config: { redis: { enabled: false, host: "redis.example.internal" } }, secrets: { "redis.url": "redis://redis.example.internal:6379" } },
    terraform: { redis: { enabled: false, host: "redis.example.internal" }, redis_url: "redis://redis.example.internal:6379" },
    names: ["redis.url", "redis.host"],
  },
  {
    what: "redis.password beside redis.url (the password goes in the URL)",
    helm: { values: { redis: { enabled: false, url: "redis://:a@redis.example.internal:6379", password: "change-me-redis-password" } } },
    pulumi: { config: { redis: { enabled: false } }, secrets: { "redis.url": "redis://:a@redis.example.internal:6379", "redis.password": "change-me-redis-password" } },
    terraform: { redis: { enabled: false }, redis_url: "redis://:a@redis.example.internal:6379", redis_password: "change-me-redis-password" },
    names: ["redis.password", "redis.url"],
  },
  {
    what: "persistence without the in-cluster Redis",
    ...same({ redis: { enabled: false, host: "redis.example.internal", persistence: { enabled: true } } }),
    terraform: { redis: { enabled: false, host: "redis.example.internal", persistence: { enabled: true } } },
    names: ["redis.persistence.enabled", "redis.enabled"],
  },
  {
    what: "no Redis at all with two replicas (each pod would keep its own sessions)",
    ...same({ redis: { enabled: false } }),
    terraform: { redis: { enabled: false } },
    names: ["redis.enabled", "redis.url", "redis.host", "replicas"],
  },
  {
    what: "a Redis port without redis.host (the in-cluster Redis listens on 6379)",
    ...same({ redis: { port: 6380 } }),
    terraform: { redis: { port: 6380 } },
    names: ["redis.port", "redis.host"],
  },
  {
    what: "a Redis port above 65535",
    ...same({ redis: { enabled: false, host: "redis.example.internal", port: 65536 } }),
    terraform: { redis: { enabled: false, host: "redis.example.internal", port: 65536 } },
    names: ["redis.port"],
  },

  // ── settings ──────────────────────────────────────────────────────────────────────────────────
  { what: "a setting the server does not have", ...same({ settings: { MAX_STREEMS: "5" } }), terraform: { settings: { MAX_STREEMS: "5" } }, names: ["settings", "MAX_STREEMS"] },
  { what: "a setting with a knob of its own (LOG_LEVEL)", ...same({ settings: { LOG_LEVEL: "debug" } }), terraform: { settings: { LOG_LEVEL: "debug" } }, names: ["settings", "LOG_LEVEL"] },
  { what: "a setting with a knob of its own (PORT)", ...same({ settings: { PORT: "9090" } }), terraform: { settings: { PORT: "9090" } }, names: ["settings", "PORT"] },
  {
    what: "a secret setting with a knob of its own (SECRETS_KEY: it would land in the ConfigMap)",
    ...same({ settings: { SECRETS_KEY: "yAAItSbVWq5LmEPMI2NZrmJP4za94fCABoz1adDuSOw=" } }),
    terraform: { settings: { SECRETS_KEY: "yAAItSbVWq5LmEPMI2NZrmJP4za94fCABoz1adDuSOw=" } },
    names: ["settings", "SECRETS_KEY"],
  },
  { what: "DRAIN_SECONDS that is not a whole number", ...same({ settings: { DRAIN_SECONDS: "5m" } }), terraform: { settings: { DRAIN_SECONDS: "5m" } }, names: ["DRAIN_SECONDS"] },
  { what: "KEEP_ALIVE_MS that is not a whole number", ...same({ settings: { KEEP_ALIVE_MS: "25s" } }), terraform: { settings: { KEEP_ALIVE_MS: "25s" } }, names: ["KEEP_ALIVE_MS"] },
  {
    what: "another duration setting that is not a whole number",
    ...same({ settings: { RENDER_TIMEOUT_MS: "1.5" } }),
    terraform: { settings: { RENDER_TIMEOUT_MS: "1.5" } },
    names: ["RENDER_TIMEOUT_MS"],
  },

  // ── secrets ───────────────────────────────────────────────────────────────────────────────────
  {
    what: "an API key shorter than 16 characters",
    helm: { values: { apiKey: "short" } },
    pulumi: { secrets: { apiKey: "short" } },
    terraform: { api_key: "short" },
    names: ["apiKey"],
  },
  {
    what: "an API key with spaces",
    helm: { values: { apiKey: "a key with spaces in it" } },
    pulumi: { secrets: { apiKey: "a key with spaces in it" } },
    terraform: { api_key: "a key with spaces in it" },
    names: ["apiKey"],
  },
  {
    what: "a metrics token shorter than 16 characters",
    helm: { values: { metricsToken: "short" } },
    pulumi: { secrets: { metricsToken: "short" } },
    terraform: { metrics_token: "short" },
    names: ["metricsToken"],
  },
  {
    what: "a secrets key of 16 bytes (AES-256 needs 32)",
    helm: { values: { secretsKey: "AQEBAQEBAQEBAQEBAQEBAQ==" } },
    pulumi: { secrets: { secretsKey: "AQEBAQEBAQEBAQEBAQEBAQ==" } },
    terraform: { secrets_key: "AQEBAQEBAQEBAQEBAQEBAQ==" },
    names: ["secretsKey"],
  },
  {
    what: "a secrets key of 44 characters that is not base64",
    helm: { values: { secretsKey: "not base64: a key of 44 characters, with ===" } },
    pulumi: { secrets: { secretsKey: "not base64: a key of 44 characters, with ===" } },
    terraform: { secrets_key: "not base64: a key of 44 characters, with ===" },
    names: ["secretsKey"],
  },
  {
    what: "a Redis password with a trailing newline",
    helm: { values: { redis: { password: "change-me-redis-password\n" } } },
    pulumi: { secrets: { "redis.password": "change-me-redis-password\n" } },
    terraform: { redis_password: "change-me-redis-password\n" },
    names: ["redis.password"],
  },
  {
    what: "a Redis URL of another scheme",
    helm: { values: { redis: { enabled: false, url: "http://redis.example.internal:6379" } } },
    pulumi: { config: { redis: { enabled: false } }, secrets: { "redis.url": "http://redis.example.internal:6379" } },
    terraform: { redis: { enabled: false }, redis_url: "http://redis.example.internal:6379" },
    names: ["redis.url"],
  },

  // ── names and labels ──────────────────────────────────────────────────────────────────────────
  {
    what: "an instance too long for NAME-redis to be a 63-character name",
    helm: { release: "a".repeat(45) },
    pulumi: { config: { instance: "a".repeat(45) } },
    terraform: { instance: "a".repeat(45) },
    names: ["instance"],
  },
  {
    what: "an instance starting with a digit (Service names start with a letter)",
    helm: { release: "1blue" },
    pulumi: { config: { instance: "1blue" } },
    terraform: { instance: "1blue" },
    names: ["instance"],
  },
  {
    what: "a namespace that is not a DNS label",
    helm: { namespace: "Images_Prod" },
    pulumi: { config: { namespace: "Images_Prod" } },
    terraform: { namespace: "Images_Prod" },
    names: ["namespace"],
  },
  {
    what: "commonLabels overriding a selector label",
    ...same({ commonLabels: { "app.kubernetes.io/instance": "other" } }),
    terraform: { common_labels: { "app.kubernetes.io/instance": "other" } },
    names: ["commonLabels"],
  },
  {
    what: "podLabels overriding a selector label",
    ...same({ podLabels: { "app.kubernetes.io/name": "other" } }),
    terraform: { pod_labels: { "app.kubernetes.io/name": "other" } },
    names: ["podLabels"],
  },
  {
    what: "podLabels repeating a key of commonLabels (which value wins would be each tool's merge order)",
    ...same({ commonLabels: { team: "images" }, podLabels: { team: "frontend" } }),
    terraform: { common_labels: { team: "images" }, pod_labels: { team: "frontend" } },
    names: ["podLabels", "commonLabels"],
  },
  { what: "a label value with a space", ...same({ commonLabels: { team: "image team" } }), terraform: { common_labels: { team: "image team" } }, names: ["commonLabels"] },
  {
    what: "a label name longer than 63 characters",
    ...same({ commonLabels: { [LONG_LABEL_NAME]: "x" } }),
    terraform: { common_labels: { [LONG_LABEL_NAME]: "x" } },
    names: ["commonLabels"],
  },
  {
    what: "a node selector value that is not a label value",
    ...same({ nodeSelector: { "kubernetes.io/os": "linux os" } }),
    terraform: { node_selector: { "kubernetes.io/os": "linux os" } },
    names: ["nodeSelector"],
  },
  {
    what: "a pod annotation name that is not one",
    ...same({ podAnnotations: { "prometheus io/scrape": "true" } }),
    terraform: { pod_annotations: { "prometheus io/scrape": "true" } },
    names: ["podAnnotations"],
  },
  {
    what: "an ingress annotation name that is not one",
    ...same({ ingress: { ...ingressOn, annotations: { "cert manager": "x" } } }),
    terraform: { ingress: { ...ingressOn, annotations: { "cert manager": "x" } } },
    names: ["ingress.annotations"],
  },
  // An empty map is a mistake in every tool; leaving the knob unset (Helm and Terraform: null) is
  // its default (ACCEPTED).
  {
    what: "an empty NetworkPolicy pod selector (it would admit every pod)",
    ...same({ networkPolicy: { enabled: true, ingressPodLabels: {} } }),
    terraform: { network_policy: { enabled: true, ingress_pod_labels: {} } },
    names: ["networkPolicy.ingressPodLabels"],
  },
  {
    what: "an empty NetworkPolicy namespace selector (it would admit every namespace)",
    ...same({ networkPolicy: { enabled: true, ingressNamespaceLabels: {} } }),
    terraform: { network_policy: { enabled: true, ingress_namespace_labels: {} } },
    names: ["networkPolicy.ingressNamespaceLabels"],
  },
  {
    what: "a NetworkPolicy label name that is not one",
    ...same({ networkPolicy: { enabled: true, ingressPodLabels: { "app name": "ingress-nginx" } } }),
    terraform: { network_policy: { enabled: true, ingress_pod_labels: { "app name": "ingress-nginx" } } },
    names: ["networkPolicy.ingressPodLabels"],
  },

  // ── images, names of other objects ────────────────────────────────────────────────────────────
  { what: "an image repository with upper case and a space", ...same({ image: { repository: "My Image" } }), terraform: { image: { repository: "My Image" } }, names: ["image.repository"] },
  { what: "an image tag with a '!'", ...same({ image: { tag: "latest!" } }), terraform: { image: { tag: "latest!" } }, names: ["image.tag"] },
  { what: "a pull secret that is not a Secret name", ...same({ imagePullSecrets: ["Reg Cred"] }), terraform: { image_pull_secrets: ["Reg Cred"] }, names: ["imagePullSecrets"] },
  { what: "the same pull secret twice", ...same({ imagePullSecrets: ["regcred", "regcred"] }), terraform: { image_pull_secrets: ["regcred", "regcred"] }, names: ["imagePullSecrets"] },
  {
    what: "an ingress host with upper case",
    ...same({ ingress: { enabled: true, host: "Img.Example.com" } }),
    terraform: { ingress: { enabled: true, host: "Img.Example.com" } },
    names: ["ingress.host"],
  },
  {
    what: "a wildcard ingress host (the URL every tool reports would be none)",
    ...same({ ingress: { enabled: true, host: "*.example.com" } }),
    terraform: { ingress: { enabled: true, host: "*.example.com" } },
    names: ["ingress.host"],
  },
  {
    what: "an ingress class that is not a name",
    ...same({ ingress: { ...ingressOn, className: "Nginx Class" } }),
    terraform: { ingress: { ...ingressOn, class_name: "Nginx Class" } },
    names: ["ingress.className"],
  },
  { what: "an ingress path not starting with /", ...same({ ingress: { ...ingressOn, path: "img" } }), terraform: { ingress: { ...ingressOn, path: "img" } }, names: ["ingress.path"] },
  {
    what: "a TLS Secret name that is not a Secret name",
    ...same({ ingress: { ...ingressOn, tls: { enabled: true, secretName: "Bad_Secret" } } }),
    terraform: { ingress: { ...ingressOn, tls: { enabled: true, secret_name: "Bad_Secret" } } },
    names: ["ingress.tls.secretName"],
  },
  {
    what: "a Redis host with a space",
    ...same({ redis: { enabled: false, host: "redis host" } }),
    terraform: { redis: { enabled: false, host: "redis host" } },
    names: ["redis.host"],
  },
  { what: "a Redis image with a space", ...same({ redis: { image: "redis 7" } }), terraform: { redis: { image: "redis 7" } }, names: ["redis.image"] },
  { what: "a Redis maxmemory in MiB (Redis has no such unit)", ...same({ redis: { maxMemory: "200MiB" } }), terraform: { redis: { max_memory: "200MiB" } }, names: ["redis.maxMemory"] },
  { what: "a Redis maxmemory of 0 (no limit: Redis would grow until it is killed)", ...same({ redis: { maxMemory: "0" } }), terraform: { redis: { max_memory: "0" } }, names: ["redis.maxMemory"] },
  {
    what: "a claim size that is not a binary quantity",
    ...same({ redis: { persistence: { enabled: true, size: "2GB" } } }),
    terraform: { redis: { persistence: { enabled: true, size: "2GB" } } },
    names: ["redis.persistence.size"],
  },
  {
    what: "a StorageClass that is not a name",
    ...same({ redis: { persistence: { enabled: true, storageClass: "Fast SSD" } } }),
    terraform: { redis: { persistence: { enabled: true, storage_class: "Fast SSD" } } },
    names: ["redis.persistence.storageClass"],
  },

  // ── resources ─────────────────────────────────────────────────────────────────────────────────
  {
    what: "a CPU quantity not in canonical form (0.5 comes back as 500m)",
    ...same({ resources: { requests: { cpu: "0.5", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } }),
    terraform: { resources: { requests: { cpu: "0.5", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } },
    names: ["resources"],
  },
  {
    what: "resources with a misspelled section",
    ...same({ resources: { request: { cpu: "100m" }, limits: { cpu: "500m", memory: "512Mi" } } }),
    terraform: { resources: { request: { cpu: "100m" }, limits: { cpu: "500m", memory: "512Mi" } } },
    names: ["resources"],
  },
  {
    what: "resources other than cpu, memory and ephemeral-storage",
    ...same({ resources: { limits: { cpu: "500m", memory: "512Mi", "nvidia.com/gpu": "1" } } }),
    terraform: { resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi", "nvidia.com/gpu": "1" } } },
    names: ["resources"],
  },
  { what: "empty server resources (unset is the default)", ...same({ resources: {} }), terraform: { resources: {} }, names: ["resources"] },
  { what: "empty Redis resources (unset is the default)", ...same({ redis: { resources: {} } }), terraform: { redis: { resources: {} } }, names: ["redis.resources"] },
  {
    what: "a Redis memory quantity in MB",
    ...same({ redis: { resources: { limits: { cpu: "200m", memory: "256MB" } } } }),
    terraform: { redis: { resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256MB" } } } },
    names: ["redis.resources"],
  },

  // ── Kubernetes objects passed through ─────────────────────────────────────────────────────────
  {
    what: "an extra env var with both value and valueFrom",
    ...same({ extraEnv: [{ name: "A", value: "1", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }),
    terraform: { extra_env: [{ name: "A", value: "1", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] },
    names: ["extraEnv"],
  },
  { what: "an extra env var with neither value nor valueFrom", ...same({ extraEnv: [{ name: "A" }] }), terraform: { extra_env: [{ name: "A" }] }, names: ["extraEnv"] },
  { what: "an extra env var with a misspelled field", ...same({ extraEnv: [{ name: "A", valeu: "1" }] }), terraform: { extra_env: [{ name: "A", valeu: "1" }] }, names: ["extraEnv"] },
  { what: "an extra env var named with a leading digit", ...same({ extraEnv: [{ name: "1A", value: "1" }] }), terraform: { extra_env: [{ name: "1A", value: "1" }] }, names: ["extraEnv"] },
  { what: "an extra env var with an empty valueFrom", ...same({ extraEnv: [{ name: "A", valueFrom: {} }] }), terraform: { extra_env: [{ name: "A", valueFrom: {} }] }, names: ["extraEnv"] },
  {
    what: "a toleration with an unknown operator",
    ...same({ tolerations: [{ key: "dedicated", operator: "In", value: "images", effect: "NoSchedule" }] }),
    terraform: { tolerations: [{ key: "dedicated", operator: "In", value: "images", effect: "NoSchedule" }] },
    names: ["tolerations"],
  },
  {
    what: "a toleration with a misspelled field",
    ...same({ tolerations: [{ key: "dedicated", operator: "Exists", efect: "NoSchedule" }] }),
    terraform: { tolerations: [{ key: "dedicated", operator: "Exists", efect: "NoSchedule" }] },
    names: ["tolerations"],
  },
  {
    what: "a misspelled affinity",
    ...same({ affinity: { podAntiAfinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } } }),
    terraform: { affinity: { podAntiAfinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } } },
    names: ["affinity"],
  },
  {
    what: "a topology spread constraint without whenUnsatisfiable",
    ...same({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone" }] }),
    terraform: { topology_spread_constraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone" }] },
    names: ["topologySpreadConstraints"],
  },
  {
    what: "a topology spread constraint with a misspelled field",
    ...same({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelecter: {} }] }),
    terraform: { topology_spread_constraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelecter: {} }] },
    names: ["topologySpreadConstraints"],
  },
  {
    what: "a topology spread constraint with maxSkew 0",
    ...same({ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }] }),
    terraform: { topology_spread_constraints: [{ maxSkew: 0, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }] },
    names: ["topologySpreadConstraints"],
  },

  // ── external Redis topologies: Sentinel, Cluster, TLS (the server's own rules, runtime/config.ts) ──
  {
    what: "sentinels with the in-cluster Redis",
    ...same({ redis: { sentinel: { addresses: SENTINELS, master: "mymaster" } } }),
    terraform: { redis: { sentinel: { addresses: SENTINELS, master: "mymaster" } } },
    names: ["redis.sentinel.addresses", "redis.enabled"],
  },
  {
    what: "cluster nodes with the in-cluster Redis",
    ...same({ redis: { cluster: { nodes: NODES } } }),
    terraform: { redis: { cluster: { nodes: NODES } } },
    names: ["redis.cluster.nodes", "redis.enabled"],
  },
  {
    what: "sentinels and redis.url together",
    helm: { values: external({ url: "redis://redis.example.internal:6379", sentinel: { addresses: SENTINELS, master: "mymaster" } }) },
    pulumi: { config: external({ sentinel: { addresses: SENTINELS, master: "mymaster" } }), secrets: { "redis.url": "redis://redis.example.internal:6379" } },
    terraform: { ...external({ sentinel: { addresses: SENTINELS, master: "mymaster" } }), redis_url: "redis://redis.example.internal:6379" },
    names: ["redis.sentinel.addresses", "redis.url"],
  },
  {
    what: "sentinels and redis.host together",
    ...same(external({ host: "redis.example.internal", sentinel: { addresses: SENTINELS, master: "mymaster" } })),
    terraform: external({ host: "redis.example.internal", sentinel: { addresses: SENTINELS, master: "mymaster" } }),
    names: ["redis.sentinel.addresses", "redis.host"],
  },
  {
    what: "cluster nodes and redis.url together",
    helm: { values: external({ url: "rediss://redis.example.internal:6380", cluster: { nodes: NODES } }) },
    pulumi: { config: external({ cluster: { nodes: NODES } }), secrets: { "redis.url": "rediss://redis.example.internal:6380" } },
    terraform: { ...external({ cluster: { nodes: NODES } }), redis_url: "rediss://redis.example.internal:6380" },
    names: ["redis.cluster.nodes", "redis.url"],
  },
  {
    what: "cluster nodes and redis.host together",
    ...same(external({ host: "redis.example.internal", cluster: { nodes: NODES } })),
    terraform: external({ host: "redis.example.internal", cluster: { nodes: NODES } }),
    names: ["redis.cluster.nodes", "redis.host"],
  },
  {
    what: "sentinels and cluster nodes together",
    ...same(external({ sentinel: { addresses: SENTINELS, master: "mymaster" }, cluster: { nodes: NODES } })),
    terraform: external({ sentinel: { addresses: SENTINELS, master: "mymaster" }, cluster: { nodes: NODES } }),
    names: ["redis.cluster.nodes", "redis.sentinel.addresses"],
  },
  {
    what: "sentinels without the primary's name",
    ...same(external({ sentinel: { addresses: SENTINELS } })),
    terraform: external({ sentinel: { addresses: SENTINELS } }),
    names: ["redis.sentinel.master", "redis.sentinel.addresses"],
  },
  {
    what: "a sentinel master name without sentinels",
    ...same(external({ host: "redis.example.internal", sentinel: { master: "mymaster" } })),
    terraform: external({ host: "redis.example.internal", sentinel: { master: "mymaster" } }),
    names: ["redis.sentinel.master", "redis.sentinel.addresses"],
  },
  {
    what: "a sentinel password without sentinels",
    helm: { values: external({ host: "redis.example.internal", sentinel: { password: "change-me-sentinel-password" } }) },
    pulumi: { config: external({ host: "redis.example.internal" }), secrets: { "redis.sentinel.password": "change-me-sentinel-password" } },
    terraform: { ...external({ host: "redis.example.internal" }), redis_sentinel_password: "change-me-sentinel-password" },
    names: ["redis.sentinel.password", "redis.sentinel.addresses"],
  },
  {
    what: "a sentinel password ending in a newline",
    helm: { values: external({ sentinel: { addresses: SENTINELS, master: "mymaster", password: "change-me-sentinel-password\n" } }) },
    pulumi: { config: external({ sentinel: { addresses: SENTINELS, master: "mymaster" } }), secrets: { "redis.sentinel.password": "change-me-sentinel-password\n" } },
    terraform: { ...external({ sentinel: { addresses: SENTINELS, master: "mymaster" } }), redis_sentinel_password: "change-me-sentinel-password\n" },
    names: ["redis.sentinel.password"],
  },
  {
    what: "a sentinel master name with a space",
    ...same(external({ sentinel: { addresses: SENTINELS, master: "my master" } })),
    terraform: external({ sentinel: { addresses: SENTINELS, master: "my master" } }),
    names: ["redis.sentinel.master"],
  },
  {
    what: "an empty list of sentinels",
    ...same(external({ sentinel: { addresses: [], master: "mymaster" } })),
    terraform: external({ sentinel: { addresses: [], master: "mymaster" } }),
    names: ["redis.sentinel.addresses"],
  },
  {
    what: "an empty list of cluster nodes",
    ...same(external({ cluster: { nodes: [] } })),
    terraform: external({ cluster: { nodes: [] } }),
    names: ["redis.cluster.nodes"],
  },
  {
    what: "a sentinel address without a port",
    ...same(external({ sentinel: { addresses: ["sentinel-0.example.internal"], master: "mymaster" } })),
    terraform: external({ sentinel: { addresses: ["sentinel-0.example.internal"], master: "mymaster" } }),
    names: ["redis.sentinel.addresses"],
  },
  {
    what: "a sentinel address without a host",
    ...same(external({ sentinel: { addresses: [":26379"], master: "mymaster" } })),
    terraform: external({ sentinel: { addresses: [":26379"], master: "mymaster" } }),
    names: ["redis.sentinel.addresses"],
  },
  {
    what: "a cluster node on port 0",
    ...same(external({ cluster: { nodes: ["redis-0.example.internal:0"] } })),
    terraform: external({ cluster: { nodes: ["redis-0.example.internal:0"] } }),
    names: ["redis.cluster.nodes"],
  },
  {
    what: "a cluster node on port 65536",
    ...same(external({ cluster: { nodes: ["redis-0.example.internal:65536"] } })),
    terraform: external({ cluster: { nodes: ["redis-0.example.internal:65536"] } }),
    names: ["redis.cluster.nodes"],
  },
  {
    what: "two cluster nodes in one entry (one address per list entry)",
    ...same(external({ cluster: { nodes: ["redis-0.example.internal:6379,redis-1.example.internal:6379"] } })),
    terraform: external({ cluster: { nodes: ["redis-0.example.internal:6379,redis-1.example.internal:6379"] } }),
    names: ["redis.cluster.nodes"],
  },
  {
    what: "an IPv6 cluster node without brackets (its port would be ambiguous)",
    ...same(external({ cluster: { nodes: ["fd00::1:6379"] } })),
    terraform: external({ cluster: { nodes: ["fd00::1:6379"] } }),
    names: ["redis.cluster.nodes"],
  },
  {
    what: "TLS with redis.url (a URL says rediss:// itself)",
    helm: { values: external({ url: "redis://redis.example.internal:6379", tls: { enabled: true } }) },
    pulumi: { config: external({ tls: { enabled: true } }), secrets: { "redis.url": "redis://redis.example.internal:6379" } },
    terraform: { ...external({ tls: { enabled: true } }), redis_url: "redis://redis.example.internal:6379" },
    names: ["redis.tls.enabled", "redis.url"],
  },
  {
    what: "TLS to the in-cluster Redis (which speaks no TLS)",
    ...same({ redis: { tls: { enabled: true } } }),
    terraform: { redis: { tls: { enabled: true } } },
    names: ["redis.tls.enabled", "redis.enabled"],
  },
  {
    what: "a CA certificate without TLS",
    ...same(external({ host: "redis.example.internal", tls: { caCert: CA } })),
    terraform: external({ host: "redis.example.internal", tls: { ca_cert: CA } }),
    names: ["redis.tls.caCert", "redis.tls.enabled"],
  },
  {
    what: "a CA certificate with a redis:// URL (no TLS)",
    helm: { values: external({ url: "redis://redis.example.internal:6379", tls: { caCert: CA } }) },
    pulumi: { config: external({ tls: { caCert: CA } }), secrets: { "redis.url": "redis://redis.example.internal:6379" } },
    terraform: { ...external({ tls: { ca_cert: CA } }), redis_url: "redis://redis.example.internal:6379" },
    names: ["redis.tls.caCert", "redis.tls.enabled"],
  },
  {
    what: "a CA certificate that is not PEM",
    ...same(external({ host: "redis.example.internal", tls: { enabled: true, caCert: "MIIBrTCCAVOgAwIBAgIU" } })),
    terraform: external({ host: "redis.example.internal", tls: { enabled: true, ca_cert: "MIIBrTCCAVOgAwIBAgIU" } }),
    names: ["redis.tls.caCert"],
  },
];

/** Just inside the boundaries the refusals draw: every tool must take these. */
export const ACCEPTED: Accepted[] = [
  { what: "1 replica", ...same({ replicas: 1 }), terraform: { replicas: 1 } },
  {
    what: "an instance of 44 characters (NAME-redis: exactly 63)",
    helm: { release: "a".repeat(44) },
    pulumi: { config: { instance: "a".repeat(44) } },
    terraform: { instance: "a".repeat(44) },
  },
  {
    what: "autoscaling beside Knative (ignored: Knative's autoscaler scales its pods)",
    ...same({ autoscaling: { enabled: true }, knative: { enabled: true } }),
    terraform: { autoscaling: { enabled: true }, knative: { enabled: true } },
  },
  { what: "100 replicas", ...same({ replicas: 100 }), terraform: { replicas: 100 } },
  { what: "node port 30000 on a NodePort Service", ...same({ service: { type: "NodePort", nodePort: 30000 } }), terraform: { service: { type: "NodePort", node_port: 30000 } } },
  {
    what: "node port 32767 on a LoadBalancer Service",
    ...same({ service: { type: "LoadBalancer", nodePort: 32767 } }),
    terraform: { service: { type: "LoadBalancer", node_port: 32767 } },
  },
  { what: "a grace period one second above drain + shutdown grace", ...same({ terminationGracePeriodSeconds: 311 }), terraform: { termination_grace_period_seconds: 311 } },
  {
    what: "single-replica's grace period with its short drain",
    ...same({ replicas: 1, settings: { SHUTDOWN_GRACE_MS: "20000", DRAIN_SECONDS: "20" }, terminationGracePeriodSeconds: 45 }),
    terraform: { replicas: 1, settings: { SHUTDOWN_GRACE_MS: "20000", DRAIN_SECONDS: "20" }, termination_grace_period_seconds: 45 },
  },
  {
    what: "no drain at all, and a grace period just above the shutdown grace",
    ...same({ settings: { DRAIN_SECONDS: "0" }, terminationGracePeriodSeconds: 11 }),
    terraform: { settings: { DRAIN_SECONDS: "0" }, termination_grace_period_seconds: 11 },
  },
  {
    what: "a Knative drain that ends a second before the request timeout",
    ...same({ knative: { enabled: true }, settings: { DRAIN_SECONDS: "589" } }),
    terraform: { knative: { enabled: true }, settings: { DRAIN_SECONDS: "589" } },
  },
  {
    what: "Knative with a drain longer than the Deployment's grace period would allow (not used with Knative)",
    ...same({ knative: { enabled: true }, settings: { DRAIN_SECONDS: "400" } }),
    terraform: { knative: { enabled: true }, settings: { DRAIN_SECONDS: "400" } },
  },
  {
    what: "Knative without a most pods limit (maxScale 0)",
    ...same({ knative: { enabled: true, minScale: 3, maxScale: 0 } }),
    terraform: { knative: { enabled: true, min_scale: 3, max_scale: 0 } },
  },
  { what: "no Redis at all with one replica (sessions in its memory)", ...same({ replicas: 1, redis: { enabled: false } }), terraform: { replicas: 1, redis: { enabled: false } } },
  {
    what: "an ingress read timeout a second above the keep-alive interval",
    ...same({ ingress: { readTimeoutSeconds: 26 } }),
    terraform: { ingress: { read_timeout_seconds: 26 } },
  },
  {
    what: "an external Redis by IPv6 address on another port",
    ...same({ redis: { enabled: false, host: "fd00::6379", port: 6380 } }),
    terraform: { redis: { enabled: false, host: "fd00::6379", port: 6380 } },
  },
  {
    what: "a toleration of every effect (no effect)",
    ...same({ tolerations: [{ key: "dedicated", operator: "Exists" }] }),
    terraform: { tolerations: [{ key: "dedicated", operator: "Exists" }] },
  },
  {
    what: "an API key and a metrics token of exactly 16 printable characters",
    helm: { values: { apiKey: "0123456789!#$%&(", metricsToken: "abcdefghijklmnop" } },
    pulumi: { secrets: { apiKey: "0123456789!#$%&(", metricsToken: "abcdefghijklmnop" } },
    terraform: { api_key: "0123456789!#$%&(", metrics_token: "abcdefghijklmnop" },
  },
  {
    what: "a secrets key of 32 bytes with + and / in its base64",
    helm: { values: { secretsKey: "+/+/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx8=" } },
    pulumi: { secrets: { secretsKey: "+/+/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx8=" } },
    terraform: { secrets_key: "+/+/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx8=" },
  },
  {
    what: "a Redis password with spaces and non-ASCII letters",
    helm: { values: { redis: { password: "pass phrase für Redis" } } },
    pulumi: { secrets: { "redis.password": "pass phrase für Redis" } },
    terraform: { redis_password: "pass phrase für Redis" },
  },
  { what: "an ingress host of one label", ...same({ ingress: { enabled: true, host: "images" } }), terraform: { ingress: { enabled: true, host: "images" } } },
  { what: "Redis maxmemory in upper-case units and in bytes", ...same({ redis: { maxMemory: "1GB" } }), terraform: { redis: { max_memory: "1GB" } } },
  { what: "Redis maxmemory in bytes", ...same({ redis: { maxMemory: "524288000" } }), terraform: { redis: { max_memory: "524288000" } } },
  { what: "a pull secret name with dots", ...same({ imagePullSecrets: ["reg.cred"] }), terraform: { image_pull_secrets: ["reg.cred"] } },
  {
    // Each replaces its default whole (helm.test.ts shows the objects are the same in every tool).
    what: "partial maps in place of the defaults: a CPU limit alone, a memory request alone, one label per selector",
    ...same({
      resources: { limits: { cpu: "1" } },
      redis: { resources: { requests: { memory: "64Mi" } } },
      networkPolicy: { enabled: true, ingressNamespaceLabels: { name: "my-ingress" }, ingressPodLabels: { "app.kubernetes.io/name": "traefik" } },
    }),
    terraform: {
      resources: { limits: { cpu: "1" } },
      redis: { resources: { requests: { memory: "64Mi" } } },
      network_policy: { enabled: true, ingress_namespace_labels: { name: "my-ingress" }, ingress_pod_labels: { "app.kubernetes.io/name": "traefik" } },
    },
  },
  {
    what: "map-valued knobs left unset: null in Helm and Terraform, absent in Pulumi",
    helm: { values: { resources: null, redis: { resources: null }, networkPolicy: { enabled: true, ingressNamespaceLabels: null, ingressPodLabels: null } } },
    pulumi: { config: { networkPolicy: { enabled: true } } },
    terraform: { resources: null, redis: { resources: null }, network_policy: { enabled: true, ingress_namespace_labels: null, ingress_pod_labels: null } },
  },
  {
    what: "an extra env var from a field, and resources with ephemeral storage",
    ...same({
      extraEnv: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      resources: { requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
    }),
    terraform: {
      extra_env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      resources: { requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
    },
  },
  {
    what: "sentinels on ports 1 and 65535, one by IPv6 address, over TLS with a CA, no sentinel password",
    ...same(external({ sentinel: { addresses: ["sentinel-0.example.internal:1", "[fd00::1]:65535"], master: "mymaster" }, tls: { enabled: true, caCert: CA } })),
    terraform: external({ sentinel: { addresses: ["sentinel-0.example.internal:1", "[fd00::1]:65535"], master: "mymaster" }, tls: { enabled: true, ca_cert: CA } }),
  },
  {
    what: "a single cluster node by IPv4 address, without TLS",
    ...same(external({ cluster: { nodes: ["10.0.0.7:6379"] } })),
    terraform: external({ cluster: { nodes: ["10.0.0.7:6379"] } }),
  },
  {
    what: "a CA certificate with a rediss:// URL (TLS said by the URL)",
    helm: { values: external({ url: "rediss://redis.example.internal:6380", tls: { caCert: CA } }) },
    pulumi: { config: external({ tls: { caCert: CA } }), secrets: { "redis.url": "rediss://redis.example.internal:6380" } },
    terraform: { ...external({ tls: { ca_cert: CA } }), redis_url: "rediss://redis.example.internal:6380" },
  },
  {
    what: "TLS to an external host, with its password",
    helm: { values: external({ host: "redis.example.internal", port: 6380, tls: { enabled: true }, password: "change-me-redis-password" }) },
    pulumi: { config: external({ host: "redis.example.internal", port: 6380, tls: { enabled: true } }), secrets: { "redis.password": "change-me-redis-password" } },
    terraform: { ...external({ host: "redis.example.internal", port: 6380, tls: { enabled: true } }), redis_password: "change-me-redis-password" },
  },
];

/**
 * A Terraform value as HCL (for a `variables { … }` block of a .tftest.hcl file): JSON's
 * strings, numbers and literals are HCL's; only template sequences (`${`, `%{`) need escaping.
 */
export function hcl(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value).replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(hcl).join(", ")}]`;
  if (typeof value === "object") {
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${JSON.stringify(key)} = ${hcl(item)}`)
      .join(", ")} }`;
  }
  throw new Error(`no HCL for ${String(value)}`);
}

/** A .tftest.hcl file with one `plan` run of these inputs. */
export const tftestFile = (run: string, variables: Record<string, unknown>) =>
  [
    `run "${run}" {`,
    "  command = plan",
    "  variables {",
    ...Object.entries(variables).map(([name, value]) => `    ${name} = ${hcl(value)}`),
    "  }",
    "}",
    "",
  ].join("\n");
