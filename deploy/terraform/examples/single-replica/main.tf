# One replica (so no PodDisruptionBudget), more logging, a key prefix of its own and a longer
# shutdown grace. Same objects as deploy/kubectl/overlays/single-replica.
module "realtime_svg" {
  source = "../.."

  replicas  = 1
  log_level = "debug"
  settings = {
    KEY_PREFIX        = "img:"
    SHUTDOWN_GRACE_MS = "20000"
  }
  termination_grace_period_seconds = 45
}
