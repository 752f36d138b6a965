#!/bin/bash
# An operator's path on a node made below a scratch directory (--root): setup
# for every engine (twice: the second run changes nothing), then doctor with
# its canary, a real busybox-static container through bulkhead and runc that
# must come out hardened and leave nothing behind; each broken piece (missing
# runtime, a 0666 policy, an audit directory on a read-only mount, Docker
# without userns-remap) is a fail line with its fix and exit 1. Then
# `meson install` into a DESTDIR, twice: the layout, the admin's policy left
# alone, a stripped binary, and the binary replaced atomically while another
# process keeps executing it.
#
# Needs root, runc, busybox-static, jq, unshare; exit 77 when one is missing.
# shellcheck disable=SC2034 # the variables check evaluates look unused
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
RUNC=$(command -v runc) || skip "no runc"
command -v unshare >/dev/null || skip "no unshare"
BUILD=$(dirname "$BIN")

T=$(make_tmp ops)
cleanup()
{
	rm -rf "$T"
}
trap cleanup EXIT

R=$T/root
mkdir -p "$R/usr/sbin" "$R/usr/bin" "$R/usr/share/bulkhead/policies" "$R/etc/bulkhead" \
	"$R/etc/containerd" "$R/var/log"
ln -s "$(readlink -f "$RUNC")" "$R/usr/sbin/runc"
ln -s "$(readlink -f "$BIN")" "$R/usr/sbin/bulkhead"
cp "$SRC"/policies/*.json "$R/usr/share/bulkhead/policies/"
chmod 644 "$R"/usr/share/bulkhead/policies/*.json
[ -x /usr/bin/conmon ] && ln -s /usr/bin/conmon "$R/usr/bin/conmon" || touch "$R/usr/bin/conmon"
write_config "$R/etc/bulkhead/config.json" /usr/share/bulkhead/policies/restricted.json \
	/var/log/bulkhead/audit.jsonl
sed -i "s|\"runtime\": \"[^\"]*\"|\"runtime\": \"/usr/sbin/runc\"|" "$R/etc/bulkhead/config.json"
# Debian 12's config.toml, as the containerd package installs it
printf 'version = 2\n\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    [plugins."io.containerd.grpc.v1.cri".cni]\n      bin_dir = "/usr/lib/cni"\n      conf_dir = "/etc/cni/net.d"\n' \
	>"$R/etc/containerd/config.toml"

bh() { "$BIN" "$@"; }

# --- setup, twice -------------------------------------------------------------
for e in docker containerd crio podman; do
	out=$(bh setup --engine "$e" --root "$R" --path /usr/sbin/bulkhead --dry-run) ||
		bad "setup $e --dry-run failed"
	check "setup $e --dry-run prints a diff" '[[ "$out" == *"@@ "* ]]'
	out=$(bh setup --engine "$e" --root "$R" --path /usr/sbin/bulkhead) || bad "setup $e failed"
	check "setup $e says what to restart" '[[ "$out" == *"then: "* ]]'
	before=$(find "$R/etc" -type f -exec sha256sum {} + | sort)
	out=$(bh setup --engine "$e" --root "$R" --path /usr/sbin/bulkhead)
	after=$(find "$R/etc" -type f -exec sha256sum {} + | sort)
	check "setup $e a second time changes nothing" \
		'[[ "$out" == "$e: nothing to change"* ]] && [ "$before" = "$after" ]'
done
check "containerd's config.toml imports the drop-in" \
	'grep -qx "imports = \[\"/etc/containerd/conf.d/bulkhead.toml\"\]" "$R/etc/containerd/config.toml"'
check "the config.toml before setup is kept below /var/backups/bulkhead" \
	'grep -q "conf_dir" "$R"/var/backups/bulkhead/etc/containerd/config.toml.*'

# --- doctor, with the canary --------------------------------------------------
leftover_before=$(ls -d /tmp/bulkhead-doctor.* 2>/dev/null | wc -l)
start=$(date +%s%N)
out=$(bh doctor --root "$R")
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "$out" | sed 's/^/    /'
echo "    (doctor with the canary: $ms ms)"
check "doctor passes on the node setup made (exit 0)" '[ "$rc" = 0 ]'
for e in docker containerd crio podman; do
	check "doctor: $e runs bulkhead" 'grep -q "^ok    $e: .*runs /usr/sbin/bulkhead" <<<"$out"'
done
canary=$(grep '^ok    canary:' <<<"$out")
check "the canary ran through bulkhead and runc" '[ -n "$canary" ]'
for want in "uid 65534" "user namespace 0 100000 65536" no_new_privs "seccomp filter" \
	"read-only root"; do
	check "the canary saw: $want" '[[ "$canary" == *"$want"* ]]'
done
rec=$(tail -n 1 "$R/var/log/bulkhead/audit.jsonl" 2>/dev/null)
check "the canary's decision is in the audit log" \
	'[ "$(jq -r .verdict <<<"$rec")" = mutate ] && [[ "$(jq -r .containerId <<<"$rec")" == bulkhead-doctor-* ]]'
check "the canary left no scratch directory" \
	'[ "$(ls -d /tmp/bulkhead-doctor.* 2>/dev/null | wc -l)" = "$leftover_before" ]'
check "the canary left no cgroup" \
	'! find /sys/fs/cgroup -maxdepth 3 -name "bulkhead-doctor-*" 2>/dev/null | grep -q .'
json=$(bh doctor --root "$R" --no-canary --format json)
check "doctor --format json: no fail, one entry per line" \
	'[ "$(jq .fail <<<"$json")" = 0 ] && [ "$(jq ".checks | length" <<<"$json")" -ge 10 ]'

# --- broken pieces ------------------------------------------------------------
# broken NAME FIX-WORDS: doctor exits 1 with a fail line for NAME naming the fix
broken()
{
	local name=$1 fix=$2 out rc
	out=$(bh doctor --root "$R" --no-canary)
	rc=$?
	local line
	line=$(grep "^fail  $name: " <<<"$out" | head -n 1)
	echo "    $line"
	check "doctor exits 1 and says how to fix: $name" \
		'[ "$rc" = 1 ] && [[ "$line" == *"; fix: "*"$fix"* ]]'
}
cp "$R/etc/bulkhead/config.json" "$T/config.good"
sed -i 's|/usr/sbin/runc"|/usr/sbin/runc-gone"|' "$R/etc/bulkhead/config.json"
broken runtime "apt-get install runc"
cp "$T/config.good" "$R/etc/bulkhead/config.json"

chmod 0666 "$R/usr/share/bulkhead/policies/restricted.json"
broken policy "chmod go-w"
chmod 0644 "$R/usr/share/bulkhead/policies/restricted.json"

mkdir -p "$R/var/log/bulkhead"
out=$(unshare -m --propagation private sh -c '
	mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && "$2" doctor --root "$3" --no-canary' \
	sh "$R/var/log/bulkhead" "$BIN" "$R")
rc=$?
line=$(grep '^fail  audit: ' <<<"$out")
echo "    $line"
check "doctor exits 1 on an audit directory that is mounted read-only" \
	'[ "$rc" = 1 ] && [[ "$line" == *"Read-only file system"*"; fix: "* ]]'

cp "$R/etc/docker/daemon.json" "$T/daemon.good"
jq 'del(."userns-remap")' "$T/daemon.good" >"$R/etc/docker/daemon.json"
broken docker '"userns-remap": "default"'
cp "$T/daemon.good" "$R/etc/docker/daemon.json"
out=$(bh doctor --root "$R" --no-canary)
check "and passes again once each is put right" '[ $? = 0 ]'

# --- meson install, atomically ------------------------------------------------
MESON=$(command -v meson) || skip "no meson"
D=$T/destdir
install_once() { "$MESON" install -C "$BUILD" --no-rebuild --destdir "$D" --quiet >/dev/null 2>&1; }
install_once || fail "meson install --destdir failed"
installed=$(find "$D" -path '*/sbin/bulkhead' -type f | head -n 1)
check "installed: sbin/bulkhead" '[ -x "$installed" ]'
check "installed: the shipped policies below share/bulkhead/policies" \
	'[ "$(find "$D" -path "*/share/bulkhead/policies/*.json" | wc -l)" = 4 ]'
check "installed: an empty /etc/bulkhead/policies for the admin" \
	'[ -d "$D/etc/bulkhead/policies" ] && [ -z "$(ls -A "$D/etc/bulkhead/policies")" ]'
check "installed: nothing else below /etc" '[ "$(find "$D/etc" -type f | wc -l)" = 0 ]'
if [ "$("$MESON" introspect --buildoptions "$BUILD" | jq -r '.[] | select(.name == "strip") | .value')" = true ]; then
	check "installed binary stripped ($(stat -c %s "$installed") bytes, $(stat -c %s "$BIN") in the build tree)" \
		'! readelf -S "$installed" | grep -q -e "\.symtab" -e "\.debug_info"'
fi
echo '{"extends": "restricted", "name": "site"}' >"$D/etc/bulkhead/policies/site.json"
echo 'edited' >>"$(find "$D" -path '*/share/bulkhead/policies/audit.json')"
ino=$(stat -c %i "$installed")
# an engine executing the binary all through ten reinstalls never misses it
(
	end=$((SECONDS + 60))
	misses=0 runs=0
	while [ ! -e "$T/stop" ] && [ $SECONDS -lt $end ]; do
		"$installed" --help >/dev/null 2>&1 || misses=$((misses + 1))
		runs=$((runs + 1))
	done
	echo "$misses $runs" >"$T/execs"
) &
execer=$!
for _ in $(seq 10); do install_once || bad "reinstall failed"; done
touch "$T/stop"
wait "$execer"
read -r misses runs <"$T/execs"
check "the binary was never missing or half-written during 10 reinstalls ($runs execs, $misses failed)" \
	'[ "$misses" = 0 ] && [ "$runs" -gt 0 ]'
check "reinstall replaced the binary by rename (a new inode)" '[ "$(stat -c %i "$installed")" != "$ino" ]'
check "reinstall left no temporary file" '[ -z "$(find "$D" -name ".*.install-*")" ]'
check "reinstall kept the admin's /etc/bulkhead/policies/site.json" \
	'grep -q "\"name\": \"site\"" "$D/etc/bulkhead/policies/site.json"'
check "reinstall restored the shipped audit.json" \
	'! grep -q edited "$(find "$D" -path "*/share/bulkhead/policies/audit.json")"'

finish ops
