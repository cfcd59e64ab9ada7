# What each input changes, beyond the parity test's configurations.

run "one_replica_has_no_pod_disruption_budget" {
  command = apply
  variables {
    replicas = 1
  }

  assert {
    condition     = !anytrue([for key in output.manifest_keys : strcontains(key, "PodDisruptionBudget")])
    error_message = "minAvailable 1 over a single pod would block every node drain: no PodDisruptionBudget with one replica."
  }
}

run "external_redis_url_goes_to_the_secret_and_no_redis_runs" {
  command = apply
  variables {
    in_cluster_redis = false
    redis_url        = "redis://:pw@redis.example.internal:6379/2"
  }

  assert {
    condition     = !anytrue([for key in output.manifest_keys : strcontains(key, "realtime-svg-redis")])
    error_message = "An external Redis means no Redis objects."
  }

  assert {
    condition     = !contains(keys(output.manifests[0].data), "REDIS_HOST") && output.manifests[1].data["redis-url"] == base64encode("redis://:pw@redis.example.internal:6379/2")
    error_message = "REDIS_URL comes from the Secret, and REDIS_HOST must then be absent (the server refuses both)."
  }
}

run "a_redis_password_is_required_by_the_in_cluster_redis" {
  command = apply
  variables {
    redis_password = "s3cret"
  }

  assert {
    condition     = join(" ", output.manifests[2].spec.template.spec.containers[0].args) == "--save  --appendonly no --maxmemory 200mb --maxmemory-policy noeviction --requirepass $(REDISCLI_AUTH)"
    error_message = "Redis requires the password, expanded by Kubernetes from REDISCLI_AUTH."
  }

  assert {
    condition     = output.manifests[2].spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key == "redis-password"
    error_message = "REDISCLI_AUTH (for the redis-cli readiness probe) comes from the Secret's redis-password."
  }
}

run "user_annotations_win_over_the_streaming_ones" {
  command = apply
  variables {
    ingress = {
      enabled     = true
      host        = "img.example.com"
      annotations = { "nginx.ingress.kubernetes.io/proxy-read-timeout" = "7200" }
    }
  }

  assert {
    condition     = output.manifests[7].metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "7200" && output.manifests[7].metadata.annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    error_message = "Annotations merge: the user's value wins, the streaming ones stay."
  }

  assert {
    condition     = !contains(keys(output.manifests[7].spec), "tls") && output.public_url == "http://img.example.com"
    error_message = "Without tls_secret_name the Ingress has no tls section and the public URL is http."
  }
}

run "knative_replaces_deployment_service_and_budget" {
  command = apply
  variables {
    knative = { enabled = true, timeout_seconds = 900, min_scale = 0 }
  }

  assert {
    condition     = length([for key in output.manifest_keys : key if strcontains(key, "/realtime-svg") && !strcontains(key, "redis") && !strcontains(key, "ConfigMap") && !strcontains(key, "Secret")]) == 1
    error_message = "The Knative Service is the only server object."
  }

  assert {
    condition     = output.manifests[4].spec.template.spec.timeoutSeconds == 900 && output.manifests[4].spec.template.metadata.annotations["autoscaling.knative.dev/min-scale"] == "0"
    error_message = "timeout_seconds and min_scale reach the revision template."
  }
}
