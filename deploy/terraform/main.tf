# The objects are computed by a provider-free inner module (tested on its own, no cluster needed)
# and applied here; kubernetes.tf is the only file that talks to the cluster.
module "manifests" {
  source = "./modules/manifests"

  namespace                        = var.namespace
  image                            = var.image
  replicas                         = var.replicas
  resources                        = var.resources
  log_level                        = var.log_level
  settings                         = var.settings
  termination_grace_period_seconds = var.termination_grace_period_seconds
  api_key                          = var.api_key
  metrics_token                    = var.metrics_token
  in_cluster_redis                 = var.in_cluster_redis
  redis_url                        = var.redis_url
  redis_host                       = var.redis_host
  redis_port                       = var.redis_port
  redis_password                   = var.redis_password
  redis_image                      = var.redis_image
  redis_max_memory                 = var.redis_max_memory
  redis_resources                  = var.redis_resources
  ingress                          = var.ingress
  knative                          = var.knative
}
