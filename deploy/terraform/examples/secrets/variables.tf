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

variable "secrets_key" {
  description = "Key sealing webhook secrets, base64 of 32 bytes: openssl rand -base64 32 (e.g. TF_VAR_secrets_key)."
  type        = string
  sensitive   = true
}

variable "redis_password" {
  description = "Password of the in-cluster Redis (e.g. TF_VAR_redis_password)."
  type        = string
  sensitive   = true
}
