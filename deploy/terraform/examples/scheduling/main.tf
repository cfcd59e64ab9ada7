# Where and how the server's pods run: pull policy and secret, pod annotations and a label, node
# selector, a tolerated taint, anti-affinity and a zone spread, and extra environment variables.
# Same objects as deploy/kubectl/overlays/scheduling.
module "realtime_svg" {
  source = "../.."

  image              = { pull_policy = "Always" }
  image_pull_secrets = ["regcred"]
  pod_annotations = {
    "prometheus.io/scrape" = "true"
    "prometheus.io/port"   = "8080"
  }
  pod_labels    = { tier = "frontend" }
  node_selector = { "kubernetes.io/os" = "linux" }
  tolerations = [
    { key = "dedicated", operator = "Equal", value = "images", effect = "NoSchedule" },
  ]
  # Passed to Kubernetes as they are (Kubernetes' own field names).
  affinity = {
    podAntiAffinity = {
      preferredDuringSchedulingIgnoredDuringExecution = [{
        weight = 100
        podAffinityTerm = {
          topologyKey   = "kubernetes.io/hostname"
          labelSelector = { matchLabels = { "app.kubernetes.io/name" = "realtime-svg", "app.kubernetes.io/instance" = "realtime-svg" } }
        }
      }]
    }
  }
  topology_spread_constraints = [{
    maxSkew           = 1
    topologyKey       = "topology.kubernetes.io/zone"
    whenUnsatisfiable = "ScheduleAnyway"
    labelSelector     = { matchLabels = { "app.kubernetes.io/name" = "realtime-svg", "app.kubernetes.io/instance" = "realtime-svg" } }
  }]
  extra_env = [
    { name = "NODE_OPTIONS", value = "--max-old-space-size=384" },
    { name = "POD_NAME", valueFrom = { fieldRef = { fieldPath = "metadata.name" } } },
  ]
}
