#!/bin/bash
# runc_hardened: start real containers with runc through bulkhead and the
# restricted policy, and measure from inside that they are hardened; check that
# denied bundles never start, that exec and update cannot take it back, and that
# every decision is one valid JSON line in the audit log.
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
RUNC=$(command -v runc) || skip "runc not installed"
BUSYBOX=$(command -v busybox) || skip "busybox not installed"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || skip "busybox is not static (install busybox-static)"

umask 022
T=$(make_tmp runc) || exit 1 # the user namespace's root must traverse to the rootfs
IDS=""
cleanup() {
	for id in $IDS; do "$RUNC" delete -f "$id" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap cleanup EXIT


cat >"$T/bulkhead.json" <<EOF
{"runtime": "$RUNC",
 "policy": "$SRC/policies/restricted.json",
 "audit": {"log": "$T/audit/audit.jsonl", "keepDenied": "$T/kept"}}
EOF
export BULKHEAD_CONFIG="$T/bulkhead.json"
AUDIT="$T/audit/audit.jsonl"

# A busybox-static root filesystem, shared read-only by every bundle.
ROOTFS="$T/rootfs"
mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev" "$ROOTFS/tmp" \
	"$ROOTFS/run" "$ROOTFS/var/tmp" "$ROOTFS/etc"
chmod 1777 "$ROOTFS/tmp" "$ROOTFS/var/tmp"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$ROOTFS/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$ROOTFS/etc/passwd"
cat >"$ROOTFS/probe.sh" <<'EOF'
#!/bin/sh
echo "uid=$(id -u)"
echo "gid=$(id -g)"
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status | tr -d ' \t' | sed 's/:/=/'
echo "uidmap=$(tr -s ' ' <  /proc/self/uid_map | tr '\n' ';')"
echo "gidmap=$(tr -s ' ' <  /proc/self/gid_map | tr '\n' ';')"
if touch /probe-write 2>/dev/null; then echo rootwrite=yes; else echo rootwrite=no; fi
if touch /tmp/probe 2>/dev/null; then echo tmpwrite=yes; else echo tmpwrite=no; fi
m=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max 2>/dev/null)
echo "memlimit=$m"
p=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max 2>/dev/null)
echo "pidsmax=$p"
if mount -t tmpfs probe /tmp 2>/dev/null; then echo mount=yes; else echo mount=no; fi
if unshare -U true 2>/dev/null; then echo unshare=yes; else echo unshare=no; fi
if unshare -m true 2>/dev/null; then echo unsharem=yes; else echo unsharem=no; fi
echo "fds=$(ls /proc/self/fd | sort -n | tr '\n' ' ')"
EOF
chmod 0755 "$ROOTFS/probe.sh"

# mkbundle DIR ARGS_JSON: a bundle whose config.json is runc's default spec
# running ARGS_JSON in the shared rootfs.
mkbundle() {
	mkdir -p "$1"
	(cd "$1" && "$RUNC" spec) || return 1
	jq --arg root "$ROOTFS" --argjson args "$2" \
		'.root.path = $root | .process.terminal = false | .process.args = $args' \
		"$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

value() { sed -n "s/^$1=//p" "$2" | head -n 1; }
# within_allowlist HEX: no capability but CAP_NET_BIND_SERVICE (bit 10)
within_allowlist() { [ -n "$1" ] && [ $((0x$1 & ~0x400)) -eq 0 ]; }
no_host_root() { # MAP: "inside outside count;..." never covers host ID 0
	local map=$1 inside outside count
	[ -n "$map" ] || return 1
	while read -r inside outside count; do
		[ -n "$count" ] || continue
		if [ "$outside" -le 0 ] && [ $((outside + count)) -gt 0 ]; then return 1; fi
	done <<EOF2
$(echo "$map" | tr ';' '\n')
EOF2
	return 0
}

echo "# 1. a hardened container, measured from inside"
B1="$T/b1"
mkbundle "$B1" '["/probe.sh"]' || { echo "runc spec failed"; exit 1; }
cp "$B1/config.json" "$T/b1.original.json"
ID1="bh-hardened-$$"
IDS="$IDS $ID1"
"$BIN" run --bundle "$B1" "$ID1" >"$T/probe.out" 2>"$T/probe.err" </dev/null
rc=$?
check "bulkhead run exits 0 (rc=$rc: $(head -c 300 "$T/probe.err"))" '[ "$rc" = 0 ]'
cat "$T/probe.out" | sed 's/^/#   /'
OUT="$T/probe.out"
u=$(value uid "$OUT")
check "id -u is not 0 ($u)" '[ -n "$u" ] && [ "$u" != 0 ]'
g=$(value gid "$OUT")
check "id -g is not 0 ($g)" '[ -n "$g" ] && [ "$g" != 0 ]'
for c in CapEff CapPrm CapBnd CapAmb CapInh; do
	v=$(value "$c" "$OUT")
	check "$c within the allowlist ($v)" 'within_allowlist "$v"'
done
check "NoNewPrivs is 1" '[ "$(value NoNewPrivs "$OUT")" = 1 ]'
check "Seccomp is 2 (filter)" '[ "$(value Seccomp "$OUT")" = 2 ]'
check "uid_map does not map host 0 ($(value uidmap "$OUT"))" 'no_host_root "$(value uidmap "$OUT")"'
check "gid_map does not map host 0 ($(value gidmap "$OUT"))" 'no_host_root "$(value gidmap "$OUT")"'
check "a write to / fails" '[ "$(value rootwrite "$OUT")" = no ]'
check "/tmp is writable" '[ "$(value tmpwrite "$OUT")" = yes ]'
mem=$(value memlimit "$OUT")
memmax=$(jq -r '.rules["P6.memory"].max // 2147483648' "$SRC/policies/restricted.json" 2>/dev/null || echo 2147483648)
check "memory limit set and within the max ($mem <= $memmax)" \
	'[ -n "$mem" ] && [ "$mem" != max ] && [ "$mem" -le "$memmax" ] 2>/dev/null'
pids=$(value pidsmax "$OUT")
check "pids limit set ($pids)" '[ -n "$pids" ] && [ "$pids" != max ]'
check "mount fails" '[ "$(value mount "$OUT")" = no ]'
check "unshare -U fails" '[ "$(value unshare "$OUT")" = no ]'
check "unshare -m fails" '[ "$(value unsharem "$OUT")" = no ]'
check "config.json was hardened (uid != 0)" \
	'[ "$(jq .process.user.uid "$B1/config.json")" != 0 ]'
check "config.json carries the policy stamp" \
	'jq -e ".annotations[\"io.bulkhead.policy\"] != null" "$B1/config.json" >/dev/null'
check "no temporary file left in the bundle" '[ "$(ls -A "$B1" | wc -l)" = 1 ]'
"$RUNC" delete -f "$ID1" >/dev/null 2>&1

echo "# 2. no bulkhead descriptor leaks into the container"
B2="$T/b2"
mkdir -p "$B2"
cp "$B1/config.json" "$B2/config.json" # already hardened: same container, plain runc
ID2="bh-plain-$$"
IDS="$IDS $ID2"
"$RUNC" run --bundle "$B2" "$ID2" >"$T/plain.out" 2>&1 </dev/null
"$RUNC" delete -f "$ID2" >/dev/null 2>&1
check "same descriptors inside as with plain runc ($(value fds "$OUT") / $(value fds "$T/plain.out"))" \
	'[ -n "$(value fds "$OUT")" ] && [ "$(value fds "$OUT")" = "$(value fds "$T/plain.out")" ]'

echo "# 3. denied bundles never start"
deny_case() { # NAME JQ_FILTER
	local name=$1 filter=$2 B="$T/deny-$1" ID="bh-deny-$1-$$"
	IDS="$IDS $ID"
	mkbundle "$B" '["sh","-c","echo started > /tmp/started; sleep 1"]' || return 1
	jq "$filter" "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	cp "$B/config.json" "$T/deny-$name.orig"
	rm -f "$T/deny.log"
	"$BIN" --log "$T/deny.log" --log-format json run --bundle "$B" "$ID" \
		>"$T/deny.out" 2>"$T/deny.err" </dev/null
	local rc=$?
	check "$name: refused with exit 1 (rc=$rc)" '[ "$rc" = 1 ]'
	check "$name: config.json byte-identical" 'cmp -s "$B/config.json" "$T/deny-$name.orig"'
	check "$name: the container does not exist" '! "$RUNC" state "$ID" >/dev/null 2>&1'
	check "$name: one line on stderr ($(head -c 300 "$T/deny.err"))" '[ "$(wc -l <"$T/deny.err")" = 1 ]'
	check "$name: nothing on stdout" '[ ! -s "$T/deny.out" ]'
	check "$name: one runc-format JSON line in --log" \
		'[ "$(wc -l <"$T/deny.log")" = 1 ] && jq -e "(.level == \"error\") and (.msg | startswith(\"bulkhead\")) and (.time | length > 0)" "$T/deny.log" >/dev/null'
}
for SOCK in /var/run/docker.sock /run/containerd/containerd.sock /run/podman/podman.sock; do
	if [ -S "$SOCK" ]; then
		deny_case engine-socket ".mounts += [{\"destination\": \"/var/run/docker.sock\", \"type\": \"bind\", \"source\": \"$SOCK\", \"options\": [\"rbind\"]}]"
		break
	fi
done
deny_case host-etc '.mounts += [{"destination": "/host-etc", "type": "bind", "source": "/etc", "options": ["rbind", "ro"]}]'
deny_case privileged '.process.capabilities = {"bounding": ["CAP_SYS_ADMIN","CAP_NET_ADMIN","CAP_SYS_PTRACE","CAP_SYS_MODULE","CAP_DAC_READ_SEARCH"], "effective": ["CAP_SYS_ADMIN"], "permitted": ["CAP_SYS_ADMIN"]} | del(.linux.seccomp) | .linux.maskedPaths = [] | .linux.readonlyPaths = [] | .linux.resources.devices = [{"allow": true, "access": "rwm"}]'
deny_case host-netns '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/net" else . end)'

echo "# 4. exec and update cannot take it back"
B4="$T/b4"
mkbundle "$B4" '["sleep","300"]'
ID4="bh-exec-$$"
IDS="$IDS $ID4"
"$BIN" run --detach --bundle "$B4" "$ID4" >/dev/null 2>"$T/run4.err" </dev/null
rc=$?
check "detached container started (rc=$rc: $(head -c 300 "$T/run4.err"))" '[ "$rc" = 0 ]'
u=$("$BIN" exec "$ID4" id -u 2>"$T/exec.err" </dev/null)
check "plain exec runs and is not root (uid=$u $(head -c 200 "$T/exec.err"))" '[ -n "$u" ] && [ "$u" != 0 ]'
# The flags build the process runc would run; it is judged like a --process
# file and runc runs the judged one.
out=$("$BIN" exec -u 0 "$ID4" id -u 2>"$T/exec0.err" </dev/null)
rc=$?
check "exec -u 0 runs as the policy's user, not root (rc=$rc, out=$out)" '[ "$rc" = 0 ] && [ "$out" = 65534 ]'
check "exec -u 0: the audit record names P1.user" \
	'tail -n 1 "$AUDIT" | jq -e '\''.subject == "flags" and ([.findings[].rule] | index("P1.user"))'\'' >/dev/null'
out=$("$BIN" exec --user 0:0 "$ID4" id 2>/dev/null </dev/null)
check "exec --user 0:0 is neither uid nor gid 0 ($out)" \
	'case "$out" in uid=65534*gid=65534*) true ;; *) false ;; esac'
out=$("$BIN" exec --cap CAP_SYS_ADMIN "$ID4" sh -c 'grep CapEff /proc/self/status' 2>/dev/null </dev/null)
capeff=$(echo "$out" | tr -d ' \t' | sed -n 's/^CapEff://p')
check "exec --cap CAP_SYS_ADMIN: the capability is not there (CapEff=$capeff)" 'within_allowlist "$capeff"'
out=$("$BIN" exec --apparmor unconfined "$ID4" true 2>"$T/execaa.err" </dev/null)
rc=$?
check "exec --apparmor unconfined refused (rc=$rc)" '[ "$rc" = 1 ] && grep -q process.apparmor "$T/execaa.err"'
out=$("$BIN" exec --cwd /proc/self/fd "$ID4" true 2>"$T/execcwd.err" </dev/null)
rc=$?
check "exec --cwd /proc/self/fd refused (rc=$rc)" '[ "$rc" = 1 ] && grep -q process.cwd "$T/execcwd.err"'
jq '.args = ["id","-u"]' "$SRC/tests/data/docker-20.10-exec-u0-process.json" >"$T/process.json"
cp "$T/process.json" "$T/process.orig"
u=$("$BIN" exec --process "$T/process.json" "$ID4" 2>"$T/execp.err" </dev/null)
check "exec --process with uid 0 comes out non-root (uid=$u $(head -c 200 "$T/execp.err"))" \
	'[ -n "$u" ] && [ "$u" != 0 ]'
check "the engine's process file is untouched" 'cmp -s "$T/process.json" "$T/process.orig"'
u=$("$BIN" exec "--process=$T/process.json" "$ID4" 2>/dev/null </dev/null)
check "exec --process=FILE too (uid=$u)" '[ -n "$u" ] && [ "$u" != 0 ]'
jq '.args = ["ls","/proc/self/fd"]' "$T/process.json" >"$T/fds.json"
fds_bh=$("$BIN" exec --preserve-fds 0 --process "$T/fds.json" "$ID4" 2>/dev/null </dev/null | sort -n | tr '\n' ' ')
fds_runc=$("$RUNC" exec --process "$T/fds.json" "$ID4" 2>/dev/null </dev/null | sort -n | tr '\n' ' ')
check "exec --process: no bulkhead descriptor (the memfd) inside ($fds_bh / $fds_runc)" \
	'[ -n "$fds_bh" ] && [ "$fds_bh" = "$fds_runc" ]'
jq '.args = ["sh","-c","grep CapEff /proc/self/status"]' \
	"$SRC/tests/data/docker-20.10-exec-u0-privileged-process.json" >"$T/priv.json"
out=$("$BIN" exec --process "$T/priv.json" "$ID4" 2>/dev/null </dev/null)
rc=$?
capeff=$(echo "$out" | tr -d ' \t' | sed -n 's/^CapEff://p')
check "docker exec --privileged process: refused or stripped (rc=$rc, CapEff=$capeff)" \
	'[ "$rc" = 1 ] || within_allowlist "$capeff"'
"$BIN" update --memory 64g "$ID4" 2>"$T/upd.err" </dev/null
rc=$?
check "update --memory beyond the max refused (rc=$rc)" '[ "$rc" = 1 ]'
check "update refusal names P6.memory" 'grep -q '\''P6.memory'\'' "$T/upd.err"'
"$BIN" update --pids-limit -1 "$ID4" 2>/dev/null </dev/null
rc=$?
check "update --pids-limit -1 refused (rc=$rc)" '[ "$rc" = 1 ]'
echo '{"memory": {"limit": -1}}' | "$BIN" update --resources=- "$ID4" 2>/dev/null
rc=$?
check "update --resources=- removing the memory limit refused (rc=$rc)" '[ "$rc" = 1 ]'
"$BIN" update --memory 256m --memory-swap 256m "$ID4" 2>"$T/upd2.err" </dev/null
rc=$?
check "update --memory 256m allowed (rc=$rc $(head -c 200 "$T/upd2.err"))" '[ "$rc" = 0 ]'
m=$("$RUNC" exec "$ID4" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null)
check "the new limit is in the cgroup ($m)" '[ "$m" = 268435456 ]'
echo '{"memory": {"limit": 134217728, "swap": 134217728}}' |
	"$BIN" update --resources - "$ID4" 2>"$T/upd3.err"
rc=$?
check "update --resources - within the max allowed (rc=$rc $(head -c 200 "$T/upd3.err"))" '[ "$rc" = 0 ]'
m=$("$RUNC" exec "$ID4" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null)
check "the limit from stdin is in the cgroup ($m)" '[ "$m" = 134217728 ]'
"$BIN" kill "$ID4" KILL >/dev/null 2>&1
rc=$?
check "kill passes through (rc=$rc)" '[ "$rc" = 0 ]'
sleep 0.3
"$BIN" delete -f "$ID4" >/dev/null 2>&1
check "delete passes through" '! "$RUNC" state "$ID4" >/dev/null 2>&1'

echo "# 5. the audit trail"
check "the audit log exists, mode 0640" '[ "$(stat -c %a "$AUDIT" 2>/dev/null)" = 640 ]'
check "its directory is 0750" '[ "$(stat -c %a "$T/audit" 2>/dev/null)" = 750 ]'
check "every line is valid JSON" 'jq -e . "$AUDIT" >/dev/null'
n=$(wc -l <"$AUDIT")
check "one record per decision ($n >= 16)" '[ "$n" -ge 16 ]'
check "denials recorded with their rule" \
	'jq -r "select(.verdict == \"deny\") | .findings[].rule" "$AUDIT" | grep -q .'
check "records name the policy and its sha256" \
	'! jq "select(.verdict != \"error\") | (.policy.name | length > 0) and (.policy.sha256 | length == 64)" "$AUDIT" | grep -q false'
check "refused specs kept for auditors" 'ls "$T/kept"/*.json >/dev/null 2>&1'
want=$(sha256sum "$T/b1.original.json" | cut -d' ' -f1)
got=$(jq -r --arg id "$ID1" 'select(.containerId == $id) | .input.sha256' "$AUDIT" | head -n 1)
check "the hardened container's record has the sha256 of config.json as read ($got)" \
	'[ "$got" = "$want" ]'
check "decision records carry the policy's version and an expired list" \
	'! jq "select(.verdict != \"error\") | (.policy.version | length > 0) and (.expired | type == \"array\")" "$AUDIT" | grep -q false'
kept=$(jq -r 'select(.kept != null) | ((.kept | split("/") | last) == (.input.sha256 + ".json"))' "$AUDIT")
check "a refused spec is kept under the sha256 its record names ($(echo $kept))" \
	'[ -n "$kept" ] && ! echo "$kept" | grep -q false'

echo "# 6. bulkhead audit reads this log"
"$BIN" audit --format json "$AUDIT" >"$T/report.json" 2>"$T/report.err"
rc=$?
check "bulkhead audit exits 0 (rc=$rc: $(head -c 300 "$T/report.err"))" '[ "$rc" = 0 ]'
for v in allow mutate deny error; do
	n_log=$(jq -s --arg v "$v" '[.[] | select(.verdict == $v)] | length' "$AUDIT")
	n_rep=$(jq --arg v "$v" '.verdicts[$v]' "$T/report.json")
	check "$v decisions: $n_rep in the report, $n_log in the log" '[ "$n_rep" = "$n_log" ]'
done
n_log=$(jq -s '[.[] | .findings[]? | select(.rule == "P1.user")] | length' "$AUDIT")
n_rep=$(jq '[.rules[] | select(.rule == "P1.user") | .deny + .mutate + .audit] | add // 0' "$T/report.json")
check "P1.user findings: $n_rep in the report, $n_log in the log" '[ "$n_rep" = "$n_log" ]'
"$BIN" audit --format sarif "$AUDIT" >"$T/report.sarif" 2>/dev/null
check "the SARIF report is SARIF 2.1.0" '[ "$(jq -r .version "$T/report.sarif")" = 2.1.0 ]'
printf '{"time":"2026-11-29T02:31:07.1' >>"$AUDIT" # a record torn by a crash
"$BIN" audit "$AUDIT" >"$T/report.txt" 2>"$T/report.err"
rc=$?
check "a torn last line is counted, not fatal (rc=$rc)" \
	'[ "$rc" = 0 ] && grep -q "1 bad line" "$T/report.txt"'

finish runc_hardened
