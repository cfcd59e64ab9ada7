# A second installation beside the first in the same namespace: objects blue-realtime-svg and
# blue-realtime-svg-redis, instance label "blue", and a label of your own on every object and pod.
# Same objects as deploy/kubectl/overlays/second-install.
module "realtime_svg" {
  source = "../.."

  instance      = "blue"
  common_labels = { team = "images" }
}
