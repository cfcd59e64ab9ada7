# A Redis you run elsewhere, reached by host and port, its password in the Secret; no Redis
# objects. Same objects as deploy/kubectl/overlays/external-redis-host.
module "realtime_svg" {
  source = "../.."

  redis = {
    enabled = false
    host    = "redis.example.internal"
    port    = 6380
  }
  redis_password = var.redis_password
}
