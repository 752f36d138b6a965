#!/bin/bash
# oracle: bulkhead judged against what runc acts on. Builds tests/oracle (Go's
# encoding/json and runc's runtime-spec structs, as runc 1.1.5 decodes them),
# proves its checker catches each class of violation on hand-written
# documents, replays tests/oracle/cases (each must be refused, or hardened into
# a document runc acts on safely), then fuzzes `bulkhead policy harden` for
# ORACLE_SECONDS (45) with restricted.json over tests/data. Failing documents
# go to ORACLE_OUT (default: a temporary directory, shown in the log).
# Exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_bulkhead
command -v go >/dev/null || skip "go is not installed (golang-go)"
SPECS=/usr/share/gocode/src/github.com/opencontainers/runtime-spec/specs-go
[ -f "$SPECS/config.go" ] || skip "no $SPECS (golang-github-opencontainers-specs-dev)"

POLICY="$SRC/policies/restricted.json"
DATA="$SRC/tests/oracle/testdata"
T=$(make_tmp oracle) || exit 1
trap 'rm -rf "$T"' EXIT
O="$T/oracle"
(cd "$SRC/tests/oracle" && GOCACHE="$T/gocache" GOFLAGS='' GO111MODULE=off \
	GOPATH=/usr/share/gocode go build -o "$O" .) || fail "cannot build tests/oracle"
ok "built the oracle ($(go version | cut -d' ' -f3))"

# A bundle: relative sources resolve here; a rootfs a user namespace can use.
B="$T/bundle"
mkdir -p "$B/data" "$B/rootfs/proc" "$B/rootfs/sys" "$B/rootfs/dev" "$B/rootfs/tmp" \
	"$B/rootfs/run" "$B/rootfs/var/tmp" "$B/rootfs/etc"

# ---- the checker's own controls ----

for k in spec process resources; do
	out=$("$O" check "$k" "$DATA/clean-$k.json")
	rc=$?
	check "checker: the clean $k document passes" '[ $rc = 0 ] && [ -z "$out" ]'
done

# control KIND 'JQ FILTER' 'EXPECTED LINE': the checker reports the class.
control()
{
	local kind=$1 filter=$2 want=$3 out rc
	jq "$filter" "$DATA/clean-$kind.json" >"$B/control.json" || {
		bad "jq $filter"
		return
	}
	out=$("$O" check "$kind" "$B/control.json")
	rc=$?
	if [ $rc = 1 ] && printf '%s\n' "$out" | grep -qF -- "$want"; then
		ok "checker: $want <- $filter"
	else
		bad "checker: '$want' not reported for $filter (exit $rc): $out"
	fi
}

# Shadow keys: Go matches "Process", "capabilitieſ", "hooK" to the fields; a
# later key wins and merges into the struct an earlier one made.
control spec '.Process = (.process | .user = {"uid": 0, "gid": 0})' \
	'P1: process.user.uid is 0'
control spec '.process.USER = {"uid": 0}' 'P1: process.user.uid is 0'
control spec '.process["capabilitie\u017f"] = {"ambient": ["CAP_SYS_ADMIN"]}' \
	'P3: process.capabilities.ambient has "CAP_SYS_ADMIN"'
control spec '.process.capabilities = null' 'P3: process.capabilities is absent or null'
control spec '.process.noNewPrivileges = false' 'P4: process.noNewPrivileges is false'
control spec '.root.readonly = false' 'P2: root filesystem is writable'
control spec '.root.path = "/"' 'P10: root.path "/" resolves to /'
control spec '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]' \
	'P5: linux.uidMappings[0] maps host id 0'
control spec '.linux.namespaces |= map(select(.type != "user"))' 'P5: no user namespace'
control spec '.linux.resources.memory.limit = -1' 'P6: linux.resources.memory.limit is -1'
control spec '.linux.resources.unified = {"memory.max": "max"}' \
	'P6: linux.resources.unified["memory.max"] = "max" (unlimited)'
control spec '.linux.resources.Pids = null' 'P6: no pids limit'
control spec '.linux.Seccomp = null' 'P7: no seccomp profile'
control spec '.linux.seccomp.defaultAction = "SCMP_ACT_LOG"' \
	'P7: seccomp defaultAction "SCMP_ACT_LOG" does not deny'
control spec '.linux.seccomp.syscalls += [{"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]' \
	'P7: seccomp syscalls[1] lets mount through'
control spec '.linux.namespaces |= map(select(.type != "network"))' 'P8: no network namespace'
control spec '.linux.namespaces |= map(if .type == "network" then .TYPE = "cgroup" else . end)' \
	'P8: no network namespace'
control spec '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/net" else . end)' \
	'P8: network namespace path "/proc/self/ns/net" is the host'"'"'s'
control spec '.linux.maskedPaths -= ["/proc/kcore"]' 'P9: linux.maskedPaths lacks /proc/kcore'
control spec '.mounts += [{"destination": "/h", "type": "bind", "source": "/", "options": ["rbind", "nosuid", "nodev"]}]' \
	'P10: bind mounts[4] source "/" resolves to /'
control spec '.mounts += [{"destination": "/h", "source": "/var/lib", "options": ["bind", "nosuid", "nodev"]}]' \
	'a parent of sensitive host path /var/lib/docker'
control spec '.mounts += [{"destination": "/s", "source": "/var/run/docker.sock", "options": ["bind", "nosuid", "nodev"]}]' \
	'engine socket /var/run/docker.sock'
control spec '.mounts[2].options += ["suid"]' 'P10: bind mounts[2] (/data) lacks nosuid in effect'
control spec '.mounts[2].options += ["rdev"]' 'P10: bind mounts[2] (/data) lacks nodev in effect'
control spec '.mounts[2].options += ["rshared"]' 'P10: mounts[2] (/data) has rshared propagation'
control spec '.linux.resources.devices += [{"allow": true, "type": "a", "access": "rwm"}]' \
	'P11: linux.resources.devices[2] allows rwm on every device'
control spec '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh"]}]}' \
	'P12: hooks.prestart[0] "/bin/sh" is not an allowlisted hook'
control spec '."hoo\u212a\u017f" = {"poststop": [{"path": "/bin/sh"}]}' \
	'P12: hooks.poststop[0] "/bin/sh" is not an allowlisted hook'
control spec '.process.apparmorProfile = "unconfined"' 'process.apparmor: apparmorProfile is "unconfined"'
control spec '.process.cwd = "/proc/self/fd/3"' 'process.cwd: cwd "/proc/self/fd/3" is under /proc'
control process '.User = {"uid": 0}' 'P1: process.user.uid is 0'
control process '.capabilities = null' 'P3: process.capabilities is absent or null'
control process '.noNewPrivileges = false' 'P4: process.noNewPrivileges is false'
control process '.cwd = "/proc/1/cwd"' 'process.cwd'
control resources '.Memory = {"limit": -1}' 'P6: resources.memory.limit is -1'
control resources '.pids.limit = -1' 'P6: resources.pids.limit is -1'
control resources '.unified = {"pids.max": "max"}' 'P6: resources.unified["pids.max"] = "max"'

# decode reads as Go does: the last duplicate wins, invalid UTF-8 and lone
# surrogates become U+FFFD, trailing garbage is never read; a BOM, a null
# spec, or a null that runc update dereferences is refused (exit 2).
jq -c . "$DATA/clean-spec.json" | sed 's/"uid":65534/"uid":65534,"uid":0/' >"$B/dup.json"
out=$("$O" check spec "$B/dup.json")
check "decode: the last of duplicate keys wins" 'printf "%s\n" "$out" | grep -q "^P1: process.user.uid is 0"'
jq -c . "$DATA/clean-spec.json" | sed 's|"/proc/kcore"|"/proc/kcore\xff"|' >"$B/utf8.json"
out=$("$O" check spec "$B/utf8.json")
check "decode: invalid UTF-8 becomes U+FFFD" 'printf "%s\n" "$out" | grep -q "^P9: linux.maskedPaths lacks /proc/kcore"'
jq -c . "$DATA/clean-spec.json" | sed 's|"/proc/keys"|"/proc/keys\\ud800"|' >"$B/surrogate.json"
want=$(printf '/proc/keys\357\277\275')
"$O" decode spec "$B/surrogate.json" | jq -r '.linux.maskedPaths[]' | grep -qxF "$want"
rc=$?
check "decode: a lone surrogate escape becomes U+FFFD" '[ $rc = 0 ]'
{ cat "$DATA/clean-spec.json"; echo '{"process": {"user": {"uid": 0}}}'; } >"$B/trailing.json"
"$O" check spec "$B/trailing.json" >/dev/null
rc=$?
check "decode: trailing garbage after the document is not read" '[ $rc = 0 ]'
{ printf '\xef\xbb\xbf'; cat "$DATA/clean-spec.json"; } >"$B/bom.json"
"$O" decode spec "$B/bom.json" >/dev/null 2>&1
rc=$?
check "decode: a BOM is refused" '[ $rc = 2 ]'
echo null >"$B/null.json"
"$O" decode spec "$B/null.json" >/dev/null 2>&1
rc=$?
check "decode: a null spec is refused" '[ $rc = 2 ]'
jq '.memory.limit = null' "$DATA/clean-resources.json" >"$B/nil.json"
"$O" decode resources "$B/nil.json" >/dev/null 2>&1
rc=$?
check "decode: a null that runc update dereferences is refused" '[ $rc = 2 ]'

# ---- regression inputs: each is refused, or hardened into something safe ----

for c in "$SRC"/tests/oracle/cases/*.json; do
	[ -f "$c" ] || continue
	name=$(basename "$c")
	kind=spec
	case $name in
	*process*) kind=process ;;
	*resources*) kind=resources ;;
	esac
	kindArgs=()
	[ $kind = spec ] || kindArgs=(--kind "$kind")
	cp "$c" "$B/case.json"
	"$BIN" policy harden --policy "$POLICY" "${kindArgs[@]}" "$B/case.json" >"$B/case.out" 2>"$T/case.err"
	rc=$?
	if [ $rc = 2 ] && grep -q "unknown option --kind" "$T/case.err"; then
		echo "skip - case $name: this bulkhead has no policy harden --kind $kind"
		continue
	fi
	case $rc in
	2 | 3) ok "case $name: refused (exit $rc): $(head -c 160 "$T/case.err")" ;;
	0)
		out=$("$O" check "$kind" "$B/case.out" 2>&1)
		case $? in
		0) ok "case $name: hardened into a document runc acts on safely" ;;
		2) ok "case $name: hardened, but runc refuses the output: $out" ;;
		*) bad "case $name: bulkhead let through what runc acts on as: $(echo $out)" ;;
		esac
		;;
	*) bad "case $name: bulkhead exit $rc: $(head -c 300 "$T/case.err")" ;;
	esac
done

# ---- the differential fuzzer ----

OUT=${ORACLE_OUT:-$(mktemp -d /tmp/bulkhead-oracle-failures.XXXXXX)}
"$O" fuzz -bulkhead "$BIN" -policy "$POLICY" -seconds "${ORACLE_SECONDS:-45}" \
	-rand-seed "${ORACLE_RAND_SEED:-1}" -seed "$SRC/tests/data" -out "$OUT"
rc=$?
if [ $rc = 0 ]; then
	ok "fuzz: no document bulkhead let through breaks a guarantee in runc's reading"
	[ -n "${ORACLE_OUT:-}" ] || rm -rf "$OUT"
else
	for f in $(ls "$OUT"/violation-*.txt "$OUT"/unexpected-*.txt 2>/dev/null | head -n 3); do
		echo "--- $f"
		head -n 25 "$f"
	done
	bad "fuzz: bulkhead let through documents that break a guarantee as runc reads them (exit $rc; examples in $OUT)"
fi

finish oracle
