# A Redis Cluster you run elsewhere (or a managed one: deploy/README.md, "Managed Redis: which
# topology") over TLS: some of its nodes (the server learns the others from them), the password in
# the Secret, and the CA of the nodes' certificates (redis-ca.crt, an example: put your CA there)
# in ConfigMap realtime-svg-redis-ca. Same objects as deploy/kubectl/overlays/cluster.
module "realtime_svg" {
  source = "../.."

  redis = {
    enabled = false
    cluster = {
      nodes = [
        "redis-0.redis.example.internal:6379",
        "redis-1.redis.example.internal:6379",
        "redis-2.redis.example.internal:6379",
      ]
    }
    tls = {
      enabled = true
      ca_cert = file("${path.module}/redis-ca.crt")
    }
  }
  redis_password = var.redis_password
}
