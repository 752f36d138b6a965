#!/usr/bin/env bash
# What going through bulkhead costs, as ratios measured in one run of
# alternating pairs (never as a timed unit test). The baseline is a
# "trampoline": a 5-line static C program that only execv()s the runtime, so
# each ratio is bulkhead's cost over one extra exec. The runtime is /bin/true,
# so only the wrapper's work shows.
#   pass-through       `state ID` (no policy, no JSON but the machine config)
#   create hardened    `create` of a spec the policy already allows: read,
#                      judge, audit (fdatasync), no write; audit log on tmpfs
#                      (and on disk, for information)
#   create mutated     `create` of runc's default spec: judge, audit, atomic
#                      replace of config.json (fsyncs), bundle and audit log
#                      on tmpfs, and on disk (target "-": for information,
#                      three fsyncs of a disk dominate it)
#   exec --process     the kubelet probe path: Docker's exec process file,
#                      hardened into a sealed memfd
#   peak RSS           the largest over the create runs (the caches warm);
#                      the first call of a new binary, for information
#   runc pass-through  `list` through bulkhead onto runc vs runc alone
#   start floor        for information: a static program that only exits,
#                      with the C library and without (see below)
# Each line: median wall time (us) of bulkhead and of the baseline, median CPU
# time (us) of each, the wall ratio and the CPU ratio (medians of the per-pair
# ratios; on a loaded machine the CPU ratio is the steadier) and the target,
# checked against the wall ratio.
# Usage: tests/bench/run.sh [BULKHEAD_BIN] [N]   (root; default build-musl/bulkhead, the
# shipped binary, and N=30)
# Exits 1 when a ratio is over its target and BENCH_STRICT=1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build-musl/bulkhead}
n=${2:-30}
me=bench
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
printf '#include <unistd.h>\nint main(int argc, char **argv)\n{\n\t(void)argc;\n\texecv(RUNTIME, argv);\n\treturn 127;\n}\n' >"$work/trampoline.c"
cc -O2 -static -DRUNTIME="\"/bin/true\"" -o "$work/trampoline" "$work/trampoline.c"
cc -O2 -static -DRUNTIME="\"$(command -v runc)\"" -o "$work/trampoline-runc" "$work/trampoline.c"
# The floor under every line: what starting any program costs here. One that
# only returns from main, static like the trampoline, against one without the
# C library that exits by a system call: the difference is glibc's start,
# which the trampoline and /bin/true's loader each pay, and a glibc build of
# bulkhead too (most of it probes the caches with CPUID, which a virtual
# machine traps; the shipped musl build does not probe).
cat >"$work/exit-libc.c" <<'END'
int main(void)
{
	return 0;
}
END
cc -O2 -static -o "$work/exit-libc" "$work/exit-libc.c"
cat >"$work/exit-raw.c" <<'END'
void _start(void)
{
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
}
END
cc -O2 -static -nostdlib -o "$work/exit-raw" "$work/exit-raw.c"

cp "$root/policies/"*.json "$work/"
bench_config true-shm.json /bin/true "$work/restricted.json" "$shm/audit.jsonl"
bench_config true-disk.json /bin/true "$work/restricted.json" "$work/audit.jsonl"
bench_config runc.json "$(command -v runc)" "$work/restricted.json" "$work/audit.jsonl"

mkdir -p "$work/bundle/rootfs/"{proc,sys,dev,tmp,run,var/tmp} "$shm/bundle/rootfs/"{proc,sys,dev,tmp,run,var/tmp}
cp "$root/tests/data/runc-spec-default.json" "$work/spec.orig.json"
cp -r "$work/bundle" "$work/hbundle"
cp "$work/spec.orig.json" "$work/hbundle/config.json"
"$bin" policy harden --policy "$work/restricted.json" "$work/hbundle/config.json" >"$work/spec.hardened.json"
cp "$work/spec.hardened.json" "$work/hbundle/config.json"
cp "$root/tests/data/docker-20.10-exec-process.json" "$work/process.json"

# One call before the pairs: the first call of a newly installed binary fills
# the probe and parsed caches (/run/bulkhead), as a node's first container
# does, and maps code no later call runs; every pair after it runs as an
# engine's calls do. Its peak RSS is printed for information.
cold_rss=$({ /usr/bin/time -f %M env BULKHEAD_CONFIG="$work/true-shm.json" \
	"$bin" create --bundle "$work/hbundle" c1 >/dev/null; } 2>&1 | tail -n 1)

results=()
measure() # measure LABEL TARGET CONFIG [--reset SRC DST] -- A... -- B...
{
	local label=$1 target=$2 line
	line=$(BULKHEAD_CONFIG="$work/$3" "$work/bench" "$label" "$n" "${@:4}")
	results+=("$line $target")
}
t=$work/trampoline
measure pass-through 1.05 true-shm.json -- "$bin" --root "$work/state" state c1 -- \
	"$t" --root "$work/state" state c1
measure create-hardened-tmpfs 1.25 true-shm.json -- "$bin" create --bundle "$work/hbundle" c1 -- \
	"$t" create --bundle "$work/hbundle" c1
measure create-hardened-disk - true-disk.json -- "$bin" create --bundle "$work/hbundle" c1 -- \
	"$t" create --bundle "$work/hbundle" c1
measure create-mutated 1.5 true-shm.json --reset "$work/spec.orig.json" "$shm/bundle/config.json" -- \
	"$bin" create --bundle "$shm/bundle" c1 -- \
	"$t" create --bundle "$shm/bundle" c1
measure create-mutated-disk - true-disk.json --reset "$work/spec.orig.json" "$work/bundle/config.json" -- \
	"$bin" create --bundle "$work/bundle" c1 -- \
	"$t" create --bundle "$work/bundle" c1
measure exec-process 1.25 true-shm.json -- "$bin" --root "$work/state" exec --process "$work/process.json" c1 -- \
	"$t" --root "$work/state" exec --process "$work/process.json" c1
measure runc-pass-through 1.05 runc.json -- "$bin" --root "$work/state" list -- \
	"$t-runc" --root "$work/state" list

floor=$("$work/bench" floor "$n" -- "$work/exit-libc" -- "$work/exit-raw")

over=0
printf '%-22s %10s %10s %9s %9s %6s %6s %6s\n' case bulkhead trampoline cpu-bh cpu-tr ratio cpu-r target
rss_bh=0 rss_tr=0
for r in "${results[@]}"; do
	read -r label wa wb ca cb ra rb ratio cratio target <<<"$r"
	printf '%-22s %8sus %8sus %7sus %7sus %6s %6s %6s\n' "$label" "$wa" "$wb" "$ca" "$cb" "$ratio" "$cratio" "<=$target"
	if [ "$target" != - ] && awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r > t) }'; then
		over=1
	fi
	case $label in create-*)
		[ "$ra" -gt "$rss_bh" ] && rss_bh=$ra
		[ "$rb" -gt "$rss_tr" ] && rss_tr=$rb ;;
	esac
done
rss_ratio=$(awk -v a="$rss_bh" -v b="$rss_tr" 'BEGIN { printf "%.2f", a / b }')
printf '%-22s %8sKB %8sKB %17s %6s %6s %6s\n' peak-rss "$rss_bh" "$rss_tr" "" "$rss_ratio" "" "<=2"
printf '%-22s %8sKB %10s %17s %6s %6s %6s\n' peak-rss-first-call "$cold_rss" "" "" \
	"$(awk -v a="$cold_rss" -v b="$rss_tr" 'BEGIN { printf "%.2f", a / b }')" "" "-"
awk -v r="$rss_ratio" 'BEGIN { exit !(r > 2) }' && over=1
read -r _ fl_libc fl_raw _ <<<"$floor"
printf '%-22s %8sus %8sus %s\n' start-floor "$fl_libc" "$fl_raw" \
	"(a static program that only exits, with the C library and without: the trampoline pays the difference twice)"
echo "($n alternating pairs each; bulkhead $built$([ "$bin" = "$built" ] || echo ", a stripped copy as installed"))"
if [ "$over" = 1 ]; then
	echo "bench: a ratio is over its target" >&2
	[ "${BENCH_STRICT:-0}" = 1 ] && exit 1
fi
exit 0
