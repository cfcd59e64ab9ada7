# Inputs the module refuses, each with the variable that names the problem.

run "replicas_must_be_at_least_one" {
  command = plan
  variables { replicas = 0 }
  expect_failures = [var.replicas]
}

run "instance_must_be_a_dns_label" {
  command = plan
  variables { instance = "Blue_Green" }
  expect_failures = [var.instance]
}

run "instance_must_leave_room_for_the_redis_name" {
  command = plan
  variables { instance = "a-very-long-instance-name-that-goes-on-and-on-x" }
  expect_failures = [var.instance]
}

run "namespace_must_be_a_dns_label" {
  command = plan
  variables { namespace = "Images_Prod" }
  expect_failures = [var.namespace]
}

run "common_labels_must_not_override_the_modules_own" {
  command = plan
  variables { common_labels = { "app.kubernetes.io/instance" = "other" } }
  expect_failures = [var.common_labels]
}

run "pod_labels_must_not_repeat_a_common_label" {
  command = plan
  variables {
    common_labels = { team = "images" }
    pod_labels    = { team = "frontend" }
  }
  expect_failures = [var.pod_labels]
}

run "image_repository_must_be_a_repository" {
  command = plan
  variables { image = { repository = "my image" } }
  expect_failures = [var.image]
}

run "image_pull_policy_must_be_known" {
  command = plan
  variables { image = { pull_policy = "Sometimes" } }
  expect_failures = [var.image]
}

run "image_pull_secrets_must_be_secret_names" {
  command = plan
  variables { image_pull_secrets = ["Reg Cred"] }
  expect_failures = [var.image_pull_secrets]
}

run "quantities_must_be_canonical" {
  command = plan
  variables {
    resources = {
      requests = { cpu = "0.5", memory = "128Mi" }
      limits   = { cpu = "1", memory = "512Mi" }
    }
  }
  expect_failures = [var.resources]
}

run "resources_must_be_requests_or_limits" {
  command = plan
  variables { resources = { request = { cpu = "100m" } } }
  expect_failures = [var.resources]
}

run "log_level_must_be_known" {
  command = plan
  variables { log_level = "verbose" }
  expect_failures = [var.log_level]
}

run "settings_must_not_hold_what_has_its_own_input" {
  command = plan
  variables { settings = { API_KEY = "in-plain-sight" } }
  expect_failures = [var.settings]
}

run "settings_must_be_known" {
  command = plan
  variables { settings = { KEEPALIVE_MS = "20000" } }
  expect_failures = [var.settings]
}

run "extra_env_needs_exactly_one_of_value_and_value_from" {
  command = plan
  variables {
    extra_env = [{ name = "A", value = "1", valueFrom = { fieldRef = { fieldPath = "metadata.name" } } }]
  }
  expect_failures = [var.extra_env]
}

run "extra_env_refuses_unknown_fields" {
  command = plan
  variables { extra_env = [{ name = "A", valeu = "1" }] }
  expect_failures = [var.extra_env]
}

run "grace_period_must_outlast_the_shutdown_grace" {
  command = plan
  variables {
    settings                         = { SHUTDOWN_GRACE_MS = "30000" }
    termination_grace_period_seconds = 30
  }
  expect_failures = [var.termination_grace_period_seconds]
}

run "grace_period_must_outlast_the_drain_and_the_shutdown_grace" {
  command = plan
  variables { settings = { DRAIN_SECONDS = "400" } }
  expect_failures = [var.termination_grace_period_seconds]
}

run "duration_settings_must_be_whole_numbers" {
  command = plan
  variables { settings = { DRAIN_SECONDS = "5m" } }
  expect_failures = [var.settings]
}

run "pod_annotations_need_annotation_names" {
  command = plan
  variables { pod_annotations = { "prometheus io/scrape" = "true" } }
  expect_failures = [var.pod_annotations]
}

run "node_selector_needs_labels" {
  command = plan
  variables { node_selector = { "kubernetes.io/os" = "linux os" } }
  expect_failures = [var.node_selector]
}

run "tolerations_refuse_unknown_fields_and_operators" {
  command = plan
  variables { tolerations = [{ key = "dedicated", operator = "In", efect = "NoSchedule" }] }
  expect_failures = [var.tolerations]
}

run "affinity_must_be_an_affinity" {
  command = plan
  variables { affinity = { podAntiAfinity = {} } }
  expect_failures = [var.affinity]
}

run "topology_spread_constraints_need_their_required_fields" {
  command = plan
  variables { topology_spread_constraints = [{ maxSkew = 1, topologyKey = "topology.kubernetes.io/zone" }] }
  expect_failures = [var.topology_spread_constraints]
}

run "service_type_must_be_known" {
  command = plan
  variables { service = { type = "ExternalName" } }
  expect_failures = [var.service]
}

run "service_port_must_be_a_port" {
  command = plan
  variables { service = { port = 70000 } }
  expect_failures = [var.service]
}

run "node_port_must_be_in_the_node_port_range" {
  command = plan
  variables { service = { type = "NodePort", node_port = 8080 } }
  expect_failures = [var.service]
}

run "node_port_needs_a_node_port_service" {
  command = plan
  variables { service = { node_port = 30080 } }
  expect_failures = [var.service]
}

run "no_redis_at_all_is_refused_with_more_than_one_pod" {
  command = plan
  variables { redis = { enabled = false } }
  expect_failures = [var.redis_url]
}

run "redis_url_and_in_cluster_redis_exclude_each_other" {
  command = plan
  variables { redis_url = "redis://redis.example.internal:6379" }
  expect_failures = [var.redis_url]
}

run "redis_url_and_redis_host_exclude_each_other" {
  command = plan
  variables {
    redis     = { enabled = false, host = "redis.example.internal" }
    redis_url = "redis://redis.example.internal:6379"
  }
  expect_failures = [var.redis_url]
}

run "redis_url_must_be_a_redis_url" {
  command = plan
  variables {
    redis     = { enabled = false }
    redis_url = "http://redis.example.internal"
  }
  expect_failures = [var.redis_url]
}

run "redis_host_needs_in_cluster_redis_off" {
  command = plan
  variables { redis = { host = "redis.example.internal" } }
  expect_failures = [var.redis]
}

run "redis_port_only_with_redis_host" {
  command = plan
  variables { redis = { port = 6380 } }
  expect_failures = [var.redis]
}

run "redis_max_memory_must_be_a_redis_size" {
  command = plan
  variables { redis = { max_memory = "200MiB" } }
  expect_failures = [var.redis]
}

run "redis_persistence_size_must_be_a_quantity" {
  command = plan
  variables { redis = { persistence = { enabled = true, size = "2GB" } } }
  expect_failures = [var.redis]
}

run "redis_persistence_needs_the_in_cluster_redis" {
  command = plan
  variables {
    redis     = { enabled = false, persistence = { enabled = true } }
    redis_url = "redis://redis.example.internal:6379"
  }
  expect_failures = [var.redis]
}

run "redis_password_not_beside_a_url" {
  command = plan
  variables {
    redis          = { enabled = false }
    redis_url      = "redis://:a@redis.example.internal:6379"
    redis_password = "b"
  }
  expect_failures = [var.redis_password]
}

run "redis_sentinel_password_needs_sentinels" {
  command = plan
  variables {
    redis                   = { enabled = false, host = "redis.example.internal" }
    redis_sentinel_password = "change-me-sentinel-password"
  }
  expect_failures = [var.redis_sentinel_password]
}

run "redis_sentinels_need_the_primary_name" {
  command = plan
  variables {
    redis = { enabled = false, sentinel = { addresses = ["sentinel-0.example.internal:26379"] } }
  }
  expect_failures = [var.redis]
}

run "redis_ca_cert_needs_tls" {
  command = plan
  variables {
    redis = { enabled = false, host = "redis.example.internal", tls = { ca_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" } }
  }
  expect_failures = [var.redis_url]
}

run "ingress_needs_a_host" {
  command = plan
  variables { ingress = { enabled = true } }
  expect_failures = [var.ingress]
}

run "ingress_path_type_must_be_known" {
  command = plan
  variables { ingress = { enabled = true, host = "img.example.com", path_type = "Regex" } }
  expect_failures = [var.ingress]
}

run "ingress_path_must_be_absolute" {
  command = plan
  variables { ingress = { enabled = true, host = "img.example.com", path = "img" } }
  expect_failures = [var.ingress]
}

run "ingress_read_timeout_must_outlast_the_keep_alive" {
  command = plan
  variables {
    ingress = { enabled = true, host = "img.example.com", read_timeout_seconds = 20 }
  }
  expect_failures = [var.ingress]
}

run "ingress_and_knative_exclude_each_other" {
  command = plan
  variables {
    ingress = { enabled = true, host = "img.example.com" }
    knative = { enabled = true }
  }
  expect_failures = [var.ingress]
}

run "autoscaling_min_must_not_exceed_max" {
  command = plan
  variables { autoscaling = { enabled = true, min_replicas = 5, max_replicas = 3 } }
  expect_failures = [var.autoscaling]
}

run "autoscaling_target_must_be_a_percentage" {
  command = plan
  variables { autoscaling = { enabled = true, target_cpu_utilization_percentage = 150 } }
  expect_failures = [var.autoscaling]
}

run "network_policy_selectors_must_not_be_empty" {
  command = plan
  variables { network_policy = { enabled = true, ingress_pod_labels = {} } }
  expect_failures = [var.network_policy]
}

run "knative_timeout_must_be_positive" {
  command = plan
  variables { knative = { enabled = true, timeout_seconds = 0 } }
  expect_failures = [var.knative]
}

run "knative_min_scale_must_not_exceed_max_scale" {
  command = plan
  variables { knative = { enabled = true, min_scale = 5, max_scale = 2 } }
  expect_failures = [var.knative]
}

run "knative_target_must_be_positive" {
  command = plan
  variables { knative = { enabled = true, target = 0 } }
  expect_failures = [var.knative]
}

run "api_key_must_not_be_short_or_empty" {
  command = plan
  variables { api_key = "" }
  expect_failures = [var.api_key]
}

run "knative_timeout_must_outlast_the_drain" {
  command = plan
  variables {
    knative  = { enabled = true }
    settings = { DRAIN_SECONDS = "590" }
  }
  expect_failures = [var.knative]
}

run "redis_password_must_not_end_in_a_newline" {
  command = plan
  variables { redis_password = "change-me\n" }
  expect_failures = [var.redis_password]
}

run "metrics_token_must_not_contain_spaces" {
  command = plan
  variables { metrics_token = "a token with spaces in it" }
  expect_failures = [var.metrics_token]
}

run "secrets_key_must_be_base64_of_32_bytes" {
  command = plan
  variables { secrets_key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE" } # 32 bytes without its padding
  expect_failures = [var.secrets_key]
}
