#!/usr/bin/env bash
# contrib/ works as written: each snippet is read by the program it is written
# for (or by the same parser), and says what it claims. No daemon is started:
# containerd only loads and dumps its configuration, logrotate runs on a copy
# in a temporary directory. tests/integration/cri.sh runs the containerd
# drop-in for real.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
SRC=${BULKHEAD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
C=$SRC/contrib
PY=/usr/bin/python3 # Debian's python3 (3.11: tomllib), with python3-yaml
"$PY" -c 'import tomllib, yaml' 2>/dev/null || skip "$PY with tomllib and python3-yaml is needed"
for p in containerd jq logrotate; do
	command -v "$p" >/dev/null || skip "$p is not installed"
done
T=$(make_tmp contrib)
trap 'rm -rf "$T"' EXIT

# --- containerd: Debian's config.toml with the drop-in imported, as containerd reads it
DEBIAN_TOML=/etc/containerd/config.toml
want=$(dpkg-query -W -f='${Conffiles}\n' containerd 2>/dev/null | awk -v f="$DEBIAN_TOML" '$1 == f { print $2 }')
if [ -z "$want" ] || [ "$(md5sum <"$DEBIAN_TOML" 2>/dev/null | cut -d' ' -f1)" != "$want" ]; then
	# absent or changed here: the file of Debian 12's containerd package
	DEBIAN_TOML=$T/debian.toml
	printf '%s\n' 'version = 2' '' '[plugins]' '  [plugins."io.containerd.grpc.v1.cri"]' \
		'    [plugins."io.containerd.grpc.v1.cri".cni]' '      bin_dir = "/usr/lib/cni"' \
		'      conf_dir = "/etc/cni/net.d"' '  [plugins."io.containerd.internal.v1.opt"]' \
		'    path = "/var/lib/containerd/opt"' >"$DEBIAN_TOML"
fi
dump() # dump DROPIN: containerd's view of Debian's config with DROPIN imported
{
	sed "s|^version = 2\$|&\nimports = [\"$1\"]|" "$DEBIAN_TOML" >"$T/main.toml"
	containerd --config "$T/main.toml" config dump 2>"$T/dump.err"
}
# the value of KEY in TABLE of a TOML dump
toml_get()
{
	"$PY" -c 'import sys, tomllib
t = tomllib.load(open(sys.argv[1], "rb"))
for k in sys.argv[2:]:
    t = t.get(k, {}) if isinstance(t, dict) else {}
print(t if not isinstance(t, (dict, bool)) else str(t).lower() if isinstance(t, bool) else "")' "$@"
}
CRI=(plugins io.containerd.grpc.v1.cri)
RT=("${CRI[@]}" containerd runtimes)
if dump "$C/containerd/bulkhead.toml" >"$T/dump.toml"; then
	check "containerd: the drop-in adds the bulkhead handler (runc v2 shim)" \
		'[ "$(toml_get "$T/dump.toml" "${RT[@]}" bulkhead runtime_type)" = io.containerd.runc.v2 ]'
	check "containerd: whose BinaryName is bulkhead" \
		'[ "$(toml_get "$T/dump.toml" "${RT[@]}" bulkhead options BinaryName)" = /usr/local/sbin/bulkhead ]'
	check "containerd: the built-in runc handler, the default, is still there" \
		'[ "$(toml_get "$T/dump.toml" "${RT[@]}" runc runtime_type)" = io.containerd.runc.v2 ] &&
		 [ "$(toml_get "$T/dump.toml" "${CRI[@]}" containerd default_runtime_name)" = runc ]'
	check "containerd: Debian's CNI bin_dir /usr/lib/cni survives the import" \
		'[ "$(toml_get "$T/dump.toml" "${CRI[@]}" cni bin_dir)" = /usr/lib/cni ]'
	check "containerd: pods' own annotations are not passed to the spec" \
		'[ "$(toml_get "$T/dump.toml" "${RT[@]}" bulkhead pod_annotations)" = "[]" ]'
else
	bad "containerd config dump with the drop-in: $(head -c 300 "$T/dump.err")"
fi
# the two documented options, uncommented as the comments say
sed -e 's|^\( *\)# \(restrict_oom_score_adj = true\)$|\1\2|' \
	-e 's|^#   \(\[plugins."io.containerd.grpc.v1.cri".containerd\]\)$|\1|' \
	-e 's|^#     \(default_runtime_name = "bulkhead"\)$|  \1|' \
	"$C/containerd/bulkhead.toml" >"$T/options.toml"
if dump "$T/options.toml" >"$T/dump2.toml"; then
	check "containerd: the commented options work when uncommented (default handler, OOM clamp)" \
		'[ "$(toml_get "$T/dump2.toml" "${CRI[@]}" containerd default_runtime_name)" = bulkhead ] &&
		 [ "$(toml_get "$T/dump2.toml" "${CRI[@]}" restrict_oom_score_adj)" = true ]'
else
	bad "containerd config dump with the options uncommented: $(head -c 300 "$T/dump.err")"
fi
# (what the drop-in guards against: with only the runtime tables, the CNI
# bin_dir falls back to /opt/cni/bin)
sed -n '/^\[plugins."io.containerd.grpc.v1.cri"\]$/p; /runtimes.bulkhead\]$/,$p' \
	"$C/containerd/bulkhead.toml" | grep -v '^#' >"$T/bare.toml"
sed -i '1i version = 2' "$T/bare.toml"
dump "$T/bare.toml" >"$T/dump3.toml"
check "containerd 1.6 replaces the CRI table on import: without the repeated settings bin_dir is $(toml_get "$T/dump3.toml" "${CRI[@]}" cni bin_dir)" \
	'[ "$(toml_get "$T/dump3.toml" "${CRI[@]}" cni bin_dir)" != /usr/lib/cni ]'

# --- CRI-O: TOML as CRI-O reads it, with Debian's conmon
check "crio: parses as TOML, the handler runs bulkhead through Debian's conmon" \
	'"$PY" - "$C/crio/bulkhead.conf" <<"PY"
import sys, tomllib
r = tomllib.load(open(sys.argv[1], "rb"))["crio"]["runtime"]["runtimes"]["bulkhead"]
assert r["runtime_path"] == "/usr/local/sbin/bulkhead", r
assert r["runtime_type"] == "oci" and r["monitor_path"] == "/usr/bin/conmon", r
assert r.get("allowed_annotations", []) == [], r
PY'
if dpkg-query -W -f='${Status}' conmon 2>/dev/null | grep -q "ok installed"; then
	check "crio: /usr/bin/conmon is where Debian's conmon package puts it" \
		'dpkg -L conmon | grep -qx /usr/bin/conmon'
fi

# --- Kubernetes: YAML documents, the handler matching the engines' names
check "kubernetes: a RuntimeClass with handler bulkhead and a nodeSelector, a pod using it" \
	'"$PY" - "$C/kubernetes/runtimeclass.yaml" <<"PY"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
rc = [d for d in docs if d["kind"] == "RuntimeClass"][0]
assert rc["apiVersion"] == "node.k8s.io/v1" and rc["handler"] == "bulkhead", rc
sel = rc["scheduling"]["nodeSelector"]
assert sel and all(isinstance(v, str) for v in sel.values()), sel
pod = [d for d in docs if d["kind"] == "Pod"][0]
assert pod["spec"]["runtimeClassName"] == rc["metadata"]["name"], pod
sc = pod["spec"]["containers"][0]["securityContext"]
assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True, sc
PY'
check "kubernetes: the label in the comment is the nodeSelector's" \
	'grep -q "kubectl label node NODE runtime.bulkhead.io/handler=bulkhead" "$C/kubernetes/runtimeclass.yaml"'
check "kubernetes: the user namespace comment says containerd 1.6 ignores hostUsers" \
	'grep -q "containerd 1.6 (Debian 12) silently ignores it" "$C/kubernetes/runtimeclass.yaml"'

# --- Podman: TOML for root
check "podman: parses as TOML, bulkhead is the runtime and knows its path" \
	'"$PY" - "$C/podman/containers.conf" <<"PY"
import sys, tomllib
e = tomllib.load(open(sys.argv[1], "rb"))["engine"]
assert e["runtime"] == "bulkhead", e
assert e["runtimes"]["bulkhead"] == ["/usr/local/sbin/bulkhead"], e
assert "bulkhead" in e["runtime_supports_json"], e
PY'
check "podman: the rootless note is there" 'grep -q "^# Rootless Podman" "$C/podman/containers.conf"'

# --- logrotate: a dry run, then a real rotation of a copy in the temporary directory
mkdir -p "$T/log"
chmod 750 "$T/log"
truncate -s 101M "$T/log/audit.jsonl"
chmod 640 "$T/log/audit.jsonl"
sed "s|/var/log/bulkhead/audit.jsonl|$T/log/audit.jsonl|" "$C/logrotate/bulkhead" >"$T/logrotate.conf"
out=$(logrotate -d -s "$T/logrotate.state" "$T/logrotate.conf" 2>&1)
check "logrotate -d: the snippet parses without errors" '! printf "%s\n" "$out" | grep -qi "error"'
check "logrotate -d: a file over 100 MiB is rotated before the week is out" \
	'printf "%s\n" "$out" | grep -q "log needs rotating"'
check "logrotate -d: the new file is 0640 root:root" \
	'printf "%s\n" "$out" | grep -q "mode = 0640 uid = 0 gid = 0"'
grep -q "^\s*create 0640 root root$" "$C/logrotate/bulkhead" && grep -q "maxsize" "$C/logrotate/bulkhead" ||
	bad "logrotate: no size bound or a create line other than 0640 root root"
if [ "$(id -u)" = 0 ]; then
	logrotate -s "$T/logrotate.state" "$T/logrotate.conf" 2>"$T/logrotate.err" || bad "logrotate: $(cat "$T/logrotate.err")"
	check "logrotate: rotated to audit.jsonl.1, a new empty audit.jsonl root:root 0640" \
		'[ -f "$T/log/audit.jsonl.1" ] && [ "$(stat -c "%a %U:%G %s" "$T/log/audit.jsonl")" = "640 root:root 0" ]'
fi
check "logrotate: the owner and mode are those of man/bulkhead-audit.5" \
	'grep -q "created with mode 0640" "$SRC/man/bulkhead-audit.5"'

# --- Docker: JSON as dockerd reads it
check "docker: daemon.json parses, bulkhead is the default runtime, userns-remap on" \
	'jq -e ".runtimes.bulkhead.path == \"/usr/local/sbin/bulkhead\" and .[\"default-runtime\"] == \"bulkhead\"
		and .[\"userns-remap\"] == \"default\"" "$C/docker/daemon.json" >/dev/null'

# --- every contrib file is exercised above, and the documents name them rightly
for f in "$C"/*/*; do
	case "${f#"$C"/}" in
	containerd/bulkhead.toml | crio/bulkhead.conf | kubernetes/runtimeclass.yaml | \
		podman/containers.conf | logrotate/bulkhead | docker/daemon.json) ;;
	debian/*) ;; # built, installed, run and purged by tests/integration/deb.sh
	*) bad "contrib/${f#"$C"/} is not checked here" ;;
	esac
done
for doc in "$SRC/README.md" "$SRC"/man/*.[0-9]; do
	for ref in $(grep -o 'contrib/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "$doc" | sort -u); do
		[ -e "$SRC/$ref" ] || bad "${doc#"$SRC"/} names $ref, which does not exist"
	done
done
finish contrib
