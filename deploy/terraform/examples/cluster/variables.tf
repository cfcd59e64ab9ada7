variable "redis_password" {
  description = "Password of your Redis (e.g. TF_VAR_redis_password)."
  type        = string
  sensitive   = true
}
