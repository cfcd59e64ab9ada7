output "manifests" {
  description = "Every object applied (sensitive: the Secret is among them)."
  value       = module.realtime_svg.manifests
  sensitive   = true
}

output "manifest_keys" {
  description = "apiVersion/kind/namespace/name of every object applied."
  value       = module.realtime_svg.manifest_keys
}

output "service_url" {
  description = "The server's address inside the cluster."
  value       = module.realtime_svg.service_url
}

output "public_url" {
  description = "The server's public base URL, when there is an Ingress."
  value       = module.realtime_svg.public_url
}
