# shellcheck shell=bash disable=SC2034,SC2154 # set by and used in the scripts that source this
# The set-up tests/bench/run.sh and rules.sh share, sourced once they have set
# me (their name, for messages and the work directory), here and bin. Sets
# work (a directory removed on exit), shm (a tmpfs of its own inside it), built
# (bin as given) and bin (a stripped copy when it carried debug sections),
# builds the pair timer at $work/bench and defines bench_config.
[ -x "$bin" ] || { echo "$me: $bin is not an executable" >&2; exit 2; }
work=$(mktemp -d "/var/tmp/bulkhead-$me.XXXXXX")
chmod 755 "$work"
# a tmpfs of our own (under /dev/shm a rootfs is refused: /dev is a host tree)
shm=$work/tmpfs
mkdir "$shm"
mount -t tmpfs -o size=64m,mode=755 tmpfs "$shm" ||
	{ echo "$me: cannot mount a tmpfs (root?)" >&2; rm -rf "$work"; exit 2; }
trap 'umount "$shm"; rm -rf "$work"' EXIT
# What engines run is the installed binary, which meson's install step strips
# (tools/install-atomic.sh --strip-all). A build tree's binary carries its
# debug sections, and exec of it costs more page faults (measured here: 123
# against 99 for a pass-through), so the benches run a stripped copy of it.
built=$bin
if readelf -S "$bin" 2>/dev/null | grep -q '\.debug_info'; then
	strip --strip-all -o "$work/bulkhead" "$bin"
	bin=$work/bulkhead
fi
cc -O2 -Wall -o "$work/bench" "$here/bench.c"

# bench_config NAME RUNTIME POLICY AUDITLOG: a machine configuration at
# $work/NAME (bulkhead-config(5)), for BULKHEAD_CONFIG
bench_config()
{
	printf '{"runtime": "%s", "policy": "%s", "audit": {"log": "%s"}}\n' "$2" "$3" "$4" >"$work/$1"
}
