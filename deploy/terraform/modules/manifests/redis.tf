# In-cluster Redis. Without persistence (the default: dev/test, sessions are short-lived and
# re-creatable) its data lives in an emptyDir; with it, in an append-only file on a
# PersistentVolumeClaim. `noeviction` makes a full Redis refuse writes with an error instead of
# silently dropping sessions.
locals {
  redis_selector = {
    "app.kubernetes.io/name"      = "redis"
    "app.kubernetes.io/instance"  = var.instance
    "app.kubernetes.io/component" = "store"
  }
  redis_labels = merge(var.common_labels, local.redis_selector, { "app.kubernetes.io/part-of" = "realtime-svg" })

  # Never RDB snapshots (`--save ""`); the append-only file, written every second, only with
  # persistence: a crash then loses at most the last second of writes.
  redis_persistence_args = var.redis.persistence.enabled ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"]

  redis_container = merge(
    {
      name            = "redis"
      image           = var.redis.image
      imagePullPolicy = "IfNotPresent"
      command         = ["redis-server"]
      # With a password, Kubernetes expands $(REDISCLI_AUTH) from the container's environment.
      args = concat(
        ["--save", ""],
        local.redis_persistence_args,
        ["--maxmemory", var.redis.max_memory, "--maxmemory-policy", "noeviction"],
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
      resources = var.redis.resources
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

  # Two lists of one volume each, so that the condition picks between values of one type.
  redis_data_volume = var.redis.persistence.enabled ? [{ name = "data", persistentVolumeClaim = { claimName = local.redis_name } }] : []
  redis_scratch     = var.redis.persistence.enabled ? [] : [{ name = "data", emptyDir = { sizeLimit = "64Mi" } }]

  redis_deployment = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = local.redis_name, namespace = var.namespace, labels = local.redis_labels }
    spec = {
      replicas = 1
      selector = { matchLabels = local.redis_selector }
      # One Redis at a time: two would split sessions between them during a rollout (and a
      # ReadWriteOnce claim is released before the next pod starts).
      strategy = { type = "Recreate" }
      template = {
        metadata = { labels = local.redis_labels }
        spec = {
          automountServiceAccountToken = false
          enableServiceLinks           = false
          # Volumes belong to Redis's group, so a claim mounted at /data is writable.
          securityContext = { fsGroup = 999 }
          containers      = [local.redis_container]
          volumes         = concat(local.redis_data_volume, local.redis_scratch)
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

  redis_persistent_volume_claim = {
    apiVersion = "v1"
    kind       = "PersistentVolumeClaim"
    metadata   = { name = local.redis_name, namespace = var.namespace, labels = local.redis_labels }
    spec = merge(
      {
        accessModes = ["ReadWriteOnce"]
        resources   = { requests = { storage = var.redis.persistence.size } }
      },
      # Without one, the cluster's default StorageClass.
      { for key, value in { storageClassName = var.redis.persistence.storage_class } : key => value if value != null },
    )
  }

  # Only the server's pods reach Redis.
  redis_network_policy = {
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = { name = local.redis_name, namespace = var.namespace, labels = local.redis_labels }
    spec = {
      podSelector = { matchLabels = local.redis_selector }
      policyTypes = ["Ingress"]
      ingress = [{
        from  = [{ podSelector = { matchLabels = local.server_selector } }]
        ports = [{ protocol = "TCP", port = 6379 }]
      }]
    }
  }
}
