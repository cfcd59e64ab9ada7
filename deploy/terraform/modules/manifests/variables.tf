# Kept identical in deploy/terraform/variables.tf (the outer module passes every one through);
# test/deploy checks that the two files match, and that the inputs are exactly the knobs of
# test/deploy/support/knobs.ts.
#
# Object inputs take optional attributes with defaults, so `ingress = { enabled = true, host = … }`
# is enough. Terraform drops an attribute an object type does not declare without a word (a
# misspelled `class_nmae` is silently ignored): the README says so. The inputs passed to Kubernetes
# verbatim (extra_env, tolerations, affinity, topology_spread_constraints) are `any` for that
# reason too — an object type would drop the fields it does not list — and check their keys
# themselves.

variable "instance" {
  description = "Name of this installation. Objects are named NAME and NAME-redis, where NAME is the instance when it contains \"realtime-svg\" and INSTANCE-realtime-svg otherwise (Helm's rule for a release), and labelled app.kubernetes.io/instance = instance, selectors included. Two installations in one namespace need two instances."
  type        = string
  default     = "realtime-svg"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.instance)) && length(strcontains(var.instance, "realtime-svg") ? var.instance : "${var.instance}-realtime-svg") <= 57
    error_message = "instance must be lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, and short enough for NAME-redis to be a 63-character DNS label (at most 44 characters, or 57 when it contains \"realtime-svg\")."
  }
}

variable "namespace" {
  description = "Namespace of every object. It must exist already (e.g. `kubectl create namespace images`)."
  type        = string
  default     = "default"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label: lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit."
  }
}

variable "common_labels" {
  description = "Labels of your own on every object and every pod template (never in selectors: a Deployment's selector cannot change), e.g. { team = \"images\" }."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for key, value in var.common_labels :
      can(regex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key)) &&
      can(regex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", value)) &&
      !contains(["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of"], key)
    ])
    error_message = "common_labels must be Kubernetes labels (keys [prefix/]name, values of at most 63 letters, digits, '-', '_', '.'), and may not set app.kubernetes.io/name, instance, component or part-of: the module sets those (use the instance input for the instance)."
  }
}

variable "replicas" {
  description = "Server replicas. With more than one, a PodDisruptionBudget keeps one available during node drains. Ignored with autoscaling.enabled (the HorizontalPodAutoscaler owns the count)."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 100 && floor(var.replicas) == var.replicas
    error_message = "replicas must be a whole number from 1 to 100."
  }
}

variable "image" {
  description = "Container image of the server: repository, tag and pull_policy (Always, IfNotPresent or Never)."
  type = object({
    repository  = optional(string, "ghcr.io/realtime-svg/realtime-svg")
    tag         = optional(string, "0.1.0")
    pull_policy = optional(string, "IfNotPresent")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[a-z0-9][-a-z0-9._/]*(:[0-9]+/[-a-z0-9._/]+)?$", var.image.repository)) && can(regex("^[A-Za-z0-9_][-A-Za-z0-9_.]{0,127}$", var.image.tag))
    error_message = "image.repository must be an image repository such as ghcr.io/realtime-svg/realtime-svg (lower-case, no spaces, no tag), and image.tag a tag such as 0.1.0."
  }

  validation {
    condition     = contains(["Always", "IfNotPresent", "Never"], var.image.pull_policy)
    error_message = "image.pull_policy must be Always, IfNotPresent or Never."
  }
}

variable "image_pull_secrets" {
  description = "Names of Secrets (type kubernetes.io/dockerconfigjson, in the namespace) holding credentials for the image's registry."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for name in var.image_pull_secrets : can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", name))]) && length(distinct(var.image_pull_secrets)) == length(var.image_pull_secrets)
    error_message = "image_pull_secrets must be Secret names (lower-case DNS names), each once."
  }
}

variable "resources" {
  description = "CPU and memory requests and limits of the server container (a Kubernetes ResourceRequirements: requests and/or limits, each with cpu and/or memory), as quantities in canonical form (e.g. \"500m\", \"1\", \"512Mi\")."
  type        = map(map(string))
  default = {
    requests = { cpu = "100m", memory = "128Mi" }
    limits   = { cpu = "500m", memory = "512Mi" }
  }
  nullable = false

  validation {
    condition = length(var.resources) > 0 && alltrue([for kind, quantities in var.resources :
      contains(["requests", "limits"], kind) && length(quantities) > 0 && alltrue([for resource, quantity in quantities :
        resource == "cpu" ? can(regex("^([1-9][0-9]*m|[0-9]+)$", quantity)) : contains(["memory", "ephemeral-storage"], resource) && can(regex("^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$", quantity))
      ])
    ])
    error_message = "resources: requests and/or limits, none empty; cpu as millicores (\"250m\") or whole cores (\"1\"); memory as bytes or Ki/Mi/Gi/Ti (\"512Mi\"). Other spellings (\"0.5\", \"1000m\") come back from the API server rewritten, which Terraform reports as a change."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the server."
  type        = string
  default     = "info"
  nullable    = false

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace, silent."
  }
}

variable "settings" {
  description = "More server settings for the ConfigMap, by environment variable name (README, \"Configuration\"), e.g. { PUBLIC_URL = \"https://img.example.com\", KEEP_ALIVE_MS = \"20000\" }. PORT, LOG_LEVEL, the Redis connection and the secrets have their own inputs."
  type        = map(string)
  default     = {}
  nullable    = false

  # local.validation_allowed_settings (below) is every setting of the Node host in the README's
  # Configuration table, in its order, except those with an input of their own.
  validation {
    condition     = alltrue([for name in keys(var.settings) : contains(local.validation_allowed_settings, name)])
    error_message = "settings: ${join(", ", [for name in keys(var.settings) : name if !contains(local.validation_allowed_settings, name)])} not allowed. settings may hold the Node host's settings of the README's Configuration table (the module README lists them) except PORT (fixed at 8080), LOG_LEVEL (log_level), REDIS_URL, REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_SENTINEL_PASSWORD, REDIS_CLUSTER_NODES, REDIS_TLS, REDIS_CA_FILE (redis_url, redis, redis_password, redis_sentinel_password), API_KEY (api_key), METRICS_TOKEN (metrics_token) and SECRETS_KEY (secrets_key)."
  }

  # The server's durations are whole numbers, and the module compares three of them (KEEP_ALIVE_MS,
  # SHUTDOWN_GRACE_MS, DRAIN_SECONDS) with its own timeouts.
  validation {
    condition     = alltrue([for name, value in var.settings : can(regex("^[0-9]+$", value)) if can(regex("_(MS|SECONDS)$", name))])
    error_message = "settings: ${join(", ", [for name, value in var.settings : name if can(regex("_(MS|SECONDS)$", name)) && !can(regex("^[0-9]+$", value))])} must be whole numbers, digits only (the server reads every *_MS and *_SECONDS setting so, and the module compares KEEP_ALIVE_MS, SHUTDOWN_GRACE_MS and DRAIN_SECONDS with its timeouts)."
  }
}

variable "extra_env" {
  description = "More environment variables of the server container, after the module's own: Kubernetes EnvVar objects as they are, e.g. [{ name = \"NODE_OPTIONS\", value = \"--max-old-space-size=384\" }, { name = \"POD_NAME\", valueFrom = { fieldRef = { fieldPath = \"metadata.name\" } } }]."
  # `any`: the entries differ in shape (value or valueFrom), which a list type cannot hold.
  type     = any
  default  = []
  nullable = false

  validation {
    condition = try(!can(keys(var.extra_env)) && alltrue([for variable in var.extra_env :
      can(regex("^[-._a-zA-Z][-._a-zA-Z0-9]*$", variable.name)) &&
      length(setsubtract(keys(variable), ["name", "value", "valueFrom"])) == 0 &&
      contains(keys(variable), "value") != contains(keys(variable), "valueFrom") &&
      (!contains(keys(variable), "valueFrom") || length(keys(lookup(variable, "valueFrom", {}))) > 0)
    ]), false)
    error_message = "extra_env must be a list of EnvVar objects: a name (letters, digits, '_', '-', '.', not starting with a digit) and exactly one of value or valueFrom (a non-empty object), nothing else."
  }
}

variable "termination_grace_period_seconds" {
  description = "How long Kubernetes waits after SIGTERM before killing a server pod: longer than the server's drain (DRAIN_SECONDS, 300 s) and shutdown grace (SHUTDOWN_GRACE_MS, 10 s) together, unless settings say otherwise, so open streams drain and end with their final boundary. The default, 320, leaves a 10 s margin. Not used with Knative (see knative)."
  type        = number
  default     = 320
  nullable    = false

  validation {
    condition     = floor(var.termination_grace_period_seconds) == var.termination_grace_period_seconds && var.termination_grace_period_seconds >= 1
    error_message = "termination_grace_period_seconds must be whole seconds, at least 1."
  }

  validation {
    condition     = var.knative.enabled || var.termination_grace_period_seconds * 1000 > local.validation_drain_seconds * 1000 + local.validation_shutdown_grace_ms
    error_message = "termination_grace_period_seconds (${var.termination_grace_period_seconds} s) must be longer than DRAIN_SECONDS (${local.validation_drain_seconds} s) + SHUTDOWN_GRACE_MS (${local.validation_shutdown_grace_ms} ms) from settings (defaults 300 s and 10000 ms), or the kubelet kills the server while its streams drain."
  }
}

variable "api_key" {
  description = "API_KEY (Secret key apiKey): when set, creating a session needs it. null: anyone may create sessions."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.api_key == null || can(regex("^[[:graph:]]{16,}$", var.api_key))
    error_message = "api_key must be at least 16 printable characters without spaces (an empty value would turn the check off)."
  }
}

variable "metrics_token" {
  description = "METRICS_TOKEN (Secret key metrics-token): when set, GET /metrics needs it as a bearer token."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.metrics_token == null || can(regex("^[[:graph:]]{16,}$", var.metrics_token))
    error_message = "metrics_token must be at least 16 printable characters without spaces (an empty value would turn the check off)."
  }
}

variable "secrets_key" {
  description = "SECRETS_KEY (Secret key secrets-key): base64 of exactly 32 bytes (openssl rand -base64 32), the AES-256-GCM key webhook secrets are stored sealed under. null: stored as is."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.secrets_key == null || can(regex("^[A-Za-z0-9+/]{43}=$", var.secrets_key))
    error_message = "secrets_key must be base64 of exactly 32 bytes (44 characters ending in =, e.g. openssl rand -base64 32)."
  }
}

variable "pod_annotations" {
  description = "Annotations of the server's pods (e.g. for a metrics scraper), not of the Deployment."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key in keys(var.pod_annotations) : can(regex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key))])
    error_message = "pod_annotations keys must be annotation names ([prefix/]name, the name at most 63 letters, digits, '-', '_', '.')."
  }
}

variable "pod_labels" {
  description = "More labels of the server's pods, not of the Deployment nor in its selector."
  type        = map(string)
  default     = {}
  nullable    = false

  # Checked here, where both are in view: with the same key, which value would win is a matter of
  # each tool's merge order, so the module refuses to guess.
  validation {
    condition = alltrue([for key, value in var.pod_labels :
      can(regex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key)) &&
      can(regex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", value)) &&
      !contains(concat(["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of"], keys(var.common_labels)), key)
    ])
    error_message = "pod_labels must be Kubernetes labels, and may set neither app.kubernetes.io/name, instance, component, part-of (the module's, in the selector) nor a key of common_labels."
  }
}

variable "node_selector" {
  description = "Node labels the server's pods must run on, e.g. { \"kubernetes.io/os\" = \"linux\" }."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for key, value in var.node_selector :
      can(regex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key)) &&
      can(regex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", value))
    ])
    error_message = "node_selector must be Kubernetes labels (keys [prefix/]name, values of at most 63 letters, digits, '-', '_', '.')."
  }
}

variable "tolerations" {
  description = "Tolerations of the server's pods, Kubernetes Toleration objects as they are, e.g. [{ key = \"dedicated\", operator = \"Equal\", value = \"images\", effect = \"NoSchedule\" }]."
  type        = any
  default     = []
  nullable    = false

  validation {
    condition = try(!can(keys(var.tolerations)) && alltrue([for toleration in var.tolerations :
      length(setsubtract(keys(toleration), ["key", "operator", "value", "effect", "tolerationSeconds"])) == 0 &&
      contains(["Equal", "Exists"], lookup(toleration, "operator", "Equal")) &&
      contains(["", "NoSchedule", "PreferNoSchedule", "NoExecute"], lookup(toleration, "effect", ""))
    ]), false)
    error_message = "tolerations must be a list of Toleration objects: key, operator (Equal or Exists), value, effect (NoSchedule, PreferNoSchedule or NoExecute), tolerationSeconds — nothing else."
  }
}

variable "affinity" {
  description = "Affinity of the server's pods, a Kubernetes Affinity object as it is (nodeAffinity, podAffinity, podAntiAffinity)."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = try(length(setsubtract(keys(var.affinity), ["nodeAffinity", "podAffinity", "podAntiAffinity"])) == 0, false)
    error_message = "affinity must be an Affinity object: nodeAffinity, podAffinity and/or podAntiAffinity, nothing else."
  }
}

variable "topology_spread_constraints" {
  description = "Topology spread constraints of the server's pods, Kubernetes TopologySpreadConstraint objects as they are."
  type        = any
  default     = []
  nullable    = false

  validation {
    condition = try(!can(keys(var.topology_spread_constraints)) && alltrue([for constraint in var.topology_spread_constraints :
      length(setsubtract(keys(constraint), ["maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "matchLabelKeys", "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy"])) == 0 &&
      constraint.maxSkew >= 1 && constraint.topologyKey != "" && contains(["DoNotSchedule", "ScheduleAnyway"], constraint.whenUnsatisfiable)
    ]), false)
    error_message = "topology_spread_constraints must be a list of TopologySpreadConstraint objects, each with maxSkew (at least 1), topologyKey and whenUnsatisfiable (DoNotSchedule or ScheduleAnyway), and no fields a TopologySpreadConstraint does not have."
  }
}

variable "service" {
  description = "The server's Service: type (ClusterIP, NodePort or LoadBalancer), port (the server itself listens on 8080) and node_port (30000-32767, NodePort and LoadBalancer only; null: Kubernetes picks one)."
  type = object({
    type      = optional(string, "ClusterIP")
    port      = optional(number, 8080)
    node_port = optional(number)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["ClusterIP", "NodePort", "LoadBalancer"], var.service.type)
    error_message = "service.type must be ClusterIP, NodePort or LoadBalancer."
  }

  validation {
    condition     = floor(var.service.port) == var.service.port && var.service.port >= 1 && var.service.port <= 65535
    error_message = "service.port must be a port number (1-65535)."
  }

  validation {
    condition     = var.service.node_port == null || (floor(coalesce(var.service.node_port, 0)) == var.service.node_port && coalesce(var.service.node_port, 0) >= 30000 && coalesce(var.service.node_port, 0) <= 32767 && var.service.type != "ClusterIP")
    error_message = "service.node_port must be a port from 30000 to 32767, with service.type NodePort or LoadBalancer."
  }
}

variable "ingress" {
  description = <<-EOT
    An Ingress: enabled, host, class_name, path and path_type (Prefix, Exact or
    ImplementationSpecific), annotations (yours, merged over the streaming ones), tls (enabled,
    secret_name: default NAME-tls) and read_timeout_seconds (nginx's proxy-read/send-timeout:
    longer than the keep-alive interval, KEEP_ALIVE_MS).
  EOT
  type = object({
    enabled     = optional(bool, false)
    host        = optional(string)
    class_name  = optional(string, "nginx")
    path        = optional(string, "/")
    path_type   = optional(string, "Prefix")
    annotations = optional(map(string), {})
    tls = optional(object({
      enabled     = optional(bool, false)
      secret_name = optional(string)
    }), {})
    read_timeout_seconds = optional(number, 3600)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !var.ingress.enabled || (can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$", coalesce(var.ingress.host, "-"))) && length(coalesce(var.ingress.host, "-")) <= 253)
    error_message = "ingress.host must be a lower-case DNS name (e.g. img.example.com; no wildcard) when the ingress is enabled."
  }

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.ingress.class_name)) && startswith(var.ingress.path, "/") && contains(["Prefix", "Exact", "ImplementationSpecific"], var.ingress.path_type)
    error_message = "ingress.class_name must be an IngressClass name, ingress.path must start with '/', and ingress.path_type must be Prefix, Exact or ImplementationSpecific."
  }

  validation {
    condition     = alltrue([for key in keys(var.ingress.annotations) : can(regex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key))])
    error_message = "ingress.annotations keys must be annotation names ([prefix/]name, the name at most 63 letters, digits, '-', '_', '.')."
  }

  validation {
    condition     = var.ingress.tls.secret_name == null || can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", coalesce(var.ingress.tls.secret_name, "-")))
    error_message = "ingress.tls.secret_name must be a Secret name (a lower-case DNS name)."
  }

  validation {
    condition     = floor(var.ingress.read_timeout_seconds) == var.ingress.read_timeout_seconds && var.ingress.read_timeout_seconds * 1000 > local.validation_keep_alive_ms
    error_message = "ingress.read_timeout_seconds (${var.ingress.read_timeout_seconds} s) must be whole seconds, longer than the keep-alive interval (KEEP_ALIVE_MS, ${local.validation_keep_alive_ms} ms; 25000 by default), or nginx cuts quiet streams."
  }

  validation {
    condition     = !(var.ingress.enabled && var.knative.enabled)
    error_message = "ingress.enabled and knative.enabled cannot both be true: Knative Serving routes traffic through its own ingress."
  }
}

variable "redis" {
  description = <<-EOT
    Redis. enabled: run one beside the server (Deployment and Service NAME-redis); false: set
    redis_url, host, sentinel or cluster. host and port: an external Redis (ConfigMap REDIS_HOST,
    REDIS_PORT). sentinel: addresses (host:port each, REDIS_SENTINELS) and master (the name the
    sentinels monitor the primary under, REDIS_SENTINEL_MASTER); their password is
    redis_sentinel_password. cluster: nodes (host:port each, REDIS_CLUSTER_NODES). tls: enabled
    (REDIS_TLS, for host, sentinel or cluster; a URL says rediss://) and ca_cert (PEM text of the
    CA, in ConfigMap NAME-redis-ca mounted at /etc/realtime-svg/redis-ca/ca.crt, REDIS_CA_FILE).
    image, max_memory (below the memory limit; when full, Redis refuses writes rather than drop
    sessions), resources and persistence (enabled, size, storage_class: an append-only file on a
    PersistentVolumeClaim) apply to the in-cluster Redis.
  EOT
  type = object({
    enabled = optional(bool, true)
    host    = optional(string)
    port    = optional(number, 6379)
    sentinel = optional(object({
      addresses = optional(list(string))
      master    = optional(string)
    }), {})
    cluster = optional(object({
      nodes = optional(list(string))
    }), {})
    tls = optional(object({
      enabled = optional(bool, false)
      ca_cert = optional(string)
    }), {})
    image      = optional(string, "redis:7-alpine")
    max_memory = optional(string, "200mb")
    resources = optional(map(map(string)), {
      requests = { cpu = "100m", memory = "128Mi" }
      limits   = { cpu = "200m", memory = "256Mi" }
    })
    persistence = optional(object({
      enabled       = optional(bool, false)
      size          = optional(string, "1Gi")
      storage_class = optional(string)
    }), {})
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.redis.host == null || (can(regex("^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$", coalesce(var.redis.host, "-"))) && !var.redis.enabled)
    error_message = "redis.host must be a host name or address (IPv6 without brackets), and needs redis.enabled = false."
  }

  validation {
    condition     = floor(var.redis.port) == var.redis.port && var.redis.port >= 1 && var.redis.port <= 65535 && (var.redis.host != null || var.redis.port == 6379)
    error_message = "redis.port must be a port number (1-65535), and differ from 6379 only with redis.host (the in-cluster Redis listens on 6379)."
  }

  validation {
    condition     = can(regex("^[a-z0-9][^\\s]*$", var.redis.image)) && can(regex("(?i)^[1-9][0-9]*([kmg]b?)?$", var.redis.max_memory))
    error_message = "redis.image must be an image reference without spaces, and redis.max_memory a Redis memory size above 0 such as 200mb, 1gb or 524288000 (bytes)."
  }

  validation {
    condition = length(var.redis.resources) > 0 && alltrue([for kind, quantities in var.redis.resources :
      contains(["requests", "limits"], kind) && length(quantities) > 0 && alltrue([for resource, quantity in quantities :
        resource == "cpu" ? can(regex("^([1-9][0-9]*m|[0-9]+)$", quantity)) : contains(["memory", "ephemeral-storage"], resource) && can(regex("^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$", quantity))
      ])
    ])
    error_message = "redis.resources: requests and/or limits, none empty; cpu as millicores (\"250m\") or whole cores (\"1\"); memory as bytes or Ki/Mi/Gi/Ti (\"256Mi\")."
  }

  validation {
    condition     = can(regex("^[1-9][0-9]*(Mi|Gi|Ti)$", var.redis.persistence.size)) && (var.redis.persistence.storage_class == null || can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", coalesce(var.redis.persistence.storage_class, "-"))))
    error_message = "redis.persistence.size must be a quantity such as 1Gi or 512Mi, and redis.persistence.storage_class a StorageClass name."
  }

  validation {
    condition     = !var.redis.persistence.enabled || var.redis.enabled
    error_message = "redis.persistence.enabled is for the in-cluster Redis: it needs redis.enabled."
  }

  # The external topologies, by the server's own rules (runtime/config.ts).
  validation {
    condition     = !var.redis.enabled || (var.redis.sentinel.addresses == null && var.redis.cluster.nodes == null)
    error_message = "redis.sentinel.addresses and redis.cluster.nodes are for your own Redis: set redis.enabled = false to use them instead of the in-cluster Redis."
  }

  validation {
    condition     = length([for set in [var.redis.host != null, var.redis.sentinel.addresses != null, var.redis.cluster.nodes != null] : set if set]) <= 1
    error_message = "set one of redis.host, redis.sentinel.addresses and redis.cluster.nodes, not two (the server refuses REDIS_HOST, REDIS_SENTINELS and REDIS_CLUSTER_NODES together)."
  }

  validation {
    condition     = var.redis.sentinel.addresses == null || (length(var.redis.sentinel.addresses == null ? [] : var.redis.sentinel.addresses) > 0 && alltrue([for address in(var.redis.sentinel.addresses == null ? [] : var.redis.sentinel.addresses) : can(regex("^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\],]+):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$", address))]))
    error_message = "redis.sentinel.addresses must name at least one sentinel, each host:port (one address per entry, port 1-65535, IPv6 as [fd00::1]:26379)."
  }

  validation {
    condition     = var.redis.cluster.nodes == null || (length(var.redis.cluster.nodes == null ? [] : var.redis.cluster.nodes) > 0 && alltrue([for address in(var.redis.cluster.nodes == null ? [] : var.redis.cluster.nodes) : can(regex("^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\],]+):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$", address))]))
    error_message = "redis.cluster.nodes must name at least one node, each host:port (one address per entry, port 1-65535, IPv6 as [fd00::1]:6379)."
  }

  validation {
    condition     = (var.redis.sentinel.addresses == null) == (var.redis.sentinel.master == null)
    error_message = "redis.sentinel.master is required with redis.sentinel.addresses, and only used with them: the name the sentinels monitor the primary under (REDIS_SENTINEL_MASTER)."
  }

  validation {
    condition     = var.redis.sentinel.master == null || can(regex("^\\S+$", coalesce(var.redis.sentinel.master, "-")))
    error_message = "redis.sentinel.master must be a name without spaces."
  }

  validation {
    condition     = !(var.redis.tls.enabled && var.redis.enabled)
    error_message = "redis.tls.enabled is for your own Redis: the in-cluster Redis (redis.enabled) speaks no TLS."
  }

  validation {
    condition     = var.redis.tls.ca_cert == null || can(regex("^\\s*-----BEGIN CERTIFICATE-----[\\s\\S]+-----END CERTIFICATE-----\\s*$", coalesce(var.redis.tls.ca_cert, "-")))
    error_message = "redis.tls.ca_cert must be PEM text: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----."
  }
}

variable "redis_url" {
  description = "External Redis as a URL, redis:// or rediss:// with the password inside (Secret key redis-url, REDIS_URL). Needs redis.enabled = false and no redis.host, redis.sentinel or redis.cluster; TLS is the URL's (rediss://)."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.redis_url == null || (can(regex("^rediss?://.+", var.redis_url)) && !var.redis.enabled && var.redis.host == null)
    error_message = "redis_url must start with redis:// or rediss://, and needs redis.enabled = false and no redis.host."
  }

  validation {
    condition     = var.redis_url == null || (var.redis.sentinel.addresses == null && var.redis.cluster.nodes == null)
    error_message = "set redis_url or redis.sentinel.addresses / redis.cluster.nodes, not both (the server refuses REDIS_URL beside REDIS_SENTINELS or REDIS_CLUSTER_NODES)."
  }

  validation {
    condition     = var.redis_url == null || !var.redis.tls.enabled
    error_message = "redis.tls.enabled is not used with redis_url: a URL chooses TLS itself (rediss://)."
  }

  # Here rather than in redis, which may not refer to redis_url (validations must not refer to
  # each other in a circle).
  validation {
    condition     = var.redis.tls.ca_cert == null || var.redis.tls.enabled || (var.redis_url != null && startswith(coalesce(var.redis_url, "-"), "rediss://"))
    error_message = "redis.tls.ca_cert is only used with TLS: set redis.tls.enabled, or give a rediss:// redis_url."
  }

  # Checked here, where all of them are in view (validations may not refer to each other in a
  # circle). Without any Redis each server pod keeps its own sessions in memory, which only works
  # when there is one pod.
  validation {
    condition     = var.redis.enabled || var.redis_url != null || var.redis.host != null || var.redis.sentinel.addresses != null || var.redis.cluster.nodes != null || (var.replicas == 1 && !var.autoscaling.enabled && !var.knative.enabled)
    error_message = "With redis.enabled = false and neither redis_url nor redis.host (nor redis.sentinel.addresses, redis.cluster.nodes), each server pod keeps its own sessions in memory: that needs exactly one pod (replicas = 1, no autoscaling, no knative). Otherwise set redis_url or redis.host."
  }
}

variable "redis_password" {
  description = "Redis password (Secret key redis-password, REDIS_PASSWORD). With the in-cluster Redis, Redis requires it too."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.redis_password == null || var.redis_url == null
    error_message = "redis_password is not used with redis_url: put the password in the URL."
  }

  validation {
    condition     = var.redis_password == null || can(regex("^[^[:cntrl:]]+$", var.redis_password))
    error_message = "redis_password must not be empty nor hold control characters (a trailing newline, say)."
  }
}

variable "redis_sentinel_password" {
  description = "The sentinels' own password (Secret key redis-sentinel-password, REDIS_SENTINEL_PASSWORD), with redis.sentinel; redis_password is the data nodes'."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.redis_sentinel_password == null || var.redis.sentinel.addresses != null
    error_message = "redis_sentinel_password is only used with redis.sentinel.addresses: it is the sentinels' own password (redis_password is the data nodes')."
  }

  validation {
    condition     = var.redis_sentinel_password == null || can(regex("^[^[:cntrl:]]+$", var.redis_sentinel_password))
    error_message = "redis_sentinel_password must not be empty nor hold control characters (a trailing newline, say)."
  }
}

variable "autoscaling" {
  description = "A HorizontalPodAutoscaler (autoscaling/v2, needs metrics-server) in place of the fixed replica count: enabled, min_replicas, max_replicas and target_cpu_utilization_percentage (of the CPU request). Not with Knative, whose own autoscaler scales the pods."
  type = object({
    enabled                           = optional(bool, false)
    min_replicas                      = optional(number, 2)
    max_replicas                      = optional(number, 10)
    target_cpu_utilization_percentage = optional(number, 70)
  })
  default  = {}
  nullable = false

  validation {
    condition     = floor(var.autoscaling.min_replicas) == var.autoscaling.min_replicas && floor(var.autoscaling.max_replicas) == var.autoscaling.max_replicas && var.autoscaling.min_replicas >= 1 && var.autoscaling.min_replicas <= var.autoscaling.max_replicas && var.autoscaling.max_replicas <= 100
    error_message = "autoscaling.min_replicas (${var.autoscaling.min_replicas}) and autoscaling.max_replicas (${var.autoscaling.max_replicas}) must be whole numbers with 1 <= min_replicas <= max_replicas <= 100."
  }

  validation {
    condition     = floor(var.autoscaling.target_cpu_utilization_percentage) == var.autoscaling.target_cpu_utilization_percentage && var.autoscaling.target_cpu_utilization_percentage >= 1 && var.autoscaling.target_cpu_utilization_percentage <= 100
    error_message = "autoscaling.target_cpu_utilization_percentage must be a whole number from 1 to 100."
  }
}

variable "network_policy" {
  description = "NetworkPolicies (need a network plugin that enforces them): the server takes connections on 8080 only from pods labelled ingress_pod_labels in namespaces labelled ingress_namespace_labels (both must match), the in-cluster Redis only from the server."
  type = object({
    enabled                  = optional(bool, false)
    ingress_namespace_labels = optional(map(string), { "kubernetes.io/metadata.name" = "ingress-nginx" })
    ingress_pod_labels       = optional(map(string), { "app.kubernetes.io/name" = "ingress-nginx" })
  })
  default  = {}
  nullable = false

  # An empty selector would select every namespace (or pod), and could not be applied anyway
  # (kubernetes_manifest cannot round-trip an empty map): to let everyone in, leave the policy off.
  validation {
    condition     = length(var.network_policy.ingress_namespace_labels) > 0 && length(var.network_policy.ingress_pod_labels) > 0
    error_message = "network_policy.ingress_namespace_labels and network_policy.ingress_pod_labels must each hold at least one label (an empty selector admits everyone)."
  }

  validation {
    condition = alltrue([for key, value in merge(var.network_policy.ingress_namespace_labels, var.network_policy.ingress_pod_labels) :
      can(regex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key)) &&
      can(regex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", value))
    ])
    error_message = "network_policy.ingress_namespace_labels and network_policy.ingress_pod_labels must be Kubernetes labels (keys [prefix/]name, values of at most 63 letters, digits, '-', '_', '.')."
  }
}

variable "knative" {
  description = <<-EOT
    A Knative Service in place of the Deployment, Service, PodDisruptionBudget and
    HorizontalPodAutoscaler: enabled, timeout_seconds (Knative ends every request then, streams
    included; clusters allow at most 600 unless max-revision-timeout-seconds is raised),
    min_scale (warm pods), max_scale (0: no limit) and target (concurrent requests — open streams —
    per pod that Knative's autoscaler aims at: 10000, what one pod of the default resources holds,
    MAX_STREAMS; Knative adds pods at 70 % of it). Knative gives a stopping pod timeout_seconds, so
    the server's drain and shutdown grace (DRAIN_SECONDS + SHUTDOWN_GRACE_MS) must be shorter.
  EOT
  type = object({
    enabled         = optional(bool, false)
    timeout_seconds = optional(number, 600)
    min_scale       = optional(number, 1)
    max_scale       = optional(number, 10)
    target          = optional(number, 10000)
  })
  default  = {}
  nullable = false

  validation {
    condition     = floor(var.knative.timeout_seconds) == var.knative.timeout_seconds && var.knative.timeout_seconds >= 1
    error_message = "knative.timeout_seconds must be a whole number of seconds, at least 1 (600 is the usual maximum)."
  }

  validation {
    condition     = floor(var.knative.min_scale) == var.knative.min_scale && floor(var.knative.max_scale) == var.knative.max_scale && var.knative.min_scale >= 0 && var.knative.max_scale >= 0 && (var.knative.max_scale == 0 || var.knative.min_scale <= var.knative.max_scale)
    error_message = "knative.min_scale (${var.knative.min_scale}) and knative.max_scale (${var.knative.max_scale}) must be whole numbers, 0 or more, with min_scale <= max_scale unless max_scale is 0 (no limit)."
  }

  validation {
    condition     = floor(var.knative.target) == var.knative.target && var.knative.target >= 1
    error_message = "knative.target must be a whole number, at least 1."
  }

  # Knative has no terminationGracePeriodSeconds: it gives a stopping pod the revision's
  # timeoutSeconds, which must leave room for the drain and the shutdown grace.
  validation {
    condition     = !var.knative.enabled || local.validation_drain_seconds * 1000 + local.validation_shutdown_grace_ms < var.knative.timeout_seconds * 1000
    error_message = "DRAIN_SECONDS (${local.validation_drain_seconds} s) + SHUTDOWN_GRACE_MS (${local.validation_shutdown_grace_ms} ms) from settings (defaults 300 s and 10000 ms) must be shorter than knative.timeout_seconds (${var.knative.timeout_seconds} s): Knative gives a stopping pod timeout_seconds, and kills the server after it."
  }
}

# What the validations above check against. (Validations may read locals; the outer module has the
# same file, so these are defined there too.)
locals {
  # Every setting of the Node host in the README's Configuration table, in its order, except those
  # with an input of their own (test/deploy checks the list against runtime/config.ts).
  validation_allowed_settings = [
    "HOST", "REDIS_WAIT_REPLICAS", "REDIS_WAIT_TIMEOUT_MS",
    "MEMORY_MAX_BYTES", "MEMORY_MAX_SESSIONS", "KEY_PREFIX", "PUBLIC_URL",
    "SHUTDOWN_GRACE_MS", "DRAIN_SECONDS", "MAX_CONNECTIONS", "MAX_STREAMS",
    "MAX_STREAMS_PER_CLIENT", "MAX_EVENT_IDS", "MAX_PREVIEWS", "MAX_PREVIEWS_PER_CLIENT",
    "TRUSTED_PROXY_HEADER", "TRUSTED_PROXY_HOPS",
    "CORS_ORIGINS", "MAX_HOOKS_PER_SESSION", "MAX_BODY_BYTES", "BODY_TIMEOUT_MS", "MAX_TEMPLATE_BYTES", "MAX_ARGS_BYTES",
    "MAX_ARGS_DEPTH", "MAX_ARGS_KEYS", "MAX_FRAME_BYTES", "MAX_SVG_DEPTH", "RENDER_TIMEOUT_MS",
    "RENDER_MEMORY_BYTES", "RENDER_WORKERS", "RENDER_WORKER_MEMORY_BYTES", "RENDER_QUEUE",
    "DEFAULT_EXPIRE", "MAX_EXPIRE", "LOST_SESSION_GRACE_SECONDS", "KEEP_ALIVE_MS",
    "READY_TIMEOUT_MS", "MAX_HTML_BYTES", "MAX_HTML_NODES", "MAX_HTML_TEXT", "MAX_HTML_DEPTH",
    "MAX_PNG_SCALE", "MAX_PNG_PIXELS", "MAX_PNG_FILTER_PIXELS", "MAX_PNG_FILTER_RADIUS",
    "PNG_TIMEOUT_MS", "PNG_CACHE_BYTES", "TEMPLATE_CACHE_BYTES", "WRITE_CACHE_BYTES",
  ]
  # The three settings the validations compare with the module's timeouts, with the server's
  # defaults (runtime/config.ts); a value that is not digits is refused by var.settings and read
  # as the default here, so that only that one error is shown.
  validation_keep_alive_ms     = can(regex("^[0-9]+$", lookup(var.settings, "KEEP_ALIVE_MS", "-"))) ? tonumber(var.settings["KEEP_ALIVE_MS"]) : 25000
  validation_shutdown_grace_ms = can(regex("^[0-9]+$", lookup(var.settings, "SHUTDOWN_GRACE_MS", "-"))) ? tonumber(var.settings["SHUTDOWN_GRACE_MS"]) : 10000
  validation_drain_seconds     = can(regex("^[0-9]+$", lookup(var.settings, "DRAIN_SECONDS", "-"))) ? tonumber(var.settings["DRAIN_SECONDS"]) : 300
}
