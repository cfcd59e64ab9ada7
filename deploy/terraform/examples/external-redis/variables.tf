variable "redis_url" {
  description = "redis:// or rediss:// URL of your Redis, password included (e.g. TF_VAR_redis_url)."
  type        = string
  sensitive   = true
}
