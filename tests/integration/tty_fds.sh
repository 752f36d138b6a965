#!/usr/bin/env bash
# The descriptors an engine hands the runtime reach the container through
# bulkhead exactly as through runc: --preserve-fds (fd 3 and up) and
# --console-socket (the pty master sent back over a unix socket, as conmon and
# containerd's shim receive it). Each case runs through runc and through
# bulkhead (restricted policy) side by side.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
command -v runc >/dev/null || skip "runc is not installed"
command -v python3 >/dev/null || skip "python3 is needed for the console-socket receiver"
command -v jq >/dev/null || skip "jq is not installed"
BIN=${BULKHEAD_BIN:?BULKHEAD_BIN names the bulkhead binary}
SRC=${BULKHEAD_SOURCE_ROOT:?}

T=$(make_tmp ttyfds)
ROOT="$T/state"
cleanup()
{
	for id in $(runc --root "$ROOT" list -q 2>/dev/null); do runc --root "$ROOT" delete -f "$id" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap cleanup EXIT
write_config "$T/config.json" "$SRC/policies/restricted.json" "$T/audit.jsonl"
export BULKHEAD_CONFIG="$T/config.json"

# bundle NAME TERMINAL ARGS-JSON
bundle()
{
	local b="$T/$1"
	mkdir -p "$b"
	make_rootfs "$b/rootfs"
	(cd "$b" && runc spec)
	jq --argjson args "$3" --argjson tty "$2" \
		'.process.terminal = $tty | .process.args = $args' "$b/config.json" >"$b/c.json"
	mv "$b/c.json" "$b/config.json"
	echo "$b"
}

# --- --preserve-fds ---------------------------------------------------------
args='["sh", "-c", "echo through-fd3 >&3; ls /proc/self/fd | sort -n | tr \"\\n\" \" \""]'
for rt in runc bulkhead; do
	b=$(bundle "fds-$rt" false "$args")
	exe=runc
	[ $rt = bulkhead ] && exe=$BIN
	out=$(cd "$b" && "$exe" --root "$ROOT" run --preserve-fds 1 "fds-$rt" 3>"$T/fd3-$rt.txt" </dev/null 2>&1) ||
		fail "$rt run --preserve-fds 1 failed: $out"
	eval "fds_$rt=\"\$out\""
	grep -qx through-fd3 "$T/fd3-$rt.txt" || fail "$rt: the container could not write to the preserved fd 3"
done
# shellcheck disable=SC2154
[ "$fds_runc" = "$fds_bulkhead" ] ||
	fail "descriptors inside differ: runc '$fds_runc', bulkhead '$fds_bulkhead'"
ok "--preserve-fds 1: fd 3 reaches the container; descriptors inside identical ($fds_bulkhead)"

# --- --console-socket -------------------------------------------------------
cat >"$T/recv.py" <<'PY'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
if not fds:
    sys.exit("no descriptor received")
data = b""
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
with open(out, "wb") as f:
    f.write(data)
PY
args='["sh", "-c", "tty; echo console-ok"]'
for rt in runc bulkhead; do
	b=$(bundle "tty-$rt" true "$args")
	exe=runc
	[ $rt = bulkhead ] && exe=$BIN
	sock="$T/console-$rt.sock"
	python3 "$T/recv.py" "$sock" "$T/console-$rt.txt" >"$T/recv-$rt.log" 2>&1 &
	rpid=$!
	wait_for test -S "$sock" || fail "the console receiver did not start"
	(cd "$b" && "$exe" --root "$ROOT" run -d --console-socket "$sock" "tty-$rt" </dev/null >/dev/null 2>"$T/err-$rt") ||
		fail "$rt run -d --console-socket failed: $(cat "$T/err-$rt")"
	for _ in $(seq 40); do kill -0 $rpid 2>/dev/null || break; sleep 0.25; done
	kill $rpid 2>/dev/null
	wait $rpid 2>/dev/null
	tr -d '\r' <"$T/console-$rt.txt" >"$T/console-$rt.clean"
	grep -q '^/dev/pts/' "$T/console-$rt.clean" || fail "$rt: no pty inside: $(cat "$T/console-$rt.clean")"
	grep -qx console-ok "$T/console-$rt.clean" || fail "$rt: no output through the console"
	runc --root "$ROOT" delete -f "tty-$rt" >/dev/null 2>&1
done
cmp -s "$T/console-runc.clean" "$T/console-bulkhead.clean" ||
	fail "console output differs: runc '$(cat "$T/console-runc.clean")', bulkhead '$(cat "$T/console-bulkhead.clean")'"
ok "--console-socket: the pty master reaches the engine; the container sees a tty; output identical"
exit 0
