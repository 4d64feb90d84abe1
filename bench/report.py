#!/usr/bin/env python3
"""Turns the results of bench/run.sh into docs/benchmarks.md.

usage: report.py RESULTS.jsonl OUTPUT.md SLOTS_BASELINE.json

Each row is a median over the runs; every ratio compares two figures measured in the same
run on the same machine. The slot-computation baseline is written when it does not exist yet
(commit it); afterwards a median more than 20 % slower than it is reported as a regression and
makes this script exit 1.
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from datetime import datetime, timezone

results_path, output_path = sys.argv[1:3]
rows = [json.loads(line) for line in open(results_path) if line.strip()]


def wrk(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = None
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if m:
        p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:(.*)", text)
    total = int(re.search(r"(\d+) requests in", text).group(1))
    return {
        "rps": rps,
        "p99_ms": p99,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
        "requests": total,
    }


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pick(row, side=None):
    return [r for r in rows if r["row"] == row and (side is None or r.get("side") == side)]


def yes(ok):
    return "**met**" if ok else "**not met**"


out = []
w = out.append
# A report made again from kept results says when they were measured (BENCH_MEASURED_AT).
now = os.environ.get("BENCH_MEASURED_AT") or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
ncpu = os.cpu_count()
runs = max([r.get("run", 1) for r in rows] + [1])
w("# Benchmarks")
w("")
w(f"Measured {now} by `bash bench/run.sh` on {ncpu} cores ({cpu}), {platform.system()} "
  f"{platform.release()}; release build; median of {runs} runs, ours and its reference "
  "alternating in the same run. The load generator runs on the same cores as the server: "
  "absolute figures are those of this shared machine, the ratios are what to compare.")
w("")
w("| | figure | reference | ratio | target | |")
w("|---|---|---|---|---|---|")
summary = []
details = []

# (a) reads
sizes = (pick("read_sizes") or [{}])[0]
for row, label, what in [
    ("read_sessions", "(a) `GET /api/v1/sessions`", f"{sizes.get('sessions')} upcoming sessions, {sizes.get('sessions_bytes')} bytes"),
    ("read_slots", "(a) `GET /api/v1/places/{id}/slots` (4 weeks)", f"{sizes.get('slots')} free slots, {sizes.get('slots_bytes')} bytes"),
]:
    ours = [wrk(r["wrk"]) for r in pick(row, "ours")]
    ref = [wrk(r["wrk"]) for r in pick(row, "reference")]
    if not ours or not ref:
        continue
    o, rf = med([x["rps"] for x in ours]), med([x["rps"] for x in ref])
    p99 = med([x["p99_ms"] for x in ours])
    ratio = o / rf
    ok = ratio >= 0.8 and p99 is not None and p99 <= 10
    bad = sum(x["non2xx"] for x in ours)
    w(f"| {label} | {o:,.0f} req/s, p99 {p99:.1f} ms | {rf:,.0f} req/s (poem, fixed body of the same size) "
      f"| {ratio:.2f} | ≥ 0.8 and p99 ≤ 10 ms at 64 connections | {yes(ok)} |")
    details.append(f"- {label}: {what}; wrk -t2 -c64 -d{{S}}s; runs (ours req/s): "
                   + ", ".join(f"{x['rps']:,.0f}" for x in ours)
                   + "; reference: " + ", ".join(f"{x['rps']:,.0f}" for x in ref)
                   + (f"; **{bad} non-2xx answers**" if bad else "; every answer 200"))
    summary.append((label, ok))

# (b) writes
for kind in ["sqlite", "postgres"]:
    ours = [wrk(r["wrk"]) for r in pick(f"write_{kind}", "ours")]
    ref = [r["direct"] for r in pick(f"write_{kind}", "reference")]
    if not ours or not ref:
        continue
    o = med([x["rps"] for x in ours])
    rf = med([x["per_second"] for x in ref])
    ratio = o / rf
    bad = sum(x["non2xx"] for x in ours)
    p99 = med([x["p99_ms"] for x in ours])
    ok = ratio >= 0.8 and bad == 0 and p99 is not None and p99 <= 100
    label = f"(b) registrations, {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}"
    w(f"| {label} | {o:,.0f} registrations/s over HTTP, p99 {p99:.1f} ms "
      f"| {rf:,.0f}/s, same transaction in-process through sea-orm (16 tasks) | {ratio:.2f} | ≥ 0.8 and p99 ≤ 100 ms | {yes(ok)} |")
    details.append(f"- {label}: 200 sessions of 500 seats, round-robin, a new person per request; "
                   "wrk -t2 -c16 with bench/register.lua; runs (HTTP/s): "
                   + ", ".join(f"{x['rps']:,.0f}" for x in ours) + "; in-process: "
                   + ", ".join(f"{x['per_second']:,.0f}" for x in ref)
                   + (f"; **{bad} non-2xx answers**" if bad else "; every answer 201"))
    summary.append((label, ok))

# (c) flash crowd
for kind in ["sqlite", "postgres"]:
    fl = [r["result"] for r in pick(f"flash_{kind}")]
    if not fl:
        continue
    good = [f for f in fl if f and f.get("counts_ok")]
    p99 = med([f["p99_s"] for f in fl if f])
    ok = len(good) == len(fl) and p99 is not None and p99 <= 1.0
    label = f"(c) flash crowd, {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}"
    counts = "; ".join(
        f"{f['confirmed']} confirmed / {f['waitlisted']} waitlisted / {f['unanswered_or_errors']} unanswered"
        if f else "failed" for f in fl)
    w(f"| {label} | 1,000 clients at once on 12 seats: p99 {p99:.2f} s | exact counts in {len(good)}/{len(fl)} runs "
      f"| – | exactly 12 confirmed, the rest waitlisted, all answered, p99 ≤ 1 s | {yes(ok)} |")
    details.append(f"- {label}: each client its own connection, released together by a barrier; per run: {counts}; "
                   "p99 per run: " + ", ".join(f"{f['p99_s']:.2f} s" for f in fl if f)
                   + "; the session's own counters (seats left 0, waiting list 988) checked after each run")
    summary.append((label, ok))

# (d) outbox
ob = [r["result"] for r in pick("outbox")]
if ob:
    o = med([x["ours_per_second"] for x in ob])
    rf = med([x["reference_per_second"] for x in ob])
    ratio = o / rf
    ok = ratio >= 0.7
    w(f"| (d) outbox delivery | {o:,.0f} messages/s | {rf:,.0f}/s, lettre (TCP_NODELAY), same bytes, same 4 connections "
      f"| {ratio:.2f} | ≥ 0.7 | {yes(ok)} |")
    details.append(f"- (d) outbox: {ob[0]['messages']} due messages (confirmations of 10,000 registrations, SQLite) "
                   "delivered by the worker (`try_deliver_batch_with`, 4 in parallel, batches of 50: claim, render, "
                   "send, record, token scrubbed) to a loopback SMTP server (creneau-tests' TestSmtpServer); "
                   "then the bytes it received sent again by lettre alone. Runs (ours/s): "
                   + ", ".join(f"{x['ours_per_second']:,.0f}" for x in ob) + "; reference: "
                   + ", ".join(f"{x['reference_per_second']:,.0f}" for x in ob))
    summary.append(("(d) outbox", ok))

# (h) statistics of a year
for kind, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
    st = [r["result"] for r in pick(f"stats_{kind}")]
    if not st:
        continue
    m = med([x["median_ms"] for x in st])
    ok = m <= 200
    records = st[0].get("records", 0)
    w(f"| (h) statistics of a year, {label} | {m:,.0f} ms (`statistics::compute`, {st[0]['bookings']:,} bookings, "
      f"{records:,} activity records) | – | – | ≤ 200 ms | {yes(ok)} |")
    details.append(f"- (h) statistics, {label}: one year for 20 places ({st[0]['registrations']:,} registrations in "
                   f"2,200 sessions, {st[0]['appointments']:,} appointments, {st[0]['people']:,} people, "
                   f"{records:,} completed activity records: one per session, one per honoured appointment, two "
                   "themes each, an autonomy outcome for each individual one), seeded by batched inserts then "
                   "`ANALYZE`; `compute` for the year timed 5 times per run, its summary of themes and autonomy "
                   f"included (checked: it counted {st[0].get('records_summarised', 0):,} records); medians per run: "
                   + ", ".join(f"{x['median_ms']:,.0f} ms" for x in st)
                   + "; CPU time of the process per `compute` (SQLite: the database's work included): "
                   + ", ".join(f"{x['process_cpu_ms']:,.0f} ms" for x in st))
    summary.append((f"(h) statistics {kind}", ok))


def export_rows(path, fmt):
    """Data rows of an export file (its header row left out); None when it cannot be read."""
    try:
        if fmt == "csv":
            import csv
            with open(path, encoding="utf-8-sig", newline="") as f:
                return sum(1 for _ in csv.reader(f)) - 1
        import openpyxl
        return openpyxl.load_workbook(path, read_only=True).active.max_row - 1
    except Exception:  # noqa: BLE001 - a figure missing, not a failed report
        return None


# (i) export of a year: peak RSS
for kind, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
    ex = {r["span"]: r for r in pick("export") if r["kind"] == kind}
    year, month = ex.get("year"), ex.get("month")
    if not year or not month:
        continue
    peak = year["peak_kb"] / 1024
    # Holding the rows would make the year's peak exceed the month's by about the size of the
    # largest file (twelve times the month's rows): "constant" means well under half of it.
    largest = max(f["bytes"] for f in year["files"]) / 1024 / 1024
    growth = (year["peak_kb"] - month["peak_kb"]) / 1024
    constant = growth < largest / 2
    ok = peak <= 64 and constant
    counts = ", ".join(
        f"{f['what']}.{f['format']} {f['bytes'] / 1024 / 1024:.1f} MiB"
        + (f" ({n:,} rows)" if (n := export_rows(f["file"], f["format"])) is not None else "")
        + f" in {f['seconds']:.1f} s"
        for f in year["files"])
    w(f"| (i) export of a year, {label}: peak RSS | {peak:.1f} MiB (VmHWM of `creneau serve`; a month's export: "
      f"{month['peak_kb'] / 1024:.1f} MiB) | – | – | ≤ 64 MiB, the year's peak within half its largest file of "
      f"the month's | {yes(ok)} |")
    details.append(f"- (i) export, {label}: the year of (h) seeded alone (`creneau-bench seed-year`); a fresh "
                   "`creneau serve` (worker off) signs in, then downloads `GET /api/v1/admin/appointments/export` "
                   "and `GET /api/v1/admin/records/export` as CSV and XLSX one after the other; VmHWM read after "
                   f"sign-in ({year['before_kb'] / 1024:.1f} MiB: Argon2id's 19 MiB included) and after the four "
                   f"downloads. The year ({year['from']} to {year['to']}): {counts}. The same on another fresh "
                   f"server for {month['from']} to {month['to']}: peak {month['peak_kb'] / 1024:.1f} MiB; growth "
                   f"from a month to a year: {growth:+.1f} MiB")
    summary.append((f"(i) export {kind}", ok))

# (j) SMS through Kannel
sm = [r["result"] for r in pick("sms")]
if sm:
    o = med([x["ours_per_second"] for x in sm])
    rf = med([x["reference_per_second"] for x in sm])
    ratio = o / rf
    once = all(x.get("each_once") for x in sm)
    ok = ratio >= 0.7 and once
    w(f"| (j) SMS through Kannel | {o:,.0f} messages/s | {rf:,.0f}/s, the same messages straight to Kannel's "
      f"`sendsms`, {sm[0]['parallel']} at a time | {ratio:.2f} | ≥ 0.7, each received once | {yes(ok)} |")
    details.append(f"- (j) SMS: {sm[0]['messages']:,} due confirmation SMS (phone-only registrations, SMS accepted by "
                   f"default, SQLite; {sm[0]['segments']:,} segments) delivered by the outbox worker (`deliver_due`, "
                   f"{sm[0]['parallel']} in parallel) to Kannel's `sendsms` (`kannel://…`; bearerbox, smsbox and "
                   "fakesmsc from Debian's packages, started by creneau-tests' `TestKannel`, the configuration of "
                   "the Kannel tests), timed until fakesmsc had received every message; then the messages the "
                   "worker handed over sent again, the same query each, straight to `sendsms` on a fresh gateway "
                   f"by {sm[0]['parallel']} tasks of creneau-bench (reqwest), timed the same way. Each side checked "
                   "at fakesmsc: every number received exactly one message"
                   + ("" if once else " (**not so in every run**)")
                   + ". Runs (ours/s): " + ", ".join(f"{x['ours_per_second']:,.0f}" for x in sm)
                   + "; reference: " + ", ".join(f"{x['reference_per_second']:,.0f}" for x in sm))
    summary.append(("(j) SMS", ok))

# (e) pretix
px = pick("pretix")
if px:
    p = px[0]
    if p.get("status") == "ran":
        labels = {
            "availability": ("availability read", "`GET /api/v1/sessions/{id}`",
                             "`GET …/quotas/{id}/availability/`"),
            "order": ("free order", "`POST /api/v1/sessions/{id}/registrations`",
                      "`POST …/events/{e}/orders/` (one free admission)"),
        }
        for name, (what, ours_op, their_op) in labels.items():
            raw = [r for r in rows if r["row"] == "pretix_raw" and r["name"] == name]
            ours = [wrk(r["wrk"]) for r in raw if r["side"] == "ours"]
            theirs = [wrk(r["wrk"]) for r in raw if r["side"] == "pretix"]
            o, rf = med([x["rps"] for x in ours]), med([x["rps"] for x in theirs])
            if not rf:
                w(f"| (e) vs pretix {p['pretix_version']}: {what} | {o:,.0f} req/s ({ours_op}) | pretix completed no "
                  f"request within the run ({their_op}) | – | ≥ 100× | **not measured** |")
                summary.append((f"(e) {name}", None))
                continue
            ratio = o / rf
            ok = ratio >= 100
            w(f"| (e) vs pretix {p['pretix_version']}: {what} | {o:,.0f} req/s ({ours_op}) | {rf:,.1f} req/s ({their_op}) "
              f"| {ratio:,.0f}× | ≥ 100× | {yes(ok)} |")
            bad_o = sum(x["non2xx"] for x in ours)
            bad_t = sum(x["non2xx"] for x in theirs)
            details.append(f"- (e) {what}: wrk -t2 -c16; ours per run " + ", ".join(f"{x['rps']:,.0f}" for x in ours)
                           + "; pretix per run " + ", ".join(f"{x['rps']:,.1f}" for x in theirs)
                           + f"; non-2xx answers: ours {bad_o}, pretix {bad_t}")
            summary.append((f"(e) {name}", ok))
        details.append("- (e) pretix " + p["pretix_version"] + " from PyPI in a venv under target/pretix, gunicorn with "
                       "2 workers (one per core), PostgreSQL on this machine (the same server as ours, which also runs "
                       "on PostgreSQL for this row), default settings (no Redis: celery tasks run in the request, "
                       "as in a small installation; its order e-mails go to a closed port and fail fast). "
                       "Ours: `creneau serve` with its outbox worker off (the e-mails wait in the outbox).")
    else:
        w("| (e) vs pretix | not measured | – | – | ≥ 100× | **not run** |")
        details.append("- (e) pretix could not be run here: " + p.get("why", "see bench/pretix.sh"))
        summary.append(("(e) pretix", None))

# (f) criterion: this tree against the baseline commit, both measured in this run
crit_rows = pick("criterion")
if crit_rows:
    d = crit_rows[0]["dir"]
    rev = crit_rows[0]["base_rev"][:10]

    def medians(which):
        found = {}
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            bj = os.path.join(d, name, which, "benchmark.json")
            ej = os.path.join(d, name, which, "estimates.json")
            if os.path.exists(bj) and os.path.exists(ej):
                found[json.load(open(bj))["full_id"]] = json.load(open(ej))["median"]["point_estimate"]
        return found

    base, current = medians("base"), medians("current")
    for full, ns in current.items():
        b = base.get(full)
        ratio = ns / b if b else None
        ok = ratio is None or ratio <= 1.2
        w(f"| (f) `{full}` | {ns / 1000:,.1f} µs | {rev}: {b / 1000:,.1f} µs | {ratio:.2f} | ≤ 1.20 of the baseline commit, same run | {yes(ok)} |"
          if b else f"| (f) `{full}` | {ns / 1000:,.1f} µs | not in {rev} | – | ≤ 1.20 | – |")
        summary.append((f"(f) {full}", ok))
    details.append("- (f) `cargo bench -p creneau --bench slots` (criterion, median), run on this tree and on the "
                   f"baseline commit {rev} (`bench/baseline/slots.commit`) checked out and built in the same run")

# (g) RSS
rss = pick("peak_rss_kb")
if rss:
    # The largest of every phase (a resumed run records its own peak too).
    mib = max([r["kb"] for r in rss] + [r["kb"] for r in pick("rss")]) / 1024
    ok = 0 < mib <= 64
    w(f"| (g) peak RSS of `creneau serve` | {mib:.1f} MiB | – | – | ≤ 64 MiB | {yes(ok)} |")
    details.append("- (g) VmHWM of each `creneau serve` process after its load (reads, writes, flash crowds), the largest kept")
    summary.append(("(g) RSS", ok))

# Cold build of the binary (bench/cold-build.sh)
cold = pick("cold_build")
if cold:
    c = cold[0]["result"]
    ok = c["wall_s"] <= 300
    w(f"| cold build of `cargo run -- demo` | {c['wall_s'] / 60:.1f} min wall, {c['cpu_s']:,.0f} s CPU "
      f"| – | – | ≤ 5 min wall on {c['cores']} cores | {yes(ok)} |")
    details.append(f"- cold build: `bash bench/cold-build.sh` (measured {c['measured_at']}): `cargo build --bin creneau "
                   f"--timings` in an empty target directory, debug, crates already downloaded; {c['units']} units; "
                   "slowest: " + ", ".join(f"{u['name']} {u['s']:.0f} s" for u in c["slowest"]))
    summary.append(("cold build", ok))

diag = pick("diag")
if diag:
    details.append("- Where a read's time goes (same server, same data, wrk -c64 unless said): " + "; ".join(
        f"{d['name']}: {wrk(d['wrk'])['rps']:,.0f} req/s, p99 {wrk(d['wrk'])['p99_ms']:.1f} ms" for d in diag))
rss_rows = pick("rss")
if rss_rows:
    details.append("- Peak RSS (VmHWM) by phase: " + "; ".join(f"{r['phase']}: {r['kb'] / 1024:.1f} MiB" for r in rss_rows))

w("")
w("## How each figure was made")
w("")
secs = os.environ.get("BENCH_SECONDS", "10")
for d in details:
    w(d.replace("{S}", secs))
w("")
w("Commands: `bash bench/run.sh` (set `BENCH_RUNS`, `BENCH_SECONDS`, `BENCH_POSTGRES_URL` to change the runs); "
  "its raw outputs are kept in `target/bench-work/` (wrk reports, JSON of each run, `server.log`).")
w("")
notes = os.environ.get("BENCH_NOTES_FILE")
if notes and os.path.exists(notes):
    w(open(notes).read())
open(output_path, "w").write("\n".join(out) + "\n")
regressed = [name for name, ok in summary if name.startswith("(f)") and ok is False]
if regressed:
    print("slot computation regressed more than 20 %:", regressed, file=sys.stderr)
    sys.exit(1)
