# An Ingress with what a long-lived stream needs through ingress-nginx.
locals {
  # Pass each frame on at once and keep quiet streams open: the read timeout counts the gap
  # between two reads, and keep-alive frames come every KEEP_ALIVE_MS (25 s by default).
  streaming_annotations = {
    "nginx.ingress.kubernetes.io/proxy-buffering"    = "off"
    "nginx.ingress.kubernetes.io/proxy-read-timeout" = tostring(var.ingress.read_timeout_seconds)
    "nginx.ingress.kubernetes.io/proxy-send-timeout" = tostring(var.ingress.read_timeout_seconds)
  }

  ingress = {
    apiVersion = "networking.k8s.io/v1"
    kind       = "Ingress"
    metadata = {
      name        = local.name
      namespace   = var.namespace
      labels      = local.server_labels
      annotations = merge(local.streaming_annotations, var.ingress.annotations)
    }
    spec = merge(
      { ingressClassName = var.ingress.class_name },
      # The certificate Secret (yours, or cert-manager's) only with TLS: plain HTTP otherwise.
      { for key, value in {
        tls = [{ hosts = [var.ingress.host], secretName = coalesce(var.ingress.tls.secret_name, "${local.name}-tls") }]
      } : key => value if var.ingress.tls.enabled },
      {
        rules = [{
          host = var.ingress.host
          http = {
            paths = [{
              path     = var.ingress.path
              pathType = var.ingress.path_type
              backend  = { service = { name = local.name, port = { name = "http" } } }
            }]
          }
        }]
      },
    )
  }
}
