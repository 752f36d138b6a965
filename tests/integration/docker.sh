#!/usr/bin/env bash
# Docker through bulkhead: a private dockerd (own data-root, exec-root, socket
# and containerd namespace in a temporary directory) with bulkhead as a
# runtime, the shipped restricted policy, and checks made inside the
# containers. Docker needs --userns-remap for restricted (its layer
# directories are 0710): the first daemon has it, the second does not, and
# there bulkhead must refuse with that remedy in docker's own error.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
command -v dockerd >/dev/null || skip "dockerd is not installed (Debian package docker.io)"
command -v docker >/dev/null || skip "the docker client is not installed"
BIN=${BULKHEAD_BIN:?BULKHEAD_BIN names the bulkhead binary}
SRC=${BULKHEAD_SOURCE_ROOT:?}

T=$(make_tmp docker)
DOCKER=(docker -H "unix://$T/docker.sock")
cleanup()
{
	"${DOCKER[@]}" rm -f $("${DOCKER[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1
	"${DOCKER[@]}" network rm bulkhead-test-net >/dev/null 2>&1
	stop_pid "$T/docker.pid"
	# dockerd's containerd follows it; its shims exit with their containers.
	unmount_under "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# restricted pins the argv of Docker's hook, exec root included: this dockerd's
# exec root is $T/exec, not /var/run/docker, so the policy is given that one.
sed "s|-exec-root=/var/run/docker|-exec-root=$T/exec|" "$SRC/policies/restricted.json" >"$T/restricted.json"
cp "$SRC/policies/seccomp-default.json" "$T/"
chmod 644 "$T/restricted.json" "$T/seccomp-default.json"
grep -q -- "-exec-root=$T/exec" "$T/restricted.json" || fail "could not set the exec root in the policy"
write_config "$T/config.json" "$T/restricted.json" "$T/audit.jsonl"
cat >"$T/daemon.json" <<JSON
{"runtimes": {"bulkhead": {"path": "$BIN"}}}
JSON

start_dockerd()
{
	BULKHEAD_CONFIG="$T/config.json" dockerd --config-file "$T/daemon.json" \
		--data-root "$T/data" --exec-root "$T/exec" -H "unix://$T/docker.sock" \
		--pidfile "$T/docker.pid" --containerd-namespace bulkhead-test \
		--containerd-plugins-namespace bulkhead-test-plugins \
		--bridge none --iptables=false --ip-masq=false "$@" >>"$T/dockerd.log" 2>&1 &
	wait_for "${DOCKER[@]}" version || {
		tail -n 20 "$T/dockerd.log" >&2
		fail "dockerd did not start"
	}
}

import_busybox()
{
	make_rootfs "$T/rootfs"
	tar -C "$T/rootfs" -c . | "${DOCKER[@]}" import -c 'ENV PATH=/bin' - bulkhead-busybox:test >/dev/null ||
		fail "docker import of the busybox rootfs failed"
}

run() { "${DOCKER[@]}" run --rm --runtime bulkhead "$@"; }

# --- with --userns-remap=default: hardened containers -----------------------
start_dockerd --userns-remap=default
import_busybox

out=$(run bulkhead-busybox:test sh -c "$INSIDE_SCRIPT" 2>&1) || fail "docker run failed: $out"
check_inside "$out" "docker run"

# Docker's default container shape: a bridge network, so dockerd adds its
# prestart hook (/proc/<dockerd pid>/exe libnetwork-setkey ...). restricted
# allowlists it by what the path resolves to and its whole argv, hands runc
# dockerd's binary in place of /proc/PID/exe, pins its environment, and the
# hook (dockerd re-executed with argv[0] libnetwork-setkey) still gives the
# container its address.
"${DOCKER[@]}" network create -d bridge --subnet 10.213.0.0/24 \
	-o com.docker.network.bridge.enable_ip_masquerade=false bulkhead-test-net >/dev/null ||
	fail "docker network create failed"
out=$(run --network bulkhead-test-net bulkhead-busybox:test sh -c 'id -u; ip -4 addr show eth0' 2>&1) ||
	fail "docker run on a bridge network (libnetwork hook) failed: $out"
echo "$out" | grep -q 'inet 10\.213\.0\.' || fail "no address from the libnetwork hook: $out"
[ "$(echo "$out" | head -n 1)" != 0 ] || fail "bridge-network container runs as root"
tail -n 1 "$T/audit.jsonl" | jq -e '.verdict == "mutate" and ([.findings[] | select(.rule == "P12.hooks" and .action == "mutate" and (.pointer | endswith("/path")))] | length > 0)' >/dev/null ||
	fail "the libnetwork hook was not recognised and pinned: $(tail -n 1 "$T/audit.jsonl" | head -c 600)"
ok "Docker's libnetwork hook allowlisted by resolved path, environment pinned, network up"
"${DOCKER[@]}" network rm bulkhead-test-net >/dev/null || fail "docker network rm"

"${DOCKER[@]}" run -d --name life --runtime bulkhead bulkhead-busybox:test sleep 300 >/dev/null ||
	fail "docker run -d failed"
v=$("${DOCKER[@]}" exec life id -u) || fail "docker exec failed"
[ "$v" != 0 ] || fail "docker exec runs as root"
ok "docker exec: uid $v"
v=$("${DOCKER[@]}" exec -u 0 life sh -c 'id -u; grep CapEff /proc/self/status' 2>&1) || fail "docker exec -u 0 failed unexpectedly: $v"
case "$v" in 0*) fail "docker exec -u 0 runs as root: $v" ;; esac
ok "docker exec -u 0: $(echo $v)"
if v=$("${DOCKER[@]}" exec --privileged life sh -c 'grep CapEff /proc/self/status' 2>&1); then
	eff=$(echo "$v" | sed -n 's/CapEff:\s*//p')
	[ -n "$eff" ] && [ $((0x$eff & ~0x$ALLOWED_CAPS)) = 0 ] || fail "docker exec --privileged kept capabilities: $v"
	ok "docker exec --privileged stripped to $eff"
else
	case "$v" in *bulkhead:*) ok "docker exec --privileged refused: $v" ;; *) fail "docker exec --privileged failed without bulkhead's reason: $v" ;; esac
fi
if v=$("${DOCKER[@]}" update --memory 64g --memory-swap 64g life 2>&1); then
	fail "docker update --memory 64g was allowed"
fi
case "$v" in *bulkhead:*) ok "docker update above the max refused: $v" ;; *) fail "docker update refused without bulkhead's reason: $v" ;; esac
"${DOCKER[@]}" update --memory 256m --memory-swap 256m life >/dev/null 2>&1 || fail "docker update within the max refused"
ok "docker update within the max allowed"
"${DOCKER[@]}" pause life >/dev/null || fail "docker pause"
"${DOCKER[@]}" unpause life >/dev/null || fail "docker unpause"
"${DOCKER[@]}" restart -t 1 life >/dev/null || fail "docker restart"
"${DOCKER[@]}" kill life >/dev/null || fail "docker kill"
"${DOCKER[@]}" start life >/dev/null || fail "docker start"
"${DOCKER[@]}" stop -t 1 life >/dev/null || fail "docker stop"
"${DOCKER[@]}" rm life >/dev/null || fail "docker rm"
ok "docker pause/unpause/restart/kill/start/stop/rm"

refused()
{
	local label=$1 rule=$2 v
	shift 2
	if v=$(run "$@" bulkhead-busybox:test true 2>&1); then
		fail "$label was allowed"
	fi
	case "$v" in
	*"bulkhead:"*"$rule"*) ok "$label refused: $(echo "$v" | grep -o 'bulkhead:.*' | head -c 200)" ;;
	*) fail "$label failed without bulkhead's reason ($rule): $v" ;;
	esac
}
# dockerd itself refuses host namespaces and --privileged while it remaps
# users, unless the container opts out with --userns=host: then the call
# reaches bulkhead, which must refuse it.
refused "--network host" P8.namespaces --userns=host --network host
refused "-v /var/run/docker.sock" P10.engine-socket -v /var/run/docker.sock:/var/run/docker.sock
refused "--privileged" P0.privileged --userns=host --privileged
refused "--pid host" P8.namespaces --userns=host --pid host

n=$(wc -l <"$T/audit.jsonl")
jq -e . "$T/audit.jsonl" >/dev/null || fail "the audit log is not JSON lines"
[ "$n" -ge 8 ] || fail "only $n audit records"
ok "$n audit records, each a JSON line"

# --- without a user namespace from dockerd: refused with the remedy ----------
"${DOCKER[@]}" rm -f $("${DOCKER[@]}" ps -aq) >/dev/null 2>&1
stop_pid "$T/docker.pid"
start_dockerd
import_busybox
v=$(run bulkhead-busybox:test true 2>&1) && fail "restricted let Docker start a container without a user namespace"
case "$v" in
*bulkhead:*userns-remap*) ok "no userns-remap: refused with the remedy" ;;
*) fail "no userns-remap: refused without the remedy: $v" ;;
esac
exit 0
