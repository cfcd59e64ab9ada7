# Names, labels and the two objects every variant has: the ConfigMap and the Secret.
locals {
  # Helm's rule for a release's objects, so that every tool names them alike: the instance itself
  # when it already says what it is, else INSTANCE-realtime-svg.
  name       = strcontains(var.instance, "realtime-svg") ? var.instance : "${var.instance}-realtime-svg"
  redis_name = "${local.name}-redis"

  # Selectors hold what identifies the pods and never changes on a running Deployment; labels add
  # part-of and the user's common_labels (which may not reuse the module's keys: see variables.tf).
  server_selector = {
    "app.kubernetes.io/name"      = "realtime-svg"
    "app.kubernetes.io/instance"  = var.instance
    "app.kubernetes.io/component" = "server"
  }
  server_labels = merge(var.common_labels, local.server_selector, { "app.kubernetes.io/part-of" = "realtime-svg" })

  # Whether a secret is set is not itself secret; only the values are.
  has_redis_url      = nonsensitive(var.redis_url != null)
  has_redis_password = nonsensitive(var.redis_password != null)
  has_redis_ca       = var.redis.tls.ca_cert != null
  redis_ca_name      = "${local.name}-redis-ca"
  redis_ca_dir       = "/etc/realtime-svg/redis-ca"

  # REDIS_HOST/REDIS_PORT point at the in-cluster Redis or the external host; with redis_url they
  # are left out, since the server refuses REDIS_URL and REDIS_HOST together.
  redis_address = (
    var.redis.enabled ? { REDIS_HOST = local.redis_name, REDIS_PORT = "6379" } :
    var.redis.host != null ? { REDIS_HOST = var.redis.host, REDIS_PORT = tostring(var.redis.port) } :
    {}
  )
  # Sentinel, Cluster and TLS, each only when set (the server's defaults otherwise).
  redis_topology = { for key, value in {
    REDIS_SENTINELS       = var.redis.sentinel.addresses == null ? null : join(",", var.redis.sentinel.addresses)
    REDIS_SENTINEL_MASTER = var.redis.sentinel.master
    REDIS_CLUSTER_NODES   = var.redis.cluster.nodes == null ? null : join(",", var.redis.cluster.nodes)
    REDIS_TLS             = var.redis.tls.enabled ? "true" : null
    REDIS_CA_FILE         = local.has_redis_ca ? "${local.redis_ca_dir}/ca.crt" : null
  } : key => value if value != null }

  config_map = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    data       = merge({ PORT = "8080", LOG_LEVEL = var.log_level }, local.redis_address, local.redis_topology, var.settings)
  }

  # The CA of an external Redis's certificates (public: a ConfigMap), mounted into the server.
  redis_ca_config_map = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = local.redis_ca_name, namespace = var.namespace, labels = local.server_labels }
    data       = { "ca.crt" = coalesce(var.redis.tls.ca_cert, "-") }
  }

  secret_values = {
    "redis-url"               = var.redis_url
    "redis-password"          = var.redis_password
    "redis-sentinel-password" = var.redis_sentinel_password
    "apiKey"                  = var.api_key
    "metrics-token"           = var.metrics_token
    "secrets-key"             = var.secrets_key
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

  # The budget keeps one pod through node drains, which needs more than one pod to begin with:
  # minAvailable 1 over a single pod would block every drain.
  pod_disruption_budget_wanted = !var.knative.enabled && (var.autoscaling.enabled ? var.autoscaling.min_replicas > 1 : var.replicas > 1)

  # Every object, in apply order. Each group is filtered rather than chosen with a conditional,
  # which keeps every object's own shape (no nulls, no attributes borrowed from another object).
  manifests = concat(
    [local.config_map, local.secret],
    [for object in [local.redis_ca_config_map] : object if local.has_redis_ca],
    [for object in [local.redis_deployment, local.redis_service] : object if var.redis.enabled],
    [for object in [local.redis_persistent_volume_claim] : object if var.redis.enabled && var.redis.persistence.enabled],
    [for object in [local.deployment, local.service] : object if !var.knative.enabled],
    [for object in [local.pod_disruption_budget] : object if local.pod_disruption_budget_wanted],
    [for object in [local.horizontal_pod_autoscaler] : object if var.autoscaling.enabled && !var.knative.enabled],
    [for object in [local.knative_service] : object if var.knative.enabled],
    [for object in [local.ingress] : object if var.ingress.enabled],
    [for object in [local.server_network_policy] : object if var.network_policy.enabled],
    [for object in [local.redis_network_policy] : object if var.network_policy.enabled && var.redis.enabled],
  )
}
