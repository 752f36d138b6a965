#!/usr/bin/env bash
# Kubernetes' CRI through containerd's CRI plugin and bulkhead: a private
# containerd whose configuration is Debian's default plus the drop-in
# contrib/containerd/bulkhead.toml (imported), CNI from
# containernetworking-plugins with a private bridge, locally built busybox
# images, and a small CRI client (tests/cri/cri.py) driving pods and
# containers the way the kubelet does. Checks are made inside the containers,
# in containerd's answers and in bulkhead's audit log.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
umask 022

PY=/usr/bin/python3 # Debian's python3, where python3-grpcio lives
[ -x "$PY" ] || skip "no $PY"
"$PY" -c 'import grpc, grpc_tools.protoc, google.protobuf' 2>/dev/null ||
	skip "python3-grpcio, python3-grpc-tools or python3-protobuf is not installed"
for p in containerd ctr containerd-shim-runc-v2 runc busybox ip; do
	command -v "$p" >/dev/null || skip "$p is not installed"
done
CNI_BIN=/usr/lib/cni
for p in bridge host-local loopback; do
	[ -x "$CNI_BIN/$p" ] || skip "$CNI_BIN/$p missing (Debian package containernetworking-plugins)"
done
DEBIAN_TOML=/etc/containerd/config.toml
want=$(dpkg-query -W -f='${Conffiles}\n' containerd 2>/dev/null | awk -v f="$DEBIAN_TOML" '$1 == f { print $2 }')
[ -n "$want" ] && [ "$(md5sum <"$DEBIAN_TOML" | cut -d' ' -f1)" = "$want" ] ||
	skip "$DEBIAN_TOML is not Debian's default (the test starts from it)"
# bulkhead proves a pod's identity from containerd's own state (bundles below
# /run/containerd, runc's record of the sandbox): the test runs in a private
# mount namespace with a tmpfs over /run/containerd, so containerd's state is
# where containerd keeps it and the host's is untouched.
if [ "${BULKHEAD_CRI_INNER:-}" != 1 ]; then
	mkdir -p /run/containerd 2>/dev/null
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	exec env BULKHEAD_CRI_INNER=1 unshare -m --propagation private "$0" "$@"
fi
mount -t tmpfs -o mode=0711 bulkhead-cri /run/containerd ||
	skip "cannot cover /run/containerd with a private tmpfs"
DROPIN=$SRC/contrib/containerd/bulkhead.toml
CRI_DIR=$SRC/tests/cri
START=$(date +%s)

T=$(make_tmp cri)
SOCK=$T/containerd.sock
CTR=(ctr -a "$SOCK" -n k8s.io)
BRIDGE=bhcri$$
SUBNET=10.213.$(($$ % 200 + 20)).0/24
CGPARENT=/bulkhead-cri-$$
PODS=""
IPFWD=$(cat /proc/sys/net/ipv4/ip_forward)
cleanup()
{
	local pid
	# BULKHEAD_CRI_KEEP=DIR keeps the specs bulkhead was handed and the audit log
	if [ -n "${BULKHEAD_CRI_KEEP:-}" ]; then
		mkdir -p "$BULKHEAD_CRI_KEEP" && cp -r "$T/specs" "$T/audit.jsonl" "$BULKHEAD_CRI_KEEP/" 2>/dev/null
	fi
	for p in $PODS; do
		cri StopPodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null 2>&1
		cri RemovePodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null 2>&1
	done
	stop_pid "$T/containerd.pid"
	# what outlived it: shims of this containerd (-address names our socket) and
	# the processes of our pods (in our cgroup parent)
	for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" 2>/dev/null) \
		$(cat /sys/fs/cgroup/pids"$CGPARENT"/*/cgroup.procs /sys/fs/cgroup"$CGPARENT"/*/cgroup.procs 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null
	done
	for f in "$T"/netns-*; do
		[ -f "$f" ] || continue
		umount -l "$(cat "$f")" 2>/dev/null
		rm -f "$(cat "$f")"
	done
	unmount_under "$T"
	ip link del "$BRIDGE" >/dev/null 2>&1
	# the bridge plugin turns on forwarding (isGateway): put it back
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$IPFWD" ] || echo "$IPFWD" >/proc/sys/net/ipv4/ip_forward
	sleep 0.2
	for c in /sys/fs/cgroup/*"$CGPARENT" /sys/fs/cgroup/unified"$CGPARENT"; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

cri()
{
	"$PY" "$CRI_DIR/cri.py" --socket "$SOCK" --descriptor "$T/cri.pb" "$@"
}

# --- the CRI subset, compiled now (no generated code is kept in the tree)
"$PY" "$CRI_DIR/cri.py" compile "$T/cri.pb" || fail "grpc_tools.protoc failed on runtime_v1.proto"

# --- bulkhead behind the handler: a wrapper keeps a copy of every spec it is handed
cat >"$T/bulkhead.json" <<JSON
{
	"runtime": "$(command -v runc)",
	"policy": "$SRC/policies/restricted.json",
	"audit": {"log": "$T/audit.jsonl"},
	"engine": "containerd-cri"
}
JSON
# The "engine" key is new: with a binary that does not know it yet, leave it out.
if v=$(BULKHEAD_CONFIG=$T/bulkhead.json "$BIN" --root "$T/probe" state bulkhead-probe 2>&1) ||
	! printf '%s' "$v" | grep -q '"engine"'; then
	ok "the machine configuration takes \"engine\": \"containerd-cri\""
else
	echo "# note: this bulkhead refuses \"engine\" in its configuration ($v); left out" >&2
	sed -i '/"engine"/d; s/"audit": {"log": "\([^"]*\)"},/"audit": {"log": "\1"}/' "$T/bulkhead.json"
fi
jq -e . "$T/bulkhead.json" >/dev/null || fail "the machine configuration is not JSON"
mkdir -p "$T/specs"
cat >"$T/bulkhead-wrapper" <<SH
#!/bin/sh
# containerd's BinaryName for the test: copy the spec of each create, then bulkhead.
prev= bundle= create=
for a; do
	[ "\$prev" = --bundle ] && bundle=\$a
	case "\$a" in create) create=1 ;; --bundle=*) bundle=\${a#--bundle=} ;; esac
	prev=\$a
done
if [ -n "\$create" ] && [ -f "\$bundle/config.json" ]; then
	cp "\$bundle/config.json" "$T/specs/\${bundle##*/}.json"
fi
BULKHEAD_CONFIG=$T/bulkhead.json exec "$BIN" "\$@"
SH
chmod 755 "$T/bulkhead-wrapper"

# --- images: no registry, so OCI archives made here and imported with ctr
# (the files containerd binds in have their mount points in the image: in a
# user namespace, the mapped root could not create them)
make_rootfs "$T/img/rootfs"
: >"$T/img/rootfs/etc/hosts"
: >"$T/img/rootfs/etc/hostname"
: >"$T/img/rootfs/etc/resolv.conf"
mkdir -p "$T/img/rootfs/dev/shm"
cat >"$T/img/rootfs/pause" <<'SH'
#!/bin/sh
# the pod's sandbox process: stays up until told to stop
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
SH
chmod 755 "$T/img/rootfs/pause"
PAUSE=docker.io/library/bulkhead-pause:1
IMAGE=docker.io/library/bulkhead-busybox:1
"$PY" "$CRI_DIR/oci_image.py" "$T/img/rootfs" "$T/img/pause.tar" "$PAUSE" --entrypoint '["/pause"]' ||
	fail "oci_image.py (pause)"
"$PY" "$CRI_DIR/oci_image.py" "$T/img/rootfs" "$T/img/busybox.tar" "$IMAGE" --cmd '["sh"]' ||
	fail "oci_image.py (busybox)"

# --- containerd: Debian's config.toml, private paths, and the drop-in imported
# The test's copy of the drop-in differs from contrib in five lines only: the
# wrapper as BinaryName, a private runc root, the private CNI conf_dir, the
# pause image as sandbox_image, and restrict_oom_score_adj uncommented (this
# machine cannot lower an OOM score: no CAP_SYS_RESOURCE; and restricted
# refuses containerd's -998 for sandboxes). A second, test-only handler passes
# pods' own annotations through (pod_annotations = ["*"]), to show what forging
# does.
grep -q '^ *BinaryName = ' "$DROPIN" && grep -q '^ *conf_dir = ' "$DROPIN" &&
	grep -q '^ *# restrict_oom_score_adj = true$' "$DROPIN" &&
	grep -q '^\[plugins."io.containerd.grpc.v1.cri"\]$' "$DROPIN" &&
	grep -q '^ *\[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.bulkhead.options\]$' "$DROPIN" ||
	fail "$DROPIN no longer has the lines this test substitutes"
sed -e "s|^\( *BinaryName = \).*|\1\"$T/bulkhead-wrapper\"|" \
	-e "s|^\( *\)# \(restrict_oom_score_adj = true\)\$|\1\2|" \
	-e "s|^\( *conf_dir = \).*|\1\"$T/net.d\"|" \
	-e "s|^\[plugins.\"io.containerd.grpc.v1.cri\"\]\$|&\n  sandbox_image = \"$PAUSE\"|" \
	-e "s|^\( *\)\[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.bulkhead.options\]\$|&\n\1  Root = \"$T/runc\"|" \
	"$DROPIN" >"$T/bulkhead.toml"
n=$(diff "$DROPIN" "$T/bulkhead.toml" | grep -c '^>')
[ "$n" = 5 ] || fail "the test's drop-in differs from contrib in $n lines, not 5"
cat >>"$T/bulkhead.toml" <<TOML

# test only: pods' own annotations copied into the OCI spec
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.bulkhead-annotations]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["*"]
  container_annotations = ["*"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.bulkhead-annotations.options]
    BinaryName = "$T/bulkhead-wrapper"
    Root = "$T/runc"
TOML
sed -e "s|^version = 2\$|&\nroot = \"$T/root\"\nstate = \"/run/containerd\"\nimports = [\"$T/bulkhead.toml\"]|" \
	-e "s|/var/lib/containerd/opt|$T/opt|" "$DEBIAN_TOML" >"$T/containerd.toml"
cat >>"$T/containerd.toml" <<TOML
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML

containerd --config "$T/containerd.toml" config dump >"$T/dump.toml" 2>"$T/dump.err" ||
	fail "containerd config dump: $(head -c 300 "$T/dump.err")"
sed -n '/runtimes.bulkhead\]/,/runtimes.bulkhead.options\]/p' "$T/dump.toml" |
	grep -q 'runtime_type = "io.containerd.runc.v2"' || fail "config dump: no bulkhead handler"
grep -q "BinaryName = \"$T/bulkhead-wrapper\"" "$T/dump.toml" || fail "config dump: BinaryName"
grep -q 'bin_dir = "/usr/lib/cni"' "$T/dump.toml" || fail "config dump: Debian's cni bin_dir was lost"
ok "containerd config dump: Debian's config with the imported drop-in has the handler and /usr/lib/cni"

# --- CNI: a private bridge network (no masquerading, so no iptables rules)
mkdir -p "$T/net.d"
cat >"$T/net.d/10-bulkhead-test.conflist" <<JSON
{
	"cniVersion": "0.4.0",
	"name": "bulkhead-cri-$$",
	"plugins": [{
		"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false,
		"ipam": {"type": "host-local", "ranges": [[{"subnet": "$SUBNET"}]],
			"dataDir": "$T/ipam", "routes": [{"dst": "0.0.0.0/0"}]}
	}]
}
JSON

containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
echo $! >"$T/containerd.pid"
wait_for cri Version || {
	tail -n 20 "$T/containerd.log" >&2
	fail "containerd's CRI did not answer"
}
v=$(cri Version) || fail "Version"
ok "CRI Version: $(echo "$v" | jq -r '"\(.runtime_name) \(.runtime_version), CRI \(.runtime_api_version)"')"
"${CTR[@]}" images import "$T/img/pause.tar" >/dev/null 2>"$T/import.err" ||
	fail "ctr images import (pause): $(cat "$T/import.err")"
"${CTR[@]}" images import "$T/img/busybox.tar" >/dev/null 2>"$T/import.err" ||
	fail "ctr images import (busybox): $(cat "$T/import.err")"
ok "images imported: $("${CTR[@]}" images ls -q | tr '\n' ' ')"
echo "# setup took $(($(date +%s) - START)) s"

# ============ pods =============================================================
# pod_config NAME NAMESPACE [SECURITY_CONTEXT_JSON] [ANNOTATIONS_JSON]
pod_config()
{
	local name=$1 ns=$2 sc=${3:-'{}'} ann=${4:-'{}'}
	mkdir -p "$T/logs/$name"
	jq -n --arg name "$name" --arg ns "$ns" --arg uid "uid-$name-$$" --arg logs "$T/logs/$name" \
		--arg cg "$CGPARENT" --argjson sc "$sc" --argjson ann "$ann" '{
		metadata: {name: $name, uid: $uid, namespace: $ns, attempt: 0},
		hostname: $name, log_directory: $logs,
		labels: {"io.kubernetes.pod.name": $name, "io.kubernetes.pod.namespace": $ns,
			"io.kubernetes.pod.uid": $uid},
		annotations: $ann,
		linux: {cgroup_parent: $cg, security_context: ({namespace_options:
			{network: "POD", pid: "CONTAINER", ipc: "POD"}} * $sc)}}'
}

# run_pod VAR CONFIG [HANDLER]: RunPodSandbox; the ID in VAR, the error in $ERR
ERR=
run_pod()
{
	local var=$1 cfg=$2 handler=${3:-bulkhead} out
	if out=$(jq -n --argjson c "$cfg" --arg h "$handler" '{config: $c, runtime_handler: $h}' |
		cri RunPodSandbox - 2>&1); then
		printf -v "$var" '%s' "$(echo "$out" | jq -r .pod_sandbox_id)"
		PODS="$PODS ${!var}"
		netns_record "${!var}"
		return 0
	fi
	ERR=$out
	return 1
}

# remember the pod's network namespace file, to unmount it if containerd does not
netns_record()
{
	local p
	p=$(jq -r '.linux.namespaces[]? | select(.type == "network") | .path // empty' \
		"$T/specs/$1.json" 2>/dev/null)
	[ -n "$p" ] && echo "$p" >"$T/netns-$1"
}

# json_args ARG...: a JSON array of strings (jq --args would take "-c" as its own)
json_args()
{
	local a out='[]'
	for a; do out=$(jq -c --arg a "$a" '. + [$a]' <<<"$out"); done
	echo "$out"
}

# new_container VAR POD_ID POD_CONFIG NAME SECURITY_CONTEXT_JSON [RESOURCES_JSON] [COMMAND...]
new_container()
{
	local var=$1 pod=$2 pcfg=$3 name=$4 sc=$5 res=${6:-'{}'} out cmd='["/bin/sh", "-c", "exec sleep 3600"]'
	shift 5
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && cmd=$(json_args "$@")
	out=$(jq -n --arg pod "$pod" --argjson p "$pcfg" --arg name "$name" --arg img "$IMAGE" \
		--argjson sc "$sc" --argjson res "$res" --argjson cmd "$cmd" '{
		pod_sandbox_id: $pod, sandbox_config: $p,
		config: {metadata: {name: $name}, image: {image: $img}, command: $cmd,
			log_path: ($name + ".log"),
			labels: {"io.kubernetes.container.name": $name},
			linux: {resources: $res, security_context: $sc}}}' |
		cri CreateContainer - 2>&1) || {
		ERR=$out
		return 1
	}
	printf -v "$var" '%s' "$(echo "$out" | jq -r .container_id)"
}

start()
{
	ERR=$(cri StartContainer "{\"container_id\": \"$1\"}" 2>&1)
}

exec_sync() # exec_sync ID CMD...: stdout of the command (exit status kept)
{
	local out rc
	out=$(jq -n --arg id "$1" --argjson cmd "$(json_args "${@:2}")" \
		'{container_id: $id, cmd: $cmd, timeout: 20}' | cri ExecSync - 2>&1) || {
		echo "$out"
		return 1
	}
	echo "$out" | jq -r '.stdout // "" | @base64d'
	rc=$(echo "$out" | jq -r '.exit_code // 0')
	return "$rc"
}

# container's log lines (CRI format: TIME STREAM TAG LINE), the LINE part
log_lines()
{
	sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' "$1"
}

# refused CALL_OUTPUT RULE: the CRI error carries bulkhead's reason naming RULE
refused()
{
	case "$1" in *"bulkhead: "*"$2"*) return 0 ;; esac
	return 1
}

# The audit record of a pod's sandbox must name the pod. What naming means is
# listed once, here ($id is the record's containerId, the sandbox ID): add the
# fields the record gains (the lead's k8s namespace and pod) to POD_FIELDS.
POD_FIELDS=(
	'.engine["io.kubernetes.cri.sandbox-name"] == $name'
	'.engine["io.kubernetes.cri.sandbox-namespace"] == $ns'
	'.engine["io.kubernetes.cri.sandbox-id"] == $id'
	'.engine["io.kubernetes.cri.container-type"] == "sandbox"'
	'.facts.engine == "containerd-cri"'
	'.facts.k8s.namespace == $ns'
	'.facts.k8s.pod == $name'
	'.facts.k8s.sandbox == true'
)
pod_record() # pod_record SELECT NAME NAMESPACE: the first record SELECT picks names the pod
{
	local rec f
	rec=$(jq -c --arg name "$2" --arg ns "$3" "select($1)" "$T/audit.jsonl" | head -n 1)
	[ -n "$rec" ] || {
		echo "no audit record where $1 (pod $3/$2)"
		return 1
	}
	for f in "${POD_FIELDS[@]}"; do
		echo "$rec" | jq -e --arg name "$2" --arg ns "$3" ".containerId as \$id | $f" >/dev/null || {
			echo "the record of pod $3/$2 fails $f: $(echo "$rec" | jq -c .engine)"
			return 1
		}
	done
}
audit_names_pod() # audit_names_pod SANDBOX_ID NAME NAMESPACE: its create record
{
	pod_record ".command == \"create\" and .containerId == \"$1\"" "$2" "$3"
}
deny_names_pod() # deny_names_pod NAME NAMESPACE RULE: a deny record for its sandbox, by RULE
{
	pod_record ".verdict == \"deny\" and .engine[\"io.kubernetes.cri.sandbox-name\"] == \$name
		and any(.findings[]; .rule == \"$3\" and .action == \"deny\")" "$1" "$2"
}

# ============ 1. restricted as shipped: what containerd 1.6's CRI gets ==========
# containerd 1.6 cannot give a pod a user namespace (hostUsers: false needs
# containerd 1.7), and bulkhead cannot add one to a CRI pod: the pod joins the
# network namespace CNI made in the host's user namespace, and the bundle
# directory is 0700 root. restricted refuses every pod, saying so.
USERNS='{"namespace_options": {"userns_options": {"mode": "POD",
	"uids": [{"host_id": 200000, "container_id": 0, "length": 65536}],
	"gids": [{"host_id": 200000, "container_id": 0, "length": 65536}]}}}'
if run_pod X "$(pod_config r-plain default)"; then
	bad "restricted: a pod without a user namespace was started"
else
	check "restricted: pod refused, bulkhead's P5.userns reason in the CRI error" 'refused "$ERR" P5.userns'
	echo "# restricted, pod r-plain: $(printf '%s' "$ERR" | grep -o 'bulkhead: .*' | cut -c1-400)"
	v=$(deny_names_pod r-plain default P5.userns) && ok "restricted: the deny record names pod default/r-plain" || bad "$v"
fi
if run_pod X "$(pod_config r-userns default "$USERNS")"; then
	bad "restricted: a pod with a user namespace request was started (containerd mapped it?)"
else
	check "restricted: pod asking for a user namespace refused with P5.userns" 'refused "$ERR" P5.userns'
fi
spec=$(grep -l '"r-userns"' "$T"/specs/*.json | head -n 1)
if [ -n "$spec" ] && jq -e '(.linux.namespaces | any(.type == "user") | not) and
	(.linux.uidMappings // [] | length) == 0' "$spec" >/dev/null; then
	ok "containerd 1.6 ignored the pod's userns_options: no user namespace, no uidMappings in the spec"
else
	echo "# containerd put a user namespace in r-userns's spec: $(jq -c '[.linux.namespaces, .linux.uidMappings]' "$spec" 2>/dev/null)"
fi

# ============ 2. restricted less what containerd 1.6 cannot give ================
# The same rules, with P5.userns recorded instead of enforced.
# A site policy over the shipped one: this test's containerd puts pods below
# its own cgroup parent, which P6.cgroups-path must know.
parents=$(sed 's|^[[:space:]]*//.*||' "$SRC/policies/restricted.json" |
	jq -c --arg p "$CGPARENT" '.rules["P6.cgroups-path"].parents + [$p]') ||
	fail "cannot read restricted's cgroup parents"
cat >"$T/policy.json" <<JSON
{
	"extends": "$SRC/policies/restricted.json",
	"name": "restricted-containerd-1.6", "version": "1",
	"rules": {
		"P5.userns": {"action": "audit"},
		"P6.cgroups-path": {"parents": $parents}
	}
}
JSON
"$BIN" policy validate "$T/policy.json" || fail "the derived policy does not validate"
jq --arg p "$T/policy.json" '.policy = $p' "$T/bulkhead.json" >"$T/bulkhead.json.new" &&
	mv "$T/bulkhead.json.new" "$T/bulkhead.json"

P=$(pod_config plain default)
run_pod POD "$P" || fail "RunPodSandbox (plain): $ERR"
ok "RunPodSandbox plain: $POD"
STARTED="$POD:plain:default"

# A container that asks for everything a kubelet lets a pod ask for.
ROOTY='{"run_as_user": {"value": 0}, "readonly_rootfs": false, "no_new_privs": false,
	"capabilities": {"add_capabilities": ["SYS_ADMIN", "NET_RAW", "NET_ADMIN"]}}'
MODEST='{"run_as_user": {"value": 1000}, "run_as_group": {"value": 1000}, "readonly_rootfs": true,
	"no_new_privs": true, "capabilities": {"add_capabilities": ["NET_BIND_SERVICE"],
	"drop_capabilities": ["ALL"]}}'
MEM256='{"memory_limit_in_bytes": 268435456}'
new_container C1 "$POD" "$P" rooty "$ROOTY" "$MEM256" /bin/sh -c "$INSIDE_SCRIPT; echo done=1; exec sleep 3600" ||
	fail "CreateContainer rooty: $ERR"
start "$C1" || fail "StartContainer rooty: $ERR"
new_container C2 "$POD" "$P" modest "$MODEST" "$MEM256" /bin/sh -c "$INSIDE_SCRIPT; echo done=1; exec sleep 3600" ||
	fail "CreateContainer modest: $ERR"
start "$C2" || fail "StartContainer modest: $ERR"
ok "CreateContainer/StartContainer rooty ($C1) and modest ($C2)"
wait_for grep -q done=1 "$T/logs/plain/rooty.log" || fail "no output from rooty: $(cat "$T/logs/plain/rooty.log")"
wait_for grep -q done=1 "$T/logs/plain/modest.log" || fail "no output from modest"

host_pid() # host_pid ID: the container's init, from ContainerStatus (verbose)
{
	cri ContainerStatus "{\"container_id\": \"$1\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid'
}

# hardened LABEL OUTPUT: the restricted guarantees that containerd 1.6 can carry
hardened()
{
	local label=$1 out=$2 v s
	v=$(field "$out" uid)
	check "$label: non-root (uid $v)" '[ -n "$v" ] && [ "$v" != 0 ]'
	for s in CapPrm CapEff CapBnd CapInh CapAmb; do
		v=$(field "$out" $s)
		check "$label: $s=$v within CAP_NET_BIND_SERVICE" \
			'[ -n "$v" ] && [ $((0x$v & ~0x$ALLOWED_CAPS)) = 0 ]'
	done
	check "$label: NoNewPrivs 1" '[ "$(field "$out" NoNewPrivs)" = 1 ]'
	check "$label: Seccomp 2" '[ "$(field "$out" Seccomp)" = 2 ]'
	check "$label: / read-only" '[ "$(field "$out" rootwrite)" = no ]'
	check "$label: /tmp writable" '[ "$(field "$out" tmpwrite)" = yes ]'
	check "$label: mount refused" '[ "$(field "$out" mount)" = no ]'
	check "$label: unshare refused" '[ "$(field "$out" unshare)" = no ]'
	v=$(field "$out" uidmap)
	echo "# $label: uid_map '$v' (containerd 1.6: no user namespace; P5 is audited, not met)"
}

out=$(log_lines "$T/logs/plain/rooty.log")
hardened "rooty (container log)" "$out"
lim=$(host_limits "$(host_pid "$C1")")
check "rooty: memory limit from the pod (256 MiB) on the host cgroup" '[ "$(field "$lim" mem)" = 268435456 ]'
check "rooty: pids limit set ($(field "$lim" pids))" '[ "$(field "$lim" pids)" = 1024 ]'
out=$(log_lines "$T/logs/plain/modest.log")
hardened "modest (container log)" "$out"
check "modest: keeps its own user 1000" '[ "$(field "$out" uid)" = 1000 ]'
check "P5.userns recorded (audit) for rooty" 'jq -e -s --arg id "$C1" "map(select(.containerId == \$id and .command == \"create\")) | .[0].findings | any(.rule == \"P5.userns\" and .action == \"audit\")" "$T/audit.jsonl" >/dev/null'

# ExecSync: containerd builds the process from its own view (uid 0, SYS_ADMIN)
out=$(exec_sync "$C1" /bin/sh -c "$INSIDE_SCRIPT") || bad "ExecSync in rooty failed: $out"
hardened "rooty ExecSync (runAsUser 0 asked)" "$out"
check "ExecSync recorded as a hardened exec" 'jq -e -s --arg id "$C1" "any(.[]; .command == \"exec\" and .containerId == \$id and .verdict == \"mutate\")" "$T/audit.jsonl" >/dev/null'

# UpdateContainerResources: beyond restricted's max refused, a legal one applied
mem_cg() { field "$(host_limits "$(host_pid "$1")")" mem; }
if ERR=$(cri UpdateContainerResources "{\"container_id\": \"$C1\", \"linux\": {\"memory_limit_in_bytes\": 8589934592}}" 2>&1); then
	bad "UpdateContainerResources to 8 GiB was allowed"
else
	check "UpdateContainerResources 8 GiB refused with bulkhead's P6.memory" 'refused "$ERR" P6.memory'
fi
check "the cgroup still says 256 MiB" '[ "$(mem_cg "$C1")" = 268435456 ]'
ERR=$(cri UpdateContainerResources "{\"container_id\": \"$C1\", \"linux\": {\"memory_limit_in_bytes\": 314572800}}" 2>&1) ||
	bad "UpdateContainerResources 300 MiB: $ERR"
check "UpdateContainerResources 300 MiB applied (host cgroup $(mem_cg "$C1"))" '[ "$(mem_cg "$C1")" = 314572800 ]'

# The same specs with containerd's default root and state (/var/lib/containerd,
# /run/containerd), judged offline: the files containerd binds in for this pod
# (hosts, hostname, resolv.conf, shm) sit under the pod's sandbox ID, which only
# the configured engine's own record of the running sandbox can prove. Offline
# there is no engine and no record, so they are refused, saying why (the live
# proof is tests/integration/engine_ids.sh).
for id in "$POD" "$C1"; do
	sed -e "s|$T/root/|/var/lib/containerd/|g" -e "s|$T/state/|/run/containerd/|g" \
		"$T/specs/$id.json" >"$T/real-$id.json"
	v=$("$BIN" policy check --format json --policy "$T/policy.json" "$T/real-$id.json" 2>&1 |
		jq -r '[.results[].findings[] | select(.rule == "P10.sensitive-mount" and .action == "deny")
			| .message] | join("; ")')
	check "offline, with /var/lib/containerd paths, $(jq -r '.annotations["io.kubernetes.cri.container-type"]' \
		"$T/real-$id.json")'s pod files are refused: the pod is not proven" \
		'case "$v" in *"the pod is not proven"*) true ;; *) false ;; esac'
done
# and another pod's files are not
other=$(printf '%064d' 7)
sed "s|sandboxes/$POD/|sandboxes/$other/|g" "$T/real-$C1.json" >"$T/other.json"
v=$("$BIN" policy check --format json --policy "$T/policy.json" "$T/other.json" 2>&1 |
	jq '[.results[].findings[] | select(.rule == "P10.sensitive-mount" and .action == "deny")] | length')
check "another pod's /var/lib/containerd files are refused (P10.sensitive-mount: $v)" '[ "$v" -gt 0 ]'

v=$(cri ContainerStatus "{\"container_id\": \"$C2\"}" | jq -r .status.state)
check "ContainerStatus modest: $v" '[ "$v" = CONTAINER_RUNNING ]'
v=$(cri ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$POD\"}}" | jq '.containers | length')
check "ListContainers: $v containers in the pod" '[ "$v" = 2 ]'
ERR=$(cri StopContainer "{\"container_id\": \"$C2\", \"timeout\": 2}" 2>&1) || bad "StopContainer: $ERR"
ERR=$(cri RemoveContainer "{\"container_id\": \"$C2\"}" 2>&1) || bad "RemoveContainer: $ERR"
v=$(cri ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$POD\"}}" | jq -r '[.containers[].metadata.name] | join(",")')
check "StopContainer/RemoveContainer modest; left: $v" '[ "$v" = rooty ]'

# A privileged pod: containerd 1.6 gives its sandbox the default capabilities
# and no seccomp profile, nothing privileged-shaped, so bulkhead hardens it like
# any other. The privileged container is what carries the privilege.
PRIV='{"privileged": true}'
PP=$(pod_config privpod default "$PRIV")
if run_pod PPOD "$PP"; then
	STARTED="$STARTED $PPOD:privpod:default"
	check "privileged pod: its sandbox is hardened (verdict mutate), not refused" \
		'jq -e -s --arg id "$PPOD" "any(.[]; .containerId == \$id and .verdict == \"mutate\")" "$T/audit.jsonl" >/dev/null'
	if ! new_container C3 "$PPOD" "$PP" priv "$PRIV"; then
		bad "CreateContainer (privileged): $ERR"
	elif start "$C3"; then
		bad "a privileged container was started"
	else
		# containerd 1.6 gives a privileged container the capabilities it holds
		# itself: where it lacks one, P0 does not see "every capability" and the
		# refusal comes from P11.devices (the a *:* rwm rule) instead.
		check "privileged container refused at start, bulkhead's reason in the CRI error" \
			'refused "$ERR" P0.privileged || refused "$ERR" P11.devices'
		if ! refused "$ERR" P0.privileged; then
			v=$(jq -r '.process.capabilities.bounding | length' "$T/specs/$C3.json")
			echo "# privileged container refused by P11.devices, not P0.privileged: its spec lists $v" \
				"capabilities, containerd's own (this machine: $(grep CapBnd /proc/self/status | tr -d '\t'))"
		fi
		check "the deny record names pod default/privpod" 'jq -e -s --arg id "$C3" "any(.[]; .containerId == \$id and .verdict == \"deny\" and .engine[\"io.kubernetes.cri.sandbox-name\"] == \"privpod\")" "$T/audit.jsonl" >/dev/null'
	fi
else
	bad "RunPodSandbox (privileged pod): $ERR"
fi
# A hostNetwork pod
if run_pod X "$(pod_config hostnet default '{"namespace_options": {"network": "NODE"}}')"; then
	bad "a hostNetwork pod was started"
else
	check "hostNetwork pod refused with bulkhead's P8.namespaces" 'refused "$ERR" P8.namespaces'
	v=$(deny_names_pod hostnet default P8.namespaces) && ok "the deny record names pod default/hostnet" || bad "$v"
fi

# ============ 3. namespaces and what a pod can put in its spec =================
# An override for one namespace, matched on what containerd proves (its own
# sandbox-namespace, checked against runc's record of the running sandbox):
# team-a's containers may have up to 8 GiB.
jq '. + {"overrides": [{"name": "team-a-big", "reason": "team-a batch jobs",
	"match": {"k8s.namespace": "team-a"}, "rules": {"P6.memory": {"max": 8589934592}}}]}' \
	"$T/policy.json" >"$T/policy.json.new" && mv "$T/policy.json.new" "$T/policy.json" ||
	fail "cannot add the override"
"$BIN" policy validate "$T/policy.json" >/dev/null 2>&1 || fail "the policy with the override does not validate"
TEAM=""
FORGE='{"io.kubernetes.cri.sandbox-namespace": "team-a", "io.kubernetes.pod.namespace": "team-a",
	"io.kubernetes.cri.sandbox-name": "forged", "example.com/note": "pod annotation"}'
team_pod() # team_pod NAMESPACE NAME HANDLER POD_ANNOTATIONS: a pod and a container, specs shown
{
	local ns=$1 name=$2 handler=$3 ann=$4 pc id cid
	pc=$(pod_config "$name" "$ns" '{}' "$ann")
	run_pod id "$pc" "$handler" || {
		bad "RunPodSandbox $ns/$name ($handler): $ERR"
		return
	}
	STARTED="$STARTED $id:$name:$ns"
	new_container cid "$id" "$pc" app '{"run_as_user": {"value": 1000}}' ||
		bad "CreateContainer in $ns/$name: $ERR"
	TEAM="$TEAM $cid:$name:$ns"
	start "$cid" || bad "StartContainer in $ns/$name: $ERR"
	echo "# spec annotations, $ns/$name ($handler), sandbox: $(jq -c .annotations "$T/specs/$id.json")"
	echo "# spec annotations, $ns/$name ($handler), container: $(jq -c .annotations "$T/specs/$cid.json" 2>/dev/null)"
	v=$(jq -r --arg id "$id" 'select(.containerId == $id and .command == "create")
		| .findings[] | select(.rule == "k8s.sandbox") | .message' "$T/audit.jsonl")
	case "$v" in *" of pod $ns/$name") ;; *)
		echo "# note: containerd says $ns/$name, bulkhead's k8s.sandbox finding says: $v" ;;
	esac
	case $name in b2-forged)
		check "$handler: a pod's own annotations do not reach its spec" \
			'jq -e ".annotations | (.\"io.kubernetes.cri.sandbox-namespace\" == \"team-b\") and (has(\"io.kubernetes.pod.namespace\") | not) and (has(\"example.com/note\") | not)" "$T/specs/$id.json" >/dev/null'
		;;
	esac
}
team_pod team-a a1 bulkhead '{}'
team_pod team-b b1 bulkhead '{}'
team_pod team-b b2-forged bulkhead "$FORGE"
team_pod team-b b3-forged bulkhead-annotations "$FORGE"

# every pod started has its create record, naming it
for s in $STARTED; do
	IFS=: read -r id name ns <<<"$s"
	v=$(audit_names_pod "$id" "$name" "$ns") && ok "audit record names pod $ns/$name" || bad "$v"
done
# every container's record: the pod as containerd proves it, whatever the pod
# wrote into its own annotations
for t in $TEAM; do
	IFS=: read -r cid name ns <<<"$t"
	check "container record of $ns/$name: facts prove namespace $ns, pod $name, container app" \
		'jq -e -s --arg id "$cid" --arg ns "$ns" --arg name "$name" "map(select(.containerId == \$id and .command == \"create\")) | .[0].facts | .engine == \"containerd-cri\" and .k8s.namespace == \$ns and .k8s.pod == \$name and .k8s.container == \"app\" and .k8s.sandbox == false and (.k8s.podUid | length > 0)" "$T/audit.jsonl" >/dev/null'
done
# the override applies to team-a's container only: not team-b's, not a team-b
# pod that writes team-a into its own annotations (on either handler)
for t in $TEAM; do
	IFS=: read -r cid name ns <<<"$t"
	if ERR=$(cri UpdateContainerResources "{\"container_id\": \"$cid\", \"linux\": {\"memory_limit_in_bytes\": 6442450944}}" 2>&1); then
		if [ "$ns" = team-a ]; then
			ok "override team-a-big: 6 GiB for $ns/$name applied"
			check "the update record names the override" 'jq -e -s --arg id "$cid" "map(select(.containerId == \$id and .command == \"update\")) | last | .overrides | any(.name == \"team-a-big\")" "$T/audit.jsonl" >/dev/null'
		else
			bad "6 GiB for $ns/$name was allowed: the override reached another namespace"
		fi
	else
		if [ "$ns" = team-a ]; then
			bad "override team-a-big not applied to $ns/$name: $ERR"
		else
			check "6 GiB for $ns/$name refused (P6.memory): team-a's override does not reach it" 'refused "$ERR" P6.memory'
		fi
	fi
done
jq -e . "$T/audit.jsonl" >/dev/null || bad "the audit log is not JSON lines"

# ============ 4. teardown through the CRI ======================================
for id in $PODS; do
	ERR=$(cri StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" 2>&1) || bad "StopPodSandbox $id: $ERR"
	ERR=$(cri RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" 2>&1) || bad "RemovePodSandbox $id: $ERR"
done
v=$(cri ListContainers | jq '.containers // [] | length')
check "Stop/RemovePodSandbox: no container left ($v)" '[ "$v" = 0 ]'
v=$(cat /sys/fs/cgroup/pids"$CGPARENT"/*/cgroup.procs 2>/dev/null | wc -l)
check "no process left in the pods' cgroups ($v)" '[ "$v" = 0 ]'
v=$(cat "$T"/netns-* 2>/dev/null | while read -r f; do [ -e "$f" ] && echo "$f"; done)
check "containerd removed the pods' network namespaces ${v:+($v)}" '[ -z "$v" ]'
if command -v iptables-save >/dev/null; then
	v=$(iptables-save 2>/dev/null | grep -c -e "$BRIDGE" -e "${SUBNET%/*}")
	check "no iptables rule names the test's bridge or subnet ($v)" '[ "$v" = 0 ]'
fi
PODS=""
echo "# cri.sh took $(($(date +%s) - START)) s"
finish cri
