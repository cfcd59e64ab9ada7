# Small production: the in-cluster Redis keeps its data in an append-only file on a
# PersistentVolumeClaim, so sessions survive a Redis restart. Same objects as
# deploy/kubectl/overlays/persistent-redis.
module "realtime_svg" {
  source = "../.."

  redis = {
    persistence = {
      enabled       = true
      size          = "2Gi"
      storage_class = "standard"
    }
  }
}
