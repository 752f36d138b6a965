#!/bin/bash
# hooks_cgroups: hooks, cgroupsPath, unified and ping_group_range judged as runc
# 1.1.5 acts on them, with real containers; each case beside plain runc, which
# shows the host effect that bulkhead takes away.
#  1. a hook path that is a link to an allowlisted executable, swapped for a
#     shell script between bulkhead's decision and runc's run: the script runs
#     on the host under plain runc, never through bulkhead (runc is handed the
#     resolved executable); a link under /tmp is refused outright.
#  2. a cgroupsPath naming a cgroup that holds a host `sleep`: plain runc joins
#     it and puts the container's memory limit on the sleep; bulkhead refuses.
#  3. unified {"cgroup.freeze": "1"}: refused.
#  4. Docker's net.ipv4.ping_group_range "0 2147483647" under restricted (which
#     adds a 65536-ID user namespace): the container starts and sees "0 65535";
#     the same spec with Docker's range fails in plain runc.
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
RUNC=$(command -v runc) || skip "runc is not installed"
TRUE=$(readlink -f "$(type -P true)") && [ -x "$TRUE" ] || skip "no true(1) executable"

umask 022
T=$(make_tmp hooks) || exit 1 # the user namespace's root must traverse to the rootfs
# A directory only root can write, all the way up: where a hook link may live.
R=$(mktemp -d /run/bulkhead-hooks.XXXXXX) || skip "cannot make a directory in /run"
chmod 755 "$R"
CG="bulkhead-test-$$"
STATE="$T/state"
IDS=""
SLEEP=""
cleanup() {
	for id in $IDS; do "$RUNC" --root "$STATE" delete -f "$id" >/dev/null 2>&1; done
	[ -n "$SLEEP" ] && kill "$SLEEP" 2>/dev/null
	sleep 0.2
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "$h$CG" ] || continue
		for d in "$h$CG"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
		rmdir "$h$CG" 2>/dev/null
	done
	rm -rf "$T" "$R"
}
trap cleanup EXIT

make_rootfs "$T/rootfs"
cp "$SRC/policies/seccomp-default.json" "$T/"
# restricted, with this test's cgroup parent allowed (case 2 is about what is
# below a parent, not about which parents there are).
sed 's|"parents": \["/docker"|"parents": ["/'"$CG"'", "/docker"|' \
	"$SRC/policies/restricted.json" >"$T/restricted.json"
grep -q "\"/$CG\"" "$T/restricted.json" || fail "could not add /$CG to the policy's parents"
# Only the hook rule, allowlisting $TRUE with argv [bulkhead-test-hook, <this container>].
cat >"$T/hooks.json" <<EOF
{"name": "hooks-test", "version": "1", "mode": "enforce",
 "rules": {"P12.hooks": {"action": "mutate", "allowedHooks": [
   {"path": "$TRUE", "args": ["bulkhead-test-hook", "{id}"], "stages": ["prestart"]}]}}}
EOF
chmod 644 "$T/restricted.json" "$T/hooks.json" "$T/seccomp-default.json"
config() { # POLICY
	cat >"$T/bulkhead.json" <<EOF
{"runtime": "$RUNC", "policy": "$1", "audit": {"log": "$T/audit.jsonl"}}
EOF
}
export BULKHEAD_CONFIG="$T/bulkhead.json"

# mkbundle DIR JQ_FILTER: runc's default spec on the busybox rootfs, changed by the filter.
mkbundle() {
	mkdir -p "$1"
	(cd "$1" && "$RUNC" spec) || return 1
	jq --arg root "$T/rootfs" ".root.path = \$root | .process.terminal = false | $2" \
		"$1/config.json" >"$1/c" && mv "$1/c" "$1/config.json"
}
bh() { "$BIN" --root "$STATE" "$@"; }
plain() { "$RUNC" --root "$STATE" "$@"; }

echo "# 1. a hook link swapped between judging and running"
cat >"$R/payload" <<EOF
#!/bin/sh
echo "ran on the host as \$(id -u)" >"$T/pwned"
EOF
chmod 755 "$R/payload"
hookbundle() { # DIR ID LINK
	mkbundle "$1" ".process.args = [\"true\"] | .hooks = {\"prestart\": [{\"path\": \"$3\", \"args\": [\"bulkhead-test-hook\", \"$2\"]}]}"
}
ln -sfn "$TRUE" "$R/hook"
# Control: plain runc runs whatever the link names when it runs.
ID="bh-hook-plain-$$"
IDS="$IDS $ID"
hookbundle "$T/h0" "$ID" "$R/hook"
ln -sfn "$R/payload" "$R/hook.new" && mv -T "$R/hook.new" "$R/hook"
rm -f "$T/pwned"
plain run --bundle "$T/h0" "$ID" >/dev/null 2>&1 </dev/null
plain delete -f "$ID" >/dev/null 2>&1
check "control: plain runc ran the swapped-in script on the host ($(cat "$T/pwned" 2>/dev/null))" '[ -s "$T/pwned" ]'

config "$T/hooks.json"
if [ -z "$HOOKED" ]; then
	echo "# skipped: the swap during a pause needs bulkhead-hooked (-Dtest_hooks=true)"
else
# bulkhead: judged while the link names $TRUE, swapped during the test pause.
ln -sfn "$TRUE" "$R/hook.new" && mv -T "$R/hook.new" "$R/hook"
rm -f "$T/pwned"
ID="bh-hook-$$"
IDS="$IDS $ID"
hookbundle "$T/h1" "$ID" "$R/hook"
BULKHEAD_TEST_PAUSE_US=1500000 "$HOOKED" --root "$STATE" create --bundle "$T/h1" "$ID" \
	>/dev/null 2>"$T/h1.err" </dev/null &
BHPID=$!
sleep 0.5
ln -sfn "$R/payload" "$R/hook.new" && mv -T "$R/hook.new" "$R/hook"
wait $BHPID
rc=$?
check "bulkhead create with the swap exits 0 (rc=$rc: $(head -c 300 "$T/h1.err"))" '[ "$rc" = 0 ]'
check "the link did name the script when runc ran ($(readlink "$R/hook"))" '[ "$(readlink "$R/hook")" = "$R/payload" ]'
check "the swapped-in script did not run on the host" '[ ! -e "$T/pwned" ]'
check "runc was handed the judged executable ($(jq -c '.hooks.prestart[0].path' "$T/h1/config.json"))" \
	'[ "$(jq -r ".hooks.prestart[0].path" "$T/h1/config.json")" = "$TRUE" ]'
check "the hook's argv is kept, its environment pinned" \
	'jq -e ".hooks.prestart[0].args == [\"bulkhead-test-hook\", \"$ID\"] and (.hooks.prestart[0].env | length) == 1" "$T/h1/config.json" >/dev/null'
check "the container was created (the hook ran: $(plain state "$ID" 2>/dev/null | jq -r .status))" \
	'[ "$(plain state "$ID" 2>/dev/null | jq -r .status)" = created ]'
plain delete -f "$ID" >/dev/null 2>&1
fi

# The argv is pinned: another argument is refused.
ID="bh-hook-argv-$$"
IDS="$IDS $ID"
ln -sfn "$TRUE" "$R/hook.new" && mv -T "$R/hook.new" "$R/hook"
hookbundle "$T/h2" "other-container" "$R/hook"
bh run --bundle "$T/h2" "$ID" >/dev/null 2>"$T/h2.err" </dev/null
rc=$?
check "a hook argv naming another container is refused (rc=$rc: $(head -c 200 "$T/h2.err"))" \
	'[ "$rc" = 1 ] && grep -q "P12.hooks" "$T/h2.err"'
# A link in a directory others can write (/tmp) is refused before anything runs.
ln -sfn "$TRUE" "$T/hook"
ID="bh-hook-tmp-$$"
IDS="$IDS $ID"
hookbundle "$T/h3" "$ID" "$T/hook"
bh run --bundle "$T/h3" "$ID" >/dev/null 2>"$T/h3.err" </dev/null
rc=$?
check "a hook link under /tmp is refused (rc=$rc: $(head -c 200 "$T/h3.err"))" \
	'[ "$rc" = 1 ] && grep -q "writable by group or others" "$T/h3.err"'

echo "# 2. a cgroupsPath naming a cgroup that holds a host process"
config "$T/restricted.json"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	V2=1
	MEMDIR=/sys/fs/cgroup
	mkdir -p "$MEMDIR/$CG" && echo "+memory +pids" >"$MEMDIR/$CG/cgroup.subtree_control"
	MEMFILE=memory.max
else
	V2=0
	MEMDIR=/sys/fs/cgroup/memory
	MEMFILE=memory.limit_in_bytes
fi
mkdir -p "$MEMDIR/$CG/victim" || skip "cannot create a cgroup in $MEMDIR"
sleep 600 &
SLEEP=$!
echo "$SLEEP" >"$MEMDIR/$CG/victim/cgroup.procs" || fail "cannot move a sleep into $MEMDIR/$CG/victim"
before=$(cat "$MEMDIR/$CG/victim/$MEMFILE")
ID="bh-cg-$$"
IDS="$IDS $ID"
mkbundle "$T/c1" ".process.args = [\"sleep\", \"30\"] | .linux.cgroupsPath = \"/$CG/victim\""
bh run -d --bundle "$T/c1" "$ID" >/dev/null 2>"$T/c1.err" </dev/null
rc=$?
check "bulkhead refuses it (rc=$rc: $(head -c 300 "$T/c1.err"))" \
	'[ "$rc" = 1 ] && grep -q "P6.cgroups-path" "$T/c1.err" && grep -q "already holds processes" "$T/c1.err"'
check "the sleep's cgroup keeps its limit ($(cat "$MEMDIR/$CG/victim/$MEMFILE"))" \
	'[ "$(cat "$MEMDIR/$CG/victim/$MEMFILE")" = "$before" ]'
# A new cgroup below the same parent is fine, and gets restricted's limit.
ID="bh-cg-fresh-$$"
IDS="$IDS $ID"
mkbundle "$T/c2" ".process.args = [\"sleep\", \"30\"] | .linux.cgroupsPath = \"/$CG/fresh\""
bh run -d --bundle "$T/c2" "$ID" >/dev/null 2>"$T/c2.err" </dev/null
rc=$?
check "a new cgroup below the parent starts (rc=$rc: $(head -c 300 "$T/c2.err"))" '[ "$rc" = 0 ]'
check "and has restricted's memory limit ($(cat "$MEMDIR/$CG/fresh/$MEMFILE" 2>/dev/null))" \
	'[ "$(cat "$MEMDIR/$CG/fresh/$MEMFILE" 2>/dev/null)" = 536870912 ]'
plain delete -f "$ID" >/dev/null 2>&1
# Control: plain runc joins the sleep's cgroup and puts its limit on it.
ID="bh-cg-plain-$$"
IDS="$IDS $ID"
jq '.linux.resources.memory = {"limit": 67108864}' "$T/c1/config.json" >"$T/c" && mv "$T/c" "$T/c1/config.json"
plain run -d --bundle "$T/c1" "$ID" >/dev/null 2>"$T/c3.err" </dev/null
check "control: plain runc put the container's limit on the sleep's cgroup ($before -> $(cat "$MEMDIR/$CG/victim/$MEMFILE"))" \
	'[ "$(cat "$MEMDIR/$CG/victim/$MEMFILE")" = 67108864 ] && grep -qx "$SLEEP" "$MEMDIR/$CG/victim/cgroup.procs"'
plain kill "$ID" KILL >/dev/null 2>&1
sleep 0.3
plain delete -f "$ID" >/dev/null 2>&1

echo "# 3. unified cgroup.freeze"
ID="bh-unified-$$"
IDS="$IDS $ID"
mkbundle "$T/u1" '.process.args = ["true"] | .linux.resources.unified = {"cgroup.freeze": "1"}'
bh run --bundle "$T/u1" "$ID" >/dev/null 2>"$T/u1.err" </dev/null
rc=$?
check "refused (rc=$rc: $(head -c 300 "$T/u1.err"))" '[ "$rc" = 1 ] && grep -q "P6.unified" "$T/u1.err"'
if [ "$V2" = 1 ]; then
	ID="bh-unified-plain-$$"
	IDS="$IDS $ID"
	mkbundle "$T/u2" '.process.args = ["sleep", "30"] | .linux.resources.unified = {"cgroup.freeze": "1"} | .linux.cgroupsPath = "/'"$CG"'/frozen"'
	plain run -d --bundle "$T/u2" "$ID" >/dev/null 2>&1 </dev/null
	check "control: plain runc wrote cgroup.freeze ($(cat /sys/fs/cgroup/$CG/frozen/cgroup.freeze 2>/dev/null))" \
		'[ "$(cat /sys/fs/cgroup/$CG/frozen/cgroup.freeze 2>/dev/null)" = 1 ]'
	plain delete -f "$ID" >/dev/null 2>&1
else
	ok "control skipped: on cgroup v1 runc refuses unified resources itself"
fi

echo "# 4. Docker's ping_group_range under restricted's user namespace"
ID="bh-ping-$$"
IDS="$IDS $ID"
mkbundle "$T/p1" '.process.args = ["cat", "/proc/sys/net/ipv4/ping_group_range"] | .linux.sysctl = {"net.ipv4.ping_group_range": "0 2147483647", "net.ipv4.ip_unprivileged_port_start": "0"}'
cp "$T/p1/config.json" "$T/p1.orig.json"
out=$(bh run --bundle "$T/p1" "$ID" 2>"$T/p1.err" </dev/null)
rc=$?
check "the container starts (rc=$rc: $(head -c 300 "$T/p1.err"))" '[ "$rc" = 0 ]'
check "inside, ping_group_range is the mapped range ($(echo $out))" '[ "$(echo $out)" = "0 65535" ]'
check "in a user namespace bulkhead added" 'jq -e "[.linux.namespaces[] | select(.type == \"user\")] | length == 1" "$T/p1/config.json" >/dev/null'
plain delete -f "$ID" >/dev/null 2>&1
# Control: the same hardened spec with Docker's range, in plain runc.
ID="bh-ping-plain-$$"
IDS="$IDS $ID"
mkdir -p "$T/p2"
jq '.linux.sysctl["net.ipv4.ping_group_range"] = "0 2147483647"' "$T/p1/config.json" >"$T/p2/config.json"
plain run --bundle "$T/p2" "$ID" >/dev/null 2>"$T/p2.err" </dev/null
rc=$?
check "control: plain runc cannot start it with Docker's range (rc=$rc: $(grep -o 'ping_group_range[^"]*' "$T/p2.err" | head -n 1))" \
	'[ "$rc" != 0 ] && grep -q "invalid argument" "$T/p2.err"'
plain delete -f "$ID" >/dev/null 2>&1

check "every decision is one JSON line in the audit log" 'jq -e . "$T/audit.jsonl" >/dev/null'
finish hooks_cgroups
