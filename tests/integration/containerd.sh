#!/usr/bin/env bash
# containerd through bulkhead: a private containerd (own root, state and
# sockets in a temporary directory) and `ctr run --runc-binary bulkhead`; the
# shim calls bulkhead exactly as it calls runc. Checks are made inside.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
command -v containerd >/dev/null || skip "containerd is not installed (Debian package containerd)"
command -v ctr >/dev/null || skip "ctr is not installed"
BIN=${BULKHEAD_BIN:?BULKHEAD_BIN names the bulkhead binary}
SRC=${BULKHEAD_SOURCE_ROOT:?}

T=$(make_tmp containerd)
CTR=(ctr -a "$T/containerd.sock" -n bulkhead-test)
cleanup()
{
	for c in $("${CTR[@]}" task ls -q 2>/dev/null); do "${CTR[@]}" task kill -s KILL "$c" >/dev/null 2>&1; done
	sleep 0.5
	for c in $("${CTR[@]}" task ls -q 2>/dev/null); do "${CTR[@]}" task rm -f "$c" >/dev/null 2>&1; done
	for c in $("${CTR[@]}" container ls -q 2>/dev/null); do "${CTR[@]}" container rm "$c" >/dev/null 2>&1; done
	stop_pid "$T/containerd.pid"
	unmount_under "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# ctr puts a container's cgroup below its namespace (/bulkhead-test/ID): that
# parent is added to restricted's P6.cgroups-path parents.
sed 's|"parents": \["/docker"|"parents": ["/bulkhead-test", "/docker"|' "$SRC/policies/restricted.json" >"$T/restricted.json"
cp "$SRC/policies/seccomp-default.json" "$T/"
chmod 644 "$T/restricted.json" "$T/seccomp-default.json"
grep -q '"/bulkhead-test"' "$T/restricted.json" || fail "could not add /bulkhead-test to the policy's cgroup parents"
write_config "$T/config.json" "$T/restricted.json" "$T/audit.jsonl"
cat >"$T/containerd.toml" <<TOML
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
BULKHEAD_CONFIG="$T/config.json" containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
echo $! >"$T/containerd.pid"
wait_for "${CTR[@]}" version || {
	tail -n 20 "$T/containerd.log" >&2
	fail "containerd did not start"
}
make_rootfs "$T/rootfs"
RUN=(--runc-binary "$BIN" --runc-root "$T/runc")

# ctr's spec mounts no cgroupfs: the limits are read from the host's side.
"${CTR[@]}" run -d "${RUN[@]}" --rootfs "$T/rootfs" c2 /bin/sleep 300 >/dev/null 2>&1 || fail "ctr run -d failed"
pid=$("${CTR[@]}" task ls | awk '$1 == "c2" { print $2 }')
[ -n "$pid" ] || fail "no pid for task c2"
out=$("${CTR[@]}" task exec --exec-id probe c2 /bin/sh -c "$INSIDE_SCRIPT" 2>&1) ||
	fail "ctr task exec failed: $out"
out=$(printf '%s\n' "$out" | grep -v -e '^mem=' -e '^pids='; host_limits "$pid")
check_inside "$out" "ctr run (checked through exec)"
v=$("${CTR[@]}" task exec --exec-id e1 --user 0 c2 /bin/sh -c 'id -u' 2>&1) || fail "ctr task exec --user 0 failed: $v"
[ "$v" != 0 ] || fail "ctr task exec --user 0 runs as root"
ok "ctr task exec --user 0: uid $v"
v=$("${CTR[@]}" task exec --exec-id e2 c2 /bin/sh -c 'grep CapEff /proc/self/status' 2>&1) || fail "ctr task exec failed: $v"
eff=$(echo "$v" | sed -n 's/CapEff:\s*//p')
[ $((0x$eff & ~0x$ALLOWED_CAPS)) = 0 ] || fail "ctr task exec has capabilities $eff"
ok "ctr task exec: CapEff $eff"
"${CTR[@]}" task pause c2 >/dev/null || fail "ctr task pause"
"${CTR[@]}" task resume c2 >/dev/null || fail "ctr task resume"
"${CTR[@]}" task kill -s KILL c2 >/dev/null || fail "ctr task kill"
wait_for sh -c "! ${CTR[*]} task ls -q | grep -qx c2 || ${CTR[*]} task ls | grep c2 | grep -q STOPPED"
"${CTR[@]}" task rm c2 >/dev/null 2>&1 || "${CTR[@]}" task rm -f c2 >/dev/null 2>&1 || fail "ctr task rm"
"${CTR[@]}" container rm c2 >/dev/null || fail "ctr container rm"
ok "ctr task pause/resume/kill/rm"

# A host namespace is refused, with bulkhead's reason in ctr's error.
if v=$("${CTR[@]}" run --rm "${RUN[@]}" --net-host --rootfs "$T/rootfs" c3 /bin/true 2>&1); then
	fail "ctr run --net-host was allowed"
fi
case "$v" in *bulkhead:*P8.namespaces*) ok "ctr run --net-host refused" ;; *) fail "--net-host refused without bulkhead's reason: $v" ;; esac
[ "$(wc -l <"$T/audit.jsonl")" -ge 3 ] || fail "missing audit records"
jq -e . "$T/audit.jsonl" >/dev/null || fail "the audit log is not JSON lines"
ok "audit records written"
exit 0
