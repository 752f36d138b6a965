#!/usr/bin/env bash
# Podman through bulkhead (`--runtime`). Podman does not pass its environment
# to the runtime, so BULKHEAD_CONFIG cannot reach bulkhead: the test runs in a
# private mount namespace where a temporary /etc/bulkhead holds the config, and
# the machine's own /etc is never touched. Podman's storage is private too.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
command -v podman >/dev/null || skip "podman is not installed (Debian package podman)"
BIN=${BULKHEAD_BIN:?BULKHEAD_BIN names the bulkhead binary}
SRC=${BULKHEAD_SOURCE_ROOT:?}

if [ "${BULKHEAD_PODMAN_INNER:-}" != 1 ]; then
	T=$(make_tmp podman)
	trap 'unmount_under "$T"; rm -rf "$T"' EXIT
	export T
	BULKHEAD_PODMAN_INNER=1 unshare -m --propagation private "$0"
	exit $?
fi

mkdir -p "$T/etc-bulkhead"
write_config "$T/etc-bulkhead/config.json" "$SRC/policies/restricted.json" "$T/audit.jsonl"
# The engine is Podman: its --uidmap ranges must be subordinate ranges of the
# "containers" user, given here in private copies of /etc/subuid and /etc/subgid.
jq '.engine = "podman"' "$T/etc-bulkhead/config.json" >"$T/config.new" &&
	mv "$T/config.new" "$T/etc-bulkhead/config.json" && chmod 644 "$T/etc-bulkhead/config.json" ||
	fail "cannot set the engine"
mkdir -p /etc/bulkhead
mount --bind "$T/etc-bulkhead" /etc/bulkhead || fail "cannot bind a private /etc/bulkhead"
for f in subuid subgid; do
	{ cat "/etc/$f" 2>/dev/null; echo "containers:300000:65536"; } >"$T/$f"
	chmod 644 "$T/$f"
	[ -e "/etc/$f" ] || skip "no /etc/$f to cover with a private copy"
	mount --bind "$T/$f" "/etc/$f" || fail "cannot bind a private /etc/$f"
done
cat >"$T/containers.conf" <<CONF
[containers]
# The sandbox's hard limits are lower than Podman's defaults.
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "bulkhead"
runtime_supports_json = ["bulkhead"]
events_logger = "file"
cgroup_manager = "cgroupfs"
[engine.runtimes]
bulkhead = ["$BIN"]
CONF
export CONTAINERS_CONF="$T/containers.conf"
PM=(podman --root "$T/storage" --runroot "$T/run" --tmpdir "$T/tmp")
cleanup()
{
	"${PM[@]}" rm -af -t 0 >/dev/null 2>&1
}
trap cleanup EXIT

make_rootfs "$T/rootfs"
tar -C "$T/rootfs" -c . | "${PM[@]}" import -q -c 'ENV PATH=/bin' - localhost/bulkhead-busybox:test >/dev/null ||
	fail "podman import failed"
IMG=localhost/bulkhead-busybox:test
USERNS=(--uidmap 0:300000:65536 --gidmap 0:300000:65536)

out=$("${PM[@]}" run --rm --network none "${USERNS[@]}" $IMG sh -c "$INSIDE_SCRIPT" 2>&1) ||
	fail "podman run failed: $out"
check_inside "$out" "podman run"

"${PM[@]}" run -d --name life --network none "${USERNS[@]}" $IMG sleep 300 >/dev/null 2>&1 || fail "podman run -d failed"
v=$("${PM[@]}" exec -u 0 life id -u 2>&1) || fail "podman exec -u 0 failed: $v"
[ "$v" != 0 ] || fail "podman exec -u 0 runs as root"
ok "podman exec -u 0: uid $v"
"${PM[@]}" stop -t 1 life >/dev/null || fail "podman stop"
# podman's own cleanup of the container's shm mount can lag behind stop:
# "unlinkat .../userdata/shm: device or resource busy" is podman's, retried.
removed=no
for _ in 1 2 3 4 5; do
	if "${PM[@]}" rm life >/dev/null 2>"$T/rm.err" || ! "${PM[@]}" container exists life; then
		removed=yes
		break
	fi
	sleep 1
done
[ $removed = yes ] || fail "podman rm: $(cat "$T/rm.err")"
ok "podman stop/rm"

if v=$("${PM[@]}" run --rm --network host "${USERNS[@]}" $IMG true 2>&1); then
	fail "podman run --network host was allowed"
fi
case "$v" in *bulkhead:*P8.namespaces*) ok "podman --network host refused: $(echo "$v" | head -c 200)" ;; *) fail "refused without bulkhead's reason: $v" ;; esac
jq -e . "$T/audit.jsonl" >/dev/null || fail "the audit log is not JSON lines"
ok "audit records written"
exit 0
