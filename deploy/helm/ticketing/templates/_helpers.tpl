{{/* Release-scoped name: the release name, with "-ticketing" unless it already says so; 63 characters at most. */}}
{{- define "ticketing.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ticketing.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ticketing
{{- end -}}

{{/* Pods of one component ("event", "migrate", ...): dict "root" $ "component" NAME. */}}
{{- define "ticketing.selectorLabels" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ticketing.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "ticketing.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ticketing.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the services read: the user's existing one, or the chart's. */}}
{{- define "ticketing.secretName" -}}
{{- default (printf "%s-secrets" (include "ticketing.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The Secret the migrate hook reads: it runs before the release's own objects exist, so it has a hook Secret of its own. */}}
{{- define "ticketing.migrateSecretName" -}}
{{- default (printf "%s-migrate" (include "ticketing.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The database URL: externalDatabase.url, else assembled from its parts (password URL-encoded). */}}
{{- define "ticketing.databaseUrl" -}}
{{- $db := .Values.externalDatabase -}}
{{- if $db.url -}}
{{- $db.url -}}
{{- else -}}
{{- $host := required "externalDatabase.host (or externalDatabase.url, or secrets.existingSecret) is required: the chart runs no PostgreSQL of its own" $db.host -}}
{{- $password := required "externalDatabase.password is required (or secrets.existingSecret)" $db.password -}}
{{- printf "postgres://%s:%s@%s:%d/%s" (urlquery $db.user | replace "+" "%20") (urlquery $password | replace "+" "%20") $host (int $db.port) $db.database -}}
{{- if $db.sslmode }}?sslmode={{ $db.sslmode }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* Where one service is reached in the cluster. */}}
{{- define "ticketing.serviceUrl" -}}
{{- printf "http://%s-%s:%d" (include "ticketing.fullname" .root) .name (int (index .root.Values.services .name).port) -}}
{{- end -}}

{{- define "ticketing.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "ticketing.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* One service's settings: defaults overridden by services.NAME. dict "root" $ "name" NAME; a YAML object. */}}
{{- define "ticketing.service" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy (index .root.Values.services .name))) -}}
{{- end -}}

{{/* The services, each a Deployment of its own. */}}
{{- define "ticketing.serviceNames" -}}
["event", "booking", "checkout", "notification", "admission", "payment"]
{{- end -}}
