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

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
workdir="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$workdir"
}
trap cleanup EXIT

# start NAME PORT [VAR=value ...]: a server with its own fresh database, waited for until healthy.
start() {
  local name="$1" port="$2"
  shift 2
  mkdir -p "$workdir/$name"
  (cd "$root" && env LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="target/site" \
    DATABASE_URL="sqlite://$workdir/$name/app.db" RUST_LOG="${RUST_LOG:-warn}" "$@" "$server") >"$workdir/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: the $name server exited during start-up:" >&2; cat "$workdir/$name.log" >&2; exit 1
    fi
    sleep 0.1
  done
  echo "error: the $name server did not become healthy" >&2; cat "$workdir/$name.log" >&2; exit 1
}

port="$(free_port)"
start default "$port"
# A server with a host name in PUBLIC_URL, for tests/security_keys.spec.ts (browsers take no IP
# address as a WebAuthn relying party's id).
keys_port="$(free_port)"
start keys "$keys_port" PUBLIC_URL="http://localhost:$keys_port"
# A second server whose policy makes HOTP enrollments, for tests/hotp.spec.ts.
hotp_port="$(free_port)"
start hotp "$hotp_port" OTP_TYPE=hotp
# A server with mail on, for tests/mail.spec.ts: a real SMTP server (aiosmtpd, the mail tests'
# server/tests/api/helpers/smtp_sink.py) writes every message to $workdir/mail, which the tests read.
mkdir -p "$workdir/mail"
python3 "$root/server/tests/api/helpers/smtp_sink.py" "$workdir/mail" >"$workdir/smtp_port" 2>"$workdir/smtp.log" &
pids+=("$!")
for _ in $(seq 1 100); do [ -s "$workdir/smtp_port" ] && break; sleep 0.1; done
smtp_port="$(head -n1 "$workdir/smtp_port")"
[ -n "$smtp_port" ] || { echo "error: the SMTP sink did not start:" >&2; cat "$workdir/smtp.log" >&2; exit 1; }
mail_port="$(free_port)"
start mail "$mail_port" SMTP_URL="smtp://127.0.0.1:$smtp_port?tls=none" MAIL_FROM="Sign-in <auth@example.test>"

# The gate, for tests/forward_auth.spec.ts: a server whose portal is auth.example.test behind
# Caddy (configured as the README says), in front of an app on app.example.test that shows who
# the gate said the visitor is. The browser maps *.example.test to 127.0.0.1.
proxy_port="$(free_port)"
gate_port="$(free_port)"
app_port="$(free_port)"
# /fresh/ on the app asks for a sign-in at most 5 seconds old (tests/forward_auth.spec.ts waits).
printf 'default_policy = "two_factor"\n\n[[rules]]\ndomain = "app.example.test"\nresources = ["^/fresh/"]\nmax_age = "5s"\npolicy = "two_factor"\n' >"$workdir/rules.toml"
start gate "$gate_port" PUBLIC_URL="http://auth.example.test:$proxy_port" COOKIE_DOMAIN=example.test \
  ACCESS_RULES_FILE="$workdir/rules.toml" REGISTRATION=open TRUSTED_PROXIES=127.0.0.1
node "$here/protected_app.mjs" "$app_port" >"$workdir/app.log" 2>&1 &
pids+=("$!")
mkdir -p "$workdir/caddy"
python3 "$here/proxy_config.py" "$root/README.md" "$proxy_port" "127.0.0.1:$gate_port" "127.0.0.1:$app_port" \
  >"$workdir/caddy/Caddyfile"
command -v caddy >/dev/null || { echo "error: caddy is not installed: run ./.ci/install-tools" >&2; exit 1; }
XDG_CONFIG_HOME="$workdir/caddy" XDG_DATA_HOME="$workdir/caddy" \
  caddy run --adapter caddyfile --config "$workdir/caddy/Caddyfile" >"$workdir/caddy.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do
  if curl -fsS --resolve "auth.example.test:$proxy_port:127.0.0.1" "http://auth.example.test:$proxy_port/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS --resolve "auth.example.test:$proxy_port:127.0.0.1" "http://auth.example.test:$proxy_port/healthz" >/dev/null \
  || { echo "error: Caddy did not come up:" >&2; cat "$workdir/caddy.log" >&2; exit 1; }

# An app that signs in with OpenID Connect against the default server, for
# tests/openid_connect.spec.ts: registered with the operator's command, then the npm
# `openid-client` relying party (end2end/relying_party.mjs).
rp_port="$(free_port)"
secret="$(cd "$root" && DATABASE_URL="sqlite://$workdir/default/app.db" RUST_LOG=warn "$server" oidc client add rp \
  --redirect-uri "http://127.0.0.1:$rp_port/callback" --name "The relying party" | sed -n 's/^client_secret: //p')"
[ -n "$secret" ] || { echo "error: server oidc client add printed no secret" >&2; exit 1; }
node "$here/relying_party.mjs" "$rp_port" "http://127.0.0.1:$port" rp "$secret" >"$workdir/rp.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$rp_port/" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$rp_port/" >/dev/null || { echo "error: the relying party did not come up:" >&2; cat "$workdir/rp.log" >&2; exit 1; }

# The console's administrator, for tests/console.spec.ts: made with the operator's commands, as
# the README says (the test turns on their two-factor authentication itself).
console_admin="console-admin"
console_password="console admin password"
(cd "$root" && printf '%s\n' "$console_password" | DATABASE_URL="sqlite://$workdir/default/app.db" RUST_LOG=warn \
  "$server" user add "$console_admin" >/dev/null \
  && DATABASE_URL="sqlite://$workdir/default/app.db" RUST_LOG=warn "$server" user set "$console_admin" --groups admins >/dev/null)

cd "$here"
status=0
BASE_URL="http://127.0.0.1:$port" HOTP_BASE_URL="http://127.0.0.1:$hotp_port" \
  PORTAL_URL="http://auth.example.test:$proxy_port" PROTECTED_APP_URL="http://app.example.test:$proxy_port" \
  RELYING_PARTY_URL="http://127.0.0.1:$rp_port" KEYS_BASE_URL="http://localhost:$keys_port" \
  MAIL_BASE_URL="http://127.0.0.1:$mail_port" MAIL_DIR="$workdir/mail" \
  CONSOLE_ADMIN="$console_admin" CONSOLE_ADMIN_PASSWORD="$console_password" \
  npx playwright test "$@" || status=$?
if [ "$status" -ne 0 ]; then
  for name in default keys hotp mail smtp gate caddy rp; do echo "--- $name log ---" >&2; tail -n 30 "$workdir/$name.log" >&2; done
fi
exit "$status"
