# A Redis you run elsewhere behind Redis Sentinel: the server asks the sentinels for the primary
# named mymaster and follows a failover. Both passwords are in the Secret; no Redis objects. Same
# objects as deploy/kubectl/overlays/sentinel.
module "realtime_svg" {
  source = "../.."

  redis = {
    enabled = false
    sentinel = {
      addresses = [
        "sentinel-0.redis.example.internal:26379",
        "sentinel-1.redis.example.internal:26379",
        "sentinel-2.redis.example.internal:26379",
      ]
      master = "mymaster"
    }
  }
  redis_password          = var.redis_password
  redis_sentinel_password = var.redis_sentinel_password
}
