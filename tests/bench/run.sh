#!/usr/bin/env bash
# Side-by-side cost of going through bulkhead, reported as ratios measured in
# one run (never as a timed unit test):
#   pass-through   `state` of a missing container: bulkhead+runc vs runc alone
#   create path    `create` against a fake runtime that exits at once:
#                  bulkhead (policy load, parse, evaluate, audit, atomic write)
#                  vs the fake runtime alone
#   exec path      `exec --process FILE` (the kubelet probe path), same comparison
# Usage: tests/bench/run.sh [BULKHEAD_BIN] [N]   (root; default N=200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/bulkhead}
n=${2:-200}
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

runc_bin=$(command -v runc)
cp "$root/policies/"*.json "$work/"
cat >"$work/fake-runtime" <<'EOS'
#!/bin/sh
exit 0
EOS
chmod 755 "$work/fake-runtime"
printf '{"runtime": "%s", "policy": "%s/restricted.json", "audit": {"log": "%s/audit.jsonl"}}\n' \
	"$runc_bin" "$work" "$work" >"$work/config-runc.json"
printf '{"runtime": "%s/fake-runtime", "policy": "%s/restricted.json", "audit": {"log": "%s/audit.jsonl"}}\n' \
	"$work" "$work" "$work" >"$work/config-fake.json"

now() { date +%s%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# pass-through: N calls each, interleaved in one run
t_runc=0 t_bh=0
for _ in $(seq "$n"); do
	s=$(now); "$runc_bin" --root "$work/state" state nosuch >/dev/null 2>&1 || true; e=$(now)
	t_runc=$((t_runc + e - s))
	s=$(now); BULKHEAD_CONFIG=$work/config-runc.json "$bin" --root "$work/state" state nosuch >/dev/null 2>&1 || true; e=$(now)
	t_bh=$((t_bh + e - s))
done
echo "pass-through (state): runc $((t_runc / n / 1000)) us/call, bulkhead $((t_bh / n / 1000)) us/call, ratio $(ratio "$t_bh" "$t_runc")"

# create path: Docker's default spec through restricted... needs a user
# namespace from the engine, so use the runc spec (mutated, allowed).
mkdir -p "$work/bundle/rootfs/"{proc,sys,dev,tmp,run,var/tmp}
cp "$root/tests/data/runc-spec-default.json" "$work/bundle/config.orig.json"
t_fake=0 t_bh=0
for i in $(seq "$n"); do
	cp "$work/bundle/config.orig.json" "$work/bundle/config.json"
	s=$(now); "$work/fake-runtime" create --bundle "$work/bundle" "c$i"; e=$(now)
	t_fake=$((t_fake + e - s))
	s=$(now); BULKHEAD_CONFIG=$work/config-fake.json "$bin" create --bundle "$work/bundle" "c$i" ||
		{ echo "bench: bulkhead refused the create" >&2; exit 1; }
	e=$(now)
	t_bh=$((t_bh + e - s))
done
echo "create (hardening): fake runtime $((t_fake / n / 1000)) us/call, bulkhead $((t_bh / n / 1000)) us/call, ratio $(ratio "$t_bh" "$t_fake")"

# exec path (kubelet exec probes, hot): `exec --process FILE` with Docker's
# exec process file, hardened into a memfd, vs the fake runtime alone.
cp "$root/tests/data/docker-20.10-exec-process.json" "$work/process.json"
t_fake=0 t_bh=0
for i in $(seq "$n"); do
	s=$(now); "$work/fake-runtime" --root "$work/state" exec --process "$work/process.json" "c$i"; e=$(now)
	t_fake=$((t_fake + e - s))
	s=$(now); BULKHEAD_CONFIG=$work/config-fake.json "$bin" --root "$work/state" exec --process "$work/process.json" "c$i" ||
		{ echo "bench: bulkhead refused the exec" >&2; exit 1; }
	e=$(now)
	t_bh=$((t_bh + e - s))
done
echo "exec --process (hardening): fake runtime $((t_fake / n / 1000)) us/call, bulkhead $((t_bh / n / 1000)) us/call, ratio $(ratio "$t_bh" "$t_fake")"
