#!/bin/bash
# policy check streams: peak RSS of `policy check --format json` (and sarif) on
# 1 and on 5,000 Docker-sized specs must grow by less than BOUND_KB (default
# 8 MiB). Before streaming it held every result: 2,000 specs took 289 MB.
# Measured with GNU time (getrusage RUSAGE_CHILDREN). Exit 77 = skipped.
set -u
BIN=${BULKHEAD_BIN:-$(dirname "$0")/../../build/bulkhead}
SRC=${BULKHEAD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${RSS_SPECS:-5000}
BOUND_KB=${RSS_BOUND_KB:-8192}
command -v python3 >/dev/null || { echo "python3 is missing"; exit 77; }
[ -x /usr/bin/time ] || { echo "GNU time is missing (apt-get install time)"; exit 77; }
[ -x "$BIN" ] || { echo "no bulkhead binary at $BIN"; exit 77; }
BIN=$(realpath "$BIN")
T=$(mktemp -d /tmp/bulkhead-rss.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
python3 "$SRC/tests/report/gen_specs.py" "$SRC/tests/data/docker-20.10-default.json" "$T/s" "$N" ||
	exit 1

# peak RSS in KiB of one run: ARGS... (stdout to /dev/null; exit 0 or 3 expected),
# from GNU time's getrusage(RUSAGE_CHILDREN) (a forked interpreter would count
# its own pages in the child's peak)
peak() {
	/usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null
	local rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || return 1
	tail -n 1 "$T/rss"
}

fail=0
for fmt in json sarif; do
	one=$(peak "$BIN" policy check --format "$fmt" --policy "$SRC/policies/restricted.json" \
		"$T/s/c00000.json") || { echo "not ok: $fmt on 1 spec failed"; exit 1; }
	many=$(cd "$T/s" && peak "$BIN" policy check --format "$fmt" \
		--policy "$SRC/policies/restricted.json" c*.json) ||
		{ echo "not ok: $fmt on $N specs failed"; exit 1; }
	growth=$((many - one))
	echo "# policy check --format $fmt: peak RSS $one KiB for 1 spec, $many KiB for $N specs (+$growth KiB)"
	if [ "$growth" -lt "$BOUND_KB" ]; then
		echo "ok: $fmt: RSS grows by $growth KiB < $BOUND_KB KiB"
	else
		echo "not ok: $fmt: RSS grows by $growth KiB >= $BOUND_KB KiB"
		fail=1
	fi
done
# the output is one document however long: the results are all there
n=$(cd "$T/s" && "$BIN" policy check --format json --policy "$SRC/policies/restricted.json" \
	c0000*.json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))')
if [ "$n" = 10 ]; then echo "ok: the streamed JSON parses, 10 results"; else
	echo "not ok: the streamed JSON gave \"$n\" results"; fail=1; fi
exit $fail
