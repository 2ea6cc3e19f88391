#!/usr/bin/env bash
# Debian's Chromium for the storefront's browser tests (playwright-core drives it; nothing downloads a browser build).
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "no /usr/bin/chromium: install Debian's package (sudo apt-get install chromium)" >&2
  exit 1
fi
echo "installing Debian's chromium…" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
