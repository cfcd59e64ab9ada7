# The server: a Deployment, its Service, PodDisruptionBudget and HorizontalPodAutoscaler, or a
# Knative Service instead.
locals {
  # What the Deployment and the Knative Service share.
  # The CA certificate of an external Redis, read-only where REDIS_CA_FILE points; only with one.
  server_container = merge(local.server_container_base, { for key, value in {
    volumeMounts = [{ name = "redis-ca", mountPath = local.redis_ca_dir, readOnly = true }]
  } : key => value if local.has_redis_ca })
  server_container_base = {
    name            = "realtime-svg"
    image           = "${var.image.repository}:${var.image.tag}"
    imagePullPolicy = var.image.pull_policy
    envFrom         = [{ configMapRef = { name = local.name } }]
    # Secret keys are optional: an absent key leaves its variable unset. (A list, not a map: the
    # order is the order of the kubectl base.) The user's extra_env come after, as given.
    env = concat([for pair in [
      ["REDIS_URL", "redis-url"],
      ["REDIS_PASSWORD", "redis-password"],
      ["REDIS_SENTINEL_PASSWORD", "redis-sentinel-password"],
      ["API_KEY", "apiKey"],
      ["METRICS_TOKEN", "metrics-token"],
      ["SECRETS_KEY", "secrets-key"],
      ] : {
      name      = pair[0]
      valueFrom = { secretKeyRef = { name = local.name, key = pair[1], optional = true } }
    }], var.extra_env)
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
  server_pod = merge(
    {
      automountServiceAccountToken = false
      # Service links would inject e.g. REDIS_PORT=tcp://… for a Service named "redis".
      enableServiceLinks = false
    },
    # Each only when set: kubernetes_manifest cannot round-trip an empty list or map.
    { for key, value in {
      imagePullSecrets          = [for name in var.image_pull_secrets : { name = name }]
      nodeSelector              = var.node_selector
      tolerations               = var.tolerations
      affinity                  = var.affinity
      topologySpreadConstraints = var.topology_spread_constraints
    } : key => value if length(value) > 0 },
    { for key, value in { volumes = [{ name = "redis-ca", configMap = { name = local.redis_ca_name } }] } : key => value if local.has_redis_ca },
  )
  # The pods' own labels (pod_labels on top, never in the selector) and annotations.
  server_pod_labels      = merge(local.server_labels, var.pod_labels)
  server_pod_annotations = { for key, value in { annotations = var.pod_annotations } : key => value if length(value) > 0 }

  deployment = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = merge(
      # With autoscaling the HorizontalPodAutoscaler owns the count: a Deployment that stated one
      # would reset it on every apply.
      { for key, value in { replicas = var.replicas } : key => value if !var.autoscaling.enabled },
      {
        selector = { matchLabels = local.server_selector }
        strategy = { type = "RollingUpdate", rollingUpdate = { maxUnavailable = 1, maxSurge = 1 } }
        template = {
          metadata = merge({ labels = local.server_pod_labels }, local.server_pod_annotations)
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
      },
    )
  }

  service = {
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = {
      type     = var.service.type
      selector = local.server_selector
      ports = [merge(
        { name = "http", port = var.service.port, targetPort = "http", protocol = "TCP" },
        { for key, value in { nodePort = var.service.node_port } : key => value if value != null && var.service.type != "ClusterIP" },
      )]
    }
  }

  pod_disruption_budget = {
    apiVersion = "policy/v1"
    kind       = "PodDisruptionBudget"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec       = { minAvailable = 1, selector = { matchLabels = local.server_selector } }
  }

  horizontal_pod_autoscaler = {
    apiVersion = "autoscaling/v2"
    kind       = "HorizontalPodAutoscaler"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = {
      scaleTargetRef = { apiVersion = "apps/v1", kind = "Deployment", name = local.name }
      minReplicas    = var.autoscaling.min_replicas
      maxReplicas    = var.autoscaling.max_replicas
      metrics = [{
        type = "Resource"
        resource = {
          name   = "cpu"
          target = { type = "Utilization", averageUtilization = var.autoscaling.target_cpu_utilization_percentage }
        }
      }]
    }
  }

  knative_service = {
    apiVersion = "serving.knative.dev/v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = {
      template = {
        metadata = {
          labels = local.server_pod_labels
          # Each open stream is an in-flight request for Knative's autoscaler; min-scale keeps warm
          # pods so that no image waits for a cold start. pod_annotations merge over these.
          annotations = merge({
            "autoscaling.knative.dev/metric"    = "concurrency"
            "autoscaling.knative.dev/target"    = tostring(var.knative.target)
            "autoscaling.knative.dev/min-scale" = tostring(var.knative.min_scale)
            "autoscaling.knative.dev/max-scale" = tostring(var.knative.max_scale)
          }, var.pod_annotations)
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

  # Only the ingress controller's pods reach the server (kubelet probes are not subject to
  # NetworkPolicies). Both selectors in one entry: those pods, in those namespaces.
  server_network_policy = {
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.server_labels }
    spec = {
      podSelector = { matchLabels = local.server_selector }
      policyTypes = ["Ingress"]
      ingress = [{
        from = [{
          namespaceSelector = { matchLabels = var.network_policy.ingress_namespace_labels }
          podSelector       = { matchLabels = var.network_policy.ingress_pod_labels }
        }]
        ports = [{ protocol = "TCP", port = 8080 }]
      }]
    }
  }
}
