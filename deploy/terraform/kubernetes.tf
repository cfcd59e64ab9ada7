# Server-side apply of every object, keyed by apiVersion/kind/namespace/name (the keys are not
# sensitive; the manifests are, because the Secret is among them). Knative's CRDs must exist
# before `terraform plan` when knative.enabled is true.
resource "kubernetes_manifest" "this" {
  for_each = toset(module.manifests.manifest_keys)

  manifest = module.manifests.manifests[index(module.manifests.manifest_keys, each.key)]
}
