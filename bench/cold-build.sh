#!/usr/bin/env bash
# The cold build a newcomer waits for: `cargo run -- demo` on a fresh clone builds the binary
# and what it needs, nothing else. This builds exactly that (`cargo build --bin creneau`, debug)
# in a target directory of its own, from nothing, with `--timings`, and records the wall time,
# the CPU time and the slowest units in target/cold-build.json for bench/report.py.
#
# usage: bash bench/cold-build.sh   (crates already downloaded: their download is not counted)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=target/cold-build
rm -rf "$DIR"
mkdir -p target
cargo fetch -q
/usr/bin/time -f '%e %U %S %M' -o target/cold-build.time \
  cargo build -q --bin creneau --timings --target-dir "$DIR"
read -r wall user sys _ <target/cold-build.time
report=$(ls -t "$DIR"/cargo-timings/cargo-timing-*.html | head -1)
python3 - "$wall" "$user" "$sys" "$report" <<'PY'
import json, os, re, sys
wall, user, sys_, report = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
text = open(report).read()
# cargo's timing report embeds its units as JSON: name, version, duration.
m = re.search(r"const UNIT_DATA = (\[.*?\]);", text, re.S)
units = json.loads(m.group(1)) if m else []
slowest = sorted(units, key=lambda u: -u.get("duration", 0))[:6]
from datetime import datetime, timezone
json.dump({
    "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "wall_s": wall, "cpu_s": user + sys_, "cores": os.cpu_count(), "units": len(units),
    "slowest": [{"name": u["name"], "s": round(u["duration"], 1)} for u in slowest],
}, open("target/cold-build.json", "w"))
print(f"cold build of the binary: {wall:.0f} s wall, {user + sys_:.0f} s CPU, {len(units)} units")
PY
