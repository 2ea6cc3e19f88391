#!/usr/bin/env bash
# Makes `docker compose` available for validating the Compose files on machines that have the docker CLI but not
# its compose plugin (no Docker engine is needed for `docker compose config`). Builds the plugin from the Go module
# proxy at the version pinned in scripts/compose-plugin/go.mod (a few minutes the first time) into
# ~/.docker/cli-plugins; does nothing when `docker compose` already works.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if docker compose version >/dev/null 2>&1; then
  docker compose version
  exit 0
fi
command -v docker >/dev/null || { echo "install-compose: the docker CLI is not installed" >&2; exit 1; }
command -v go >/dev/null || { echo "install-compose: Go is needed to build the compose plugin" >&2; exit 1; }
plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
mkdir -p "$plugins"
echo "install-compose: building the docker compose plugin from the Go module proxy" >&2
(cd "$repo/scripts/compose-plugin" && go build -trimpath -o "$plugins/docker-compose" github.com/docker/compose/v2/cmd)
docker compose version
