variable "redis_password" {
  description = "Password of your Redis's data nodes (e.g. TF_VAR_redis_password)."
  type        = string
  sensitive   = true
}

variable "redis_sentinel_password" {
  description = "The sentinels' own password (e.g. TF_VAR_redis_sentinel_password)."
  type        = string
  sensitive   = true
}
