#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The production bench end to end: twenty simulated boards go through
# hands-free mode (sim bench=DIR: the test plugs and pulls them through the
# slot file) with a recipe of two images that writes a serial number and
# the device ID into UICR and locks. Among them: two that left the factory
# locked and one hardened revision (recovered first), one of the wrong part
# (FAIL, no serial), one that loses power while its serial is written
# (FAIL, the serial burned), and a kill -9 of the daemon the moment a
# serial number is handed out (a gap, never a duplicate). The same board
# put back is not programmed again unless asked. Then every record is
# checked against the board's own state file (UICR serial, device ID,
# APPROTECT) and the CSV export, parsed by Python's csv module, against
# the JSON records. Recipes that must be refused when saved are refused
# with a message naming the problem.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

B=$T/bench
mkdir -p "$B"
head -c 24 /dev/urandom | base64 >"$T/token"
TOKEN=$(cat "$T/token")
# a scratch board to upload images with, then twenty boards
echo "part=nrf52840,device_id=0x5C2A7C4000000001" >"$B/scratch.board"
echo "part=nrf52840,device_id=0x2100000000000021" >"$B/b21.board"
i=1
while [ $i -le 20 ]; do
	spec="part=nrf52840,device_id=0x$(printf '%016X' $((0x1000000000000000 + i * 7919)))"
	case $i in
	3|11) spec="$spec,locked=1" ;;                     # left the factory locked
	6) spec="part=nrf52840,rev=hardened,device_id=0x1000000000006006" ;;
	8) spec="part=nrf52832,device_id=0x1000000000008008" ;;  # the wrong part
	14) spec="$spec,power_loss_at_write=3074" ;;      # 3072 image words, then the serial
	esac
	echo "$spec" >"$B/b$i.board"
	i=$((i + 1))
done
plug() { echo "$1" >"$B/slot.tmp" && mv "$B/slot.tmp" "$B/slot"; }
plug scratch

# two images the test makes: a "bootloader" page at 0 and an application
python3 - "$T" <<'PY'
import sys, random
t = sys.argv[1]
def ihex(path, base, data):
    out = []
    for off in range(0, len(data), 16):
        a = base + off
        if off == 0 or (a & 0xFFFF) == 0:
            rec = [2, 0, 0, 4, (a >> 24) & 0xFF, (a >> 16) & 0xFF]
            out.append(":" + "".join("%02X" % b for b in rec) + "%02X" % (-sum(rec) & 0xFF))
        chunk = data[off:off + 16]
        rec = [len(chunk), (a >> 8) & 0xFF, a & 0xFF, 0] + list(chunk)
        out.append(":" + "".join("%02X" % b for b in rec) + "%02X" % (-sum(rec) & 0xFF))
    out.append(":00000001FF")
    open(path, "w").write("\n".join(out) + "\n")
r = random.Random(14)
ihex(t + "/boot.hex", 0x0, bytes(r.randrange(256) for _ in range(4096)))
ihex(t + "/app.hex", 0x1000, bytes(r.randrange(256) for _ in range(8192)))
ihex(t + "/over.hex", 0x1800, bytes(r.randrange(256) for _ in range(256)))
ihex(t + "/high.hex", 0x90000, bytes(r.randrange(256) for _ in range(256)))
PY
dstart e --probe "sim:bench=$B,period_ns=1000,realtime=1" --token-file "$T/token" || die "daemon start"
for f in boot app over high; do
	req POST "/api/v1/flash?wait=1&name=$f.hex" --data-binary @"$T/$f.hex"
	check "upload $f.hex (flashed on the scratch board): 200" [ "$ST" = 200 ]
	eval "SHA_$f=\$(jget \"\$T/body\" 'd[\"image\"][\"sha256\"]')"
done
plug ""

recipe() { # NAME PART IMAGES LOCK FIELDS
	printf '{"name":"%s","part":"%s","images":[%s],"erase":"auto","recover":true,"lock":%s,"fields":[%s]}' "$@"
}
FIELDS='{"kind":"serial","address":"0x10001080","size":16,"prefix":"SN","width":6},{"kind":"device_id","address":"0x10001090"}'
# refused when saved, each with its own message
req POST /api/v1/recipes --data "$(recipe r1 nrf52840 "\"$(printf '%064d' 0)\"" true "$FIELDS")"
check "a recipe naming a missing image: 404" [ "$ST" = 404 ]
check "... naming it as not stored" grep -q 'not a stored image' "$T/body"
req POST /api/v1/recipes --data "$(recipe r1 nrf52840 "\"$SHA_app\",\"$SHA_over\"" true "$FIELDS")"
check "overlapping images: 422 naming both" grep -q 'images\[1\] (0x00001800-0x000018FF) overlaps images\[0\]' "$T/body"
req POST /api/v1/recipes --data "$(recipe r1 nrf52832 "\"$SHA_high\"" true "$FIELDS")"
check "an image outside the part (0x90000 on an nRF52832): 422" [ "$ST" = 422 ]
check "... says it is outside the part" grep -q 'outside the part' "$T/body"
req POST /api/v1/recipes --data "$(recipe r1 nrf52840 "\"$SHA_app\"" true '{"kind":"serial","address":"0x1100","size":16}')"
check "a serial field over image data: 422" grep -q 'fields\[0\] (serial at 0x00001100-0x0000110F) overlaps image data' "$T/body"
req POST /api/v1/recipes --data '{"name":"r1","part":"nrf52840","images":["'"$SHA_app"'"]}'
check "a recipe without an explicit lock setting: 400" grep -q "'lock' must be given" "$T/body"
NOAUTH=1 req POST /api/v1/recipes --data "$(recipe prod nrf52840 "\"$SHA_boot\",\"$SHA_app\"" true "$FIELDS")"
check "saving a recipe without the token: 401" [ "$ST" = 401 ]
req POST /api/v1/recipes --data "$(recipe prod nrf52840 "\"$SHA_boot\",\"$SHA_app\"" true "$FIELDS")"
check "the production recipe is saved: 201" [ "$ST" = 201 ]
req POST /api/v1/recipes --data "$(recipe prod nrf52840 "\"$SHA_boot\",\"$SHA_app\"" true "$FIELDS")"
check "saved again: version 2" [ "$(jget "$T/body" 'd["version"]')" = 2 ]
req POST /api/v1/recipes --data "$(recipe nolock nrf52840 "\"$SHA_boot\",\"$SHA_app\"" false "$FIELDS")"
check "a recipe that does not lock is saved: 201" [ "$ST" = 201 ]
req POST /api/v1/recipes/prod/activate
check "activated: 200" [ "$ST" = 200 ]
req POST "/api/v1/bench/arm?mode=auto"
check "armed: 200" [ "$ST" = 200 ]

# the boards, one after another; a kill -9 the moment board 10's serial
# is handed out
python3 - "$URL" "$TOKEN" "$B" "$T" "$DPID" >"$T/run.log" 2>&1 <<'PY'
import http.client, json, os, signal, sys, time
url, token, bench, t, pid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
host, port = url[len("http://"):].split(":")
def get(path):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); b = r.read(); c.close()
    return json.loads(b)
def plug(name):
    open(bench + "/slot.tmp", "w").write(name + "\n"); os.replace(bench + "/slot.tmp", bench + "/slot")
def records():
    return get("/api/v1/devices")["devices"]
def wait(cond, s=60):
    dl = time.monotonic() + s
    while time.monotonic() < dl:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    return None
killed = None
for i in range(1, 21):
    n0 = len(records())
    if i == 10:
        ctr = t + "/e/serials/prod"
        before = open(ctr).read()
        plug("b10")
        dl = time.monotonic() + 60
        while time.monotonic() < dl and open(ctr).read() == before:
            pass
        os.kill(pid, signal.SIGKILL)
        killed = before.split()[1]
        print("KILLED", killed, flush=True)
        sys.exit(0)
    plug("b%d" % i)
    ok = wait(lambda: len(records()) > n0)
    print("board", i, "record" if ok else "NO RECORD", flush=True)
    plug("")
    wait(lambda: get("/api/v1/bench")["handsfree"]["state"] == "waiting_for_board")
PY
check "boards 1-9 each got a record" [ "$(grep -c ' record$' "$T/run.log")" = 9 ]
KILLED=$(sed -n 's/^KILLED //p' "$T/run.log")
check "kill -9 the moment board 10's serial ($KILLED) was handed out" [ -n "$KILLED" ]
wait "$DPID" 2>/dev/null; DPID=
dstart e --probe "sim:bench=$B,period_ns=1000,realtime=1" --token-file "$T/token" || die "restart"
req POST "/api/v1/bench/arm?mode=auto"
check "armed again after the restart: 200" [ "$ST" = 200 ]
python3 - "$URL" "$TOKEN" "$B" >>"$T/run.log" 2>&1 <<'PY'
import http.client, json, os, sys, time
url, token, bench = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = url[len("http://"):].split(":")
def req(m, path):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request(m, path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); b = r.read(); c.close()
    return json.loads(b)
def plug(name):
    open(bench + "/slot.tmp", "w").write(name + "\n"); os.replace(bench + "/slot.tmp", bench + "/slot")
def n():
    return len(req("GET", "/api/v1/devices")["devices"])
def wait(cond, s=60):
    dl = time.monotonic() + s
    while time.monotonic() < dl:
        if cond():
            return True
        time.sleep(0.02)
    return False
for i in range(10, 21):
    n0 = n()
    plug("b%d" % i)  # board 10 is still in after the restart: it is done again
    print("board", i, "record" if wait(lambda: n() > n0) else "NO RECORD", flush=True)
    plug("")
    wait(lambda: req("GET", "/api/v1/bench")["handsfree"]["state"] == "waiting_for_board")
# the same board put back: not programmed twice. A locked board hides
# its device ID (FICR is behind APPROTECT), so this is shown with a
# recipe that does not lock, on a fresh board
req("POST", "/api/v1/recipes/nolock/activate")
n0 = n()
plug("b21")
print("b21", "record" if wait(lambda: n() > n0) else "NO RECORD", flush=True)
plug("")
wait(lambda: req("GET", "/api/v1/bench")["handsfree"]["state"] == "waiting_for_board")
n0 = n()
plug("b21")
st = wait(lambda: req("GET", "/api/v1/bench")["handsfree"]["state"] == "already_programmed")
print("SAME", "recognised" if st and n() == n0 else "NOT recognised", flush=True)
req("POST", "/api/v1/bench/again")
print("AGAIN", "record" if wait(lambda: n() > n0) else "NO RECORD", flush=True)
plug("")
PY
check "boards 10-20 each got a record after the restart" [ "$(grep -c '^board 1[0-9] record$\|^board 20 record$' "$T/run.log")" = 11 ]
check "board 21 put back is recognised by its device ID and not programmed" grep -q '^SAME recognised$' "$T/run.log"
check "... and programmed again when the operator asks" grep -q '^AGAIN record$' "$T/run.log"

req GET /api/v1/devices
cp "$T/body" "$T/devices.json"
req GET "/api/v1/devices?format=csv"
cp "$T/body" "$T/devices.csv"
check "CSV export: text/csv" grep -qi '^content-type: text/csv' "$T/hdr"
req GET "/api/v1/devices?format=jsonl&verdict=fail"
check "JSON lines export filtered by verdict: 2 failures" [ "$(grep -c . "$T/body")" = 2 ]
python3 - "$T/devices.json" "$T/devices.csv" "$B" "$KILLED" >"$T/verify" 2>&1 <<'PY'
import csv, json, sys
recs = json.load(open(sys.argv[1]))["devices"]; rows = list(csv.DictReader(open(sys.argv[2], newline="")))
bench, killed = sys.argv[3], int(sys.argv[4])
bad = []
def expect(c, what):
    if not c:
        bad.append(what)
allrecs = recs
recs = [r for r in recs if r["recipe"] == "prod"]
expect(len(recs) == 20, "20 records of recipe prod, have %d" % len(recs))
nl = [r for r in allrecs if r["recipe"] == "nolock"]
expect(len(nl) == 2 and all(r["verdict"] == "PASS" and not r["locked"] for r in nl), "b21 twice, PASS, not locked")
expect(nl[0]["serial"] == "SN000001" and nl[1]["serial"] == "SN000002", "the nolock recipe has its own counter")
byid = {}
for r in recs:
    byid.setdefault(r.get("device_id"), []).append(r)
fails = [r for r in recs if r["verdict"] == "FAIL"]
expect(len(fails) == 2, "2 FAIL, have %d" % len(fails))
wrong = [r for r in fails if r.get("part") == "nRF52832"]
expect(len(wrong) == 1 and wrong[0]["serial"] is None and "wrong part" in wrong[0]["reason"],
       "the nRF52832 fails naming the wrong part, without a serial")
burned = [r for r in fails if r["serial_state"] == "burned"]
expect(len(burned) == 1, "one serial burned (the power loss)")
serials = [int(r["serial"][2:]) for r in recs if r["serial"]]
written = sorted(int(r["serial"][2:]) for r in recs if r["serial_state"] == "written")
expect(len(serials) == len(set(serials)), "no serial twice: %s" % sorted(serials))
gaps = sorted(set(range(1, max(serials) + 1)) - set(written))
# the kill lands mid-board when the board had no record with the serial
# handed out then (a gap); if the board finished first, there is none
mid = not any(r["serial"] == "SN%06d" % killed for r in recs)
print("KILL", "mid-board" if mid else "after the board ended")
documented = sorted(([int(burned[0]["serial"][2:])] if burned else []) + ([killed] if mid else []))
expect(gaps == documented, "gaps %s are the burned and the killed ones %s" % (gaps, documented))
# every board's UICR and lock state, read from its own state file
import glob, os, re
files = {}
for f in glob.glob(bench + "/b*.board"):
    m = re.search(r"device_id=0x([0-9A-F]+)", open(f).read())
    files[m.group(1).rjust(16, "0")] = f[:-len(".board")] + ".chip"
checked = 0
for did, rs in byid.items():
    r = rs[-1]  # the newest record of a board is what it holds
    if r["verdict"] != "PASS":
        continue
    st = open(files[did], "rb").read()
    fsz = int.from_bytes(st[12:16], "little")
    uicr = st[24 + fsz:24 + fsz + 0x400]
    expect(uicr[0x80:0x90] == r["serial"].encode().ljust(16, b"\0"), "%s: UICR serial %r, record %s" % (did, uicr[0x80:0x90], r["serial"]))
    expect(uicr[0x90:0xA4] == did.encode().ljust(20, b"\0"), "%s: UICR device ID %r" % (did, uicr[0x90:0xA4]))
    expect(uicr[0x208] == 0 and r["locked"] is True, "%s: APPROTECT 0x%02X, record locked %s" % (did, uicr[0x208], r["locked"]))
    expect([s["step"] for s in r["steps"]][-1] == "lock", "%s: lock is the last step" % did)
    checked += 1
expect(checked == 18, "18 passed boards checked against their chips, %d" % checked)
expect(byid["1000000000006006"][-1]["verdict"] == "PASS" and
       [s["step"] for s in byid["1000000000006006"][-1]["steps"]][1] == "recover", "the hardened board was recovered and passed")
# the CSV export, parsed by the csv module, says the same as the records
expect(len(rows) == len(allrecs), "CSV rows %d = records %d" % (len(rows), len(allrecs)))
for row, r in zip(rows, allrecs):
    for k in ("device_id", "serial", "verdict", "recipe", "serial_state", "part"):
        expect(row[k] == (r.get(k) or ""), "CSV %s %r != %r" % (k, row[k], r.get(k)))
    expect(row["recipe_version"] == str(r["recipe_version"]), "CSV recipe_version")
    expect(row["image_sha256"] == ";".join(i["sha256"] for i in r["images"]), "CSV image_sha256")
    expect(row["locked"] == ("true" if r["locked"] else "false"), "CSV locked")
print("PASS %d records, %d boards checked, gaps %s" % (len(recs), checked, gaps) if not bad else "\n".join(bad))
PY
check "records, chips and CSV agree ($(tail -n 1 "$T/verify"); kill -9 $(sed -n 's/^KILL //p' "$T/verify"))" grep -q '^PASS ' "$T/verify"
grep -v '^PASS \|^KILL ' "$T/verify" | head -n 20
req GET /api/v1/bench
check "the bench summary counts today's boards (20 passed, 2 failed)" \
	[ "$(jget "$T/body" '"%d/%d" % (d["today"]["passed"], d["today"]["failed"])')" = 20/2 ]
req GET "/api/v1/jobs?limit=1"
check "hands-free jobs are ordinary jobs tagged with the recipe" \
	[ "$(jget "$T/body" '"%s %s v%d" % (d["jobs"][0]["kind"], d["jobs"][0]["recipe"]["name"], d["jobs"][0]["recipe"]["version"])')" = "board nolock v1" ]
dstop
cp -r "$T/e" /tmp/h16-e2e-state 2>/dev/null; cp "$T/run.log" /tmp/h16-run.log
finish
