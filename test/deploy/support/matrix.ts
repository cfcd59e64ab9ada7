/**
 * The configurations both deployment variants must render identically: each is a kustomize
 * overlay (deploy/kubectl/overlays/NAME) and a Terraform example (deploy/terraform/examples/NAME),
 * plus the secret inputs a user would pass to Terraform (TF_VAR_…) — the overlays hold the same
 * example values as literals.
 */
export interface Configuration {
  name: string;
  /** What the configuration shows, as the test names it. */
  about: string;
  /** Terraform input variables the example declares without a default. */
  secrets: Record<string, string>;
  /** kinds expected in the rendering, as apiVersion/kind/name, sorted. */
  objects: string[];
}

const CONFIG_MAP = "v1/ConfigMap/realtime-svg";
const SECRET = "v1/Secret/realtime-svg";
const SERVER = ["apps/v1/Deployment/realtime-svg", "v1/Service/realtime-svg"];
const PDB = "policy/v1/PodDisruptionBudget/realtime-svg";
const REDIS = ["apps/v1/Deployment/realtime-svg-redis", "v1/Service/realtime-svg-redis"];
const INGRESS = "networking.k8s.io/v1/Ingress/realtime-svg";
const KNATIVE = "serving.knative.dev/v1/Service/realtime-svg";

const sorted = (...keys: Array<string | string[]>) => keys.flat().sort();

export const MATRIX: Configuration[] = [
  { name: "default", about: "defaults: server ×2 with an in-cluster Redis", secrets: {}, objects: sorted(CONFIG_MAP, SECRET, SERVER, PDB, REDIS) },
  {
    name: "external-redis",
    about: "an external Redis through REDIS_URL in the Secret, no Redis objects",
    secrets: { redis_url: "rediss://:change-me@redis.example.internal:6380/0" },
    objects: sorted(CONFIG_MAP, SECRET, SERVER, PDB),
  },
  {
    name: "external-redis-host",
    about: "an external Redis by host and port, its password in the Secret",
    secrets: { redis_password: "change-me-redis-password" },
    objects: sorted(CONFIG_MAP, SECRET, SERVER, PDB),
  },
  {
    name: "ingress",
    about: "an ingress-nginx Ingress with TLS, streaming and user annotations",
    secrets: {},
    objects: sorted(CONFIG_MAP, SECRET, SERVER, PDB, REDIS, INGRESS),
  },
  {
    name: "knative",
    about: "a Knative Service in place of Deployment, Service and PodDisruptionBudget",
    secrets: {},
    objects: sorted(CONFIG_MAP, SECRET, REDIS, KNATIVE),
  },
  {
    name: "custom",
    about: "a custom namespace, replica count, resources and image",
    secrets: {},
    objects: sorted(CONFIG_MAP, SECRET, SERVER, PDB, REDIS),
  },
  {
    name: "secrets",
    about: "an API key, a metrics token and a password on the in-cluster Redis",
    secrets: { api_key: "change-me-api-key", metrics_token: "change-me-metrics-token", redis_password: "change-me-redis-password" },
    objects: sorted(CONFIG_MAP, SECRET, SERVER, PDB, REDIS),
  },
  {
    name: "single-replica",
    about: "one replica (no PodDisruptionBudget) with extra settings and a longer grace period",
    secrets: {},
    objects: sorted(CONFIG_MAP, SECRET, SERVER, REDIS),
  },
];
