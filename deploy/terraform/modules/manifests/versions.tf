# Provider-free on purpose: variables in, Kubernetes objects out. It runs (and is tested) anywhere
# Terraform does, with no cluster and no provider download.
terraform {
  required_version = ">= 1.9"
}
