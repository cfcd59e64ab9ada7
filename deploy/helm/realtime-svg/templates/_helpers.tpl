{{/*
Names, labels and the pieces the server Deployment and the Knative Service share. The objects
must equal the kustomize overlays' (deploy/kubectl), so there is no helm.sh/chart,
app.kubernetes.io/managed-by or app.kubernetes.io/version label: the other tools cannot set them.
*/}}

{{/*
NAME, the base of every object's name: the release name if it already says "realtime-svg"
(`helm install realtime-svg …` gives realtime-svg, not realtime-svg-realtime-svg), else
RELEASE-realtime-svg. Not truncated (the other tools do not truncate): too long a name fails
instead, see realtime-svg.validate.
*/}}
{{- define "realtime-svg.fullname" -}}
{{- if contains "realtime-svg" .Release.Name -}}
{{- .Release.Name -}}
{{- else -}}
{{- printf "%s-realtime-svg" .Release.Name -}}
{{- end -}}
{{- end -}}

{{- define "realtime-svg.redisName" -}}
{{- printf "%s-redis" (include "realtime-svg.fullname" .) -}}
{{- end -}}

{{/* The server's selector: fixed at creation, so only the three labels that never change. */}}
{{- define "realtime-svg.selectorLabels" -}}
app.kubernetes.io/name: realtime-svg
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "realtime-svg.redisSelectorLabels" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/component: store
{{- end -}}

{{/*
Metadata labels: the selector's, part-of, then commonLabels (the schema keeps commonLabels off
the chart's own keys, so the order of the merge never matters). toYaml sorts and quotes.
*/}}
{{- define "realtime-svg.labels" -}}
{{- $labels := dict "app.kubernetes.io/part-of" "realtime-svg" -}}
{{- $labels = merge $labels (include "realtime-svg.selectorLabels" . | fromYaml) (deepCopy (.Values.commonLabels | default dict)) -}}
{{- toYaml $labels -}}
{{- end -}}

{{- define "realtime-svg.redisLabels" -}}
{{- $labels := dict "app.kubernetes.io/part-of" "realtime-svg" -}}
{{- $labels = merge $labels (include "realtime-svg.redisSelectorLabels" . | fromYaml) (deepCopy (.Values.commonLabels | default dict)) -}}
{{- toYaml $labels -}}
{{- end -}}

{{/* The server pods' labels: metadata labels plus podLabels. */}}
{{- define "realtime-svg.podLabels" -}}
{{- $labels := include "realtime-svg.labels" . | fromYaml -}}
{{- toYaml (merge $labels (deepCopy (.Values.podLabels | default dict))) -}}
{{- end -}}

{{/* The server image: repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "realtime-svg.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/*
The server container's env: every Secret key, optional (an absent key leaves its variable unset,
so one Deployment serves every combination of secrets), then extraEnv verbatim.
*/}}
{{- define "realtime-svg.env" -}}
{{- $name := include "realtime-svg.fullname" . -}}
{{- range list (list "REDIS_URL" "redis-url") (list "REDIS_PASSWORD" "redis-password") (list "REDIS_SENTINEL_PASSWORD" "redis-sentinel-password") (list "API_KEY" "apiKey") (list "METRICS_TOKEN" "metrics-token") (list "SECRETS_KEY" "secrets-key") }}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ $name | quote }}
      key: {{ index . 1 }}
      optional: true
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The CA certificate of an external Redis (redis.tls.caCert): ConfigMap NAME-redis-ca, mounted
read-only into the server container where REDIS_CA_FILE points. Both empty without a CA.
*/}}
{{- define "realtime-svg.redisCaMountPath" -}}/etc/realtime-svg/redis-ca{{- end -}}

{{- define "realtime-svg.redisCaVolumeMounts" -}}
{{- if .Values.redis.tls.caCert }}
volumeMounts:
  - name: redis-ca
    mountPath: {{ include "realtime-svg.redisCaMountPath" . }}
    readOnly: true
{{- end }}
{{- end -}}

{{- define "realtime-svg.redisCaVolumes" -}}
{{- if .Values.redis.tls.caCert }}
volumes:
  - name: redis-ca
    configMap:
      name: {{ printf "%s-redis-ca" (include "realtime-svg.fullname" .) | quote }}
{{- end }}
{{- end -}}

{{/*
Pod-level fields the user passes through, to the server Deployment and the Knative Service alike
(Knative accepts nodeSelector, tolerations, affinity and topologySpreadConstraints only when its
config-features enable kubernetes.podspec-nodeselector, -tolerations, -affinity and
-topologyspreadconstraints), each omitted when empty: an empty list or map would be a field the
other tools do not render.
*/}}
{{- define "realtime-svg.podScheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Map-valued values with a default: values.yaml holds null (unset) and the default lives in the
helper below, so that a map you give REPLACES the default whole, as the Terraform module and the
Pulumi program do. (With the default in values.yaml, Helm would merge your map into it key by key:
`--set-string resources.limits.cpu=1` would keep the default requests and memory limit, and
`networkPolicy.ingressNamespaceLabels: {name: my-ingress}` would keep the default label beside
yours, a selector matching neither namespace.) An empty map is refused (realtime-svg.validate).
*/}}

{{/* The server container's resources; default requests 100m/128Mi, limits 500m/512Mi. */}}
{{- define "realtime-svg.resources" -}}
{{- $default := dict "requests" (dict "cpu" "100m" "memory" "128Mi") "limits" (dict "cpu" "500m" "memory" "512Mi") -}}
{{- toYaml (.Values.resources | default $default) -}}
{{- end -}}

{{/* The in-cluster Redis container's resources; default requests 100m/128Mi, limits 200m/256Mi. */}}
{{- define "realtime-svg.redisResources" -}}
{{- $default := dict "requests" (dict "cpu" "100m" "memory" "128Mi") "limits" (dict "cpu" "200m" "memory" "256Mi") -}}
{{- toYaml (.Values.redis.resources | default $default) -}}
{{- end -}}

{{/* Labels of the namespaces the NetworkPolicy admits; default the ingress-nginx namespace. */}}
{{- define "realtime-svg.ingressNamespaceLabels" -}}
{{- toYaml (.Values.networkPolicy.ingressNamespaceLabels | default (dict "kubernetes.io/metadata.name" "ingress-nginx")) -}}
{{- end -}}

{{/* Labels of the pods (in those namespaces) the NetworkPolicy admits; default ingress-nginx's. */}}
{{- define "realtime-svg.ingressPodLabels" -}}
{{- toYaml (.Values.networkPolicy.ingressPodLabels | default (dict "app.kubernetes.io/name" "ingress-nginx")) -}}
{{- end -}}

{{/* The server container's security settings (the Deployment's and the Knative Service's). */}}
{{- define "realtime-svg.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
What values.schema.json cannot say (it cannot compare two values, nor see the release name and
namespace), checked once per render; the combinations it can say are also checked here, with a
message naming the values, for a render with --skip-schema-validation. The same rules as the
Terraform module's validations and the Pulumi program's checks (test/deploy/refusals.test.ts).
*/}}
{{- define "realtime-svg.validate" -}}
{{- $v := .Values -}}
{{- $name := include "realtime-svg.fullname" . -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" .Release.Name) -}}
{{- fail (printf "the release name %q (the instance) must be lower-case letters, digits and '-', starting with a letter: objects are named after it, and Service names start with a letter" .Release.Name) -}}
{{- end -}}
{{- if gt (len $name) 57 -}}
{{- fail (printf "the release name %q is too long: objects are named %s and %s-redis, at most 63 characters" .Release.Name $name $name) -}}
{{- end -}}
{{- if not (and (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .Release.Namespace) (le (len .Release.Namespace) 63)) -}}
{{- fail (printf "the namespace %q must be a DNS label: lower-case letters, digits and '-', at most 63 characters" .Release.Namespace) -}}
{{- end -}}
{{- range $key, $_ := $v.podLabels | default dict -}}
{{- if hasKey ($v.commonLabels | default dict) $key -}}
{{- fail (printf "podLabels and commonLabels both set %q: which value the pods get would be a matter of merge order, so set it in one of them" $key) -}}
{{- end -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.host) -}}
{{- fail "ingress.host is required when ingress.enabled is true" -}}
{{- end -}}
{{- if and $v.ingress.enabled $v.knative.enabled -}}
{{- fail "ingress.enabled and knative.enabled cannot both be true: Knative Serving routes traffic through its own ingress" -}}
{{- end -}}
{{- if and (eq $v.service.type "ClusterIP") (not (kindIs "invalid" $v.service.nodePort)) -}}
{{- fail "service.nodePort needs service.type NodePort or LoadBalancer: a ClusterIP Service has no node port" -}}
{{- end -}}
{{- if and $v.redis.enabled (or $v.redis.url $v.redis.host) -}}
{{- fail "redis.url and redis.host are for your own Redis: set redis.enabled to false to use them instead of the in-cluster Redis" -}}
{{- end -}}
{{- /* External topologies: the server's own rules (runtime/config.ts), with the values' names. */ -}}
{{- $r := $v.redis -}}
{{- $sentinels := not (kindIs "invalid" $r.sentinel.addresses) -}}
{{- $nodes := not (kindIs "invalid" $r.cluster.nodes) -}}
{{- if and $r.enabled (or $sentinels $nodes) -}}
{{- fail "redis.sentinel.addresses and redis.cluster.nodes are for your own Redis: set redis.enabled to false to use them instead of the in-cluster Redis" -}}
{{- end -}}
{{- range $knob, $set := dict "url" $r.url "host" $r.host -}}
{{- if and $set $sentinels -}}
{{- fail (printf "set redis.sentinel.addresses or redis.%s, not both (the server refuses REDIS_SENTINELS with REDIS_%s)" $knob (upper $knob)) -}}
{{- end -}}
{{- if and $set $nodes -}}
{{- fail (printf "set redis.cluster.nodes or redis.%s, not both (the server refuses REDIS_CLUSTER_NODES with REDIS_%s)" $knob (upper $knob)) -}}
{{- end -}}
{{- end -}}
{{- if and $sentinels $nodes -}}
{{- fail "set redis.sentinel.addresses or redis.cluster.nodes, not both (the server refuses REDIS_SENTINELS with REDIS_CLUSTER_NODES)" -}}
{{- end -}}
{{- range $knob, $list := dict "redis.sentinel.addresses" $r.sentinel.addresses "redis.cluster.nodes" $r.cluster.nodes -}}
{{- if and (kindIs "slice" $list) (empty $list) -}}
{{- fail (printf "%s must name at least one host:port (leave it unset for none)" $knob) -}}
{{- end -}}
{{- range $list -}}
{{- if not (regexMatch "^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\],]+):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$" (toString .)) -}}
{{- fail (printf "%s: %q is not host:port (one address per entry, port 1-65535, IPv6 as [fd00::1]:6379)" $knob (toString .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $sentinels (not $r.sentinel.master) -}}
{{- fail "redis.sentinel.master is required with redis.sentinel.addresses: the name the sentinels monitor the primary under (REDIS_SENTINEL_MASTER)" -}}
{{- end -}}
{{- if and $r.sentinel.master (not $sentinels) -}}
{{- fail "redis.sentinel.master is only used with redis.sentinel.addresses (REDIS_SENTINEL_MASTER only with REDIS_SENTINELS)" -}}
{{- end -}}
{{- if and $r.sentinel.password (not $sentinels) -}}
{{- fail "redis.sentinel.password is only used with redis.sentinel.addresses: it is the sentinels' own password (redis.password is the data nodes')" -}}
{{- end -}}
{{- if and $r.tls.enabled $r.enabled -}}
{{- fail "redis.tls.enabled is for your own Redis: the in-cluster Redis (redis.enabled) speaks no TLS" -}}
{{- end -}}
{{- if and $r.tls.enabled $r.url -}}
{{- fail "redis.tls.enabled is not used with redis.url: a URL chooses TLS itself (rediss://)" -}}
{{- end -}}
{{- if and $r.tls.caCert (not (or $r.tls.enabled (hasPrefix "rediss://" $r.url))) -}}
{{- fail "redis.tls.caCert is only used with TLS: set redis.tls.enabled, or give a rediss:// redis.url" -}}
{{- end -}}
{{- if and $r.tls.caCert (not (regexMatch "^\\s*-----BEGIN CERTIFICATE-----[\\s\\S]+-----END CERTIFICATE-----\\s*$" $r.tls.caCert)) -}}
{{- fail "redis.tls.caCert must be PEM text: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----" -}}
{{- end -}}
{{- if and $v.redis.url $v.redis.host -}}
{{- fail "set redis.url or redis.host, not both (the server refuses REDIS_URL with REDIS_HOST)" -}}
{{- end -}}
{{- if and $v.redis.url $v.redis.password -}}
{{- fail "redis.password is not used with redis.url: put the password in the URL" -}}
{{- end -}}
{{- if and (ne (int $v.redis.port) 6379) (not $v.redis.host) -}}
{{- fail (printf "redis.port (%d) is your Redis's, with redis.host: the in-cluster Redis listens on 6379" (int $v.redis.port)) -}}
{{- end -}}
{{- if and $v.redis.persistence.enabled (not $v.redis.enabled) -}}
{{- fail "redis.persistence.enabled is for the in-cluster Redis: it needs redis.enabled" -}}
{{- end -}}
{{- /* Without any Redis each pod keeps its own sessions: only one pod may run. */ -}}
{{- if and (not (or $v.redis.enabled $v.redis.url $v.redis.host $sentinels $nodes)) (or (ne (int $v.replicas) 1) $v.autoscaling.enabled $v.knative.enabled) -}}
{{- fail "redis.enabled is false and neither redis.url nor redis.host (nor redis.sentinel.addresses, redis.cluster.nodes) is set, so each server pod keeps its own sessions in memory: that needs exactly one pod (replicas 1, no autoscaling, no knative). Otherwise set redis.url or redis.host" -}}
{{- end -}}
{{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) -}}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if and (gt (int $v.knative.maxScale) 0) (gt (int $v.knative.minScale) (int $v.knative.maxScale)) -}}
{{- fail (printf "knative.minScale (%d) must not exceed knative.maxScale (%d) (0: no limit)" (int $v.knative.minScale) (int $v.knative.maxScale)) -}}
{{- end -}}
{{- /* null (unset) takes the default (the helpers above); an empty map is a mistake. */ -}}
{{- range $knob := list "ingressNamespaceLabels" "ingressPodLabels" -}}
{{- $labels := get $v.networkPolicy $knob -}}
{{- if and (kindIs "map" $labels) (empty $labels) -}}
{{- fail (printf "networkPolicy.%s must name at least one label: an empty selector admits every namespace or every pod (leave it unset for the default)" $knob) -}}
{{- end -}}
{{- end -}}
{{- if and (kindIs "map" $v.resources) (empty $v.resources) -}}
{{- fail "resources must name requests or limits (leave it unset for the default)" -}}
{{- end -}}
{{- if and (kindIs "map" $v.redis.resources) (empty $v.redis.resources) -}}
{{- fail "redis.resources must name requests or limits (leave it unset for the default)" -}}
{{- end -}}
{{- $settings := $v.settings | default dict -}}
{{- $keepAlive := int (get $settings "KEEP_ALIVE_MS" | default "25000") -}}
{{- if le (mul (int $v.ingress.readTimeoutSeconds) 1000) $keepAlive -}}
{{- fail (printf "ingress.readTimeoutSeconds (%d s) must be longer than KEEP_ALIVE_MS (%d ms), or nginx cuts quiet streams between two keep-alive frames" (int $v.ingress.readTimeoutSeconds) $keepAlive) -}}
{{- end -}}
{{- /* After SIGTERM the server drains for DRAIN_SECONDS, then takes up to SHUTDOWN_GRACE_MS. */ -}}
{{- $shutdownGrace := int (get $settings "SHUTDOWN_GRACE_MS" | default "10000") -}}
{{- $drain := int (get $settings "DRAIN_SECONDS" | default "300") -}}
{{- $stopping := add (mul $drain 1000) $shutdownGrace -}}
{{- if and (not $v.knative.enabled) (le (mul (int $v.terminationGracePeriodSeconds) 1000) $stopping) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d s) must be longer than DRAIN_SECONDS (%d s) + SHUTDOWN_GRACE_MS (%d ms) from settings (defaults 300 s and 10000 ms), or the kubelet kills the server while its streams drain" (int $v.terminationGracePeriodSeconds) $drain $shutdownGrace) -}}
{{- end -}}
{{- /* Knative has no terminationGracePeriodSeconds: a stopping pod gets the revision's timeoutSeconds. */ -}}
{{- if and $v.knative.enabled (ge $stopping (mul (int $v.knative.timeoutSeconds) 1000)) -}}
{{- fail (printf "DRAIN_SECONDS (%d s) + SHUTDOWN_GRACE_MS (%d ms) from settings (defaults 300 s and 10000 ms) must be shorter than knative.timeoutSeconds (%d s): Knative gives a stopping pod timeoutSeconds, and kills the server after it" $drain $shutdownGrace (int $v.knative.timeoutSeconds)) -}}
{{- end -}}
{{- end -}}
