# A HorizontalPodAutoscaler (2 to 8 pods at 60 % CPU) in place of the fixed replica count, and
# NetworkPolicies: only ingress-nginx reaches the server, only the server reaches Redis.
# Same objects as deploy/kubectl/overlays/autoscaling.
module "realtime_svg" {
  source = "../.."

  autoscaling = {
    enabled                           = true
    min_replicas                      = 2
    max_replicas                      = 8
    target_cpu_utilization_percentage = 60
  }
  network_policy = { enabled = true }
}
