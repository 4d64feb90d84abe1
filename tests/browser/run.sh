#!/usr/bin/env bash
# The browser journeys: installs what they need, starts `creneau demo` on a free port with a
# temporary database, drives Debian's Chromium through the resident and staff journeys with
# axe-core audits, and exits non-zero on any failure. Works on a fresh clone (CI=true).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium (Debian package)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null; then
  echo "Node.js is needed (apt-get install nodejs npm)" >&2
  exit 1
fi

cd "$here"
npm ci --no-audit --no-fund --loglevel=error

cd "$root"
cargo build -q -p creneau --bin creneau
work="$(mktemp -d)"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export CRENEAU_BASE_URL="http://127.0.0.1:$port"

CRENEAU_MAIL_DIR="$work/mail" CRENEAU_WORKER=off CRENEAU_PUBLIC_URL="$CRENEAU_BASE_URL" \
  "$root/target/debug/creneau" demo --database "$work/demo.db" --listen "127.0.0.1:$port" >"$work/demo.log" 2>&1 &
demo_pid=$!
cleanup() {
  kill "$demo_pid" 2>/dev/null || true
  wait "$demo_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  if curl -fsS "$CRENEAU_BASE_URL/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "creneau demo stopped:" >&2
    cat "$work/demo.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS "$CRENEAU_BASE_URL/healthz" >/dev/null

# The staff login printed by the demo, last, once it answers.
for _ in $(seq 1 50); do grep -q 'Connexion agent' "$work/demo.log" && break; sleep 0.1; done
login="$(grep -m1 'Connexion agent' "$work/demo.log" | sed 's/.*: *//')"
export CRENEAU_STAFF_EMAIL="${login%% / *}"
export CRENEAU_STAFF_PASSWORD="${login##* / }"

cd "$here"
status=0
node --test --test-reporter=spec journeys.test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- creneau demo log (last lines) ---" >&2
  tail -n 40 "$work/demo.log" >&2
fi
exit "$status"
