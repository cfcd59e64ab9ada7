# The server: a Deployment, its Service and PodDisruptionBudget, or a Knative Service instead.
locals {
  # What the Deployment and the Knative Service share.
  server_container = {
    name    = "realtime-svg"
    image   = var.image
    envFrom = [{ configMapRef = { name = local.name } }]
    # Secret keys are optional: an absent key leaves its variable unset. (A list, not a map: the
    # order is the order of the kubectl base.)
    env = [for pair in [
      ["REDIS_URL", "redis-url"],
      ["REDIS_PASSWORD", "redis-password"],
      ["API_KEY", "api-key"],
      ["METRICS_TOKEN", "metrics-token"],
      ] : {
      name      = pair[0]
      valueFrom = { secretKeyRef = { name = local.name, key = pair[1], optional = true } }
    }]
    resources = var.resources
    securityContext = {
      runAsNonRoot             = true
      runAsUser                = 1000
      runAsGroup               = 1000
      readOnlyRootFilesystem   = true
      allowPrivilegeEscalation = false
      capabilities             = { drop = ["ALL"] }
      seccompProfile           = { type = "RuntimeDefault" }
    }
  }
  server_pod = {
    automountServiceAccountToken = false
    # Service links would inject e.g. REDIS_PORT=tcp://… for a Service named "redis".
    enableServiceLinks = false
  }

  deployment = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = {
      replicas = var.replicas
      selector = { matchLabels = local.server_selector }
      strategy = { type = "RollingUpdate", rollingUpdate = { maxUnavailable = 1, maxSurge = 1 } }
      template = {
        metadata = { labels = local.server_labels }
        spec = merge(local.server_pod, {
          terminationGracePeriodSeconds = var.termination_grace_period_seconds
          containers = [merge(local.server_container, {
            ports = [{ name = "http", containerPort = 8080, protocol = "TCP" }]
            livenessProbe = {
              httpGet          = { path = "/health", port = "http" }
              periodSeconds    = 10
              timeoutSeconds   = 2
              failureThreshold = 3
            }
            readinessProbe = {
              httpGet          = { path = "/ready", port = "http" }
              periodSeconds    = 5
              timeoutSeconds   = 2
              failureThreshold = 2
            }
          })]
        })
      }
    }
  }

  service = {
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = {
      type     = "ClusterIP"
      selector = local.server_selector
      ports    = [{ name = "http", port = 8080, targetPort = "http", protocol = "TCP" }]
    }
  }

  pod_disruption_budget = {
    apiVersion = "policy/v1"
    kind       = "PodDisruptionBudget"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec       = { minAvailable = 1, selector = { matchLabels = local.server_selector } }
  }

  knative_service = {
    apiVersion = "serving.knative.dev/v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = {
      template = {
        metadata = {
          labels      = local.server_labels
          annotations = { "autoscaling.knative.dev/min-scale" = tostring(var.knative.min_scale) }
        }
        spec = merge(local.server_pod, {
          # Knative ends every request (every stream) after this; an <img> never reconnects.
          timeoutSeconds = var.knative.timeout_seconds
          containers = [merge(local.server_container, {
            # Knative names the serving port by protocol, and probes it without being told the port.
            ports = [{ name = "http1", containerPort = 8080, protocol = "TCP" }]
            livenessProbe = {
              httpGet          = { path = "/health" }
              periodSeconds    = 10
              timeoutSeconds   = 2
              failureThreshold = 3
            }
            readinessProbe = {
              httpGet          = { path = "/ready" }
              periodSeconds    = 5
              timeoutSeconds   = 2
              failureThreshold = 2
            }
          })]
        })
      }
    }
  }
}
