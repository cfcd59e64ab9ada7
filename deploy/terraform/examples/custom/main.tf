# Your own namespace (it must exist), replica count, resources and image.
# Same objects as deploy/kubectl/overlays/custom.
module "realtime_svg" {
  source = "../.."

  namespace = "images"
  replicas  = 3
  image = {
    repository = "registry.example.com/team/realtime-svg"
    tag        = "0.2.0"
  }
  resources = {
    requests = { cpu = "250m", memory = "256Mi" }
    limits   = { cpu = "1", memory = "1Gi" }
  }
}
