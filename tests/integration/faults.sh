#!/bin/bash
# faults: every fault on the create path fails closed — exit 1, one clear line
# on stderr, nothing on stdout, config.json untouched, no temporary file, and the
# runtime never runs: read-only bundle, full file system for the bundle and for
# the audit log (which keeps no part of the refused record), unreadable or bad
# policy (its chain or seccomp profile too), missing or not executable
# runtime, symlinked / FIFO config.json, unwritable audit log.
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
SPEC="$SRC/tests/data/runc-spec-default.json"
[ -f "$SPEC" ] || skip "no $SPEC"

umask 022
T=$(make_tmp faults) || exit 1
MOUNTS=""
cleanup() {
	for m in $MOUNTS; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT


# The fake runtime leaves a mark when it runs: a failed call must not run it.
cat >"$T/fake-runc" <<EOF
#!/bin/sh
echo ran >>"$T/runtime-ran"
exit 0
EOF
chmod 0755 "$T/fake-runc"
# an empty root filesystem with the mount points a user namespace cannot create
mkdir -p "$T/rootfs/proc" "$T/rootfs/sys" "$T/rootfs/dev" "$T/rootfs/tmp" "$T/rootfs/run" \
	"$T/rootfs/var/tmp" "$T/rootfs/etc"

# config RUNTIME POLICY LOG: write the machine config
config() {
	cat >"$T/bulkhead.json" <<EOF
{"runtime": "$1", "policy": "$2", "audit": {"log": "$3"}}
EOF
}
export BULKHEAD_CONFIG="$T/bulkhead.json"
GOOD_POLICY="$SRC/policies/restricted.json"
LOG="$T/audit/audit.jsonl"

mkbundle() {
	mkdir -p "$1"
	jq --arg root "$T/rootfs" '.root.path = $root' "$SPEC" >"$1/config.json"
}

# fingerprint FILE: its content hash, or for a link / FIFO what it is (never read a FIFO)
fingerprint() {
	if [ -L "$1" ]; then
		echo "link $(readlink "$1") $(stat -c %i "$1")"
	elif [ -f "$1" ]; then
		sha256sum <"$1"
	else
		stat -c '%F %i %Y' "$1"
	fi
}

# fails_closed NAME BUNDLE: create must refuse and leave everything as it was
fails_closed() {
	local name=$1 B=$2
	local before
	before=$(fingerprint "$B/config.json")
	rm -f "$T/runtime-ran"
	timeout 20 "$BIN" create --bundle "$B" "fault-$name" </dev/null >"$T/out" 2>"$T/err"
	local rc=$?
	local after
	after=$(fingerprint "$B/config.json")
	check "$name: exit 1 (rc=$rc)" '[ "$rc" = 1 ]'
	check "$name: one line on stderr: $(head -c 300 "$T/err")" \
		'[ "$(wc -l <"$T/err")" = 1 ] && grep -q "^bulkhead: " "$T/err"'
	check "$name: nothing on stdout" '[ ! -s "$T/out" ]'
	check "$name: config.json untouched" '[ "$before" = "$after" ]'
	check "$name: no temporary file" '[ -z "$(find "$B" -name ".config.json.bulkhead-*" 2>/dev/null)" ]'
	check "$name: the runtime did not run" '[ ! -e "$T/runtime-ran" ]'
}

config "$T/fake-runc" "$GOOD_POLICY" "$LOG"

echo "# sanity: the good path works with this setup"
mkbundle "$T/good"
"$BIN" create --bundle "$T/good" fault-good </dev/null >/dev/null 2>"$T/err"
rc=$?
check "a plain create succeeds (rc=$rc $(head -c 300 "$T/err"))" '[ "$rc" = 0 ] && [ -e "$T/runtime-ran" ]'

echo "# read-only bundle directory"
mkdir -p "$T/ro"
if mount -t tmpfs -o size=1m tmpfs "$T/ro" 2>/dev/null; then
	MOUNTS="$T/ro $MOUNTS"
	mkbundle "$T/ro/b"
	if mount -o remount,ro "$T/ro" 2>/dev/null; then
		fails_closed read-only "$T/ro/b"
	else
		echo "# skipped: cannot remount read-only here"
	fi
else
	echo "# skipped: cannot mount a tmpfs here"
fi

echo "# full filesystem"
mkdir -p "$T/full"
if mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
	MOUNTS="$T/full $MOUNTS"
	mkbundle "$T/full/b"
	dd if=/dev/zero of="$T/full/fill" bs=1k count=1024 2>/dev/null
	fails_closed full-filesystem "$T/full/b"
else
	echo "# skipped: cannot mount a tmpfs here"
fi

echo "# unreadable or bad policy"
mkbundle "$T/p"
config "$T/fake-runc" "$T/no-such-policy.json" "$LOG"
fails_closed missing-policy "$T/p"
mkdir -p "$T/policy-dir"
config "$T/fake-runc" "$T/policy-dir" "$LOG"
fails_closed policy-is-a-directory "$T/p"
printf '{"name": "broken", "rules": {' >"$T/broken.json"
config "$T/fake-runc" "$T/broken.json" "$LOG"
fails_closed malformed-policy "$T/p"
cp "$GOOD_POLICY" "$T/writable.json"
cp "$SRC/policies/seccomp-default.json" "$T/" 2>/dev/null
chmod 0666 "$T/writable.json"
config "$T/fake-runc" "$T/writable.json" "$LOG"
fails_closed world-writable-policy "$T/p"
mkfifo "$T/policy.fifo"
config "$T/fake-runc" "$T/policy.fifo" "$LOG"
fails_closed policy-fifo "$T/p"
nerr=$(jq -r 'select(.verdict == "error" and (.subject | startswith("policy "))) | .error' "$LOG" 2>/dev/null | wc -l)
check "policy failures are on record as error lines ($nerr)" '[ "$nerr" -ge 5 ]'

# a policy whose chain or seccomp profile cannot be read
mkdir -p "$T/chain"
printf '{"name": "child", "extends": "%s/chain/no-such-base.json", "rules": {}}\n' "$T" >"$T/chain/child.json"
config "$T/fake-runc" "$T/chain/child.json" "$LOG"
fails_closed policy-base-missing "$T/p"
cp "$GOOD_POLICY" "$T/chain/restricted.json"
config "$T/fake-runc" "$T/chain/restricted.json" "$LOG"
fails_closed seccomp-profile-missing "$T/p"
mkdir -p "$T/chain/seccomp-default.json"
fails_closed seccomp-profile-is-a-directory "$T/p"

echo "# missing or not executable runtime"
config "$T/no-such-runc" "$GOOD_POLICY" "$LOG"
fails_closed missing-runtime "$T/p"
cp "$T/fake-runc" "$T/noexec-runc"
chmod 0644 "$T/noexec-runc"
config "$T/noexec-runc" "$GOOD_POLICY" "$LOG"
fails_closed runtime-not-executable "$T/p"
mkdir -p "$T/runc-dir"
config "$T/runc-dir" "$GOOD_POLICY" "$LOG"
fails_closed runtime-is-a-directory "$T/p"

config "$T/fake-runc" "$GOOD_POLICY" "$LOG"
echo "# symlinked config.json"
mkdir -p "$T/s"
jq --arg root "$T/rootfs" '.root.path = $root' "$SPEC" >"$T/elsewhere.json"
ln -s "$T/elsewhere.json" "$T/s/config.json"
cp "$T/elsewhere.json" "$T/elsewhere.orig"
fails_closed symlinked-config "$T/s"
check "symlink target untouched" 'cmp -s "$T/elsewhere.json" "$T/elsewhere.orig"'
check "config.json still a symlink" '[ -L "$T/s/config.json" ]'

echo "# config.json is a FIFO (must not block)"
mkdir -p "$T/f"
mkfifo "$T/f/config.json"
fails_closed fifo-config "$T/f"

echo "# full file system under the audit log"
mkdir -p "$T/alog"
if mount -t tmpfs -o size=64k tmpfs "$T/alog" 2>/dev/null; then
	MOUNTS="$T/alog $MOUNTS"
	# one page of whole records with room for part of the next one, every
	# other page taken: the next record is written in part, then ENOSPC
	head -c 3900 /dev/zero | tr '\0' x | jq -Rc '{pad: .}' >"$T/alog/audit.jsonl"
	dd if=/dev/zero of="$T/alog/fill" bs=4k count=64 2>/dev/null
	before_log=$(sha256sum <"$T/alog/audit.jsonl")
	config "$T/fake-runc" "$GOOD_POLICY" "$T/alog/audit.jsonl"
	mkbundle "$T/al"
	fails_closed audit-log-full "$T/al"
	check "audit-log-full: the log holds its whole records and no part of the refused one" \
		'[ "$(sha256sum <"$T/alog/audit.jsonl")" = "$before_log" ]'
	grep -q "No space left" "$T/err"
	check "audit-log-full: the refusal says why ($(head -c 200 "$T/err"))" '[ $? = 0 ]'
else
	echo "# skipped: cannot mount a tmpfs here"
fi

echo "# audit log cannot be written"
: >"$T/not-a-dir"
config "$T/fake-runc" "$GOOD_POLICY" "$T/not-a-dir/audit.jsonl"
mkbundle "$T/a"
fails_closed audit-unwritable "$T/a"

finish faults
