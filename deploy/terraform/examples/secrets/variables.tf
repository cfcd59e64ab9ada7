variable "api_key" {
  description = "API key needed to create sessions (e.g. TF_VAR_api_key)."
  type        = string
  sensitive   = true
}

variable "metrics_token" {
  description = "Bearer token for GET /metrics (e.g. TF_VAR_metrics_token)."
  type        = string
  sensitive   = true
}

variable "redis_password" {
  description = "Password of the in-cluster Redis (e.g. TF_VAR_redis_password)."
  type        = string
  sensitive   = true
}
