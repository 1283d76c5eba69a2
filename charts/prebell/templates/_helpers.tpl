{{/* Names: <release>-prebell, or the release name when it already says prebell. */}}
{{- define "prebell.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "prebell.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* A stack component's name: <fullname>-<component>, kept within 63 characters. */}}
{{- define "prebell.componentName" -}}
{{- $root := index . 0 }}{{- $component := index . 1 }}
{{- printf "%s-%s" (include "prebell.fullname" $root | trunc (int (sub 62 (len $component)))) $component | trimSuffix "-" }}
{{- end }}

{{- define "prebell.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "prebell.labels" -}}
helm.sh/chart: {{ include "prebell.chart" . }}
app.kubernetes.io/name: {{ include "prebell.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: prebell
{{- end }}

{{/* The controller's selector labels. */}}
{{- define "prebell.selectorLabels" -}}
app.kubernetes.io/name: {{ include "prebell.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Selector labels of a stack component: (list $ "centrifugo"). */}}
{{- define "prebell.stackSelectorLabels" -}}
{{- $root := index . 0 }}{{- $component := index . 1 -}}
app.kubernetes.io/name: {{ $component }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
{{- end }}

{{- define "prebell.stackLabels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "prebell.chart" $root }}
{{ include "prebell.stackSelectorLabels" . }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: prebell
{{- end }}

{{- define "prebell.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "prebell.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "prebell.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "prebell.leaseName" -}}
{{- default (include "prebell.fullname" .) .Values.controller.leaderElection.leaseName }}
{{- end }}

{{- define "prebell.leaseNamespace" -}}
{{- default .Release.Namespace .Values.controller.leaderElection.namespace }}
{{- end }}

{{/* Labels Prometheus Operator's selectors need, plus the chart's own. */}}
{{- define "prebell.operatorLabels" -}}
{{ include "prebell.labels" . }}
{{- with .Values.prometheusOperator.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Label that lets a ScalingPolicy of the bundled stack select the example Timetable. */}}
{{- define "prebell.stackTimetableLabel" -}}
prebell.io/stack: {{ include "prebell.fullname" . }}
{{- end }}

{{/*
A Secret value: the one given, else the one already in the cluster (so
upgrades keep it), else a fresh random one. (list $ secretName key given).
*/}}
{{- define "prebell.secretValue" -}}
{{- $root := index . 0 }}{{- $secret := index . 1 }}{{- $key := index . 2 }}{{- $given := index . 3 }}
{{- if $given }}
{{- $given }}
{{- else }}
{{- $existing := lookup "v1" "Secret" $root.Release.Namespace $secret }}
{{- if and $existing (hasKey $existing.data $key) }}
{{- index $existing.data $key | b64dec }}
{{- else }}
{{- randAlphaNum 40 }}
{{- end }}
{{- end }}
{{- end }}

{{/* The controller's `prebell run` arguments (docs/install.md lists them). */}}
{{- define "prebell.args" -}}
- run
- --metrics-address=:{{ .Values.controller.metricsPort }}
{{- if .Values.controller.leaderElection.enabled }}
- --leader-elect=true
- --lease-name={{ include "prebell.leaseName" . }}
- --lease-namespace={{ include "prebell.leaseNamespace" . }}
{{- else }}
- --leader-elect=false
{{- end }}
{{- with .Values.controller.watchNamespaces }}
- --namespaces={{ join "," . }}
{{- end }}
- --prometheus-url={{ .Values.controller.prometheusUrl }}
- --log-format={{ .Values.controller.logFormat }}
{{- with .Values.controller.extraArgs }}
{{ toYaml . }}
{{- end }}
{{- end }}
