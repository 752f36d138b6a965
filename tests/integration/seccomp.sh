#!/bin/bash
# seccomp: P7.seccomp seen from inside real containers. A spec whose own
# profile allows unshare pinned to CLONE_NEWUSER|CLONE_NEWNS (and mount pinned
# to the MS_REC|MS_PRIVATE that unshare -m makes) lets a nobody process create
# a user namespace with every capability under plain runc (the control: it
# proves the test can fail); through bulkhead and restricted the profile is
# replaced and unshare fails. The policy's own profile runs a threaded Python
# web server (and does not with clone3 -> EPERM). A listenerPath that is an
# engine socket, named directly or through a hard link, is refused before runc
# runs; plain runc connects to it as root.
# Root only; exit 77 = skipped (says why).
set -u

. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
RUNC=$(command -v runc) || skip "runc not installed"
BUSYBOX=$(command -v busybox) || skip "busybox not installed"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || skip "busybox is not static (install busybox-static)"
"$BUSYBOX" unshare --help >/dev/null 2>&1 || skip "busybox has no unshare applet"

umask 022
T=$(make_tmp seccomp) || exit 1 # the user namespace's root must traverse to the rootfs
STATE="$T/state"                # private runc state: parallel runs do not collide
IDS=""
LISTENER_PID=""
cleanup() {
	for id in $IDS; do "$RUNC" --root "$STATE" delete -f "$id" >/dev/null 2>&1; done
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

make_rootfs "$T/rootfs"

# restricted, next to the profile it names; the listener case adds its own
# engine socket list and allowlist.
cp "$SRC/policies/restricted.json" "$SRC/policies/seccomp-default.json" "$T/"
write_config "$T/bulkhead.json" "$T/restricted.json" "$T/audit.jsonl"
export BULKHEAD_CONFIG="$T/bulkhead.json"

# mkbundle DIR ARGS_JSON EXTRA_RULES_JSON [LISTENER]: runc's default spec run
# as nobody, with the policy's own profile plus EXTRA_RULES as its profile.
mkbundle() {
	mkdir -p "$1"
	(cd "$1" && "$RUNC" spec) || return 1
	jq --arg root "$T/rootfs" --argjson args "$2" --argjson extra "$3" \
		--arg listener "${4:-}" --slurpfile p "$T/seccomp-default.json" \
		'.root.path = $root | .process.terminal = false | .process.args = $args
		 | .process.user.uid = 65534 | .process.user.gid = 65534
		 | .linux.seccomp = ($p[0] | .syscalls += $extra)
		 | if $listener != "" then .linux.seccomp.listenerPath = $listener else . end' \
		"$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

echo "# 1. unshare pinned to CLONE_NEWUSER|CLONE_NEWNS"
# unshare(0x10020000) and mount("none", "/", NULL, MS_REC|MS_PRIVATE = 0x44000):
# each pinned to exactly the value the attack needs.
PINNED='[{"names": ["unshare"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 0, "value": 268566528, "op": "SCMP_CMP_EQ"}]},
         {"names": ["mount"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 3, "value": 278528, "op": "SCMP_CMP_EQ"}]}]'
ARGS='["sh", "-c", "if unshare -U -m true; then echo unshare=yes; else echo unshare=no; fi; unshare -r -m grep CapEff /proc/self/status 2>/dev/null | tr -d \" \\t\" | sed s/:/=/"]'
B="$T/pinned"
mkbundle "$B" "$ARGS" "$PINNED" || fail "runc spec failed"
mkdir -p "$T/control"
cp "$B/config.json" "$T/control/config.json"

ID="bh-seccomp-control-$$"
IDS="$IDS $ID"
"$RUNC" --root "$STATE" run --bundle "$T/control" "$ID" >"$T/control.out" 2>"$T/control.err" </dev/null
rc=$?
"$RUNC" --root "$STATE" delete -f "$ID" >/dev/null 2>&1
sed 's/^/#   plain runc: /' "$T/control.out"
[ "$rc" = 0 ] || skip "the control container did not run under plain runc (rc=$rc: $(head -c 300 "$T/control.err"))"
[ "$(field "$(cat "$T/control.out")" unshare)" = yes ] ||
	skip "plain runc: unshare -U -m failed even with the weak profile (no nested user namespaces here?): the test could not fail"
ok "control: under plain runc, nobody's unshare -U -m true succeeds with the pinned profile"
check "control: the nested user namespace has every capability ($(field "$(cat "$T/control.out")" CapEff))" \
	'[ "$(field "$(cat "$T/control.out")" CapEff)" = 000001ffffffffff ]'

ID="bh-seccomp-pinned-$$"
IDS="$IDS $ID"
"$BIN" --root "$STATE" run --bundle "$B" "$ID" >"$T/bh.out" 2>"$T/bh.err" </dev/null
rc=$?
"$RUNC" --root "$STATE" delete -f "$ID" >/dev/null 2>&1
sed 's/^/#   bulkhead: /' "$T/bh.out"
check "bulkhead run exits 0 (rc=$rc: $(head -c 300 "$T/bh.err"))" '[ "$rc" = 0 ]'
check "through bulkhead, unshare -U -m true fails" '[ "$(field "$(cat "$T/bh.out")" unshare)" = no ]'
check "through bulkhead, no capability in a nested namespace ($(field "$(cat "$T/bh.out")" CapEff))" \
	'[ "$(field "$(cat "$T/bh.out")" CapEff)" != 000001ffffffffff ]'
check "config.json now carries the policy's profile" \
	'[ "$(jq -S .linux.seccomp "$B/config.json")" = "$(jq -S . "$T/seccomp-default.json")" ]'
check "the audit record names P7.seccomp and the pinned unshare" \
	'jq -r "select(.verdict == \"mutate\") | .findings[] | select(.rule == \"P7.seccomp\") | .message" "$T/audit.jsonl" | grep -q "dangerous syscall unshare, whatever its argument conditions"'

echo "# 2. the policy's profile runs a threaded Python web server (glibc: clone3 -> ENOSYS -> clone)"
# Plain runc (restricted refuses a bind mount of the host's /usr): nobody,
# no-new-privileges, read-only root, the host's /usr read-only, the policy's profile.
PY='import threading, http.server, urllib.request, subprocess, os, hashlib, ssl, sqlite3
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 8080), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
body = urllib.request.urlopen("http://127.0.0.1:8080/", timeout=10).read()
child = subprocess.run(["/bin/sh", "-c", "echo yes"], capture_output=True).stdout.decode().strip()
pid = os.fork()
if pid == 0:
    os._exit(7)
print("served=%d" % len(body))
print("child=%s" % child)
print("fork=%d" % os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
srv.shutdown()'
pyrun() { # NAME PROFILE_FILTER: run the server with the policy's profile, filtered
	local B="$T/py-$1" ID="bh-seccomp-py-$1-$$"
	IDS="$IDS $ID"
	mkdir -p "$B" "$T/pyroot/usr" "$T/pyroot/proc" "$T/pyroot/dev" "$T/pyroot/sys" "$T/pyroot/tmp"
	for l in bin lib lib64 sbin; do ln -sfn "usr/$l" "$T/pyroot/$l"; done
	(cd "$B" && "$RUNC" spec) || return 1
	jq --arg root "$T/pyroot" --arg py "$PY" --slurpfile p "$T/seccomp-default.json" \
		'.root.path = $root | .root.readonly = true | .process.terminal = false
		 | .process.args = ["/usr/bin/python3", "-c", $py]
		 | .process.user.uid = 65534 | .process.user.gid = 65534 | .process.noNewPrivileges = true
		 | .mounts += [{"destination": "/usr", "type": "bind", "source": "/usr",
		                "options": ["rbind", "ro", "nosuid", "nodev"]},
		               {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		                "options": ["nosuid", "nodev"]}]
		 | .linux.seccomp = ($p[0] | '"$2"')' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	"$RUNC" --root "$STATE" run --bundle "$B" "$ID" >"$T/py-$1.out" 2>"$T/py-$1.err" </dev/null
	local rc=$?
	"$RUNC" --root "$STATE" delete -f "$ID" >/dev/null 2>&1
	return $rc
}
if [ -x /usr/bin/python3 ]; then
	pyrun policy .
	rc=$?
	OUT=$(cat "$T/py-policy.out")
	check "the server ran (rc=$rc: $(tail -c 300 "$T/py-policy.err"))" '[ "$rc" = 0 ]'
	check "threads served a request ($(field "$OUT" served) bytes)" '[ "$(field "$OUT" served)" -gt 0 ] 2>/dev/null'
	check "subprocess ran a child" '[ "$(field "$OUT" child)" = yes ]'
	check "fork and wait work" '[ "$(field "$OUT" fork)" = 7 ]'
	# Control: clone3 refused with EPERM instead of ENOSYS, glibc does not fall back.
	pyrun eperm '.syscalls |= map(if .names == ["clone3"] then .errnoRet = 1 else . end)'
	rc=$?
	check "control: with clone3 -> EPERM the same server fails (rc=$rc)" \
		'[ "$rc" != 0 ] && grep -q "start new thread" "$T/py-eperm.err"'
else
	echo "# /usr/bin/python3 is not installed: server checks skipped"
fi

echo "# 3. listenerPath: an engine socket, directly or through a hard link"
if ! command -v python3 >/dev/null; then
	echo "# python3 is not installed: no unix socket to listen on; listener checks skipped"
	finish seccomp
	exit $?
fi
mkdir -p "$T/engine"
ENGINE="$T/engine/docker.sock"
# A stand-in engine socket that records every connection.
python3 - "$ENGINE" "$T/listening" "$T/connections" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    data = c.recv(1 << 16)
    with open(sys.argv[3], "a") as f:
        f.write("connected %d\n" % len(data))
    c.close()
EOF
LISTENER_PID=$!
wait_for test -e "$T/listening" || fail "the stand-in engine socket did not come up"
ln "$ENGINE" "$T/agent.sock" # a hard link: another name, the same socket
sed -e "s#\"allowedListeners\": \[\]#\"allowedListeners\": [\"$T/agent.sock\"], \"sockets\": [\"$ENGINE\"]#" \
	"$T/restricted.json" >"$T/listener.json"
grep -q "\"sockets\": \[\"$ENGINE\"\]" "$T/listener.json" || fail "could not write the listener policy"
write_config "$T/listener-config.json" "$T/listener.json" "$T/audit.jsonl"

NOTIFY='[{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]'
for case in link direct; do
	B="$T/listener-$case"
	L="$T/agent.sock"
	[ "$case" = direct ] && L="$ENGINE"
	mkbundle "$B" '["true"]' "$NOTIFY" "$L" || fail "runc spec failed"
	cp "$B/config.json" "$T/listener-$case.orig"
	ID="bh-seccomp-listener-$case-$$"
	IDS="$IDS $ID"
	: >"$T/connections"
	BULKHEAD_CONFIG="$T/listener-config.json" "$BIN" --root "$STATE" run --bundle "$B" "$ID" \
		>"$T/l.out" 2>"$T/l.err" </dev/null
	rc=$?
	echo "#   $case: $(head -c 400 "$T/l.err")"
	check "$case: refused with exit 1 (rc=$rc)" '[ "$rc" = 1 ]'
	check "$case: the reason is P7.seccomp's" 'grep -q "P7.seccomp" "$T/l.err"'
	if [ "$case" = link ]; then
		check "$case: it names the engine socket by device+inode" \
			'grep -q "same file (device+inode) as $ENGINE, an engine socket" "$T/l.err"'
	else
		check "$case: it names the engine socket" 'grep -q "is $ENGINE, an engine socket" "$T/l.err"'
	fi
	check "$case: one line on stderr" '[ "$(wc -l <"$T/l.err")" = 1 ]'
	check "$case: config.json untouched" 'cmp -s "$B/config.json" "$T/listener-$case.orig"'
	check "$case: the container does not exist" '! "$RUNC" --root "$STATE" state "$ID" >/dev/null 2>&1'
	check "$case: nothing connected to the engine socket" '[ ! -s "$T/connections" ]'
done

# Control: plain runc connects to the hard link as root (what was refused above).
ID="bh-seccomp-listener-control-$$"
IDS="$IDS $ID"
mkdir -p "$T/listener-control"
cp "$T/listener-link.orig" "$T/listener-control/config.json"
: >"$T/connections"
"$RUNC" --root "$STATE" run --bundle "$T/listener-control" "$ID" >/dev/null 2>"$T/lc.err" </dev/null
rc=$?
"$RUNC" --root "$STATE" delete -f "$ID" >/dev/null 2>&1
wait_for grep -q connected "$T/connections"
check "control: plain runc connects to the engine socket through the hard link (rc=$rc, $(head -c 200 "$T/connections"))" \
	'grep -q connected "$T/connections"'

finish seccomp
