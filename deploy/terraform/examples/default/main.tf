# The defaults: server ×2 and an in-cluster Redis in namespace "default" — the same objects as
# deploy/kubectl/overlays/default.
module "realtime_svg" {
  source = "../.."
}
