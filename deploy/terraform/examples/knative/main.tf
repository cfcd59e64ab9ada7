# Knative Serving: a Knative Service in place of the Deployment, Service and PodDisruptionBudget.
# Same objects as deploy/kubectl/overlays/knative.
module "realtime_svg" {
  source = "../.."

  knative = {
    enabled = true
  }
}
