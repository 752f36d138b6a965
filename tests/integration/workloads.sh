#!/usr/bin/env bash
# Real servers through Docker and bulkhead's restricted policy, unmodified: a
# Debian bookworm root filesystem made with debootstrap (nginx, redis-server,
# postgresql, python3, busybox-static), imported into a private dockerd with
# --userns-remap=default and bulkhead as its runtime. Each server is probed
# from the host, inside the container's network namespace (HTTP 200, redis
# SET/BGSAVE/SET, psql select 1), and its process is checked from the host
# (/proc/PID): uid not 0, CapEff within NET_BIND_SERVICE, NoNewPrivs 1,
# Seccomp 2, a uid_map that does not map host 0, a read-only root. Then
# `bulkhead learn` on nginx under a policy that lacks its state directories
# prints an override that makes it run.
#
# The root filesystem is tests/integration/debian_root.sh's, cached in
# /var/cache/bulkhead-test (BULKHEAD_TEST_CACHE) and shared with deb.sh.
# WL_RUNTIME=runc runs the workloads through plain runc instead
# (for comparison; the guarantees are then not checked); WL_REDIS gives redis
# another command line (WL_REDIS=redis-server: its working directory at /);
# WL_KEEP=1 leaves the daemon running.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
for c in dockerd docker debootstrap curl nsenter psql python3 jq; do
	command -v "$c" >/dev/null || skip "$c is not installed"
done
BIN=${BULKHEAD_BIN:?BULKHEAD_BIN names the bulkhead binary}
SRC=${BULKHEAD_SOURCE_ROOT:?}
RUNTIME=${WL_RUNTIME:-bulkhead}
START=$(date +%s)

# --- the root filesystem, cached (shared with deb.sh) ---------------------------
. "$(dirname "$0")/debian_root.sh"
debian_root

# --- a private dockerd with user namespaces ----------------------------------
T=$(make_tmp workloads)
DOCKER=(docker -H "unix://$T/docker.sock")
cleanup()
{
	if [ -n "${WL_KEEP:-}" ]; then
		echo "# WL_KEEP: dockerd $(cat "$T/docker.pid") left running: ${DOCKER[*]}"
		return
	fi
	local t0
	t0=$(date +%s)
	"${DOCKER[@]}" rm -f $("${DOCKER[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1
	stop_pid "$T/docker.pid"
	unmount_under "$T"
	rm -rf "$T"
	echo "# cleaned up in $(($(date +%s) - t0)) s"
}
trap cleanup EXIT

# restricted, with this dockerd's exec root in Docker's hook (see docker.sh).
policy_for()
{
	sed "s|-exec-root=/var/run/docker|-exec-root=$T/exec|" "$1" >"$2"
	chmod 644 "$2"
}
cp "$SRC/policies/seccomp-default.json" "$T/"
chmod 644 "$T/seccomp-default.json"
policy_for "$SRC/policies/restricted.json" "$T/restricted.json"
cat >"$T/config.json" <<JSON
{"runtime": "$(command -v runc)", "policy": "$T/restricted.json",
 "audit": {"log": "$T/audit.jsonl"}, "engine": "docker"}
JSON
chmod 644 "$T/config.json"
echo '{"runtimes": {"bulkhead": {"path": "'"$BIN"'"}}}' >"$T/daemon.json"
BULKHEAD_CONFIG="$T/config.json" dockerd --config-file "$T/daemon.json" \
	--data-root "$T/data" --exec-root "$T/exec" -H "unix://$T/docker.sock" \
	--pidfile "$T/docker.pid" --containerd-namespace bulkhead-wl \
	--containerd-plugins-namespace bulkhead-wl-plugins --userns-remap=default \
	--bridge none --iptables=false --ip-masq=false >>"$T/dockerd.log" 2>&1 &
wait_for "${DOCKER[@]}" version || {
	tail -n 20 "$T/dockerd.log" >&2
	fail "dockerd did not start"
}
IMG=bulkhead-bookworm:test
t0=$(date +%s)
"${DOCKER[@]}" import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	"$DEBIAN_ROOT_TAR" "$IMG" >/dev/null || fail "docker import of the root filesystem"
echo "# imported in $(($(date +%s) - t0)) s"

# check that also returns the result (lib.sh's check always succeeds).
expect() # DESCRIPTION 'SHELL CONDITION'
{
	if eval "$2"; then
		ok "$1"
	else
		bad "$1"
		return 1
	fi
}

# --- probes, from the host in the container's network namespace --------------
pid_of() { "${DOCKER[@]}" inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }

http_code() # NAME URL
{
	local pid
	pid=$(pid_of "$1")
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	nsenter -t "$pid" -n curl -s -o /dev/null -m 5 -w '%{http_code}' "$2"
}

http_ok() { [ "$(http_code "$1" "$2" 2>/dev/null)" = 200 ]; }

# SET, BGSAVE (waited for), SET: "ok" when all three succeed.
redis_probe()
{
	local pid
	pid=$(pid_of "$1")
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	nsenter -t "$pid" -n python3 - <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", 6379), timeout=5)
f = s.makefile("rb")
def cmd(*a):
    s.sendall(b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a))
    line = f.readline()
    if line.startswith(b"$"):
        n = int(line[1:])
        return f.read(n + 2)[:-2] if n >= 0 else b""
    return line.strip()
r = [cmd(b"SET", b"a", b"1"), cmd(b"BGSAVE")]
for _ in range(50):
    info = cmd(b"INFO", b"persistence")
    if b"rdb_bgsave_in_progress:0" in info:
        break
    time.sleep(0.1)
r.append(b"bgsave_status:ok" if b"rdb_last_bgsave_status:ok" in info else b"bgsave failed")
r.append(cmd(b"SET", b"b", b"2"))
print(" ".join(x.decode() for x in r))
sys.exit(0 if r[0] == b"+OK" and r[2] == b"bgsave_status:ok" and r[3] == b"+OK" else 1)
PY
}

psql_probe()
{
	local pid
	pid=$(pid_of "$1")
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	nsenter -t "$pid" -n psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' 2>&1
}

# The guarantees of restricted, read from the host for the server's process.
guarantees() # NAME
{
	local name=$1 pid st uid inside map eff
	pid=$(pid_of "$name")
	st=$(cat "/proc/$pid/status")
	uid=$(echo "$st" | awk '/^Uid:/ {print $3}')
	map=$(tr -s ' ' <"/proc/$pid/uid_map" | sed 's/^ //')
	# the effective uid as the container sees it, through its uid_map
	inside=$(echo "$map" | awk -v h="$uid" '$2 <= h && h < $2 + $3 { print h - $2 + $1 }')
	eff=$(echo "$st" | awk '/^CapEff:/ {print $2}')
	check "$name: uid inside is $inside (host $uid), not 0" '[ -n "$inside" ] && [ "$inside" != 0 ]'
	check "$name: CapEff $eff within NET_BIND_SERVICE" '[ $((0x$eff & ~0x$ALLOWED_CAPS)) = 0 ]'
	check "$name: NoNewPrivs 1" 'echo "$st" | grep -q "^NoNewPrivs:[[:space:]]*1$"'
	check "$name: Seccomp 2" 'echo "$st" | grep -q "^Seccomp:[[:space:]]*2$"'
	check "$name: uid_map '$map' does not map host 0" \
		'[ -n "$map" ] && ! echo "$map" | awk "\$2 == 0 { f = 1 } END { exit !f }"'
	check "$name: root filesystem read-only" \
		'awk "\$5 == \"/\" { print \$6 }" "/proc/$pid/mountinfo" | tail -n 1 | grep -qE "(^|,)ro(,|$)"'
}

run_d() # NAME ARGS... : a detached container through the runtime under test
{
	local name=$1
	shift
	"${DOCKER[@]}" run -d --name "$name" --runtime "$RUNTIME" "$@" >/dev/null 2>"$T/$name.err" || {
		bad "$name: docker run failed: $(tail -c 600 "$T/$name.err")"
		return 1
	}
}

why_down() # NAME: what the server said
{
	echo "# $1: $("${DOCKER[@]}" inspect -f '{{.State.Status}} exit {{.State.ExitCode}}' "$1" 2>&1);" \
		"logs: $("${DOCKER[@]}" logs "$1" 2>&1 | tail -n 5 | tr '\n' '|')"
}

workload_http() # NAME PATH COMMAND...
{
	local name=$1 path=$2 code=
	shift 2
	run_d "$name" "$IMG" "$@" || return
	wait_for http_ok "$name" "http://127.0.0.1:80$path" || true
	code=$(http_code "$name" "http://127.0.0.1:80$path")
	expect "$name: GET $path gives ${code:-nothing} (want 200)" '[ "$code" = 200 ]' || {
		why_down "$name"
		return
	}
	[ "$RUNTIME" = runc ] || guarantees "$name"
}

t1=$(date +%s)
workload_http wl-python / python3 -m http.server 80
workload_http wl-busybox /etc/os-release busybox httpd -f -p 80
workload_http wl-nginx / nginx -g 'daemon off;'

# redis with its data in Debian's directory for it (the official image's
# WORKDIR /data does the same): with its working directory at / it would write
# its dump into the read-only root, which no tmpfs can cover. Debian's own
# /etc/redis/redis.conf is readable by user redis only.
t2=$(date +%s)
read -r -a REDIS <<<"${WL_REDIS:-redis-server --dir /var/lib/redis}"
if run_d wl-redis "$IMG" "${REDIS[@]}"; then
	out=
	for _ in $(seq 30); do
		out=$(redis_probe wl-redis 2>&1) && break
		sleep 0.5
	done
	if expect "redis: SET, BGSAVE, SET: $out" 'redis_probe wl-redis >/dev/null 2>&1'; then
		[ "$RUNTIME" = runc ] || guarantees wl-redis
	else
		why_down wl-redis
	fi
fi

echo "# redis in $(($(date +%s) - t2)) s"
t2=$(date +%s)
# postgres on a data directory volume owned by what uid 65534 is on the host
# (dockremap's range), initialised by the same image.
base=$(awk -F: '$1 == "dockremap" { print $2; exit }' /etc/subuid)
[ -n "$base" ] || fail "no dockremap range in /etc/subuid"
puid=$((base + 65534))
[ "$RUNTIME" = runc ] && puid=$((base + $(awk -F: '$1 == "postgres" { print $3 }' <(tar -xOf "$DEBIAN_ROOT_TAR" ./etc/passwd))))
mkdir -p "$T/pg" && chown "$puid:$puid" "$T/pg" && chmod 700 "$T/pg"
PGUSER=()
[ "$RUNTIME" = runc ] && PGUSER=(-u postgres)
if ! out=$("${DOCKER[@]}" run --rm --runtime "$RUNTIME" "${PGUSER[@]}" -v "$T/pg:/data" "$IMG" \
	/usr/lib/postgresql/15/bin/initdb -D /data/db -U postgres --auth=trust 2>&1); then
	bad "postgres: initdb failed: $(echo "$out" | tail -n 3)"
elif run_d wl-postgres "${PGUSER[@]}" -v "$T/pg:/data" "$IMG" /usr/lib/postgresql/15/bin/postgres -D /data/db; then
	out=
	for _ in $(seq 40); do
		out=$(psql_probe wl-postgres) && [ "$out" = 1 ] && break
		sleep 0.5
	done
	if expect "postgres: select 1 gives '$out'" '[ "$out" = 1 ]'; then
		[ "$RUNTIME" = runc ] || guarantees wl-postgres
	else
		why_down wl-postgres
	fi
fi
echo "# postgres in $(($(date +%s) - t2)) s; five workloads in $(($(date +%s) - t1)) s"
if [ "$RUNTIME" = runc ]; then
	finish workloads
	exit 0
fi

# Every server's decision was recorded, with what the hardening made read-only.
check "audit: the decisions list the tmpfs added and note what was skipped or hidden" \
	'jq -se "[.[] | select(.verdict == \"mutate\")] | length >= 6" "$T/audit.jsonl" >/dev/null'
"${DOCKER[@]}" rm -f wl-python wl-busybox wl-nginx wl-redis wl-postgres >/dev/null 2>&1

# An engine's tmpfs made for root is the new user's (docker run --tmpfs).
out=$("${DOCKER[@]}" run --rm --runtime bulkhead --tmpfs /srv "$IMG" sh -c 'touch /srv/x && id -u' 2>&1)
check "docker run --tmpfs /srv: writable by the user bulkhead chose ($out)" '[ "$out" = 65534 ]'

# A scratch-like image without /tmp, /run or /var/tmp runs (the tmpfs it
# cannot have are noted), through Docker and through runc directly.
mkdir -p "$T/scratch/bin" "$T/scratch/proc" "$T/scratch/dev" "$T/scratch/sys"
cp "$(command -v busybox)" "$T/scratch/bin/busybox"
tar -C "$T/scratch" -c . | "${DOCKER[@]}" import -c 'ENV PATH=/bin' - bulkhead-scratch:test >/dev/null ||
	fail "docker import of the scratch image"
out=$("${DOCKER[@]}" run --rm --runtime bulkhead bulkhead-scratch:test busybox id -u 2>&1)
check "a scratch-like image runs through Docker ($out)" '[ "$out" = 65534 ]'
check "audit: no tmpfs on /tmp, noted" \
	'tail -n 1 "$T/audit.jsonl" | jq -e "[.findings[] | select(.action == \"audit\") | .message] | any(startswith(\"no tmpfs on /tmp: the image has no such directory\"))" >/dev/null'
mkdir -p "$T/sb" && mv "$T/scratch" "$T/sb/rootfs"
(cd "$T/sb" && runc spec) && jq '.process.terminal = false | .process.args = ["busybox", "id", "-u"]' \
	"$T/sb/config.json" >"$T/c" && mv "$T/c" "$T/sb/config.json"
out=$(cd "$T/sb" && BULKHEAD_CONFIG="$T/config.json" "$BIN" --root "$T/runc-state" run "wl-scratch-$$" </dev/null 2>&1)
check "a scratch-like image runs through runc, bulkhead adding the user namespace ($out)" '[ "$out" = 65534 ]'

# --- bulkhead learn: nginx under a policy without state directories ----------
t2=$(date +%s)
cat >"$T/nostate.json" <<JSON
{"extends": "$T/restricted.json", "name": "nostate", "version": "1",
 "rules": {"P2.readonly-rootfs": {"action": "mutate", "stateDirs": []}}}
JSON
chmod 644 "$T/nostate.json"
use_policy() { jq --arg p "$1" '.policy = $p' "$T/config.json" >"$T/c" && mv "$T/c" "$T/config.json" && chmod 644 "$T/config.json"; }
use_policy "$T/nostate.json"
if run_d wl-nginx-before "$IMG" nginx -g 'daemon off;'; then
	sleep 2
	code=$(http_code wl-nginx-before http://127.0.0.1:80/)
	check "nginx under a policy without its state directories: ${code:-no answer} (want none)" '[ "$code" != 200 ]'
fi
# The image as a bundle: its files and runc's spec with nginx's command.
mkdir -p "$T/learn/rootfs"
tar -C "$T/learn/rootfs" -xf "$DEBIAN_ROOT_TAR" || fail "unpacking the root filesystem"
(cd "$T/learn" && runc spec) || fail "runc spec"
jq '.process.args = ["nginx", "-g", "daemon off;"]' "$T/learn/config.json" >"$T/c" &&
	mv "$T/c" "$T/learn/config.json"
BULKHEAD_CONFIG="$T/config.json" "$BIN" learn --image "$IMG" --policy "$T/nostate.json" \
	--seconds 3 --format json "$T/learn" >"$T/learn.json" 2>"$T/learn.err"
rc=$?
check "learn: nginx runs with what it learned (exit $rc: $(head -c 300 "$T/learn.err"))" '[ "$rc" = 0 ]'
check "learn: the refusals it read" \
	'[ -s "$T/learn.json" ] && jq -e "[.rounds[].writeRefused[]] | any(test(\"/var/lib/nginx/body: EROFS\"))" "$T/learn.json" >/dev/null'
check "learn: an override matched on the image with nginx's state directories: $(jq -c '.policy.overrides' "$T/learn.json" 2>/dev/null)" \
	'[ -s "$T/learn.json" ] && jq -e --arg i "$IMG" ".policy.overrides[0] | .match.image == \$i and (.rules[\"P2.readonly-rootfs\"].stateDirs | index(\"/var/lib/nginx\") and index(\"/var/log/nginx\"))" "$T/learn.json" >/dev/null'
jq -s '.[0] + {name: "learned", overrides: .[1].policy.overrides}' "$T/nostate.json" "$T/learn.json" >"$T/learned.json"
chmod 644 "$T/learned.json"
use_policy "$T/learned.json"
workload_http wl-nginx-learned / nginx -g 'daemon off;'
check "audit: the override applied" \
	'tail -n 1 "$T/audit.jsonl" | jq -e "[.overrides[]?.name] | index(\"learned\")" >/dev/null'
echo "# learn in $(($(date +%s) - t2)) s"
rm -rf "$T/learn"

echo "# total $(($(date +%s) - START)) s"
finish workloads
