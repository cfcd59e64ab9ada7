# Public HTTPS through ingress-nginx, with the streaming annotations and one of your own; the
# in-cluster Redis keeps no data (no persistence). Same objects as deploy/kubectl/overlays/ingress.
module "realtime_svg" {
  source = "../.."

  settings = {
    PUBLIC_URL = "https://img.example.com"
  }
  ingress = {
    enabled = true
    host    = "img.example.com"
    tls = {
      enabled     = true
      secret_name = "realtime-svg-tls"
    }
    annotations = {
      "cert-manager.io/cluster-issuer" = "letsencrypt"
    }
  }
}
