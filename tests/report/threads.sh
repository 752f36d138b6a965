#!/bin/bash
# policy check judges files on several threads: under ThreadSanitizer, the
# results of --jobs 4 must be the bytes, errors and exit status of --jobs 1 in
# every format, with no report of a data race.
# Usage: tests/report/threads.sh BULKHEAD_BIN (a -Db_sanitize=thread build; any
# other build is held to the same bytes, without the race detector).
# Exit 0 when all hold, 1 otherwise, 77 when something needed is missing.
set -u
BIN=${1:?usage: threads.sh BULKHEAD_BIN}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v python3 >/dev/null || { echo "threads: python3 is missing"; exit 77; }
[ -x "$BIN" ] || { echo "threads: no bulkhead binary at $BIN"; exit 77; }
# GCC 12's ThreadSanitizer fails at start, at random, under the address-space
# randomisation of kernels with vm.mmap_rnd_bits above 28 ("FATAL:
# ThreadSanitizer: unexpected memory mapping"): the binary runs with
# randomisation off (setarch -R), which the race detection does not need
command -v setarch >/dev/null || { echo "threads: setarch is missing (util-linux)"; exit 77; }
run=(setarch "$(uname -m)" -R)
T=$(mktemp -d /tmp/bulkhead-threads.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
python3 "$SRC/tests/report/gen_specs.py" "$SRC/tests/data/docker-20.10-default.json" "$T/s" 150 ||
	exit 1
# files that allow, mutate and deny, one that is not JSON and one that is missing,
# among the generated ones
g=$SRC/tests/data/golden
printf '{"ociVersion": ' >"$T/s/c00040-bad.json"
gen=("$T"/s/c?????.json)
files=("${gen[@]:0:40}" "$g/allow.json" "$g/mutate.json" "$T/s/c00040-bad.json"
	"$g/deny.json" "$T/missing.json" "${gen[@]:40}" "$g/exempt.json")

fail=0
for fmt in text json sarif; do
	for jobs in 1 4; do
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" "${run[@]}" "$BIN" policy check --format "$fmt" \
			--policy "$SRC/policies/restricted.json" --jobs "$jobs" \
			"${files[@]}" >"$T/out.$jobs" 2>"$T/err.$jobs"
		echo $? >"$T/rc.$jobs"
	done
	if grep -q ThreadSanitizer "$T/err.4"; then
		echo "not ok: $fmt: ThreadSanitizer reports:"
		grep -A20 ThreadSanitizer "$T/err.4" | head -40
		fail=1
	elif [ "$(cat "$T/rc.1")" != 2 ]; then
		echo "not ok: $fmt: --jobs 1 exited $(cat "$T/rc.1"), not 2 (a bad file and a missing one)"
		fail=1
	elif cmp -s "$T/out.1" "$T/out.4" && cmp -s "$T/err.1" "$T/err.4" &&
		cmp -s "$T/rc.1" "$T/rc.4"; then
		echo "ok: $fmt: ${#files[@]} files on 4 threads, the bytes and status of 1, no race reported"
	else
		echo "not ok: $fmt: --jobs 4 differs from --jobs 1"
		diff "$T/out.1" "$T/out.4" | head -10
		diff "$T/err.1" "$T/err.4" | head -5
		fail=1
	fi
done
exit $fail
