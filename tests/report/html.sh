#!/bin/bash
# The HTML audit report as a browser shows it: an audit log of realistic
# records (allow, mutate, deny from several rules, two namespaces, an
# exemption, a torn line) becomes a report that headless Chromium opens; the
# DOM it dumps must have one bar per hour and verdict and per rule and action
# whose data-count is what the log holds and whose length is in proportion.
# The screenshot stays in $BULKHEAD_TEST_OUT (report.png). Exit 77 = skipped.
set -u
BIN=${BULKHEAD_BIN:-$(dirname "$0")/../../build/bulkhead}
OUT=${BULKHEAD_TEST_OUT:-$(mktemp -d /tmp/bulkhead-html.XXXXXX)}
CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
	{ echo "chromium is missing (apt-get install chromium)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is missing"; exit 77; }
[ -x "$BIN" ] || { echo "no bulkhead binary at $BIN"; exit 77; }
mkdir -p "$OUT"
T=$(mktemp -d /tmp/bulkhead-html.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

# The log: records as bulkhead-audit(5) describes them, member for member.
python3 - "$T/audit.jsonl" <<'PY'
import json, sys
rules = {
    "P1.user": ("/process/user/uid", "process runs as root (uid 0); set to 65534", "mutate",
                "k8s securityContext.runAsNonRoot: true"),
    "P4.no-new-privileges": ("/process/noNewPrivileges", "noNewPrivileges is not set; set", "mutate", ""),
    "P10.engine-socket": ("/mounts/7/source", "bind mount of engine socket /run/containerd/containerd.sock",
                          "deny", "do not mount the engine socket"),
    "P0.privileged": ("/process/capabilities", "a privileged container: every capability", "deny",
                      "do not run privileged"),
    "P8.namespaces": ("/linux/namespaces", "the host's network namespace is joined", "deny",
                      "hostNetwork: false"),
}
pods = [("shop", "web-1", "registry.local/shop/web:1.4"), ("shop", "web-2", "registry.local/shop/web:1.4"),
        ("batch", "etl-7", "registry.local/batch/etl:3")]
plan = [  # hour, verdict, pod, rules
    (8, "allow", 0, []), (8, "mutate", 0, ["P1.user", "P4.no-new-privileges"]), (8, "allow", 1, []),
    (9, "deny", 2, ["P10.engine-socket"]), (9, "mutate", 1, ["P1.user"]), (9, "allow", 0, []),
    (9, "allow", 1, []), (10, "deny", 2, ["P0.privileged", "P1.user"]), (11, "allow", 2, []),
    (11, "deny", 2, ["P8.namespaces"]), (11, "mutate", 2, ["P1.user"]), (11, "allow", 0, []),
    (11, "allow", 1, []), (13, "deny", 1, ["P10.engine-socket"]), (13, "mutate", 0, ["P4.no-new-privileges"]),
]
with open(sys.argv[1], "w") as f:
    for i, (hour, verdict, p, found) in enumerate(plan):
        ns, pod, image = pods[p]
        cid = "%064x" % (0xc0ffee + i)
        bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + cid
        rec = {"time": "2026-11-29T%02d:%02d:07.123Z" % (hour, 3 * i % 60), "host": "node1", "pid": 4000 + i,
               "bulkhead": "0.1.0", "command": "create", "containerId": cid, "bundle": bundle,
               "subject": bundle + "/config.json",
               "engine": {"io.kubernetes.cri.container-type": "container",
                          "io.kubernetes.cri.sandbox-namespace": ns, "io.kubernetes.cri.sandbox-name": pod,
                          "io.kubernetes.cri.container-name": "app", "io.kubernetes.cri.image-name": image},
               "policy": {"name": "restricted", "sha256": "9f" * 32, "version": "2026.11"},
               "mode": "enforce", "verdict": verdict, "findings": [], "patch": [], "exemptions": []}
        for r in found:
            pointer, message, action, remedy = rules[r]
            if verdict == "deny" and r == "P1.user":
                action = "mutate"
            finding = {"rule": r, "pointer": pointer, "message": message, "action": action}
            if remedy:
                finding["remedy"] = remedy
            rec["findings"].append(finding)
        if ns == "batch":
            rec["exemptions"] = [{"name": "etl-sysctl", "reason": "ETL tunes its sockets",
                                  "expires": None, "rules": ["sysctl.safe"]}]
        rec["expired"] = []
        rec["input"] = {"sha256": "%064x" % i}
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    f.write('{"time":"2026-11-29T14:00:00.000Z","host":"node1","pid":1\n')  # torn
PY

"$BIN" audit --format html "$T/audit.jsonl" >"$OUT/report.html" 2>"$T/err"
rc=$?
[ "$rc" = 0 ] || { echo "not ok: bulkhead audit --format html exited $rc: $(cat "$T/err")"; exit 1; }
echo "ok: report written ($(wc -c <"$OUT/report.html") bytes)"

browse() { # ARGS...: headless Chromium, no network, its own profile
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/profile" --proxy-server=127.0.0.1:9 --window-size=1200,2400 \
		"$@" 2>>"$T/chromium.err"
}
browse --dump-dom "file://$OUT/report.html" >"$OUT/report.dom.html"
[ -s "$OUT/report.dom.html" ] || { echo "not ok: chromium dumped no DOM: $(tail -3 "$T/chromium.err")"; exit 1; }
browse --screenshot="$OUT/report.png" "file://$OUT/report.html" >/dev/null
if [ -s "$OUT/report.png" ]; then echo "ok: screenshot in $OUT/report.png"; else
	echo "not ok: no screenshot"; exit 1; fi

# The DOM against the log.
python3 - "$T/audit.jsonl" "$OUT/report.dom.html" <<'PY'
import collections, json, sys
from html.parser import HTMLParser

hours = collections.defaultdict(collections.Counter)
rules = collections.defaultdict(collections.Counter)
for line in open(sys.argv[1]):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    hours[rec["time"][:13].replace("T", "T") + ":00"][rec["verdict"]] += 1
    for f in rec["findings"]:
        rules[f["rule"]][f["action"]] += 1

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = None
        self.scale = {}
        self.bars = {"chart-time": [], "chart-rules": []}
        self.cards = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("id") in self.bars:
            self.svg = a["id"]
            self.scale[self.svg] = float(a["data-scale"])
        elif tag == "rect" and self.svg and "data-count" in a:
            self.bars[self.svg].append(a)
        elif "data-verdict" in a and "card" in a.get("class", ""):
            self.cards[a["data-verdict"]] = int(a["data-count"])
    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None

dom = Dom()
dom.feed(open(sys.argv[2]).read())
failures = 0
def check(ok, what):
    global failures
    print(("ok: " if ok else "not ok: ") + what)
    failures += 0 if ok else 1

got = collections.defaultdict(collections.Counter)
for r in dom.bars["chart-time"]:
    count = int(r["data-count"])
    got[r["data-bucket"]][r["data-verdict"]] += count
    h = float(r["height"])
    if abs(h - count * dom.scale["chart-time"]) > 0.02:
        check(False, "bar %s %s: height %s for %d" % (r["data-bucket"], r["data-verdict"], h, count))
want = {b: {v: c for v, c in counts.items()} for b, counts in hours.items()}
have = {b: {v: c for v, c in counts.items() if c} for b, counts in got.items() if sum(counts.values())}
check(have == want, "time chart: bars per hour and verdict match the log %s" % sorted(want.items()))
check(len(got) == 6, "time chart: one bucket per hour from 08:00 to 13:00, the empty 12:00 too (%d)" % len(got))
check(all(r.get("data-bucket", "").startswith("2026-11-29T") for r in dom.bars["chart-time"]),
      "time chart: buckets named by their hour")
got = collections.defaultdict(collections.Counter)
for r in dom.bars["chart-rules"]:
    count = int(r["data-count"])
    got[r["data-rule"]][r["data-action"]] += count
    if abs(float(r["width"]) - count * dom.scale["chart-rules"]) > 0.02:
        check(False, "bar %s %s: width %s for %d" % (r["data-rule"], r["data-action"], r["width"], count))
have = {k: {a: c for a, c in v.items() if c} for k, v in got.items()}
want = {k: dict(v) for k, v in rules.items()}
check(have == want, "rule chart: bars per rule and action match the log %s" % sorted(want.items()))
check(dom.cards == {"allow": 7, "mutate": 4, "deny": 4, "error": 0, "bad": 1},
      "cards: allow 7, mutate 4, deny 4, error 0, 1 bad line (%s)" % dom.cards)
sys.exit(1 if failures else 0)
PY
exit $?
