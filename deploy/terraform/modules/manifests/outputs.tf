output "manifests" {
  description = "Every Kubernetes object, as a list of manifests for kubernetes_manifest (or `kubectl apply`). Sensitive: the Secret holds api_key, metrics_token and the Redis credentials."
  value       = local.manifests
  sensitive   = true
}

output "manifest_keys" {
  description = "One key per object of manifests, in the same order: apiVersion/kind/namespace/name."
  value       = [for object in local.manifests : "${object.apiVersion}/${object.kind}/${object.metadata.namespace}/${object.metadata.name}"]
}

output "namespace" {
  description = "Namespace of every object."
  value       = var.namespace
}

output "service_url" {
  description = "The server's address inside the cluster."
  value       = var.knative.enabled ? "http://${local.name}.${var.namespace}.svc.cluster.local" : "http://${local.name}.${var.namespace}.svc.cluster.local:8080"
}

output "public_url" {
  description = "The server's public base URL through the Ingress, or null without one."
  value       = var.ingress.enabled ? "${var.ingress.tls_secret_name != null ? "https" : "http"}://${var.ingress.host}" : null
}
