#!/usr/bin/env bash
# policy check's cost per spec against yajl's json_verify reading the same
# bytes, as ratios measured side by side in one run (never a timed unit test):
#   json_verify -s    all N specs as one stream (one process: parsing only)
#   check --format json / text / sarif   the same N files in one process,
#                     judged on one thread per CPU (the default --jobs)
#   check --format json --jobs 1         the same on one thread
# N Docker-sized specs (Docker 20.10's default spec, each a little different:
# tests/report/gen_specs.py); R rounds, interleaved; wall and CPU (user+sys)
# per spec. The target: the wall ratio (the time an auditor waits) <= 10. The
# CPU ratio says what the judging costs whatever the number of CPUs (with
# several threads it counts each thread's time: more than the wall time).
# Usage: tests/bench/policy_check.sh [BULKHEAD_BIN] [N] [R]
#        (default build-musl/bulkhead, the shipped binary, 10000 specs, 3 rounds)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build-musl/bulkhead}")
n=${2:-10000}
rounds=${3:-3}
command -v json_verify >/dev/null || { echo "bench: json_verify is missing (apt-get install yajl-tools)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$root/tests/report/gen_specs.py" "$root/tests/data/docker-20.10-default.json" "$work/s" "$n"
cat "$work"/s/c*.json >"$work/all.json"
policy=$root/policies/restricted.json
echo "specs: $n, $(($(stat -c %s "$work/all.json") / n)) bytes each; policy: restricted; rounds: $rounds"

python3 - "$bin" "$policy" "$work" "$n" "$rounds" <<'PY'
import os, resource, subprocess, sys, time
bin_, policy, work, n, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
files = sorted(f for f in os.listdir(work + "/s"))
def cmd(fmt):
    return [bin_, "policy", "check", "--format", fmt, "--policy", policy] + files
runs = {
    "json_verify -s": (["json_verify", "-s", "-q"], work + "/all.json"),
    "check --format json": (cmd("json"), None),
    "check --format text": (cmd("text"), None),
    "check --format sarif": (cmd("sarif"), None),
    "check json --jobs 1": (cmd("json")[:3] + ["--jobs", "1"] + cmd("json")[3:], None),
}
wall = {k: 0.0 for k in runs}
cpu = {k: 0.0 for k in runs}
for _ in range(rounds):
    for name, (argv, stdin) in runs.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        with open(stdin or os.devnull, "rb") as inp:
            rc = subprocess.run(argv, stdin=inp, stdout=subprocess.DEVNULL, cwd=work + "/s").returncode
        t1 = time.monotonic()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if rc not in (0, 3):
            sys.exit("bench: %s exited %d" % (name, rc))
        wall[name] += t1 - t0
        cpu[name] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
base = "json_verify -s"
per = lambda s: s / rounds / n * 1e6
for name in runs:
    print("%-22s wall %7.1f us/spec  cpu %7.1f us/spec  ratio wall %5.1f  cpu %5.1f" % (
        name, per(wall[name]), per(cpu[name]), wall[name] / wall[base], cpu[name] / cpu[base]))
over = [k for k in runs if k.startswith("check --format") and wall[k] / wall[base] > 10]
print("target (wall ratio <= 10 in every format, %d CPUs): %s" % (
    len(os.sched_getaffinity(0)), "over in " + ", ".join(over) if over else "met"))
PY
