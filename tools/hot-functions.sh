#!/usr/bin/env bash
# Writes tools/hot-functions.txt: the functions one call runs, in the order
# they first run, for the linker to place together (lld's
# --symbol-ordering-file). The kernel maps a binary's text 64 KB around each
# page it faults on, so code that runs scattered over a 3 MB text maps most
# of it: placed together, a create maps about 1.9 MB less (peak RSS, see
# tests/bench/run.sh). Names that no longer exist are ignored by the linker,
# so a stale list costs only some of that gain; rerun this after large
# changes. perf's samples differ from run to run and so does the list: measure
# the result with tests/bench/run.sh (peak-rss) and keep the list that measures
# best. Needs valgrind, perf and a built build/bulkhead; run as root.
# The musl build (build-musl, -Dmusl=true) has its own list, which clang's
# layout needs: tools/hot-functions.sh build-musl/bulkhead tools/hot-functions-musl.txt
# Usage: tools/hot-functions.sh [BULKHEAD_BIN [LIST]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
built=${1:-$root/build/bulkhead}
list=${2:-$root/tools/hot-functions.txt}
for tool in valgrind perf; do
	command -v $tool >/dev/null || { echo "hot-functions: $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# valgrind 3.19 cannot read clang 14's debugging information: it reads a copy
# without it (the symbol table, which names the functions, stays)
bin=$work/$(basename "$built")
strip --strip-debug -o "$bin" "$built"
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
# What runs natively but not under valgrind, whose CPU has no AVX-512 and no
# SHA extensions: the C library's string functions are chosen for the CPU at
# start-up (__memmove_avx512_unaligned_erms, not the AVX2 one valgrind sees),
# and sha256 runs on SHA-NI. perf samples 200 creates of each kind for them;
# they go right after the start-up code, which every call runs.
native()
{
	BULKHEAD_CONFIG=$work/config.json perf record -q -e cpu-clock -F 20000 -o "$work/perf.data" -- \
		sh -c 'for i in $(seq 200); do "$1" create --bundle "$2" c1; cp "$3" "$4/config.json";
			"$1" create --bundle "$4" c1; done' sh "$bin" "$work/hb" "$root/tests/data/runc-spec-default.json" "$work/b" \
		>/dev/null 2>&1 || true
	perf report -i "$work/perf.data" --no-demangle --comm "$(basename "$bin" | cut -c1-15)" \
		--sort dso,sym --stdio 2>/dev/null | awk '$3 == "[.]" { print "fn=(0) " $4 }'
}
# callgrind names the C library's entry "(below main)" and does not see the
# instructions before it or the final exec: those are named here
{
	printf 'fn=(0) %s\n' _start __libc_start_main __libc_start_main_impl __libc_start_call_main \
		_start_c libc_start_main_stage2
	cat "$work/state.out"* 2>/dev/null
	native
	for f in create-hardened create-mutated exec update; do
		cat "$work/$f.out"* 2>/dev/null
	done
	printf 'fn=(0) %s\n' execv execve
} | sed -nE 's/^c?fn=\([0-9]+\) (.*)$/\1/p' | sed -E "s/'[0-9]+$//" | grep -v '^0x' |
	awk '!seen[$0]++' >"$list"
echo "hot-functions: $(wc -l <"$list") functions in $list"
