# The defaults: server ×2 and an in-cluster Redis in namespace "default", for dev/test: no
# persistence (persistent-redis keeps the data). The same objects as
# deploy/kubectl/overlays/default.
module "realtime_svg" {
  source = "../.."
}
