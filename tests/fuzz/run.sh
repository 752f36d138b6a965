#!/usr/bin/env bash
# Runs every libFuzzer target under ASan+UBSan for SECONDS each, one after the
# other, starting from its seed corpus (tests/fuzz/corpus/TARGET, copied into
# a work corpus so that new inputs do not land in the tree), and prints per
# target: runs, coverage (libFuzzer's "cov" edges), corpus size and crashes.
# Crash inputs are kept in OUT/TARGET/ (default build-fuzz/findings); add a
# minimised one to the seed corpus, with the fix, as its regression seed.
# Usage: tests/fuzz/run.sh SECONDS [TARGET...]
# Env: BUILD (default build-fuzz, configured by this script with clang when
#      missing), OUT, JOBS (parallel targets, default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
build=${BUILD:-$root/build-fuzz}
out=${OUT:-$build/findings}
jobs=${JOBS:-1}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json argv policy spec process)

if [ ! -f "$build/build.ninja" ]; then
	CXX=clang++ meson setup "$build" "$root" -Dfuzz=true -Db_lundef=false >/dev/null
fi
ninja -C "$build" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

fuzz_one() # TARGET
{
	local t=$1 work="$out/$t"
	mkdir -p "$work/corpus" "$work/crashes"
	cp -n "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
	# -fork keeps going after a crash and counts them
	"$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
		-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 -rss_limit_mb=2048 \
		-timeout=10 -artifact_prefix="$work/crashes/" "$work/corpus" >"$work/log" 2>&1 || true
}

running=0
for t in "${targets[@]}"; do
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait

printf '%-8s %12s %8s %8s %8s\n' target runs cov corpus crashes
total=0
for t in "${targets[@]}"; do
	log="$out/$t/log"
	# fork mode: "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: a/b/c time: T"
	last=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -n 1 || true)
	runs=$(sed -nE 's/^#([0-9]+): cov:.*/\1/p' <<<"$last")
	cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<<"$last")
	corp=$(sed -nE 's/.* corp: ([0-9]+) .*/\1/p' <<<"$last")
	crashes=$(find "$out/$t/crashes" -type f -name 'crash-*' | wc -l)
	total=$((total + crashes))
	printf '%-8s %12s %8s %8s %8s\n' "$t" "${runs:-?}" "${cov:-?}" "${corp:-?}" "$crashes"
done
echo "(${secs}s per target; logs and crash inputs under $out)"
[ "$total" = 0 ]
