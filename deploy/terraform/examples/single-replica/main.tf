# One replica (so no PodDisruptionBudget), more logging, a key prefix of its own, a longer shutdown
# grace and a short drain: a single replica has no other pod to take new viewers while it drains,
# so its drain is 20 s, not 300 s (termination_grace_period_seconds 45 > 20 s + 20 s). Same objects
# as deploy/kubectl/overlays/single-replica.
module "realtime_svg" {
  source = "../.."

  replicas  = 1
  log_level = "debug"
  settings = {
    KEY_PREFIX        = "img:"
    SHUTDOWN_GRACE_MS = "20000"
    DRAIN_SECONDS     = "20"
  }
  termination_grace_period_seconds = 45
}
