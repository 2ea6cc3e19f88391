#!/usr/bin/env bash
# Checks the Helm chart offline (make helm-check; CI runs it): helm lint, helm template with the default and the
# production-like values (each checked against values.schema.json by helm itself), every rendered object decoded
# strictly into its Kubernetes API type and checked against the others by deploy/validate; then proves the checks
# bite: a misspelt values key, a misspelt field in a free-form override and in a fixture, a missing required value
# and an undeclared existing Secret must each fail. Rendered objects land in .run/helm/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mapfile -t tools < <(./scripts/k8s-tools.sh)
helm=${tools[0]}
validate=${tools[1]}
chart=deploy/helm/ticketing
# The oldest Kubernetes the chart supports is in Chart.yaml (kubeVersion); render for a current one.
kube=1.33.0
out=.run/helm
mkdir -p "$out"
status=0
ok() { echo "helm-check: ok: $*"; }
bad() { echo "helm-check: FAILED: $*" >&2; status=1; }

echo "helm-check: the checker's own tests"
go -C deploy/validate test ./... || bad "deploy/validate tests"

# name | values files and flags | Secrets that exist beforehand
renders=(
  "default|-f $chart/ci/default-values.yaml|"
  "production|-f $chart/values-production.yaml|ticketing-secrets"
  "observability|-f $chart/ci/default-values.yaml -f $chart/ci/observability-values.yaml|"
)
for entry in "${renders[@]}"; do
  IFS='|' read -r name flags external <<<"$entry"
  # shellcheck disable=SC2086
  if "$helm" lint "$chart" $flags --kube-version "$kube" --strict --quiet; then ok "helm lint ($name values)"; else bad "helm lint ($name values)"; fi
  # shellcheck disable=SC2086
  if ! "$helm" template tix "$chart" --namespace ticketing $flags --kube-version "$kube" >"$out/$name.yaml"; then
    bad "helm template ($name values)"
    continue
  fi
  if "$validate" ${external:+-external-secret "$external"} "$out/$name.yaml"; then ok "rendered objects ($name values) valid"; else bad "rendered objects ($name values)"; fi
done

# Each of these must be refused; the text is what the refusal must say.
must_fail() {
  local what=$1 expect=$2
  shift 2
  local log="$out/negative.log"
  if "$@" >"$log" 2>&1; then
    bad "$what: accepted"
  elif ! grep -q -- "$expect" "$log"; then
    bad "$what: refused, but not with \"$expect\":"; cat "$log" >&2
  else
    ok "$what: refused ($(grep -m1 -- "$expect" "$log" | sed 's/^[^:]*: //' | cut -c1-120))"
  fi
}
misspelt_value() {
  "$helm" template tix "$chart" -f "$chart/ci/default-values.yaml" --kube-version "$kube" --set services.checkout.replcas=3
}
misspelt_free_form_override() {
  # affinity is passed through as written, so only the decoder can see the misspelt field in it.
  "$helm" template tix "$chart" -f "$chart/ci/default-values.yaml" --kube-version "$kube" \
    --set-json 'services.checkout.affinity={"nodeAffinty":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}}}' | "$validate" -
}
existing_secret_undeclared() {
  "$helm" template tix "$chart" -f "$chart/values-production.yaml" --kube-version "$kube" | "$validate" -
}
must_fail "a misspelt values key (replcas)" "additional properties 'replcas' not allowed" \
  misspelt_value
must_fail "a misspelt field (nodeAffinty) in a free-form values override" 'unknown field "spec.template.spec.affinity.nodeAffinty"' \
  misspelt_free_form_override
must_fail "a misspelt field in a template" 'unknown field "spec.template.spec.containers\[0\].readinesProbe"' \
  "$validate" deploy/validate/testdata/misspelt-probe.yaml
must_fail "no Kafka brokers" "kafka.brokers is required" \
  "$helm" template tix "$chart" --set externalDatabase.host=pg --set externalDatabase.password=x --kube-version "$kube"
must_fail "a Secret of the existingSecret not declared" "neither rendered nor declared external" \
  existing_secret_undeclared

[[ $status -eq 0 ]] && echo "helm-check: chart valid; rendered objects in $out/"
exit $status
