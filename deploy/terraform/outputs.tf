output "manifests" {
  description = "Every Kubernetes object applied, as manifests. Sensitive: the Secret holds api_key, metrics_token, secrets_key and the Redis credentials."
  value       = module.manifests.manifests
  sensitive   = true
}

output "manifest_keys" {
  description = "One key per object: apiVersion/kind/namespace/name."
  value       = module.manifests.manifest_keys
}

output "namespace" {
  description = "Namespace of every object."
  value       = module.manifests.namespace
}

output "name" {
  description = "Name of the server's objects (NAME; the Redis objects are NAME-redis)."
  value       = module.manifests.name
}

output "service_url" {
  description = "The server's address inside the cluster."
  value       = module.manifests.service_url
}

output "public_url" {
  description = "The server's public base URL through the Ingress, or null without one."
  value       = module.manifests.public_url
}
