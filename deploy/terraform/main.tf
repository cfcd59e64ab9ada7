# The objects are computed by a provider-free inner module (tested on its own, no cluster needed)
# and applied here; kubernetes.tf is the only file that talks to the cluster.
module "manifests" {
  source = "./modules/manifests"

  instance                         = var.instance
  namespace                        = var.namespace
  common_labels                    = var.common_labels
  replicas                         = var.replicas
  image                            = var.image
  image_pull_secrets               = var.image_pull_secrets
  resources                        = var.resources
  log_level                        = var.log_level
  settings                         = var.settings
  extra_env                        = var.extra_env
  termination_grace_period_seconds = var.termination_grace_period_seconds
  api_key                          = var.api_key
  metrics_token                    = var.metrics_token
  secrets_key                      = var.secrets_key
  pod_annotations                  = var.pod_annotations
  pod_labels                       = var.pod_labels
  node_selector                    = var.node_selector
  tolerations                      = var.tolerations
  affinity                         = var.affinity
  topology_spread_constraints      = var.topology_spread_constraints
  service                          = var.service
  ingress                          = var.ingress
  redis                            = var.redis
  redis_url                        = var.redis_url
  redis_password                   = var.redis_password
  redis_sentinel_password          = var.redis_sentinel_password
  autoscaling                      = var.autoscaling
  network_policy                   = var.network_policy
  knative                          = var.knative
}
