# Kept identical in deploy/terraform/variables.tf (the outer module passes every one through);
# test/deploy checks that the two files match.

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

variable "image" {
  description = "Container image of the server (`repository:tag` or `repository@sha256:…`)."
  type        = string
  default     = "ghcr.io/realtime-svg/realtime-svg:0.1.0"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][^\\s:@]*(:[\\w][\\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$", var.image))
    error_message = "image must be an image reference such as ghcr.io/realtime-svg/realtime-svg:0.1.0 (no spaces, lower-case repository)."
  }
}

variable "replicas" {
  description = "Server replicas. With more than one, a PodDisruptionBudget keeps one available during node drains."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 100 && floor(var.replicas) == var.replicas
    error_message = "replicas must be a whole number from 1 to 100."
  }
}

variable "resources" {
  description = "CPU and memory requests and limits of the server container, as Kubernetes quantities in canonical form (e.g. \"500m\", \"1\", \"512Mi\")."
  type = object({
    requests = object({ cpu = string, memory = string })
    limits   = object({ cpu = string, memory = string })
  })
  default = {
    requests = { cpu = "100m", memory = "128Mi" }
    limits   = { cpu = "500m", memory = "512Mi" }
  }
  nullable = false

  validation {
    condition = alltrue([
      for q in [var.resources.requests.cpu, var.resources.limits.cpu] : can(regex("^([1-9][0-9]*m|[0-9]+)$", q))
      ]) && alltrue([
      for q in [var.resources.requests.memory, var.resources.limits.memory] : can(regex("^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$", q))
    ])
    error_message = "resources: cpu as millicores (\"250m\") or whole cores (\"1\"); memory as bytes or Ki/Mi/Gi/Ti (\"512Mi\"). Other spellings (\"0.5\", \"1000m\") come back from the API server rewritten, which Terraform reports as a change."
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

  validation {
    condition = alltrue([for name in keys(var.settings) : contains([
      "HOST", "KEY_PREFIX", "PUBLIC_URL", "SHUTDOWN_GRACE_MS", "MAX_BODY_BYTES", "MAX_TEMPLATE_BYTES",
      "MAX_ARGS_BYTES", "MAX_FRAME_BYTES", "RENDER_TIMEOUT_MS", "RENDER_MEMORY_BYTES", "DEFAULT_EXPIRE",
      "MAX_EXPIRE", "KEEP_ALIVE_MS", "READY_TIMEOUT_MS",
    ], name)])
    error_message = "settings may hold HOST, KEY_PREFIX, PUBLIC_URL, SHUTDOWN_GRACE_MS, MAX_BODY_BYTES, MAX_TEMPLATE_BYTES, MAX_ARGS_BYTES, MAX_FRAME_BYTES, RENDER_TIMEOUT_MS, RENDER_MEMORY_BYTES, DEFAULT_EXPIRE, MAX_EXPIRE, KEEP_ALIVE_MS and READY_TIMEOUT_MS; use log_level, the redis_* inputs, api_key and metrics_token for the others."
  }
}

variable "termination_grace_period_seconds" {
  description = "How long Kubernetes waits after SIGTERM before killing a server pod; longer than SHUTDOWN_GRACE_MS (10 s unless settings say otherwise), so streams end with their final boundary."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = floor(var.termination_grace_period_seconds) == var.termination_grace_period_seconds && var.termination_grace_period_seconds * 1000 > tonumber(lookup(var.settings, "SHUTDOWN_GRACE_MS", "10000"))
    error_message = "termination_grace_period_seconds must be whole seconds, longer than the server's SHUTDOWN_GRACE_MS."
  }
}

variable "api_key" {
  description = "API_KEY (Secret key api-key): when set, creating a session needs it. null: anyone may create sessions."
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

variable "in_cluster_redis" {
  description = "Run a Redis Deployment and Service (realtime-svg-redis) beside the server. false: set redis_url or redis_host."
  type        = bool
  default     = true
  nullable    = false
}

variable "redis_url" {
  description = "External Redis as a URL, redis:// or rediss:// with the password inside (Secret key redis-url, REDIS_URL). Needs in_cluster_redis = false and no redis_host."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.redis_url == null || (can(regex("^rediss?://", var.redis_url)) && !var.in_cluster_redis && var.redis_host == null)
    error_message = "redis_url must start with redis:// or rediss://, and needs in_cluster_redis = false and no redis_host."
  }

  # Checked here, where all three are in view (validations may not refer to each other in a circle).
  validation {
    condition     = var.in_cluster_redis || var.redis_url != null || var.redis_host != null
    error_message = "With in_cluster_redis = false, set redis_url or redis_host."
  }
}

variable "redis_host" {
  description = "External Redis host (ConfigMap REDIS_HOST), with redis_port and redis_password. Needs in_cluster_redis = false."
  type        = string
  default     = null

  validation {
    condition     = var.redis_host == null || (can(regex("^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$", coalesce(var.redis_host, "-"))) && !var.in_cluster_redis)
    error_message = "redis_host must be a host name or address, and needs in_cluster_redis = false."
  }
}

variable "redis_port" {
  description = "Port of the external Redis at redis_host (ConfigMap REDIS_PORT). The in-cluster Redis listens on 6379."
  type        = number
  default     = 6379
  nullable    = false

  validation {
    condition     = floor(var.redis_port) == var.redis_port && var.redis_port >= 1 && var.redis_port <= 65535 && (var.redis_host != null || var.redis_port == 6379)
    error_message = "redis_port must be a port number (1-65535), and differ from 6379 only with redis_host."
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
}

variable "redis_image" {
  description = "Image of the in-cluster Redis."
  type        = string
  default     = "redis:7-alpine"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][^\\s]*$", var.redis_image))
    error_message = "redis_image must be an image reference without spaces."
  }
}

variable "redis_max_memory" {
  description = "maxmemory of the in-cluster Redis; below its memory limit. When full, Redis refuses writes (noeviction) rather than drop sessions."
  type        = string
  default     = "200mb"
  nullable    = false

  validation {
    condition     = can(regex("^[1-9][0-9]*(kb|mb|gb)$", var.redis_max_memory))
    error_message = "redis_max_memory must be a Redis memory size such as 200mb or 1gb."
  }
}

variable "redis_resources" {
  description = "CPU and memory requests and limits of the in-cluster Redis (canonical Kubernetes quantities)."
  type = object({
    requests = object({ cpu = string, memory = string })
    limits   = object({ cpu = string, memory = string })
  })
  default = {
    requests = { cpu = "50m", memory = "64Mi" }
    limits   = { cpu = "500m", memory = "256Mi" }
  }
  nullable = false

  validation {
    condition = alltrue([
      for q in [var.redis_resources.requests.cpu, var.redis_resources.limits.cpu] : can(regex("^([1-9][0-9]*m|[0-9]+)$", q))
      ]) && alltrue([
      for q in [var.redis_resources.requests.memory, var.redis_resources.limits.memory] : can(regex("^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$", q))
    ])
    error_message = "redis_resources: cpu as millicores (\"250m\") or whole cores (\"1\"); memory as bytes or Ki/Mi/Gi/Ti (\"256Mi\")."
  }
}

variable "ingress" {
  description = <<-EOT
    An Ingress for ingress-nginx: enabled, host, class_name, tls_secret_name (null: plain HTTP),
    annotations (yours, merged over the streaming ones) and read_timeout_seconds (nginx's
    proxy-read/send-timeout: longer than the keep-alive interval, KEEP_ALIVE_MS).
  EOT
  type = object({
    enabled              = optional(bool, false)
    host                 = optional(string)
    class_name           = optional(string, "nginx")
    tls_secret_name      = optional(string)
    annotations          = optional(map(string), {})
    read_timeout_seconds = optional(number, 3600)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !var.ingress.enabled || can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$", coalesce(var.ingress.host, "-")))
    error_message = "ingress.host must be a lower-case DNS name (e.g. img.example.com) when the ingress is enabled."
  }

  validation {
    condition     = var.ingress.read_timeout_seconds * 1000 > tonumber(lookup(var.settings, "KEEP_ALIVE_MS", "25000"))
    error_message = "ingress.read_timeout_seconds must be longer than the keep-alive interval (KEEP_ALIVE_MS, 25 s by default), or nginx cuts quiet streams."
  }

  validation {
    condition     = !(var.ingress.enabled && var.knative.enabled)
    error_message = "Use either ingress or knative: Knative Serving routes traffic through its own ingress."
  }
}

variable "knative" {
  description = <<-EOT
    A Knative Service in place of the Deployment, Service and PodDisruptionBudget: enabled,
    timeout_seconds (Knative ends every request then, streams included; clusters allow at most 600
    unless max-revision-timeout-seconds is raised) and min_scale (warm pods).
  EOT
  type = object({
    enabled         = optional(bool, false)
    timeout_seconds = optional(number, 600)
    min_scale       = optional(number, 1)
  })
  default  = {}
  nullable = false

  validation {
    condition     = floor(var.knative.timeout_seconds) == var.knative.timeout_seconds && var.knative.timeout_seconds >= 1
    error_message = "knative.timeout_seconds must be a whole number of seconds, at least 1 (600 is the usual maximum)."
  }

  validation {
    condition     = floor(var.knative.min_scale) == var.knative.min_scale && var.knative.min_scale >= 0
    error_message = "knative.min_scale must be a whole number, 0 or more."
  }
}
