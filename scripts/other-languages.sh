#!/usr/bin/env bash
# The contract is not tied to TypeScript: a Python client generated from proto/ (grpcio-tools from PyPI) and grpcurl
# (built with `go install`) call a running server — list services through reflection, create an event, read it back.
#   scripts/other-languages.sh            (starts an embedded server of its own)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/embedded-server.sh
source "$repo/scripts/lib/embedded-server.sh"
tools="$repo/.tools"
mkdir -p "$tools"

echo "--- start an embedded server"
start_embedded_server
read -r server token < <(node -e '
  const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), c = f.contexts[f.current];
  console.log(new URL(c.server).host, c.token);' "$context")
echo "server at $server"

echo "--- Python: stubs generated from proto/ with grpcio-tools"
python3 -m venv "$tools/py"
"$tools/py/bin/pip" install --quiet --disable-pip-version-check grpcio==1.85.1 grpcio-tools==1.85.1
mkdir -p "$work/gen"
# shellcheck disable=SC2046
"$tools/py/bin/python" -m grpc_tools.protoc -I proto --python_out="$work/gen" --grpc_python_out="$work/gen" \
  $(cd proto && find ticketing -name '*.proto')
"$tools/py/bin/python" -m grpc_tools.protoc -I proto --python_out="$work/gen" grpc/reflection/v1/reflection.proto
PYTHONPATH="$work/gen" "$tools/py/bin/python" clients/python/ticketing_client.py "$server" "$token"

echo "--- grpcurl"
if [[ ! -x $tools/go-bin/grpcurl ]]; then
  GOBIN="$tools/go-bin" go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
fi
grpcurl="$tools/go-bin/grpcurl"
"$grpcurl" -plaintext "$server" list
created=$("$grpcurl" -plaintext -H "authorization: Bearer $token" -d '{
  "name": "grpcurl Night", "startsAt": "2027-03-01T20:00:00Z", "endsAt": "2027-03-01T23:00:00Z",
  "ticketTypes": [{"name": "GA", "price": {"amountMinor": "1500", "currency": "EUR"}, "capacity": 30}]
}' "$server" ticketing.event.v1.EventService/CreateEvent)
echo "$created"
event_id=$(node -e 'console.log(JSON.parse(process.argv[1]).event.id)' "$created")
"$grpcurl" -plaintext -H "authorization: Bearer $token" -d "{\"eventId\": \"$event_id\"}" "$server" \
  ticketing.event.v1.EventService/GetEvent | tee "$work/read.json"
grep -q '"grpcurl Night"' "$work/read.json"
# Reflection serves imported files and the error details' files, so grpcurl can describe and decode them.
"$grpcurl" -plaintext "$server" describe ticketing.common.v1.Money | tee "$work/money.txt"
grep -q 'int64 amount_minor' "$work/money.txt"
if "$grpcurl" -plaintext -H "authorization: Bearer $token" -d '{"ticketId": "not-a-uuid", "quantity": 0}' "$server" \
  ticketing.checkout.v1.CheckoutService/AddToCart >"$work/refused.txt" 2>&1; then
  echo "AddToCart with quantity 0 was accepted"; exit 1
fi
cat "$work/refused.txt"
grep -q '"@type": "type.googleapis.com/ticketing.common.v1.BadRequest"' "$work/refused.txt"
grep -q '"description": "must be between 1 and 100"' "$work/refused.txt"
if grep -q 'is not recognized' "$work/refused.txt"; then echo "grpcurl could not decode an error detail"; exit 1; fi
echo "other languages: ok"
