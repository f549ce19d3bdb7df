#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# GET /metrics against the real daemon (--probe sim at 4 MHz SWCLK, where the
# NVMC stalls the bus and the probe sees WAITs): checked by two parsers
# nobody here wrote, `promtool check metrics` (Debian prometheus) and the
# prometheus_client text parser (Debian python3-prometheus-client), and the
# values compared with what the jobs API reports.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_daemon

need promtool "Debian prometheus; make deps-check"
PY=/usr/bin/python3
$PY -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "python3-prometheus-client not installed (make deps-check)"

dstart m --probe "sim:part=nrf52840,period_ns=250,state=$T/chip.bin" || die "daemon start"

scrape() { curl -sf --max-time 60 -D "$T/mhdr" -o "$1" "$URL/metrics"; }

check "GET /metrics answers 200" scrape "$T/m0.txt"
check "content type is the text format 0.0.4" \
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/mhdr"
check "promtool accepts the idle metrics" promtool check metrics <"$T/m0.txt"

# one job that succeeds, one that fails (erase=none over different contents)
req POST "/api/v1/flash?wait=1&name=s140" --data-binary @"$FIX/s140_nrf52_6.1.1_softdevice.hex"
check "s140 flashed" [ "$ST" = 200 ]
cp "$T/body" "$T/job1.json"
req POST "/api/v1/flash?wait=1&erase=none&name=s132" --data-binary @"$FIX/s132_nrf52_6.1.1_softdevice.hex"
assert "s132 over it with erase=none fails ($ST)" '[ "$ST" != 200 ] && [ "$ST" != 202 ]'
req GET "/api/v1/jobs?limit=10"
cp "$T/body" "$T/jobs.json"

check "GET /metrics after two jobs" scrape "$T/m1.txt"
promtool check metrics <"$T/m1.txt" >"$T/promtool.out" 2>&1
rc=$?
check "promtool accepts the metrics after jobs (lint clean)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$T/promtool.out"

VERSION=$("$SWDFLASHD" --version | awk '{print $2}')
$PY - "$T/m1.txt" "$T/jobs.json" "$VERSION" <<'EOF'
import json, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
jobs = json.load(open(sys.argv[2]))["jobs"]
version = sys.argv[3]
fams = {f.name: f for f in text_string_to_metric_families(text)}
fails = 0

def check(desc, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + desc + ("" if cond else ": " + str(detail)))
    if not cond:
        fails += 1

def sample(fam, name, **labels):
    for s in fams[fam].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None

for name, typ in [("swdflashd_build_info", "gauge"), ("swdflashd_jobs", "counter"),
                  ("swdflashd_programmed_bytes", "counter"),
                  ("swdflashd_job_duration_seconds", "histogram"),
                  ("swdflashd_phase_duration_seconds", "summary"),
                  ("swdflashd_swd_errors", "counter"), ("swdflashd_target_connected", "gauge"),
                  ("swdflashd_queue_length", "gauge"), ("swdflashd_event_clients", "gauge")]:
    check(f"family {name} is a {typ}", name in fams and fams[name].type == typ,
          fams.get(name) and fams[name].type)

b = [s for s in fams["swdflashd_build_info"].samples]
check("build_info carries the version of swdflashd --version",
      len(b) == 1 and b[0].labels.get("version") == version and b[0].value == 1, b)
ok = [j for j in jobs if j["state"] == "succeeded"]
bad = [j for j in jobs if j["state"] == "failed"]
check("jobs_total{flash,succeeded} = succeeded jobs in the API",
      sample("swdflashd_jobs", "swdflashd_jobs_total", kind="flash", result="succeeded") == len(ok) == 1)
check("jobs_total{flash,failed} = failed jobs in the API",
      sample("swdflashd_jobs", "swdflashd_jobs_total", kind="flash", result="failed") == len(bad) == 1)
written = sum(j.get("stats", {}).get("bytes_written", 0) for j in jobs)
check("programmed bytes = sum of the jobs' stats.bytes_written",
      sample("swdflashd_programmed_bytes", "swdflashd_programmed_bytes_total") == written > 0,
      (sample("swdflashd_programmed_bytes", "swdflashd_programmed_bytes_total"), written))
cnt = sample("swdflashd_job_duration_seconds", "swdflashd_job_duration_seconds_count", kind="flash")
tot = sample("swdflashd_job_duration_seconds", "swdflashd_job_duration_seconds_sum", kind="flash")
inf = sample("swdflashd_job_duration_seconds", "swdflashd_job_duration_seconds_bucket", kind="flash", le="+Inf")
api_sum = sum(j["duration_ms"] for j in jobs) / 1000.0
check("duration histogram: 2 flash jobs, +Inf bucket = count", cnt == 2 and inf == 2, (cnt, inf))
check("duration histogram sum = the jobs' duration_ms", abs(tot - api_sum) < 0.01, (tot, api_sum))
buckets = [s for s in fams["swdflashd_job_duration_seconds"].samples
           if s.name.endswith("_bucket") and s.labels["kind"] == "flash"]
check("histogram buckets are cumulative",
      all(buckets[i].value <= buckets[i + 1].value for i in range(len(buckets) - 1)))
pc = sample("swdflashd_phase_duration_seconds", "swdflashd_phase_duration_seconds_count", phase="program")
ps = sample("swdflashd_phase_duration_seconds", "swdflashd_phase_duration_seconds_sum", phase="program")
order = ["connect", "recover", "erase", "program", "verify", "reset"]
reached = sum(1 for j in jobs if j.get("phase") in order and order.index(j["phase"]) >= order.index("program"))
check("program phase counted once per job that reached it", pc == reached and ps > 0, (pc, reached, ps))
for ph in ("connect", "verify"):
    check(f"phase {ph} has a duration", (sample("swdflashd_phase_duration_seconds",
          "swdflashd_phase_duration_seconds_count", phase=ph) or 0) >= 1)
waits = sample("swdflashd_swd_errors", "swdflashd_swd_errors_total", kind="wait")
check("SWD WAITs counted at 4 MHz (the NVMC stalls the bus)", waits and waits > 0, waits)
for k in ("fault", "protocol"):
    check(f"SWD error kind {k} exported", sample("swdflashd_swd_errors", "swdflashd_swd_errors_total", kind=k) is not None)
check("transfers counted", (sample("swdflashd_swd_transfers", "swdflashd_swd_transfers_total") or 0) > 100000)
check("target connected = 1", sample("swdflashd_target_connected", "swdflashd_target_connected") == 1)
check("queue empty", sample("swdflashd_queue_length", "swdflashd_queue_length") == 0)
sys.exit(1 if fails else 0)
EOF
check "metric values agree with the jobs API" [ $? -eq 0 ]

# the SWD counters only grow
scrape "$T/m2.txt"
w1=$(sed -n 's/^swdflashd_swd_transfers_total //p' "$T/m1.txt")
req POST "/api/v1/flash?wait=1" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
scrape "$T/m3.txt"
w3=$(sed -n 's/^swdflashd_swd_transfers_total //p' "$T/m3.txt")
check "transfer counter grows with another job ($w1 -> $w3)" [ "$w3" -gt "$w1" ]

dstop || bad "daemon stopped cleanly"
finish
