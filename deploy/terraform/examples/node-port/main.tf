# The Service on port 30080 of every node (port 80), and a plain-HTTP Ingress for Traefik with a
# shorter read timeout. Same objects as deploy/kubectl/overlays/node-port.
module "realtime_svg" {
  source = "../.."

  service = {
    type      = "NodePort"
    port      = 80
    node_port = 30080
  }
  ingress = {
    enabled              = true
    host                 = "img.example.com"
    class_name           = "traefik"
    path                 = "/"
    path_type            = "ImplementationSpecific"
    tls                  = { enabled = false }
    read_timeout_seconds = 600
  }
}
