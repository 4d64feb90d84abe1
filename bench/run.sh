#!/usr/bin/env bash
# The benchmarks, in one command: bash bench/run.sh  (writes docs/benchmarks.md)
#
# Every figure is measured in the same run as its reference, on this machine, and reported as
# a ratio; each pair is run BENCH_RUNS times (default 3), alternating, and the median is kept.
# Needs: wrk (apt-get install wrk), PostgreSQL on 127.0.0.1:5432 (BENCH_POSTGRES_URL, the
# admin URL, default postgres://postgres@127.0.0.1:5432/postgres), python3, Kannel for the
# SMS row (apt-get install kannel kannel-extras).
# Not part of cargo test nor of CI: it takes 25-35 minutes (the cold build included; BENCH_SKIP=coldbuild
# leaves it out) and wants a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${BENCH_RUNS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
PG_ADMIN=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ulimit -n 65536 2>/dev/null || true

if ! command -v wrk >/dev/null; then
  apt-get install -y -qq wrk >/dev/null
fi
if [[ ",${BENCH_SKIP:-}," != *",sms,"* ]] && [ ! -x /usr/sbin/bearerbox ]; then
  apt-get install -y -qq kannel kannel-extras >/dev/null
fi

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  echo "== building (release)"
  cargo build --release -q -p creneau -p creneau-bench
fi
BIN=$ROOT/target/release/creneau
BENCH=$ROOT/target/release/creneau-bench

WORK=$ROOT/target/bench-work
RESULTS=$WORK/results.jsonl
# BENCH_RESUME=1 keeps the results of an interrupted run and adds the phases not skipped.
if [ -z "${BENCH_RESUME:-}" ]; then
  rm -rf "$WORK"
  mkdir -p "$WORK"
  : >"$RESULTS"
fi
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # The databases of this run (made in subshells, so found by their prefix).
  psql "$PG_ADMIN" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'creneau_bench_%'" 2>/dev/null |
    while read -r db; do psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

record() { echo "$1" >>"$RESULTS"; }
# BENCH_SKIP=pretix,criterion,… leaves rows out (for a quick try of the script).
skip() { [[ ",${BENCH_SKIP:-}," == *",$1,"* ]]; }
# The cold build, in a target directory of its own (the release build above does not warm it).
if ! skip coldbuild; then
  echo "== cold build of the binary (bench/cold-build.sh)"
  bash bench/cold-build.sh
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_up() {
  for _ in $(seq 1 200); do curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server at $1 did not start" >&2
  return 1
}

# A fresh database URL for $1 = sqlite | postgres.
fresh_db() {
  local kind=$1 name
  name=creneau_bench_$(date +%s%N | tail -c 9)
  if [ "$kind" = sqlite ]; then
    echo "sqlite://$WORK/$name.db?mode=rwc"
  else
    psql "$PG_ADMIN" -qc "CREATE DATABASE $name" >/dev/null
    echo "${PG_ADMIN%/*}/$name"
  fi
}

PEAK_RSS_KB=0
note_rss() {
  local kb
  kb=$(awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
  record "{\"row\":\"rss\",\"phase\":\"$PHASE\",\"kb\":${kb:-0}}"
  if [ "${kb:-0}" -gt "$PEAK_RSS_KB" ]; then PEAK_RSS_KB=$kb; fi
}

# Starts `creneau serve` on database $1, its admin in organisation $2 (made when new;
# default "Ville de Test"); sets SERVER_PID, BASE, TOKEN.
serve() {
  local db=$1 org=${2:-Ville de Test} port
  port=$(free_port)
  # A second server on the same database finds the account there already.
  if ! out=$(printf 'mot-de-passe-de-banc' | CRENEAU_DATABASE_URL=$db "$BIN" staff add \
    --email banc@exemple.fr --name "Banc d'essai" --role admin --organisation-name "$org" 2>&1); then
    [[ "$out" == *"existe déjà"* ]] || { echo "$out" >&2; return 1; }
  fi
  # The worker is off: the outbox is measured apart (d). Logs as in production (info),
  # to a file. Rate limits raised: the load comes from one address.
  # PostgreSQL wants the server secret from the configuration (several instances share it).
  CRENEAU_SECRET=banc-d-essai-secret-de-serveur-0123456789abcdef \
  CRENEAU_DATABASE_URL=$db CRENEAU_LISTEN=127.0.0.1:$port CRENEAU_WORKER=off \
    CRENEAU_PUBLIC_URL=http://127.0.0.1:$port CRENEAU_MAIL_DIR=$WORK/mail \
    CRENEAU_RATE_PUBLIC_POST_PER_MINUTE=100000000 CRENEAU_RATE_PUBLIC_POST_BURST=100000000 \
    CRENEAU_RATE_LOGIN_PER_MINUTE=100000000 CRENEAU_RATE_LOGIN_BURST=100000000 \
    "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  BASE=http://127.0.0.1:$port
  wait_up "$BASE"
  TOKEN=$(curl -fsS -H 'content-type: application/json' \
    -d '{"email":"banc@exemple.fr","password":"mot-de-passe-de-banc"}' "$BASE/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}
stop_server() {
  note_rss "$SERVER_PID"
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
json_field() { python3 -c "import json,sys; v=json.load(sys.stdin)$1; print(','.join(map(str,v)) if isinstance(v,list) else v)"; }

# wrk, its output kept; prints the output file.
run_wrk() {
  local name=$1 conns=$2
  shift 2
  local out=$WORK/wrk-$name.txt
  wrk -t2 -c"$conns" -d"${SECONDS_PER_RUN}s" --timeout 10s --latency "$@" >"$out" 2>&1
  echo "$out"
}

if ! skip reads; then
echo "== (a) reads"
PHASE="reads (a)"
serve "$(fresh_db sqlite)"
SEED=$("$BENCH" seed "$BASE" "$TOKEN" 50 20)
PLACE=$(echo "$SEED" | json_field '["place"]')
MOTIF=$(echo "$SEED" | json_field '["motif"]')
curl -fsS "$BASE/api/v1/sessions" >"$WORK/sessions.json"
SLOTS_PATH="/api/v1/places/$PLACE/slots?motif=$MOTIF"
curl -fsS "$BASE$SLOTS_PATH" >"$WORK/slots.json"
N_SESSIONS=$(python3 -c "import json; print(len(json.load(open('$WORK/sessions.json'))))" )
N_SLOTS=$(python3 -c "import json; print(len(json.load(open('$WORK/slots.json'))['slots']))")
REF_PORT=$(free_port)
"$BENCH" fixed-json "$WORK/sessions.json" "127.0.0.1:$REF_PORT" &
REF_PID=$!
PIDS+=("$REF_PID")
REF_SLOTS_PORT=$(free_port)
"$BENCH" fixed-json "$WORK/slots.json" "127.0.0.1:$REF_SLOTS_PORT" &
PIDS+=($!)
sleep 1
for i in $(seq 1 "$RUNS"); do
  record "{\"row\":\"read_sessions\",\"side\":\"ours\",\"run\":$i,\"wrk\":\"$(run_wrk "sessions-ours-$i" 64 "$BASE/api/v1/sessions")\"}"
  record "{\"row\":\"read_sessions\",\"side\":\"reference\",\"run\":$i,\"wrk\":\"$(run_wrk "sessions-ref-$i" 64 "http://127.0.0.1:$REF_PORT/api/v1/sessions")\"}"
  record "{\"row\":\"read_slots\",\"side\":\"ours\",\"run\":$i,\"wrk\":\"$(run_wrk "slots-ours-$i" 64 "$BASE$SLOTS_PATH")\"}"
  record "{\"row\":\"read_slots\",\"side\":\"reference\",\"run\":$i,\"wrk\":\"$(run_wrk "slots-ref-$i" 64 "http://127.0.0.1:$REF_SLOTS_PORT$SLOTS_PATH")\"}"
done
# Where the time of a read goes: the same server on a one-query read and on the health check.
record "{\"row\":\"diag\",\"name\":\"GET /healthz (SELECT 1)\",\"wrk\":\"$(run_wrk diag-healthz 64 "$BASE/healthz")\"}"
record "{\"row\":\"diag\",\"name\":\"GET /api/v1/workshops (one query, one row)\",\"wrk\":\"$(run_wrk diag-workshops 64 "$BASE/api/v1/workshops")\"}"
record "{\"row\":\"diag\",\"name\":\"GET /api/v1/sessions, one connection\",\"wrk\":\"$(wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency "$BASE/api/v1/sessions" >"$WORK/wrk-diag-sessions-1.txt" 2>&1; echo "$WORK/wrk-diag-sessions-1.txt")\"}"
record "{\"row\":\"read_sizes\",\"sessions\":$N_SESSIONS,\"sessions_bytes\":$(stat -c %s "$WORK/sessions.json"),\"slots\":$N_SLOTS,\"slots_bytes\":$(stat -c %s "$WORK/slots.json")}"
stop_server

fi

if ! skip writes; then
for kind in sqlite postgres; do
  echo "== (b) writes on $kind"
  PHASE="writes (b), $kind"
  DB=$(fresh_db $kind)
  serve "$DB"
  SESSIONS=$("$BENCH" seed "$BASE" "$TOKEN" 200 500 | json_field '["sessions"]')
  for i in $(seq 1 "$RUNS"); do
    offset=$(( (i - 1) * 30000000 ))
    out=$(run_wrk "write-$kind-$i" 16 -s bench/register.lua "$BASE" -- "$SESSIONS" "$offset")
    record "{\"row\":\"write_$kind\",\"side\":\"ours\",\"run\":$i,\"wrk\":\"$out\"}"
    direct=$("$BENCH" write-direct "$DB" "$SESSIONS" 16 "$SECONDS_PER_RUN" "$offset")
    record "{\"row\":\"write_$kind\",\"side\":\"reference\",\"run\":$i,\"direct\":$direct}"
  done
  stop_server

  echo "== (c) flash crowd on $kind"
  PHASE="flash crowd (c), $kind"
  serve "$(fresh_db $kind)"
  FLASH=$("$BENCH" seed "$BASE" "$TOKEN" "$RUNS" 12 | json_field '["sessions"]')
  i=0
  for s in ${FLASH//,/ }; do
    i=$((i + 1))
    out=$("$BENCH" flash "$BASE" "$s" 1000 || true)
    record "{\"row\":\"flash_$kind\",\"run\":$i,\"result\":${out:-null}}"
  done
  stop_server
done

fi

if ! skip outbox; then
echo "== (d) outbox"
PHASE="seeding (d)"
DB=$(fresh_db sqlite)
serve "$DB"
OUTBOX_SESSIONS=$("$BENCH" seed "$BASE" "$TOKEN" $((20 * RUNS)) 500 | json_field '["sessions"]')
stop_server
IFS=, read -r -a ALL <<<"$OUTBOX_SESSIONS"
for i in $(seq 1 "$RUNS"); do
  part=$(IFS=,; echo "${ALL[*]:$(( (i - 1) * 20 )):20}")
  out=$("$BENCH" outbox "$DB" "$part" 10000 4)
  record "{\"row\":\"outbox\",\"run\":$i,\"result\":$out}"
done

fi

if ! skip stats; then
echo "== (h) statistics of a year"
for kind in sqlite postgres; do
  for i in $(seq 1 "$RUNS"); do
    DB=$(fresh_db "$kind")
    out=$("$BENCH" stats "$DB" 5)
    record "{\"row\":\"stats_$kind\",\"run\":$i,\"result\":$out}"
  done
done
fi

if ! skip export; then
echo "== (i) export of a year: peak RSS"
# The year of (h) seeded alone; one server exports a month of it, a fresh one the whole year,
# both formats of both exports: memory held per row would show as the year's peak above the
# month's.
for kind in sqlite postgres; do
  DB=$(fresh_db "$kind")
  YEAR_JSON=$("$BENCH" seed-year "$DB")
  ORG=$(echo "$YEAR_JSON" | json_field '["organisation"]')
  Y=$(echo "$YEAR_JSON" | json_field '["year"]')
  for span in month year; do
    PHASE="export (i), $kind, a $span"
    if [ "$span" = month ]; then from=$Y-03-01 to=$Y-03-31; else from=$Y-01-01 to=$Y-12-31; fi
    serve "$DB" "$ORG"
    before=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
    files=""
    for what in appointments records; do
      for format in csv xlsx; do
        out=$WORK/export-$kind-$span-$what.$format
        timing=$(curl -fsS -H "authorization: Bearer $TOKEN" -o "$out" -w '%{size_download} %{time_total}' \
          "$BASE/api/v1/admin/$what/export?from=$from&to=$to&format=$format")
        read -r bytes secs <<<"$timing"
        files="$files${files:+,}{\"what\":\"$what\",\"format\":\"$format\",\"bytes\":$bytes,\"seconds\":$secs,\"file\":\"$out\"}"
      done
    done
    after=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
    record "{\"row\":\"export\",\"kind\":\"$kind\",\"span\":\"$span\",\"from\":\"$from\",\"to\":\"$to\",\"before_kb\":$before,\"peak_kb\":$after,\"year\":$YEAR_JSON,\"files\":[$files]}"
    stop_server
  done
done
fi

if ! skip sms; then
echo "== (j) SMS through Kannel"
PHASE="seeding (j)"
SMS_MESSAGES=${BENCH_SMS_MESSAGES:-5000}
SMS_PER_RUN=$(( (SMS_MESSAGES + 499) / 500 ))
DB=$(fresh_db sqlite)
serve "$DB"
SMS_SESSIONS=$("$BENCH" seed "$BASE" "$TOKEN" $((SMS_PER_RUN * RUNS)) 500 | json_field '["sessions"]')
stop_server
IFS=, read -r -a ALL <<<"$SMS_SESSIONS"
for i in $(seq 1 "$RUNS"); do
  part=$(IFS=,; echo "${ALL[*]:$(( (i - 1) * SMS_PER_RUN )):$SMS_PER_RUN}")
  # The worker's own concurrency (Policy::default().parallel) on both sides.
  out=$("$BENCH" sms "$DB" "$part" "$SMS_MESSAGES" 4 $(( (i - 1) * SMS_MESSAGES )))
  record "{\"row\":\"sms\",\"run\":$i,\"result\":$out}"
done
fi

if ! skip criterion; then
  # Against the code of the baseline commit, built and run here in this same run: a
  # figure kept from another machine would measure the machine, not the code.
  BASE_REV=$(cat bench/baseline/slots.commit)
  echo "== (f) slot computation (criterion): $BASE_REV and this tree"
  BASE_DIR=$WORK/slots-baseline
  git worktree remove --force "$BASE_DIR" >/dev/null 2>&1 || true
  git worktree add --detach "$BASE_DIR" "$BASE_REV" >/dev/null
  export CRITERION_HOME=$WORK/criterion
  (cd "$BASE_DIR" && CARGO_TARGET_DIR=$ROOT/target cargo bench -q -p creneau --bench slots -- --noplot --save-baseline base) \
    >"$WORK/criterion-base.txt" 2>&1 || true
  cargo bench -q -p creneau --bench slots -- --noplot --save-baseline current >"$WORK/criterion.txt" 2>&1 || true
  git worktree remove --force "$BASE_DIR" >/dev/null 2>&1 || true
  record "{\"row\":\"criterion\",\"dir\":\"$CRITERION_HOME\",\"base_rev\":\"$BASE_REV\"}"
fi

if ! skip pretix; then
  echo "== (e) peer: pretix"
  # shellcheck source=bench/pretix.sh
  source bench/pretix.sh
  pretix_bench || echo "pretix run failed (see $WORK/pretix.log)"
fi

record "{\"row\":\"peak_rss_kb\",\"kb\":$PEAK_RSS_KB}"
if [ -f target/cold-build.json ]; then
  record "{\"row\":\"cold_build\",\"result\":$(cat target/cold-build.json)}"
fi
BENCH_NOTES_FILE=${BENCH_NOTES_FILE:-bench/notes.md} python3 bench/report.py "$RESULTS" "${BENCH_OUTPUT:-docs/benchmarks.md}"
echo "written ${BENCH_OUTPUT:-docs/benchmarks.md}"
