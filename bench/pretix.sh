# Sourced by bench/run.sh (uses its serve, run_wrk, record, fresh_db, free_port, PG_ADMIN):
# (e) pretix, from PyPI, under gunicorn on PostgreSQL, on this machine, against ours on
# PostgreSQL, over the REST APIs: an availability read and a free order.
#
#   pretix:  GET  /api/v1/organizers/bench/events/atelier/quotas/{id}/availability/
#            POST /api/v1/organizers/bench/events/atelier/orders/  (one free admission item)
#   ours:    GET  /api/v1/sessions/{id}          (seats left and waiting list of a session)
#            POST /api/v1/sessions/{id}/registrations
#
# Time-boxed: the install and the migration (3-4 minutes here) are cached in target/pretix and
# a template database; everything is bounded by `timeout`. Records a `pretix` row, `ran` or
# with the reason it did not.
pretix_bench() {
  local PX=$ROOT/target/pretix version=2026.8.0
  local log=$WORK/pretix.log
  mkdir -p "$PX/data"
  : >"$log"
  if ! "$PX/venv/bin/python" -c "import pretix; assert pretix.__version__ == '$version'" 2>/dev/null; then
    rm -rf "$PX/venv"
    python3 -m venv "$PX/venv"
    if ! timeout 900 "$PX/venv/bin/pip" install -q --disable-pip-version-check "pretix==$version" gunicorn >>"$log" 2>&1; then
      record '{"row":"pretix","status":"failed","why":"pip install pretix failed or took over 15 minutes (see target/bench-work/pretix.log)"}'
      return 1
    fi
  fi
  local port
  port=$(free_port)
  cat >"$PX/pretix.cfg" <<EOF
[pretix]
instance_name=bench
url=http://127.0.0.1:$port
currency=EUR
datadir=$PX/data
[database]
backend=postgresql
name=pretix_bench_run
user=postgres
host=127.0.0.1
port=5432
[mail]
from=bench@example.org
host=127.0.0.1
port=9
[django]
secret=bench-only-secret
debug=off
EOF
  export PRETIX_CONFIG_FILE=$PX/pretix.cfg
  # The migrated schema is kept as a template database: migrating takes minutes.
  if ! psql "$PG_ADMIN" -Atc "SELECT 1 FROM pg_database WHERE datname='pretix_bench_template'" | grep -q 1; then
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS pretix_bench_run" -c "CREATE DATABASE pretix_bench_run" >/dev/null 2>&1
    if ! timeout 900 "$PX/venv/bin/python" -m pretix migrate >>"$log" 2>&1; then
      record '{"row":"pretix","status":"failed","why":"pretix migrate failed or took over 15 minutes (see target/bench-work/pretix.log)"}'
      return 1
    fi
    psql "$PG_ADMIN" -qc "ALTER DATABASE pretix_bench_run RENAME TO pretix_bench_template" >/dev/null
  fi
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS pretix_bench_run" >/dev/null 2>&1
  psql "$PG_ADMIN" -qc "CREATE DATABASE pretix_bench_run TEMPLATE pretix_bench_template" >/dev/null
  local setup token item quota
  setup=$(timeout 300 "$PX/venv/bin/python" -m pretix shell <"$ROOT/bench/pretix_setup.py" 2>>"$log" | grep PRETIX_SETUP || true)
  if [ -z "$setup" ]; then
    record '{"row":"pretix","status":"failed","why":"creating the pretix organizer, event and API token failed (see target/bench-work/pretix.log)"}'
    return 1
  fi
  read -r _ token item quota <<<"$setup"
  # Two gunicorn workers: one per core, as pretix's documentation sizes them.
  (cd "$PX" && exec "$PX/venv/bin/gunicorn" pretix.wsgi --workers 2 --bind "127.0.0.1:$port" >>"$log" 2>&1) &
  local gpid=$!
  PIDS+=("$gpid")
  local pbase=http://127.0.0.1:$port
  for _ in $(seq 1 300); do
    curl -fsS -H "Authorization: Token $token" "$pbase/api/v1/organizers/bench/events/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  local avail_path=/api/v1/organizers/bench/events/atelier/quotas/$quota/availability/
  if ! curl -fsS -H "Authorization: Token $token" "$pbase$avail_path" >/dev/null; then
    record '{"row":"pretix","status":"failed","why":"gunicorn did not serve pretix (see target/bench-work/pretix.log)"}'
    kill "$gpid" 2>/dev/null || true
    return 1
  fi

  PHASE="pretix comparison (e), postgres"
  serve "$(fresh_db postgres)"
  local sessions first
  sessions=$("$BENCH" seed "$BASE" "$TOKEN" 200 500 | json_field '["sessions"]')
  first=${sessions%%,*}
  local i out
  for i in $(seq 1 "$RUNS"); do
    out=$(run_wrk "pretix-avail-$i" 16 -H "Authorization: Token $token" "$pbase$avail_path")
    record "{\"row\":\"pretix_raw\",\"name\":\"availability\",\"side\":\"pretix\",\"run\":$i,\"wrk\":\"$out\"}"
    out=$(run_wrk "pretix-ours-avail-$i" 16 "$BASE/api/v1/sessions/$first")
    record "{\"row\":\"pretix_raw\",\"name\":\"availability\",\"side\":\"ours\",\"run\":$i,\"wrk\":\"$out\"}"
    out=$(run_wrk "pretix-order-$i" 16 -s "$ROOT/bench/pretix-order.lua" "$pbase/api/v1/organizers/bench/events/atelier/orders/" -- "$token" "$item")
    record "{\"row\":\"pretix_raw\",\"name\":\"order\",\"side\":\"pretix\",\"run\":$i,\"wrk\":\"$out\"}"
    out=$(run_wrk "pretix-ours-order-$i" 16 -s "$ROOT/bench/register.lua" "$BASE" -- "$sessions" $(( i * 1000000 )))
    record "{\"row\":\"pretix_raw\",\"name\":\"order\",\"side\":\"ours\",\"run\":$i,\"wrk\":\"$out\"}"
  done
  stop_server
  kill "$gpid" 2>/dev/null || true
  wait "$gpid" 2>/dev/null || true
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS pretix_bench_run" >/dev/null 2>&1 || true
  record "{\"row\":\"pretix\",\"status\":\"ran\",\"pretix_version\":\"$version\",\"workers\":2}"
}
