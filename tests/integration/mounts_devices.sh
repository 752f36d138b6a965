#!/bin/bash
# mounts_devices: host objects named by a device path, by overlay options and
# by a second proc mount reach the container through plain runc 1.1.5 (the
# control: the host content is visible inside) and are refused through bulkhead
# with the restricted policy; benign overlays and standard devices still run.
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
RUNC=$(command -v runc) || skip "runc is not installed"

umask 022
T=$(make_tmp mounts) || exit 1 # the user namespace's root must traverse to the rootfs
STATE="$T/state"
SHMFILE=/dev/shm/bulkhead-md-$$
IDS=""
cleanup()
{
	local id
	for id in $IDS; do "$RUNC" --root "$STATE" delete -f "$id" >/dev/null 2>&1; done
	unmount_under "$T"
	rm -rf "$T"
	rm -f "$SHMFILE"
}
trap cleanup EXIT

write_config "$T/bulkhead.json" "$SRC/policies/restricted.json" "$T/audit.jsonl"
export BULKHEAD_CONFIG="$T/bulkhead.json"
make_rootfs "$T/rootfs"
mkdir -p "$T/rootfs/mnt"

# Host objects the container must not see: a file of this test standing for
# /etc/shadow, and a directory standing for a host tree.
SECRET="bulkhead-secret-$$-$RANDOM"
echo "$SECRET" >"$T/secret"
mkdir -p "$T/hostdir" "$T/A" "$T/B"
echo "$SECRET" >"$T/hostdir/marker"
echo "layer-a" >"$T/A/a"
echo "layer-b" >"$T/B/b"
chmod 644 "$T/secret" "$T/hostdir/marker" "$T/A/a" "$T/B/b"

# What restricted adds anyway: runc then bind-mounts device paths from the host.
USERNS='.linux.namespaces += [{"type": "user"}]
	| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'

# bundle NAME FILTER ARGS_JSON: runc's default spec on the shared rootfs.
bundle()
{
	local b="$T/$1"
	mkdir -p "$b"
	(cd "$b" && "$RUNC" spec) || return 1
	jq --arg root "$T/rootfs" --argjson args "$3" \
		"$2 | .root.path = \$root | .process.terminal = false | .process.args = \$args" \
		"$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
}

# control NAME: plain runc runs the bundle; its output in $T/NAME.plain.
control()
{
	local id="bh-md-plain-$1-$$"
	IDS="$IDS $id"
	"$RUNC" --root "$STATE" run --bundle "$T/$1" "$id" >"$T/$1.plain" 2>&1 </dev/null
	"$RUNC" --root "$STATE" delete -f "$id" >/dev/null 2>&1
}

# through NAME: bulkhead runs the same bundle; rc in RC, output in $T/NAME.out/.err.
through()
{
	local id="bh-md-$1-$$"
	IDS="$IDS $id"
	cp "$T/$1/config.json" "$T/$1.orig"
	"$BIN" --root "$STATE" run --bundle "$T/$1" "$id" >"$T/$1.out" 2>"$T/$1.err" </dev/null
	RC=$?
	"$RUNC" --root "$STATE" delete -f "$id" >/dev/null 2>&1
}

# refused NAME RULE: bulkhead refused, named RULE, left the bundle alone and
# nothing ran (the container printed nothing).
refused()
{
	local n=$1 why=$2
	check "$n: bulkhead refuses (rc=$RC: $(head -c 400 "$T/$n.err"))" "[ $RC = 1 ]"
	check "$n: the reason names $why" "grep -q -- '$why' '$T/$n.err'"
	check "$n: nothing ran, the host content is not shown" \
		"[ ! -s '$T/$n.out' ] && ! grep -q '$SECRET' '$T/$n.out'"
	check "$n: config.json untouched" "cmp -s '$T/$n/config.json' '$T/$n.orig'"
}

echo "# 1. a device entry whose path names a host file"
bundle dev "$USERNS | .linux.devices = [{\"path\": \"$T/secret\", \"type\": \"c\", \"major\": 1, \"minor\": 3, \"fileMode\": 438}]" \
	"[\"cat\", \"$T/secret\"]" || fail "runc spec failed"
control dev
check "dev: plain runc shows the host file inside ($(head -c 200 "$T/dev.plain"))" \
	'grep -q "$SECRET" "$T/dev.plain"'
through dev
refused dev P11.devices

echo "# 1b. a device path under /dev/shm, where anyone may leave a file"
if [ -d /dev/shm ]; then
	echo "$SECRET" >"$SHMFILE"
	chmod 644 "$SHMFILE"
	bundle shm "$USERNS | .linux.devices = [{\"path\": \"$SHMFILE\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]" \
		"[\"cat\", \"$SHMFILE\"]" || fail "runc spec failed"
	control shm
	check "shm: plain runc shows the host's /dev/shm file inside ($(head -c 200 "$T/shm.plain"))" \
		'grep -q "$SECRET" "$T/shm.plain"'
	through shm
	refused shm P11.devices
fi

echo "# 2. one overlay option that is two for the kernel"
bundle ovl-comma ".mounts += [{\"destination\": \"/mnt\", \"type\": \"overlay\", \"source\": \"overlay\",
	\"options\": [\"lowerdir=$T/A,lowerdir=$T/hostdir:$T/B\"]}]" '["cat", "/mnt/marker"]' ||
	fail "runc spec failed"
control ovl-comma
check "ovl-comma: plain runc shows the host directory inside ($(head -c 200 "$T/ovl-comma.plain"))" \
	'grep -q "$SECRET" "$T/ovl-comma.plain"'
through ovl-comma
refused ovl-comma "contains a comma"

echo "# 3. lowerdir+ (Linux 6.5+) naming the host's /etc"
bundle ovl-plus ".mounts += [{\"destination\": \"/mnt\", \"type\": \"overlay\", \"source\": \"overlay\",
	\"options\": [\"lowerdir+=$T/A\", \"lowerdir+=/etc\"]}]" '["head", "-n", "1", "/mnt/passwd"]' ||
	fail "runc spec failed"
control ovl-plus
if grep -q '^root:' "$T/ovl-plus.plain"; then
	ok "ovl-plus: plain runc shows the host's /etc/passwd inside"
	through ovl-plus
	refused ovl-plus P10.sensitive-mount
else
	echo "# ovl-plus: this kernel has no lowerdir+ ($(head -c 200 "$T/ovl-plus.plain")): judged offline only"
	"$BIN" policy check --policy "$SRC/policies/restricted.json" "$T/ovl-plus/config.json" \
		>"$T/ovl-plus.check" 2>&1
	check "ovl-plus: policy check refuses it" 'grep -q "P10.sensitive-mount.*lowerdir+" "$T/ovl-plus.check"'
fi

echo "# 4. a second proc mount, at /mnt/proc"
bundle proc '.mounts += [{"destination": "/mnt/proc", "type": "proc", "source": "proc"}]' \
	'["sh", "-c", "head -c 18 /mnt/proc/timer_list; echo; [ -c /proc/timer_list ] && echo masked"]' ||
	fail "runc spec failed"
mkdir -p "$T/rootfs/mnt/proc"
control proc
check "proc: plain runc shows /mnt/proc/timer_list unmasked while /proc's is masked ($(tr '\n' ' ' <"$T/proc.plain" | head -c 200))" \
	'grep -q "Timer List" "$T/proc.plain" && grep -q masked "$T/proc.plain"'
through proc
refused proc P10.proc-sys-mounts

echo "# 5. what engines do still runs through bulkhead"
bundle fine '.mounts += [{"destination": "/mnt", "type": "overlay", "source": "overlay",
	"options": ["lowerdir='"$T/A:$T/B"'"]}] | .linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3}]
	| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]' \
	'["sh", "-c", "cat /mnt/a /mnt/b; echo x > /dev/null && echo devnull"]' || fail "runc spec failed"
through fine
check "fine: an overlay of the test's own directories and /dev/null run (rc=$RC: $(head -c 300 "$T/fine.err"))" \
	'[ "$RC" = 0 ] && grep -q layer-a "$T/fine.out" && grep -q layer-b "$T/fine.out" && grep -q devnull "$T/fine.out"'
check "fine: run hardened (a user namespace was added)" \
	'jq -e ".linux.namespaces | map(.type) | index(\"user\")" "$T/fine/config.json" >/dev/null'

finish mounts_devices
