# What each input changes, beyond the parity test's configurations. Objects are looked up by
# their manifest key, so that the order of the list does not matter here.

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
    redis     = { enabled = false }
    redis_url = "redis://:pw@redis.example.internal:6379/2"
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
    condition     = join(" ", output.manifests[index(output.manifest_keys, "apps/v1/Deployment/default/realtime-svg-redis")].spec.template.spec.containers[0].args) == "--save  --appendonly no --maxmemory 200mb --maxmemory-policy noeviction --requirepass $(REDISCLI_AUTH)"
    error_message = "Redis requires the password, expanded by Kubernetes from REDISCLI_AUTH."
  }

  assert {
    condition     = output.manifests[index(output.manifest_keys, "apps/v1/Deployment/default/realtime-svg-redis")].spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key == "redis-password"
    error_message = "REDISCLI_AUTH (for the redis-cli readiness probe) comes from the Secret's redis-password."
  }
}

run "persistence_without_a_storage_class_uses_the_clusters_default" {
  command = apply
  variables {
    redis = { persistence = { enabled = true } }
  }

  assert {
    condition     = output.manifests[index(output.manifest_keys, "v1/PersistentVolumeClaim/default/realtime-svg-redis")].spec == { accessModes = ["ReadWriteOnce"], resources = { requests = { storage = "1Gi" } } }
    error_message = "A 1Gi ReadWriteOnce claim, without storageClassName."
  }

  assert {
    condition     = join(" ", output.manifests[index(output.manifest_keys, "apps/v1/Deployment/default/realtime-svg-redis")].spec.template.spec.containers[0].args) == "--save  --appendonly yes --appendfsync everysec --maxmemory 200mb --maxmemory-policy noeviction"
    error_message = "With persistence, Redis writes an append-only file every second."
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
    condition     = output.manifests[index(output.manifest_keys, "networking.k8s.io/v1/Ingress/default/realtime-svg")].metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "7200" && output.manifests[index(output.manifest_keys, "networking.k8s.io/v1/Ingress/default/realtime-svg")].metadata.annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    error_message = "Annotations merge: the user's value wins, the streaming ones stay."
  }

  assert {
    condition     = !contains(keys(output.manifests[index(output.manifest_keys, "networking.k8s.io/v1/Ingress/default/realtime-svg")].spec), "tls") && output.public_url == "http://img.example.com"
    error_message = "Without tls.enabled the Ingress has no tls section and the public URL is http."
  }
}

run "tls_names_its_secret_after_the_instance_by_default" {
  command = apply
  variables {
    instance = "blue"
    ingress  = { enabled = true, host = "img.example.com", tls = { enabled = true } }
  }

  assert {
    condition     = output.manifests[index(output.manifest_keys, "networking.k8s.io/v1/Ingress/default/blue-realtime-svg")].spec.tls == [{ hosts = ["img.example.com"], secretName = "blue-realtime-svg-tls" }] && output.public_url == "https://img.example.com"
    error_message = "The TLS Secret defaults to NAME-tls; the public URL is then https."
  }
}

run "an_instance_containing_the_name_is_used_as_it_is" {
  command = apply
  variables {
    instance = "realtime-svg-green"
  }

  assert {
    condition     = contains(output.manifest_keys, "apps/v1/Deployment/default/realtime-svg-green") && contains(output.manifest_keys, "v1/Service/default/realtime-svg-green-redis") && output.manifests[0].data.REDIS_HOST == "realtime-svg-green-redis"
    error_message = "NAME is the instance itself when it contains realtime-svg (Helm's rule), and REDIS_HOST follows."
  }
}

run "autoscaling_leaves_the_replica_count_to_the_autoscaler" {
  command = apply
  variables {
    replicas    = 1
    autoscaling = { enabled = true, min_replicas = 1 }
  }

  assert {
    condition     = !contains(keys(output.manifests[index(output.manifest_keys, "apps/v1/Deployment/default/realtime-svg")].spec), "replicas") && contains(output.manifest_keys, "autoscaling/v2/HorizontalPodAutoscaler/default/realtime-svg")
    error_message = "With autoscaling the Deployment states no replica count and an HPA owns it."
  }

  assert {
    condition     = !anytrue([for key in output.manifest_keys : strcontains(key, "PodDisruptionBudget")])
    error_message = "With min_replicas 1, no PodDisruptionBudget: the autoscaler may leave a single pod."
  }
}

run "network_policies_skip_an_external_redis" {
  command = apply
  variables {
    network_policy = { enabled = true }
    redis          = { enabled = false, host = "redis.example.internal" }
  }

  assert {
    condition     = [for key in output.manifest_keys : key if strcontains(key, "NetworkPolicy")] == ["networking.k8s.io/v1/NetworkPolicy/default/realtime-svg"]
    error_message = "Only the server's NetworkPolicy when there is no in-cluster Redis."
  }
}

run "node_port_only_on_a_node_port_service" {
  command = apply
  variables {
    service = { type = "LoadBalancer", port = 80 }
  }

  assert {
    condition     = output.manifests[index(output.manifest_keys, "v1/Service/default/realtime-svg")].spec.ports == [{ name = "http", port = 80, targetPort = "http", protocol = "TCP" }] && output.service_url == "http://realtime-svg.default.svc.cluster.local:80"
    error_message = "Without node_port, Kubernetes picks the node port: the Service states none."
  }
}

run "knative_replaces_deployment_service_budget_and_autoscaler" {
  command = apply
  variables {
    knative     = { enabled = true, timeout_seconds = 900, min_scale = 0, max_scale = 0, target = 100 }
    autoscaling = { enabled = true }
  }

  assert {
    condition     = [for key in output.manifest_keys : key if !strcontains(key, "redis") && !strcontains(key, "ConfigMap") && !strcontains(key, "Secret")] == ["serving.knative.dev/v1/Service/default/realtime-svg"]
    error_message = "The Knative Service is the only server object (Knative's own autoscaler replaces the HPA)."
  }

  assert {
    condition = output.manifests[index(output.manifest_keys, "serving.knative.dev/v1/Service/default/realtime-svg")].spec.template.spec.timeoutSeconds == 900 && output.manifests[index(output.manifest_keys, "serving.knative.dev/v1/Service/default/realtime-svg")].spec.template.metadata.annotations == {
      "autoscaling.knative.dev/metric"    = "concurrency"
      "autoscaling.knative.dev/target"    = "100"
      "autoscaling.knative.dev/min-scale" = "0"
      "autoscaling.knative.dev/max-scale" = "0"
    }
    error_message = "timeout_seconds, min_scale, max_scale and target reach the revision template."
  }
}
