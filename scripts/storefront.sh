#!/usr/bin/env bash
# The example storefront (examples/storefront) built the way a user's app is: against @ticketing/sdk installed from
# the tarball `npm pack` makes of packages/sdk, never against the SDK's sources.
#   scripts/storefront.sh build   pack the SDK, install it in the storefront, check it is the packed copy, vite build
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
app="$root/examples/storefront"
pack_dir="$root/.run/storefront"

build() {
  npx tsc -b
  rm -rf "$pack_dir" && mkdir -p "$pack_dir"
  local tarball
  tarball="$pack_dir/$(cd "$root/packages/sdk" && npm pack --silent --pack-destination "$pack_dir" | tail -1)"
  echo "packed $(basename "$tarball")"
  cd "$app"
  npm ci --no-audit --no-fund --loglevel=error
  npm install --no-save --no-audit --no-fund --loglevel=error "$tarball"
  check_packed "$tarball"
  rm -rf dist
  npm run --silent build
  echo "production bundle (gzip):"
  local total=0
  for f in dist/assets/*; do
    local raw gz
    raw=$(wc -c <"$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    total=$((total + gz))
    printf '  %-40s %8d B  %7d B gzip\n' "$(basename "$f")" "$raw" "$gz"
  done
  echo "  total: $total B gzip"
}

# Fails when the storefront would build against anything but the packed SDK: a symlink (workspace or npm link), an
# installed copy with sources in it, or a copy that differs from the tarball.
check_packed() {
  local tarball=$1 installed="$app/node_modules/@ticketing/sdk"
  if [[ -L "$installed" || ! -d "$installed" ]]; then
    echo "storefront: node_modules/@ticketing/sdk is not an installed copy (a link to the sources?)" >&2
    return 1
  fi
  if [[ -e "$installed/src" ]]; then
    echo "storefront: the installed @ticketing/sdk has src/: it is not the published package" >&2
    return 1
  fi
  local expected actual
  expected=$(tar -tzf "$tarball" | sed 's#^package/##' | grep -v '/$' | sort)
  actual=$(cd "$installed" && find . -type f | sed 's#^\./##' | sort)
  if [[ "$expected" != "$actual" ]]; then
    echo "storefront: the installed @ticketing/sdk differs from $(basename "$tarball")" >&2
    diff <(echo "$expected") <(echo "$actual") | head -20 >&2
    return 1
  fi
  if grep -rqE "packages/sdk/(src|dist)|\.\./\.\./packages|alias:" "$app/src" "$app/vite.config.ts" "$app/tsconfig.json"; then
    echo "storefront: its sources or config point into packages/sdk" >&2
    return 1
  fi
  echo "storefront: @ticketing/sdk is the packed tarball ($(node -p "require('$installed/package.json').version"))"
}

case "${1:-}" in
  build) build ;;
  *)
    echo "usage: scripts/storefront.sh build" >&2
    exit 2
    ;;
esac
