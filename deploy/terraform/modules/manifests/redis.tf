# In-cluster Redis: no persistence; `noeviction` makes a full Redis refuse writes with an error
# instead of silently dropping sessions.
locals {
  redis_selector = {
    "app.kubernetes.io/name"      = "redis"
    "app.kubernetes.io/instance"  = "realtime-svg"
    "app.kubernetes.io/component" = "store"
  }
  redis_labels = merge(local.redis_selector, { "app.kubernetes.io/part-of" = "realtime-svg" })

  redis_container = merge(
    {
      name    = "redis"
      image   = var.redis_image
      command = ["redis-server"]
      # With a password, Kubernetes expands $(REDISCLI_AUTH) from the container's environment.
      args = concat(
        ["--save", "", "--appendonly", "no", "--maxmemory", var.redis_max_memory, "--maxmemory-policy", "noeviction"],
        local.has_redis_password ? ["--requirepass", "$(REDISCLI_AUTH)"] : [],
      )
      ports = [{ name = "redis", containerPort = 6379, protocol = "TCP" }]
      livenessProbe = {
        tcpSocket        = { port = "redis" }
        periodSeconds    = 10
        timeoutSeconds   = 2
        failureThreshold = 3
      }
      # redis-cli authenticates with REDISCLI_AUTH when it is set.
      readinessProbe = {
        exec             = { command = ["redis-cli", "ping"] }
        periodSeconds    = 5
        timeoutSeconds   = 2
        failureThreshold = 2
      }
      resources = var.redis_resources
      securityContext = {
        runAsNonRoot             = true
        runAsUser                = 999
        runAsGroup               = 999
        readOnlyRootFilesystem   = true
        allowPrivilegeEscalation = false
        capabilities             = { drop = ["ALL"] }
        seccompProfile           = { type = "RuntimeDefault" }
      }
      volumeMounts = [{ name = "data", mountPath = "/data" }]
    },
    { for key, value in {
      env = [{ name = "REDISCLI_AUTH", valueFrom = { secretKeyRef = { name = local.name, key = "redis-password" } } }]
    } : key => value if local.has_redis_password },
  )

  redis_deployment = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = local.redis_name, namespace = var.namespace, labels = local.redis_labels }
    spec = {
      replicas = 1
      selector = { matchLabels = local.redis_selector }
      # One Redis at a time: two would split sessions between them during a rollout.
      strategy = { type = "Recreate" }
      template = {
        metadata = { labels = local.redis_labels }
        spec = {
          automountServiceAccountToken = false
          enableServiceLinks           = false
          containers                   = [local.redis_container]
          volumes                      = [{ name = "data", emptyDir = { sizeLimit = "64Mi" } }]
        }
      }
    }
  }

  redis_service = {
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.redis_name, namespace = var.namespace, labels = local.redis_labels }
    spec = {
      type     = "ClusterIP"
      selector = local.redis_selector
      ports    = [{ name = "redis", port = 6379, targetPort = "redis", protocol = "TCP" }]
    }
  }
}
