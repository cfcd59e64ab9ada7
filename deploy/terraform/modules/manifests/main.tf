# Names, labels and the two objects every variant has: the ConfigMap and the Secret.
locals {
  name       = "realtime-svg"
  redis_name = "realtime-svg-redis"

  server_selector = {
    "app.kubernetes.io/name"      = "realtime-svg"
    "app.kubernetes.io/instance"  = "realtime-svg"
    "app.kubernetes.io/component" = "server"
  }
  server_labels = merge(local.server_selector, { "app.kubernetes.io/part-of" = "realtime-svg" })

  # Whether a secret is set is not itself secret; only the values are.
  has_redis_url      = nonsensitive(var.redis_url != null)
  has_redis_password = nonsensitive(var.redis_password != null)

  # REDIS_HOST/REDIS_PORT point at the in-cluster Redis or the external host; with redis_url they
  # are left out, since the server refuses REDIS_URL and REDIS_HOST together.
  redis_address = (
    var.in_cluster_redis ? { REDIS_HOST = local.redis_name, REDIS_PORT = "6379" } :
    var.redis_host != null ? { REDIS_HOST = var.redis_host, REDIS_PORT = tostring(var.redis_port) } :
    {}
  )

  config_map = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    data       = merge({ PORT = "8080", LOG_LEVEL = var.log_level }, local.redis_address, var.settings)
  }

  secret_values = {
    "redis-url"      = var.redis_url
    "redis-password" = var.redis_password
    "api-key"        = var.api_key
    "metrics-token"  = var.metrics_token
  }
  secret_data = { for key, value in local.secret_values : key => base64encode(value) if nonsensitive(value != null) }

  # No `data` at all when no secret is set: kubernetes_manifest cannot round-trip an empty map.
  secret = merge(
    {
      apiVersion = "v1"
      kind       = "Secret"
      metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
      type       = "Opaque"
    },
    { for key, value in { data = local.secret_data } : key => value if length(value) > 0 },
  )

  # Every object, in apply order. Each group is filtered rather than chosen with a conditional,
  # which keeps every object's own shape (no nulls, no attributes borrowed from another object).
  manifests = concat(
    [local.config_map, local.secret],
    [for object in [local.redis_deployment, local.redis_service] : object if var.in_cluster_redis],
    [for object in [local.deployment, local.service] : object if !var.knative.enabled],
    [for object in [local.pod_disruption_budget] : object if !var.knative.enabled && var.replicas > 1],
    [for object in [local.knative_service] : object if var.knative.enabled],
    [for object in [local.ingress] : object if var.ingress.enabled],
  )
}
