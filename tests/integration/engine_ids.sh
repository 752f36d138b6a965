#!/bin/bash
# engine_ids: identity from the engine's own truth, shown with real containers.
# 1. An ID mapping onto a host account: plain runc lets a container whose root
#    is a real user write that user's ~/.bashrc through a bind of the home;
#    bulkhead refuses the spec and names the account.
# 2. Kubelet pod directories: with "engine": "containerd-cri", a container whose
#    sandbox runs (runc state) with this pod's UID gets its own pod's volume; a
#    spec that claims another pod's UID to reach that pod's token is refused
#    (plain runc would hand the token over), and so is everything per pod when
#    the engine is unknown.
# Creates a user (useradd, removed at the end) and /var/lib/kubelet/pods/<uuid>
# directories (removed at the end); containerd's state directory is a tmpfs in
# a private mount namespace, so the machine's containerd never sees the bundles.
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
RUNC=$(command -v runc) || skip "runc not installed"
command -v busybox >/dev/null || skip "busybox-static is not installed"
command -v useradd >/dev/null && command -v userdel >/dev/null || skip "useradd/userdel missing"
command -v unshare >/dev/null || skip "unshare (util-linux) missing"
[ -d /run/containerd ] || mkdir -p /run/containerd 2>/dev/null ||
	skip "no /run/containerd to cover with a private tmpfs"

if [ "${BULKHEAD_ENGINE_IDS_INNER:-}" != 1 ]; then
	umask 022
	T=$(make_tmp engine-ids) || exit 1
	USER_NAME="bhid$$"
	OWN=$(cat /proc/sys/kernel/random/uuid)
	OTHER=$(cat /proc/sys/kernel/random/uuid)
	KUBELET_NEW=no
	[ -e /var/lib/kubelet ] || KUBELET_NEW=yes
	PODS_NEW=no
	[ -e /var/lib/kubelet/pods ] || PODS_NEW=yes
	cleanup()
	{
		userdel -r "$USER_NAME" >/dev/null 2>&1
		rm -rf "/var/lib/kubelet/pods/$OWN" "/var/lib/kubelet/pods/$OTHER"
		[ $PODS_NEW = yes ] && rmdir /var/lib/kubelet/pods 2>/dev/null
		[ $KUBELET_NEW = yes ] && rmdir /var/lib/kubelet 2>/dev/null
		rm -rf "$T"
	}
	trap cleanup EXIT
	# A normal account with a home; no subordinate IDs for it (the machine's
	# /etc/subuid stays as it is).
	useradd -m -d "$T/home" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 \
		"$USER_NAME" || skip "useradd $USER_NAME failed"
	mkdir -p "/var/lib/kubelet/pods/$OWN/volumes/kubernetes.io~empty-dir/data" \
		"/var/lib/kubelet/pods/$OTHER/volumes/kubernetes.io~projected/token" ||
		fail "cannot create the kubelet pod directories"
	echo own-pod-data >"/var/lib/kubelet/pods/$OWN/volumes/kubernetes.io~empty-dir/data/hello"
	echo secret-of-other-pod >"/var/lib/kubelet/pods/$OTHER/volumes/kubernetes.io~projected/token/token"
	export T USER_NAME OWN OTHER
	BULKHEAD_ENGINE_IDS_INNER=1 unshare -m --propagation private "$0"
	exit $?
fi

# ---- inside a private mount namespace ----------------------------------------
IDS=""
cleanup_inner()
{
	for id in $IDS; do "$RUNC" --root "$T/state" delete -f "$id" >/dev/null 2>&1; done
	umount -l /run/containerd 2>/dev/null
}
trap cleanup_inner EXIT
mount -t tmpfs -o mode=0711 bulkhead-test /run/containerd || fail "cannot cover /run/containerd"
TASKS=/run/containerd/io.containerd.runtime.v2.task/k8s.io

ROOTFS="$T/rootfs"
make_rootfs "$ROOTFS"
mkdir -p "$ROOTFS/home/u" "$ROOTFS/data"

config() # config FILE ENGINE ("" for none)
{
	local engine=""
	[ -n "$2" ] && engine=", \"engine\": \"$2\""
	cat >"$1" <<EOF
{"runtime": "$RUNC", "policy": "$SRC/policies/restricted.json",
 "audit": {"log": "$T/audit.jsonl"}$engine}
EOF
	chmod 644 "$1"
}
config "$T/none.json" ""
config "$T/cri.json" containerd-cri

# bundle DIR JQ-FILTER [ARGS...]: runc's default spec on the shared rootfs,
# changed by the filter.
bundle()
{
	local dir=$1 filter=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && "$RUNC" spec) || return 1
	jq --arg root "$ROOTFS" "$@" '.root.path = $root | .process.terminal = false | '"$filter" \
		"$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}

echo "# 1. an ID mapping onto the host account $USER_NAME"
U=$(id -u "$USER_NAME")
G=$(id -g "$USER_NAME")
HOME_DIR=$(getent passwd "$USER_NAME" | cut -d: -f6)
[ -f "$HOME_DIR/.bashrc" ] || { echo "# no skeleton .bashrc" >"$HOME_DIR/.bashrc" && chown "$U:$G" "$HOME_DIR/.bashrc"; }
# Container IDs 0-65535 onto host 100000-165535 (the policy's own range), but
# container user 1000 onto host uid $U: the process runs as 1000, non-root
# and mapped, with a bind of the user's home at /home/u.
MAPPED='.linux.namespaces += [{"type":"user"}]
 | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":1000},
     {"containerID":1000,"hostID":$u,"size":1},{"containerID":1001,"hostID":101001,"size":64535}]
 | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":1000},
     {"containerID":1000,"hostID":$g,"size":1},{"containerID":1001,"hostID":101001,"size":64535}]
 | .mounts += [{"destination":"/home/u","type":"bind","source":$home,"options":["rbind","rw","nosuid","nodev"]}]
 | .process.user = {"uid":1000,"gid":1000}
 | .process.args = ["sh","-c",("echo " + $mark + " >> /home/u/.bashrc")]'
bundle "$T/ctl" "$MAPPED" --argjson u "$U" --argjson g "$G" --arg home "$HOME_DIR" \
	--arg mark "control-$$" || fail "runc spec failed"
bundle "$T/bh" "$MAPPED" --argjson u "$U" --argjson g "$G" --arg home "$HOME_DIR" \
	--arg mark "bulkhead-$$" || fail "runc spec failed"

IDS="$IDS bhid-ctl-$$"
"$RUNC" --root "$T/state" run --bundle "$T/ctl" "bhid-ctl-$$" </dev/null >"$T/ctl.out" 2>&1
rc=$?
check "control: plain runc runs the mapped container (rc=$rc: $(head -c 200 "$T/ctl.out"))" '[ $rc = 0 ]'
check "control: the container wrote $USER_NAME's .bashrc" 'grep -q "control-$$" "$HOME_DIR/.bashrc"'
check "control: the file is owned by $USER_NAME ($(stat -c %U "$HOME_DIR/.bashrc"))" \
	'[ "$(stat -c %U "$HOME_DIR/.bashrc")" = "$USER_NAME" ]'

IDS="$IDS bhid-bh-$$"
BULKHEAD_CONFIG="$T/none.json" "$BIN" --root "$T/state" run --bundle "$T/bh" "bhid-bh-$$" \
	</dev/null >"$T/bh.out" 2>"$T/bh.err"
rc=$?
sed 's/^/#   /' "$T/bh.err" | head -c 1500
check "bulkhead refuses the mapping (rc=$rc)" '[ $rc = 1 ]'
check "the refusal names the account" 'grep -q "is account $USER_NAME (/etc/passwd)" "$T/bh.err"'
check "the refusal is P5.userns" 'grep -q "P5.userns" "$T/bh.err"'
check "nothing was written to .bashrc" '! grep -q "bulkhead-$$" "$HOME_DIR/.bashrc"'
check "the audit log records the refusal" \
	'jq -e --arg id "bhid-bh-$$" "select(.containerId == \$id) | .verdict == \"deny\"" "$T/audit.jsonl" >/dev/null'

echo "# 2. kubelet pod directories under containerd's CRI"
SID="sb$$$(printf %08x $RANDOM$RANDOM)"
CRI_ANN='{"io.kubernetes.cri.sandbox-id":$sid,"io.kubernetes.cri.sandbox-namespace":"default",
 "io.kubernetes.cri.sandbox-uid":$uid,"io.kubernetes.cri.sandbox-name":"web"}'
# The pod's sandbox, started as containerd would: runc state under --root,
# bundle in containerd's CRI layout, its annotations recorded as labels.
bundle "$TASKS/$SID" '.annotations = ('"$CRI_ANN"' + {"io.kubernetes.cri.container-type":"sandbox"})
 | .process.args = ["sleep","600"]' --arg sid "$SID" --arg uid "$OWN" || fail "runc spec failed"
IDS="$IDS $SID"
"$RUNC" --root "$T/state" run -d --bundle "$TASKS/$SID" "$SID" </dev/null >"$T/sb.out" 2>&1 ||
	fail "cannot start the sandbox: $(head -c 300 "$T/sb.out")"
[ -f "$T/state/$SID/state.json" ] || fail "no runc state for the sandbox"

# pod ID CLAIMED-UID SOURCE FILE: a container of the sandbox's pod that binds
# SOURCE at /data and prints /data/FILE.
pod()
{
	bundle "$TASKS/$1" '.annotations = ('"$CRI_ANN"' + {"io.kubernetes.cri.container-type":"container",
	 "io.kubernetes.cri.container-name":"app","io.kubernetes.cri.image-name":"docker.io/library/busybox:1"})
	 | .mounts += [{"destination":"/data","type":"bind","source":$src,"options":["rbind","ro","nosuid","nodev"]}]
	 | .process.args = ["cat",("/data/" + $file)]' \
		--arg sid "$SID" --arg uid "$2" --arg src "$3" --arg file "$4"
}
OWN_VOL="/var/lib/kubelet/pods/$OWN/volumes/kubernetes.io~empty-dir/data"
OTHER_TOKEN="/var/lib/kubelet/pods/$OTHER/volumes/kubernetes.io~projected/token"

C1="own$$"
pod "$C1" "$OWN" "$OWN_VOL" hello || fail "runc spec failed"
IDS="$IDS $C1"
BULKHEAD_CONFIG="$T/cri.json" "$BIN" --root "$T/state" run --bundle "$TASKS/$C1" "$C1" \
	</dev/null >"$T/c1.out" 2>"$T/c1.err"
rc=$?
check "its own pod's volume: accepted and readable (rc=$rc: $(head -c 300 "$T/c1.err"))" \
	'[ $rc = 0 ] && grep -q own-pod-data "$T/c1.out"'
check "... and hardened (a user namespace was added)" \
	'jq -e ".linux.namespaces | map(.type) | index(\"user\")" "$TASKS/$C1/config.json" >/dev/null'

C2="claim$$"
pod "$C2" "$OTHER" "$OTHER_TOKEN" token || fail "runc spec failed"
cp -r "$TASKS/$C2" "$TASKS/ctl$$"
IDS="$IDS $C2 ctl$$"
"$RUNC" --root "$T/state" run --bundle "$TASKS/ctl$$" "ctl$$" </dev/null >"$T/ctl2.out" 2>&1
check "control: plain runc hands the other pod's token over" 'grep -q secret-of-other-pod "$T/ctl2.out"'
BULKHEAD_CONFIG="$T/cri.json" "$BIN" --root "$T/state" run --bundle "$TASKS/$C2" "$C2" \
	</dev/null >"$T/c2.out" 2>"$T/c2.err"
rc=$?
sed 's/^/#   /' "$T/c2.err" | head -c 800
check "claiming the other pod's UID: refused (rc=$rc)" '[ $rc = 1 ]'
check "... by P10.sensitive-mount, saying the pod is not proven" \
	'grep -q "P10.sensitive-mount" "$T/c2.err" && grep -q "the pod is not proven" "$T/c2.err"'
check "... and the token was not read" '! grep -q secret-of-other-pod "$T/c2.out"'

C3="cross$$"
pod "$C3" "$OWN" "$OTHER_TOKEN" token || fail "runc spec failed"
IDS="$IDS $C3"
BULKHEAD_CONFIG="$T/cri.json" "$BIN" --root "$T/state" run --bundle "$TASKS/$C3" "$C3" \
	</dev/null >"$T/c3.out" 2>"$T/c3.err"
rc=$?
check "its own UID, another pod's directory: refused (rc=$rc)" \
	'[ $rc = 1 ] && ! grep -q secret-of-other-pod "$T/c3.out"'

C4="unknown$$"
pod "$C4" "$OWN" "$OWN_VOL" hello || fail "runc spec failed"
IDS="$IDS $C4"
BULKHEAD_CONFIG="$T/none.json" "$BIN" --root "$T/state" run --bundle "$TASKS/$C4" "$C4" \
	</dev/null >"$T/c4.out" 2>"$T/c4.err"
rc=$?
check "no engine configured: even its own pod's volume is refused (rc=$rc)" \
	'[ $rc = 1 ] && grep -q "engine is unknown" "$T/c4.err"'

"$RUNC" --root "$T/state" kill "$SID" KILL >/dev/null 2>&1
sleep 0.5
C5="gone$$"
pod "$C5" "$OWN" "$OWN_VOL" hello || fail "runc spec failed"
IDS="$IDS $C5"
BULKHEAD_CONFIG="$T/cri.json" "$BIN" --root "$T/state" run --bundle "$TASKS/$C5" "$C5" \
	</dev/null >"$T/c5.out" 2>"$T/c5.err"
rc=$?
check "its sandbox stopped: the pod is no longer proven (rc=$rc)" \
	'[ $rc = 1 ] && grep -q "is not running" "$T/c5.err"'

check "every decision is one JSON line in the audit log" \
	'[ -s "$T/audit.jsonl" ] && jq -e . "$T/audit.jsonl" >/dev/null'
finish engine_ids
