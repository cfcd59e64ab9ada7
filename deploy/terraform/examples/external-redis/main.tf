# A Redis you run elsewhere, reached through REDIS_URL (kept in the Secret); no Redis objects.
# Same objects as deploy/kubectl/overlays/external-redis.
module "realtime_svg" {
  source = "../.."

  redis     = { enabled = false }
  redis_url = var.redis_url
}
