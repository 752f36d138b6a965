# Shared helpers for the real-runtime tests (sourced; POSIX sh + bash features
# where noted). Every test runs as root, in its own temporary directory, and
# stops what it started by PID.

skip()
{
	echo "SKIP: $*" >&2
	exit 77
}

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

ok()
{
	echo "ok - $*"
}

need_root()
{
	[ "$(id -u)" = 0 ] || skip "needs root (starts real containers)"
}

# need_bulkhead: BIN and SRC from meson test's environment, and jq.
need_bulkhead()
{
	BIN=${BULKHEAD_BIN:-}
	SRC=${BULKHEAD_SOURCE_ROOT:-}
	[ -n "$BIN" ] && [ -x "$BIN" ] || skip "BULKHEAD_BIN is not an executable"
	[ -n "$SRC" ] && [ -f "$SRC/policies/restricted.json" ] ||
		skip "BULKHEAD_SOURCE_ROOT has no policies/restricted.json"
	command -v jq >/dev/null || skip "jq is not installed"
}

# HOOKED: bulkhead with pause points (BULKHEAD_TEST_PAUSE_US, src/test_hooks.h),
# built only with -Dtest_hooks=true; "" when this build has none.
HOOKED=${BULKHEAD_HOOKED_BIN:-}
[ -n "$HOOKED" ] && [ -x "$HOOKED" ] || HOOKED=

# Counted checks: a failed check is reported and counted and the test goes
# on; `finish NAME` ends the test, failing if any check failed.
FAILS=0
bad()
{
	echo "not ok - $*"
	FAILS=$((FAILS + 1))
}

check() # check DESCRIPTION 'SHELL CONDITION' (evaluated here)
{
	if eval "$2"; then ok "$1"; else bad "$1"; fi
}

finish()
{
	if [ "$FAILS" -ne 0 ]; then
		echo "$1: $FAILS check(s) failed" >&2
		exit 1
	fi
	echo "$1: all checks passed"
}

# make_rootfs DIR: a busybox-static root filesystem (the applet links point at
# /bin/busybox; `busybox --list` names busybox itself, which must stay a file).
make_rootfs()
{
	local dir=$1 bb
	bb=$(command -v busybox) || skip "busybox-static is not installed"
	mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/run" "$dir/var/tmp"
	cp "$bb" "$dir/bin/busybox"
	for app in $("$bb" --list); do
		[ "$app" = busybox ] || ln -sf busybox "$dir/bin/$app"
	done
	# runc gives a tmpfs the mode of the directory it covers
	chmod 1777 "$dir/tmp" "$dir/var/tmp"
	echo "root:x:0:0:root:/root:/bin/sh" >"$dir/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$dir/etc/passwd"
	echo "root:x:0:" >"$dir/etc/group"
	echo "nogroup:x:65534:" >>"$dir/etc/group"
}

# A temporary directory every ancestor of which a mapped root can traverse.
make_tmp()
{
	local d
	d=$(mktemp -d "/tmp/bulkhead-$1.XXXXXX")
	chmod 755 "$d"
	echo "$d"
}

# wait_for CMD...: retry for up to 30 s.
wait_for()
{
	local i
	for i in $(seq 60); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

# stop_pid PIDFILE: TERM, then KILL after 15 s.
stop_pid()
{
	local pid i
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -9 "$pid" 2>/dev/null || true
}

# unmount_under DIR: every mount below DIR (daemons leave nsfs and overlay
# mounts behind), deepest first.
unmount_under()
{
	local m
	for m in $(awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}

# Capability mask of the allowlist of restricted: CAP_NET_BIND_SERVICE (10).
ALLOWED_CAPS=0000000000000400

# check_inside OUTPUT LABEL: the lines printed by INSIDE_SCRIPT, checked.
INSIDE_SCRIPT='echo "uid=$(id -u)"; echo "gid=$(id -g)";
grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\t" | tr ":" "=";
echo "uidmap=$(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")";
if touch /bulkhead-write-test 2>/dev/null; then echo rootwrite=yes; else echo rootwrite=no; fi;
if touch /tmp/bulkhead-write-test 2>/dev/null; then echo tmpwrite=yes; else echo tmpwrite=no; fi;
echo "mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max 2>/dev/null)";
echo "pids=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max 2>/dev/null)";
if mount -t tmpfs none /mnt 2>/dev/null; then echo mount=yes; else echo mount=no; fi;
if unshare -U true 2>/dev/null; then echo unshare=yes; else echo unshare=no; fi'

field()
{
	printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -n 1
}

# host_limits PID: memory and pids limits of a container's init, read from the
# host's cgroup files (for engines whose spec mounts no cgroupfs inside).
host_limits()
{
	local pid=$1 mem pids
	mem=$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' "/proc/$pid/cgroup")
	pids=$(sed -n 's/^[0-9]*:pids:\(.*\)/\1/p' "/proc/$pid/cgroup")
	if [ -n "$mem" ]; then
		echo "mem=$(cat "/sys/fs/cgroup/memory$mem/memory.limit_in_bytes")"
		echo "pids=$(cat "/sys/fs/cgroup/pids$pids/pids.max")"
	else
		local u
		u=$(sed -n 's/^0::\(.*\)/\1/p' "/proc/$pid/cgroup")
		echo "mem=$(cat "/sys/fs/cgroup$u/memory.max")"
		echo "pids=$(cat "/sys/fs/cgroup$u/pids.max")"
	fi
}

check_inside()
{
	local out=$1 label=$2 v
	v=$(field "$out" uid)
	[ -n "$v" ] && [ "$v" != 0 ] || fail "$label: uid is '$v' inside (want non-root)"
	v=$(field "$out" gid)
	[ -n "$v" ] && [ "$v" != 0 ] || fail "$label: gid is '$v' inside (want non-root)"
	for set in CapPrm CapEff CapBnd CapInh CapAmb; do
		v=$(field "$out" $set)
		[ -n "$v" ] || fail "$label: no $set line inside"
		[ $((0x$v & ~0x$ALLOWED_CAPS)) = 0 ] || fail "$label: $set=$v exceeds the allowlist"
	done
	[ "$(field "$out" CapAmb)" = 0000000000000000 ] || fail "$label: ambient capabilities set"
	[ "$(field "$out" NoNewPrivs)" = 1 ] || fail "$label: NoNewPrivs is not 1"
	[ "$(field "$out" Seccomp)" = 2 ] || fail "$label: Seccomp is not 2 (filter)"
	v=$(field "$out" uidmap)
	case "$v" in
	"" | "0 0 "*) fail "$label: uid_map '$v' maps host root (want a user namespace)" ;;
	esac
	[ "$(field "$out" rootwrite)" = no ] || fail "$label: the root filesystem is writable"
	[ "$(field "$out" tmpwrite)" = yes ] || fail "$label: /tmp is not writable"
	v=$(field "$out" mem)
	case "$v" in
	"" | max | 9223372036854771712) fail "$label: no memory limit inside ('$v')" ;;
	esac
	v=$(field "$out" pids)
	case "$v" in
	"" | max) fail "$label: no pids limit inside ('$v')" ;;
	esac
	[ "$(field "$out" mount)" = no ] || fail "$label: mount succeeded inside"
	[ "$(field "$out" unshare)" = no ] || fail "$label: unshare succeeded inside"
	ok "$label: non-root, caps within allowlist, no-new-privs, seccomp, userns, read-only root with /tmp, memory and pids limits, no mount/unshare"
}

# write_config FILE POLICY AUDITLOG: a private machine configuration.
write_config()
{
	cat >"$1" <<JSON
{
	"runtime": "$(command -v runc)",
	"policy": "$2",
	"audit": {"log": "$3"}
}
JSON
	chmod 644 "$1"
}
