# Knative Serving tuned for images that change 5 times a second and streams of up to an hour, with
# the pod-level inputs on the Knative Service: a pull secret, a pod annotation and label, Linux
# nodes only, the dedicated=images taint tolerated, a zone spread and an extra environment
# variable. Same objects as deploy/kubectl/overlays/knative-tuned.
#
# Needs in the cluster: in ConfigMap config-features (namespace knative-serving), the feature flags
# kubernetes.podspec-nodeselector, kubernetes.podspec-tolerations and
# kubernetes.podspec-topologyspreadconstraints set to "enabled" (Knative refuses those fields
# otherwise; affinity would need kubernetes.podspec-affinity, an extra_env from the downward API
# kubernetes.podspec-fieldref); and in ConfigMap config-defaults, max-revision-timeout-seconds of
# at least 3600 (see timeout_seconds).
module "realtime_svg" {
  source = "../.."

  knative = {
    enabled = true
    # Streams of up to an hour: the cluster's max-revision-timeout-seconds (600 by default) must
    # allow it, or Knative refuses the revision. Knative gives a stopping pod this long, so the
    # server's drain (DRAIN_SECONDS, 300 s) and shutdown grace (SHUTDOWN_GRACE_MS, 10 s) fit.
    timeout_seconds = 3600
    max_scale       = 20
    # 5 frames a second to every viewer: 70 % of the 500m CPU limit carries about 5,800 streams
    # (deploy/README.md, "Knative"), so aim at 5,000 per pod.
    target = 5000
  }
  image_pull_secrets = ["regcred"]
  # Keep a pod 10 minutes after the autoscaler would remove it: the next burst finds it warm.
  pod_annotations = { "autoscaling.knative.dev/scale-down-delay" = "10m" }
  pod_labels      = { tier = "frontend" }
  node_selector   = { "kubernetes.io/os" = "linux" }
  tolerations = [
    { key = "dedicated", operator = "Equal", value = "images", effect = "NoSchedule" },
  ]
  topology_spread_constraints = [{
    maxSkew           = 1
    topologyKey       = "topology.kubernetes.io/zone"
    whenUnsatisfiable = "ScheduleAnyway"
    labelSelector     = { matchLabels = { "app.kubernetes.io/name" = "realtime-svg", "app.kubernetes.io/instance" = "realtime-svg" } }
  }]
  extra_env = [
    { name = "NODE_OPTIONS", value = "--max-old-space-size=384" },
  ]
}
