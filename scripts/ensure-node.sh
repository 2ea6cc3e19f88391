#!/usr/bin/env bash
# Makes sure a Node.js >= 22.12 is available for this repo. Uses the repo-local one in .tools/node when present,
# else a system node that is new enough, else installs Node 24 from the npm registry into .tools/node.
# Prints the bin directory to put first on PATH.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_dir="$repo/.tools/node"
want_major=24

new_enough() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null
}

if [[ -x "$local_dir/bin/node" ]] && new_enough "$local_dir/bin/node"; then
  echo "$local_dir/bin"
  exit 0
fi
if [[ "${TICKETING_NODE:-auto}" != "local" ]] && command -v node >/dev/null && new_enough "$(command -v node)"; then
  dirname "$(command -v node)"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "ensure-node: no Node >= 22.12 and no npm to install one with; install Node 24 first" >&2
  exit 1
fi
echo "ensure-node: installing Node $want_major from the npm registry into .tools/node" >&2
rm -rf "$local_dir"
# Plain install: the package's own preinstall step fetches the platform binary from the registry. npm 11 warns that
# this step is "not yet covered by allowScripts", but a global install has no package.json to record an approval in,
# and --allow-scripts=node breaks the nested install that step runs; so the step runs as it always has and its
# notice is left out here. The project's own approvals are in package.json's allowScripts.
npm install --global --prefix "$local_dir" --no-audit --no-fund "node@$want_major" 2>&1 \
  | { grep -v '^npm warn install-scripts' || true; } >&2
if ! new_enough "$local_dir/bin/node"; then
  echo "ensure-node: the installed node does not run; see the npm output above" >&2
  exit 1
fi
echo "ensure-node: $("$local_dir/bin/node" --version) ready" >&2
echo "$local_dir/bin"
