#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_bench.sh: `ipcx bench` works end to end on a tiny time budget: every
# row runs or says why it is skipped, the table is printed, the JSON is valid
# and holds every row, the HTML page has its charts, nothing is left in the
# temporary directory, and bad usage is refused. No figure is checked:
# benchmarks are not tests, and nothing here depends on timing.
# ipcx-test: label=tools timeout=240
set -u
tool=${IPCX_TOOL:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The rows every build has (peer rows depend on what is installed).
always="cacheline memcpy pipe fifo unix-stream unix-seqpacket unix-dgram tcp udp posix-mq
sysv-msg eventfd futex rtsig rtsig-fd posix-sem ipcx-pipe ipcx-fifo ipcx-unix-stream
ipcx-unix-seqpacket ipcx-unix-dgram ipcx-tcp ipcx-udp ipcx-posixmq ipcx-sysvmsg ipcx-rtsig ipcx-sem
ring-busy ring-adaptive ring-block chan-pipe chan-fifo chan-mq chan-sysv chan-unix chan-tcp chan-udp
chan-shm-busy chan-shm-adaptive chan-shm-block"

"$tool" bench --list >"$dir/list.txt" 2>&1 || bad "--list exited with $?"
for r in $always zmq-ipc nng-tcp iceoryx; do
    grep -q "^$r " "$dir/list.txt" || bad "--list does not show $r"
done

"$tool" bench --frobnicate >/dev/null 2>&1
[ $? = 2 ] || bad "an unknown option is not a usage error"
"$tool" bench --filter no-such-row -q >/dev/null 2>&1
[ $? = 2 ] || bad "a filter matching nothing is not a usage error"
"$tool" bench --budget-ms 0 >/dev/null 2>&1
[ $? = 2 ] || bad "--budget-ms 0 is accepted"

# The run: 2 ms per measurement. Names a row creates in the file system go
# under TMPDIR, which must be empty again afterwards.
mkdir "$dir/tmp"
TMPDIR="$dir/tmp" "$tool" bench --budget-ms 2 --json "$dir/b.json" --html "$dir/b.html" \
    >"$dir/out.txt" 2>"$dir/err.txt"
rc=$?
[ $rc = 0 ] || { bad "ipcx bench exited with $rc"; cat "$dir/err.txt"; }
grep -q "Round-trip latency" "$dir/out.txt" || bad "no latency table on stdout"
grep -q "One-way throughput" "$dir/out.txt" || bad "no throughput table on stdout"
grep -q "^pipe " "$dir/out.txt" || bad "the table has no pipe row"
grep -q "ipcx bench:" "$dir/err.txt" || bad "no progress on stderr"
[ -z "$(ls -A "$dir/tmp")" ] || bad "left behind: $(ls -A "$dir/tmp")"

python3 -m json.tool "$dir/b.json" >/dev/null || bad "the JSON is not valid"
python3 - "$dir/b.json" $always <<'EOF' || fail=1
import json, sys
doc = json.load(open(sys.argv[1]))
want = sys.argv[2:]
rows = {r["name"]: r for r in doc["rows"]}
ok = True
def bad(msg):
    global ok
    print("FAIL: json: " + msg)
    ok = False
if doc.get("format") != "ipcx-bench/1":
    bad("format is %r" % doc.get("format"))
if doc["settings"]["sizes"] != [64, 4096, 65536, 1048576]:
    bad("quick sizes are %r" % doc["settings"]["sizes"])
# Rows that need no library must run, unless other programs have used up a
# system-wide limit (message queues) at that moment.
limits = ("RLIMIT_MSGQUEUE", "queues_max", "msgmni")
for name in want:
    if name not in rows:
        bad("row %s missing" % name)
    elif rows[name]["status"] != "ok" and not (
            rows[name]["status"] == "skipped" and any(l in rows[name]["reason"] for l in limits)):
        bad("row %s is %s: %s" % (name, rows[name]["status"], rows[name]["reason"]))
for name, r in rows.items():
    if r["status"] not in ("ok", "skipped"):
        bad("row %s is %s: %s" % (name, r["status"], r["reason"]))
    if r["status"] == "skipped" and not r["reason"]:
        bad("row %s is skipped without a reason" % name)
    if r["status"] != "ok":
        continue
    lat = r["latency"]
    if lat["status"] == "ok":
        if not (0 < lat["p50_ns"] <= lat["p99_ns"] <= lat["p999_ns"]):
            bad("row %s: percentiles out of order" % name)
    elif not lat.get("reason"):
        bad("row %s: latency %s without a reason" % (name, lat["status"]))
    for t in r["throughput"]:
        if t["status"] == "ok":
            if not (t["messages"] > 0 and t["msgs_per_s"] > 0 and t["mb_per_s"] > 0):
                bad("row %s: empty throughput at %d B" % (name, t["size"]))
        elif not t.get("reason"):
            bad("row %s: throughput %s at %d B without a reason" % (name, t["status"], t["size"]))
# Each ipcx mechanism row names the raw row it wraps, and each transport
# row (a transport through the channel API) the raw row or ring mode under
# it, which the run has too; when both ran, the wrapper's cost was computed
# (its value is not checked: that is a figure).
chan_wraps = {"chan-pipe": "pipe", "chan-fifo": "fifo", "chan-mq": "posix-mq",
              "chan-sysv": "sysv-msg", "chan-unix": "unix-stream", "chan-tcp": "tcp",
              "chan-udp": "udp", "chan-shm-busy": "ring-busy",
              "chan-shm-adaptive": "ring-adaptive", "chan-shm-block": "ring-block"}
for name, raw in chan_wraps.items():
    r = rows.get(name)
    if r and r["group"] != "transport":
        bad("row %s is in group %s, not transport" % (name, r["group"]))
    if r and (r["wrapper"] or {}).get("wraps") != raw:
        bad("row %s does not say it wraps %s: %r" % (name, raw, r["wrapper"]))
for name, r in rows.items():
    if not (name.startswith("ipcx-") or name.startswith("chan-")):
        continue
    w = r["wrapper"]
    under = ("raw", "ipcx") if name.startswith("chan-") else ("raw",)
    if not w or w["wraps"] not in rows or rows[w["wraps"]]["group"] not in under:
        bad("row %s does not name a raw row it wraps: %r" % (name, w))
    elif r["status"] == "ok" and rows[w["wraps"]]["status"] == "ok" \
            and r["latency"]["status"] == "ok" and w["latency"] is None:
        bad("row %s: no wrapper check against %s" % (name, w["wraps"]))
pipe = rows.get("pipe")
if pipe and pipe["status"] == "ok" and pipe["ratios"]["latency_vs_pipe"] != 1:
    bad("the pipe against itself is %r" % pipe["ratios"]["latency_vs_pipe"])
mq = rows.get("posix-mq")
for t in (mq or {}).get("throughput", []):
    if t["status"] == "skipped" and "msgsize_max" not in t["reason"]:
        bad("posix-mq skips %d B without naming the limit" % t["size"])
# A transport that cannot carry a size says which limit stops it.
for name, word in (("chan-fifo", "PIPE_BUF"), ("chan-mq", "msgsize"), ("chan-sysv", "msgmax"),
                   ("chan-udp", "datagram")):
    for t in rows.get(name, {}).get("throughput", []):
        if t["status"] == "skipped" and word not in t["reason"]:
            bad("%s skips %d B without naming the limit: %s" % (name, t["size"], t["reason"]))
sys.exit(0 if ok else 1)
EOF

[ -s "$dir/b.html" ] || bad "no HTML file"
grep -q "<svg" "$dir/b.html" || bad "the HTML page has no <svg> chart"
grep -qi "<script" "$dir/b.html" && bad "the HTML page has a script"
grep -q "</html>" "$dir/b.html" || bad "the HTML page is cut short"

[ $fail = 0 ] && echo "bench: all passed"
exit $fail
