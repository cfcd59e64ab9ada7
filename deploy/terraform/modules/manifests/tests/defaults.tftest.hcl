# The module with no inputs: the objects of deploy/kubectl/overlays/default (test/deploy compares
# them field by field; these assertions pin the design's resource table).

run "defaults" {
  command = apply

  assert {
    condition = output.manifest_keys == [
      "v1/ConfigMap/default/realtime-svg",
      "v1/Secret/default/realtime-svg",
      "apps/v1/Deployment/default/realtime-svg-redis",
      "v1/Service/default/realtime-svg-redis",
      "apps/v1/Deployment/default/realtime-svg",
      "v1/Service/default/realtime-svg",
      "policy/v1/PodDisruptionBudget/default/realtime-svg",
    ]
    error_message = "The defaults must render the server, its Service and PodDisruptionBudget, the in-cluster Redis, the ConfigMap and the Secret — nothing else."
  }

  assert {
    condition     = output.manifests[4].spec.replicas == 2 && output.manifests[4].spec.strategy.rollingUpdate.maxUnavailable == 1 && output.manifests[4].spec.strategy.rollingUpdate.maxSurge == 1
    error_message = "The server runs 2 replicas, rolling 1 at a time."
  }

  assert {
    condition     = output.manifests[4].spec.template.spec.containers[0].image == "ghcr.io/realtime-svg/realtime-svg:0.1.0" && output.manifests[4].spec.template.spec.containers[0].imagePullPolicy == "IfNotPresent"
    error_message = "The default image is this project's own, pulled when the node lacks it."
  }

  assert {
    condition     = output.manifests[4].spec.template.spec.terminationGracePeriodSeconds == 320
    error_message = "Kubernetes must wait longer than the server's drain and shutdown grace (DRAIN_SECONDS 300 s + SHUTDOWN_GRACE_MS 10 s), with a 10 s margin."
  }

  assert {
    condition     = output.manifests[0].data == { PORT = "8080", LOG_LEVEL = "info", REDIS_HOST = "realtime-svg-redis", REDIS_PORT = "6379" }
    error_message = "The ConfigMap holds PORT, LOG_LEVEL and the in-cluster Redis address."
  }

  assert {
    condition     = !contains(keys(output.manifests[1]), "data")
    error_message = "With no secret set, the Secret has no data at all (kubernetes_manifest cannot round-trip an empty map)."
  }

  assert {
    condition     = join(" ", output.manifests[2].spec.template.spec.containers[0].args) == "--save  --appendonly no --maxmemory 200mb --maxmemory-policy noeviction" && output.manifests[2].spec.template.spec.containers[0].image == "redis:7-alpine"
    error_message = "The in-cluster Redis is redis:7-alpine without persistence, and never evicts sessions."
  }

  assert {
    condition     = jsonencode(output.manifests[2].spec.template.spec.containers[0].resources) == jsonencode({ requests = { cpu = "100m", memory = "128Mi" }, limits = { cpu = "200m", memory = "256Mi" } }) && output.manifests[2].spec.template.spec.securityContext.fsGroup == 999
    error_message = "The in-cluster Redis requests 100m/128Mi, is limited to 200m/256Mi, and owns its volumes (fsGroup 999)."
  }

  assert {
    condition     = output.public_url == null && output.service_url == "http://realtime-svg.default.svc.cluster.local:8080" && output.name == "realtime-svg"
    error_message = "Without an Ingress there is no public URL; the Service answers on 8080."
  }
}
