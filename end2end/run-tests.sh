#!/usr/bin/env bash
# Runs the Playwright suite against the real server: started here on a free port with a fresh
# SQLite database, and always stopped afterwards (even when a test fails), so a stale server
# can never answer for a new build. Usage: end2end/run-tests.sh path/to/server [playwright args]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
server="${1:?usage: run-tests.sh path/to/server [playwright args]}"
shift
[ -x "$server" ] || { echo "error: no server binary at $server (build it first)" >&2; exit 1; }

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
workdir="$(mktemp -d)"
log="$workdir/server.log"
cleanup() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

(cd "$root" && LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="target/site" \
  DATABASE_URL="sqlite://$workdir/app.db" RUST_LOG="${RUST_LOG:-warn}" exec "$server") >"$log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "error: the server exited during start-up:" >&2; cat "$log" >&2; exit 1
  fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "error: the server did not become healthy" >&2; cat "$log" >&2; exit 1; }

cd "$here"
status=0
BASE_URL="http://127.0.0.1:$port" npx playwright test "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log ---" >&2; tail -n 50 "$log" >&2
fi
exit "$status"
