#!/bin/bash
# concurrency: 200 `bulkhead create` at once against a fake runtime leave 200
# hardened specs and 200 complete audit lines; and crash safety: bulkhead killed
# with SIGKILL at many points of a create leaves config.json either the
# original or the complete hardened spec, never anything else.
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
SPEC="$SRC/tests/data/runc-spec-default.json"
[ -f "$SPEC" ] || skip "no $SPEC"

umask 022
T=$(make_tmp conc) || exit 1
trap 'rm -rf "$T"' EXIT


# The fake runtime: records that it ran, succeeds.
cat >"$T/fake-runc" <<'EOF'
#!/bin/sh
exit 0
EOF
chmod 0755 "$T/fake-runc"
# an empty root filesystem with the mount points a user namespace cannot create
mkdir -p "$T/rootfs/proc" "$T/rootfs/sys" "$T/rootfs/dev" "$T/rootfs/tmp" "$T/rootfs/run" \
	"$T/rootfs/var/tmp" "$T/rootfs/etc"
cat >"$T/bulkhead.json" <<EOF
{"runtime": "$T/fake-runc",
 "policy": "$SRC/policies/restricted.json",
 "audit": {"log": "$T/audit/audit.jsonl"}}
EOF
export BULKHEAD_CONFIG="$T/bulkhead.json"
AUDIT="$T/audit/audit.jsonl"

mkbundle() {
	mkdir -p "$1"
	jq --arg root "$T/rootfs" '.root.path = $root' "$SPEC" >"$1/config.json"
}

echo "# 1. 200 creates at once"
N=200
for i in $(seq 1 $N); do mkbundle "$T/b$i"; done
pids=""
for i in $(seq 1 $N); do
	"$BIN" create --bundle "$T/b$i" "conc-$i" </dev/null >/dev/null 2>"$T/b$i.err" &
	pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
check "all $N creates exit 0 ($failed failed; first error: $(cat "$T"/b*.err 2>/dev/null | head -n 1 | head -c 300))" \
	'[ "$failed" = 0 ]'
hardened=0
for i in $(seq 1 $N); do
	if jq -e '.process.user.uid != 0 and .annotations["io.bulkhead.policy"] != null' \
		"$T/b$i/config.json" >/dev/null 2>&1; then
		hardened=$((hardened + 1))
	fi
done
check "all $N specs hardened ($hardened)" '[ "$hardened" = "$N" ]'
left=$(find "$T" -name '.config.json.bulkhead-*' | wc -l)
check "no temporary file left ($left)" '[ "$left" = 0 ]'
lines=$(wc -l <"$AUDIT" 2>/dev/null || echo 0)
check "$N audit lines ($lines)" '[ "$lines" = "$N" ]'
check "every audit line is complete JSON" 'jq -e . "$AUDIT" >/dev/null 2>&1'
ids=$(jq -r .containerId "$AUDIT" 2>/dev/null | sort -u | wc -l)
check "one record per container ($ids)" '[ "$ids" = "$N" ]'
check "every record says mutate" \
	'[ "$(jq -r .verdict "$AUDIT" 2>/dev/null | sort -u)" = mutate ]'

echo "# 2. crash safety: SIGKILL at many points"
C="$T/crash"
mkbundle "$C"
cp "$C/config.json" "$T/original.json"
"$BIN" create --bundle "$C" crash-ref </dev/null >/dev/null 2>"$T/ref.err"
rc=$?
check "reference create exits 0 (rc=$rc $(head -c 300 "$T/ref.err"))" '[ "$rc" = 0 ]'
cp "$C/config.json" "$T/hardened.json"
ORIG=$(sha256sum <"$T/original.json" | cut -d' ' -f1)
HARD=$(sha256sum <"$T/hardened.json" | cut -d' ' -f1)
check "hardened differs from the original" '[ "$ORIG" != "$HARD" ]'
seen_orig=0 seen_hard=0 seen_other=0
# with an injected pause between writing the copy and the rename (50 ms), and
# without it: kill after 0..~120 ms
rounds="1 2"
[ -n "$HOOKED" ] || { rounds=2; echo "# no bulkhead-hooked (-Dtest_hooks=true): no pause round"; }
for round in $rounds; do
	for d in 0 0.001 0.002 0.003 0.005 0.008 0.01 0.015 0.02 0.03 0.04 0.05 0.06 0.07 0.08 \
		0.09 0.1 0.12; do
		cp "$T/original.json" "$C/config.json"
		if [ "$round" = 1 ]; then
			BULKHEAD_TEST_PAUSE_US=50000 "$HOOKED" create --bundle "$C" crash </dev/null \
				>/dev/null 2>&1 &
		else
			"$BIN" create --bundle "$C" crash </dev/null >/dev/null 2>&1 &
		fi
		p=$!
		sleep "$d"
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		h=$(sha256sum <"$C/config.json" | cut -d' ' -f1)
		if [ "$h" = "$ORIG" ]; then
			seen_orig=$((seen_orig + 1))
		elif [ "$h" = "$HARD" ]; then
			seen_hard=$((seen_hard + 1))
		else
			seen_other=$((seen_other + 1))
			cp "$C/config.json" "$T/bad-$round-$d.json"
		fi
	done
done
check "config.json always original ($seen_orig) or hardened ($seen_hard), never other ($seen_other)" \
	'[ "$seen_other" = 0 ]'
check "the kills landed on both sides of the rename" '[ "$seen_orig" -gt 0 ] && [ "$seen_hard" -gt 0 ]'
check "audit lines stay complete after the kills" 'jq -e . "$AUDIT" >/dev/null 2>&1'

if [ -z "$HOOKED" ]; then
	echo "# 3. skipped: no bulkhead-hooked (-Dtest_hooks=true) to pause before the rename"
else
echo "# 3. killed after the decision is recorded, before the rename"
# The hardened copy is an unnamed file until just before the rename: a kill
# in between leaves the original and nothing else in the bundle.
rm -f "$C"/.config.json.bulkhead-*
cp "$T/original.json" "$C/config.json"
n0=$(wc -l <"$AUDIT")
BULKHEAD_TEST_PAUSE_US=5000000 "$HOOKED" create --bundle "$C" crash-late </dev/null >/dev/null 2>&1 &
p=$!
for _ in $(seq 200); do
	[ "$(wc -l <"$AUDIT")" -gt "$n0" ] && break
	sleep 0.05
done
kill -9 "$p" 2>/dev/null
wait "$p" 2>/dev/null
check "the decision was recorded before the kill" '[ "$(wc -l <"$AUDIT")" -gt "$n0" ]'
check "config.json is still the original" \
	'[ "$(sha256sum <"$C/config.json" | cut -d" " -f1)" = "$ORIG" ]'
check "no temporary file left in the bundle" \
	'[ -z "$(find "$C" -name ".config.json.bulkhead-*")" ]'
fi

echo "# 4. the installed binary has no pause points"
# The same variables that pause bulkhead-hooked for seconds change nothing in
# bulkhead itself: a create with a 5 s pause asked for ends at once.
cp "$T/original.json" "$C/config.json"
t0=$(date +%s%N)
BULKHEAD_TEST_PAUSE_AT=create-before-rename BULKHEAD_TEST_PAUSE_US=5000000 \
	"$BIN" create --bundle "$C" no-pause </dev/null >/dev/null 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "a create with BULKHEAD_TEST_PAUSE_US=5000000 exits 0 (rc=$rc)" '[ "$rc" = 0 ]'
check "and does not pause (${ms} ms)" '[ "$ms" -lt 2000 ]'
check "no BULKHEAD_TEST_ string in the binary" '! grep -a -q BULKHEAD_TEST_ "$BIN"'

finish concurrency
