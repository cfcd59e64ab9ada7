# Inputs the module refuses, each with the variable that names the problem.

run "replicas_must_be_at_least_one" {
  command = plan
  variables { replicas = 0 }
  expect_failures = [var.replicas]
}

run "namespace_must_be_a_dns_label" {
  command = plan
  variables { namespace = "Images_Prod" }
  expect_failures = [var.namespace]
}

run "image_must_be_a_reference" {
  command = plan
  variables { image = "my image:latest" }
  expect_failures = [var.image]
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

run "grace_period_must_outlast_the_shutdown_grace" {
  command = plan
  variables {
    settings                         = { SHUTDOWN_GRACE_MS = "30000" }
    termination_grace_period_seconds = 30
  }
  expect_failures = [var.termination_grace_period_seconds]
}

run "no_redis_at_all_is_refused" {
  command = plan
  variables { in_cluster_redis = false }
  expect_failures = [var.redis_url]
}

run "redis_url_and_in_cluster_redis_exclude_each_other" {
  command = plan
  variables { redis_url = "redis://redis.example.internal:6379" }
  expect_failures = [var.redis_url]
}

run "redis_url_must_be_a_redis_url" {
  command = plan
  variables {
    in_cluster_redis = false
    redis_url        = "http://redis.example.internal"
  }
  expect_failures = [var.redis_url]
}

run "redis_host_needs_in_cluster_redis_off" {
  command = plan
  variables { redis_host = "redis.example.internal" }
  expect_failures = [var.redis_host]
}

run "redis_port_only_with_redis_host" {
  command = plan
  variables { redis_port = 6380 }
  expect_failures = [var.redis_port]
}

run "redis_password_not_beside_a_url" {
  command = plan
  variables {
    in_cluster_redis = false
    redis_url        = "redis://:a@redis.example.internal:6379"
    redis_password   = "b"
  }
  expect_failures = [var.redis_password]
}

run "ingress_needs_a_host" {
  command = plan
  variables { ingress = { enabled = true } }
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

run "knative_timeout_must_be_positive" {
  command = plan
  variables { knative = { enabled = true, timeout_seconds = 0 } }
  expect_failures = [var.knative]
}

run "api_key_must_not_be_short_or_empty" {
  command = plan
  variables { api_key = "" }
  expect_failures = [var.api_key]
}

run "metrics_token_must_not_contain_spaces" {
  command = plan
  variables { metrics_token = "a token with spaces in it" }
  expect_failures = [var.metrics_token]
}
