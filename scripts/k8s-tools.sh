#!/usr/bin/env bash
# Installs the tools that check the Helm chart offline, into .tools/bin:
#   helm          from the Go module proxy, at HELM_VERSION (5 to 8 minutes to build on two cores the first time);
#                 the binary is kept in ~/.cache/ticketing-tools (TICKETING_TOOLS_CACHE) so fresh clones reuse it
#   k8s-validate  deploy/validate, a small Go program that decodes rendered objects strictly into the k8s.io/api types
# Each is rebuilt only when its version or sources change. Prints the two paths; with --checker-only, builds and
# prints the checker alone (compose-check uses it for the alert rules and the dashboard).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELM_VERSION=v3.21.4
bin="$repo/.tools/bin"
mkdir -p "$bin"
command -v go >/dev/null || { echo "k8s-tools: Go is needed to build helm and the checker" >&2; exit 1; }
export GOFLAGS="${GOFLAGS:-} -trimpath" GOTOOLCHAIN=local

checker_only=false
[[ "${1:-}" == "--checker-only" ]] && checker_only=true

cache="${TICKETING_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ticketing-tools}"
if ! $checker_only && [[ ! -x "$cache/helm-$HELM_VERSION" ]]; then
  echo "k8s-tools: building helm $HELM_VERSION from the Go module proxy" >&2
  mkdir -p "$cache/build"
  GOBIN="$cache/build" go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$cache/build/helm" "$cache/helm-$HELM_VERSION"
fi
$checker_only || { cp "$cache/helm-$HELM_VERSION" "$bin/helm.tmp" && mv "$bin/helm.tmp" "$bin/helm"; }

sources=$(cd "$repo/deploy/validate" && cat go.mod go.sum $(ls *.go | grep -v _test.go) | sha256sum | cut -c1-16)
if [[ ! -x "$bin/k8s-validate" || "$(cat "$bin/k8s-validate.sum" 2>/dev/null)" != "$sources" ]]; then
  echo "k8s-tools: building deploy/validate" >&2
  go -C "$repo/deploy/validate" build -o "$bin/k8s-validate" .
  echo "$sources" > "$bin/k8s-validate.sum"
fi
$checker_only || echo "$bin/helm"
echo "$bin/k8s-validate"
