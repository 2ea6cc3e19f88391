#!/usr/bin/env bash
# Installs @ticketing/sdk and @ticketing/cli the way users do — from `npm pack` tarballs into an empty project with
# no access to this workspace — and uses them against a running embedded server:
#   (a) a script imports @ticketing/sdk, creates an event and places an order;
#   (b) the installed `ticketctl --version` and `ticketctl event list` work;
# then bundles the SDK's browser entry with esbuild (no Node built-ins allowed) and prints its gzipped size, and runs
# publint and are-the-types-wrong on both packages.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/embedded-server.sh
source "$repo/scripts/lib/embedded-server.sh"

npx tsc -b

echo "--- lint the packages (publint, are-the-types-wrong)"
npx publint packages/sdk --strict
npx publint packages/cli --strict
(cd packages/sdk && npx attw --pack . --profile esm-only)
(cd packages/cli && npx attw --pack . --profile esm-only --entrypoints package.json)

echo "--- pack"
(cd packages/sdk && npm pack --silent --pack-destination "$work" >/dev/null)
(cd packages/cli && npm pack --silent --pack-destination "$work" >/dev/null)
ls -l "$work"/*.tgz

echo "--- install the tarballs into an empty project"
mkdir -p "$work/app"
cd "$work/app"
cat >package.json <<'JSON'
{ "name": "packed-install-check", "version": "1.0.0", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --silent "$work"/ticketing-sdk-*.tgz "$work"/ticketing-cli-*.tgz esbuild@0.28.2
test ! -e node_modules/@ticketing/sdk/src || { echo "the SDK tarball ships its sources"; exit 1; }

echo "--- start an embedded server"
start_embedded_server
server=$(node -e 'const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(f.contexts[f.current].server)' "$context")

echo "--- (a) the SDK from the tarball: create an event, place an order"
cat >use-sdk.mjs <<'JS'
import { readFileSync } from "node:fs";
import { createTicketingClient, checkout } from "@ticketing/sdk";
const file = JSON.parse(readFileSync(process.argv[2], "utf8"));
const ctx = file.contexts[file.current];
const admin = createTicketingClient({ baseUrl: ctx.server, token: ctx.token });
const buyer = createTicketingClient({ baseUrl: ctx.server, token: ctx.customerToken, protocol: "connect" });
const { event } = await admin.events.createEvent({
  name: "Packed install check",
  startsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86400) },
  endsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 90000) },
  ticketTypes: [{ name: "GA", price: { amountMinor: 2500n, currency: "EUR" }, capacity: 10 }],
});
await buyer.checkout.addToCart({ ticketId: event.ticketTypes[0].id, quantity: 2 });
const { order } = await buyer.checkout.placeOrder({});
if (order.status !== checkout.OrderStatus.PENDING_PAYMENT || order.total.amountMinor !== 5000n) {
  throw new Error(`unexpected order ${JSON.stringify(order)}`);
}
console.log(`sdk: event ${event.id} created, order ${order.id} placed, ${order.total.amountMinor} ${order.total.currency} awaiting payment`);
JS
node use-sdk.mjs "$context"

echo "--- (b) the installed ticketctl"
./node_modules/.bin/ticketctl --version
./node_modules/.bin/ticketctl event list

echo "--- the browser entry bundles without Node built-ins"
cat >browser.mjs <<'JS'
import { createTicketingClient } from "@ticketing/sdk";
const client = createTicketingClient({ baseUrl: location.origin });
client.events.listEvents({}).then((r) => console.log(r.events.length));
JS
npx esbuild browser.mjs --bundle --platform=browser --format=esm --minify --outfile=bundle.js --log-level=warning
if grep -qE '"node:|require\("(http2?|https|net|tls|zlib)"\)' bundle.js; then
  echo "the browser bundle pulls in Node built-ins"
  exit 1
fi
node -e '
  const fs = require("fs"), zlib = require("zlib");
  const raw = fs.readFileSync("bundle.js");
  console.log(`browser bundle: ${(raw.length / 1024).toFixed(1)} KiB minified, ${(zlib.gzipSync(raw, { level: 9 }).length / 1024).toFixed(1)} KiB gzipped`);
'
echo "packed install: ok"
