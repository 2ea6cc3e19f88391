# Sourced by scripts that need a throwaway embedded server: starts `ticketing-server all` on a free port with its
# own config dir, waits for its banner (written once its ticketctl contexts are), and stops it (and removes $work) on exit.
# Sets: work (temp dir), context (path of the ticketctl config), server_pid.
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_embedded_server() {
  export XDG_CONFIG_HOME="$work/config"
  TICKETING_PORT=0 node "$repo/packages/servers/dist/main.js" all >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    grep -q 'ticketing platform ready at' "$work/server.log" && break
    sleep 0.5
  done
  grep -q 'ticketing platform ready at' "$work/server.log" || { cat "$work/server.log" >&2; return 1; }
  context="$XDG_CONFIG_HOME/ticketctl/config.json"
}
