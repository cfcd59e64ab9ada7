# An API key, a metrics token, a key sealing webhook secrets, and a password on the in-cluster Redis.
# Same objects as deploy/kubectl/overlays/secrets.
module "realtime_svg" {
  source = "../.."

  api_key        = var.api_key
  metrics_token  = var.metrics_token
  secrets_key    = var.secrets_key
  redis_password = var.redis_password
}
