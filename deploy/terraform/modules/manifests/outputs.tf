output "manifests" {
  description = "Every Kubernetes object, as a list of manifests for kubernetes_manifest (or `kubectl apply`). Sensitive: the Secret holds api_key, metrics_token, secrets_key and the Redis credentials."
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

output "name" {
  description = "Name of the server's objects (NAME; the Redis objects are NAME-redis)."
  value       = local.name
}

output "service_url" {
  description = "The server's address inside the cluster."
  value       = var.knative.enabled ? "http://${local.name}.${var.namespace}.svc.cluster.local" : "http://${local.name}.${var.namespace}.svc.cluster.local:${var.service.port}"
}

output "public_url" {
  description = "The server's public base URL through the Ingress, or null without one."
  value       = var.ingress.enabled ? "${var.ingress.tls.enabled ? "https" : "http"}://${var.ingress.host}" : null
}
