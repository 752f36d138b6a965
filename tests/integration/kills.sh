#!/bin/bash
# kills: SIGKILL lands at random points of a create (BULKHEAD_KILLS of them,
# default 300; run it with 1000 or more by hand). After every kill:
# config.json is the original or the whole hardened spec, never anything else;
# the bundle holds no temporary file; when config.json is hardened, the audit
# log already has the complete record of that create; every complete line of
# the audit log is whole JSON, and a torn last line a killed writer may leave
# is gone once the next create has written (bulkhead-audit(5)).
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
command -v python3 >/dev/null || skip "python3 is not installed"
SPEC="$SRC/tests/data/runc-spec-default.json"

T=$(make_tmp kills) || exit 1
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/rootfs/proc" "$T/rootfs/sys" "$T/rootfs/dev" "$T/rootfs/tmp" "$T/rootfs/run" \
	"$T/rootfs/var/tmp" "$T/rootfs/etc" "$T/b"
cp "$SRC/policies/restricted.json" "$SRC/policies/seccomp-default.json" "$T/"
printf '{"runtime": "/bin/true", "policy": "%s/restricted.json", "audit": {"log": "%s/audit.jsonl"}}\n' \
	"$T" "$T" >"$T/bulkhead.json"
export BULKHEAD_CONFIG="$T/bulkhead.json"
jq --arg root "$T/rootfs" '.root.path = $root' "$SPEC" >"$T/original.json"

python3 - "$BIN" "$T" "${BULKHEAD_KILLS:-300}" <<'PY'
import hashlib, json, os, random, signal, statistics, subprocess, sys, time

binary, T, kills = sys.argv[1], sys.argv[2], int(sys.argv[3])
bundle, log = T + "/b", T + "/audit.jsonl"
orig = open(T + "/original.json", "rb").read()
fails = 0

def bad(msg):
    global fails
    fails += 1
    print("not ok - " + msg)

def create(cid, delay=None):
    with open(bundle + "/config.json.new", "wb") as f:
        f.write(orig)
    os.rename(bundle + "/config.json.new", bundle + "/config.json")
    p = subprocess.Popen([binary, "create", "--bundle", bundle, cid],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    if delay is None:
        err = p.communicate()[1]
        if p.returncode != 0:
            bad("an unkilled create failed: %r" % err[:300])
        return
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.communicate()

def records():
    """the complete lines parsed, and the torn tail (b"" if none)"""
    data = open(log, "rb").read() if os.path.exists(log) else b""
    lines = data.split(b"\n")
    tail, out = lines.pop(), []
    for i, line in enumerate(lines):
        try:
            out.append(json.loads(line))
        except ValueError:
            bad("audit line %d is not whole JSON: %r" % (i + 1, line[:120]))
    return out, tail

# the hardened spec, and how long a create takes here
t = []
for i in range(5):
    s = time.monotonic()
    create("warm%d" % i)
    t.append(time.monotonic() - s)
hardened = open(bundle + "/config.json", "rb").read()
if hardened == orig:
    bad("the spec was not changed: nothing to kill")
span = statistics.median(t) * 1.3
print("# a create takes %.1f ms here; %d kills within %.1f ms of its start"
      % (statistics.median(t) * 1000, kills, span * 1000))

seen = {"original": 0, "hardened": 0}
torn = 0
random.seed(os.getpid())
for i in range(kills):
    cid = "k%d" % i
    create(cid, random.uniform(0, span))
    now = open(bundle + "/config.json", "rb").read()
    if now == orig:
        seen["original"] += 1
    elif now == hardened:
        seen["hardened"] += 1
    else:
        bad("kill %d: config.json is neither the original nor the hardened spec (%d bytes)"
            % (i, len(now)))
    extra = sorted(set(os.listdir(bundle)) - {"config.json"})
    if extra:
        bad("kill %d: left in the bundle: %s" % (i, extra))
        for e in extra:
            os.unlink(os.path.join(bundle, e))
    recs, tail = records()
    if tail:
        torn += 1
    if now == hardened and not any(r.get("containerId") == cid for r in recs):
        bad("kill %d: config.json is hardened but the audit log has no complete record of it" % i)

create("after")
recs, tail = records()
if tail:
    bad("a torn last line is still there after the next create: %r" % tail[:120])
if not any(r.get("containerId") == "after" for r in recs):
    bad("the create after the kills has no record")
if seen["original"] == 0 or seen["hardened"] == 0:
    bad("the kills did not land on both sides of the rename: %s" % seen)
print("# %d kills: config.json original %d, hardened %d; torn last lines left by killed writers: "
      "%d (each cut by the next writer); %d audit lines"
      % (kills, seen["original"], seen["hardened"], torn, len(recs)))
print("%s - kills" % ("ok" if fails == 0 else "not ok"))
sys.exit(1 if fails else 0)
PY
