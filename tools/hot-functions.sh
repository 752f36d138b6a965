#!/usr/bin/env bash
# Writes tools/hot-functions.txt: the functions one call runs, in the order
# they first run, for the linker to place together (lld's
# --symbol-ordering-file). The kernel maps a binary's text 64 KB around each
# page it faults on, so code that runs scattered over a 3 MB text maps most
# of it: placed together, a create maps about 1.5 MB less (peak RSS, see
# tests/bench/run.sh). Names that no longer exist are ignored by the linker,
# so a stale list costs only some of that gain; rerun this after large
# changes. Needs valgrind and a built build/bulkhead; run as root.
# Usage: tools/hot-functions.sh [BULKHEAD_BIN]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/bulkhead}
command -v valgrind >/dev/null || { echo "hot-functions: valgrind is missing" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp "$root/policies/"*.json "$work/"
printf '{"runtime": "/bin/true", "policy": "%s/restricted.json", "audit": {"log": "%s/audit.jsonl"}}\n' \
	"$work" "$work" >"$work/config.json"
mkdir -p "$work/b/rootfs/"{proc,sys,dev,tmp,run,var/tmp}
cp -r "$work/b" "$work/hb"
cp "$root/tests/data/runc-spec-default.json" "$work/b/config.json"
"$bin" policy harden --policy "$work/restricted.json" "$work/b/config.json" >"$work/hb/config.json"
profile() # profile NAME ARGS...: the functions of one call, up to its execv
{
	BULKHEAD_CONFIG=$work/config.json valgrind -q --tool=callgrind --demangle=no \
		--dump-before=execv --callgrind-out-file="$work/$1.out" "$bin" "${@:2}" >/dev/null 2>&1 || true
}
# the pass-through first (every call starts that way), then the judged calls
profile state --root "$work/state" state c1
profile create-hardened create --bundle "$work/hb" c1
profile create-mutated create --bundle "$work/b" c1
profile exec --root "$work/state" exec --process "$root/tests/data/docker-20.10-exec-process.json" c1
profile update --root "$work/state" update --memory 268435456 c1
# callgrind names the C library's entry "(below main)" and does not see the
# instructions before it or the final exec: those are named here
{
	printf 'fn=(0) %s\n' _start __libc_start_main __libc_start_main_impl __libc_start_call_main
	for f in state create-hardened create-mutated exec update; do
		cat "$work/$f.out"* 2>/dev/null
	done
	printf 'fn=(0) %s\n' execv execve
} | sed -nE 's/^c?fn=\([0-9]+\) (.*)$/\1/p' | sed -E "s/'[0-9]+$//" | grep -v '^0x' |
	awk '!seen[$0]++' >"$root/tools/hot-functions.txt"
echo "hot-functions: $(wc -l <"$root/tools/hot-functions.txt") functions in tools/hot-functions.txt"
