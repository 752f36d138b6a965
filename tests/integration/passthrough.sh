#!/bin/bash
# bulkhead in place of runc, on a real busybox-static container: every command
# that bulkhead passes through must behave exactly as runc does (exit code,
# stdout, stderr, modulo container IDs and times); a refusal must write one
# runc-format line to --log, exit 1 and run nothing. Two containers made by
# runc, one driven by runc and one by bulkhead: state, list, ps, events, exec
# (plain, -d, --env, --cwd, exit status, -p <(...)), update (--pids-limit,
# -r FILE, -r <(...): a request within the policy goes through as given),
# pause, resume, kill, delete.
#
# Needs root, runc, busybox-static and jq. BULKHEAD_BIN names the binary.
# Exit 77 (skipped) when something needed is missing.
set -u

skip() { echo "passthrough: SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
BIN=${BULKHEAD_BIN:-}
[ -n "$BIN" ] && [ -x "$BIN" ] || skip "BULKHEAD_BIN is not set to the bulkhead binary"
RUNC=$(command -v runc) || skip "no runc"
BUSYBOX=$(command -v busybox) || skip "no busybox"
command -v jq >/dev/null || skip "no jq"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || [ ! -x /usr/bin/file ] ||
	skip "$BUSYBOX is not statically linked (install busybox-static)"

T=$(mktemp -d /tmp/bulkhead-passthrough.XXXXXX)
chmod 0755 "$T"
# Installed in runc's place, bulkhead is called "runc": runc's own help texts,
# which print argv[0], then read the same.
mkdir "$T/bin"
ln -s "$(readlink -f "$BIN")" "$T/bin/runc"
BIN=$T/bin/runc
ROOT=$T/state
PFX=bhpt$$
FAILS=0
TESTS=0

cleanup()
{
	for id in $("$RUNC" --root "$ROOT" list -q 2>/dev/null); do
		"$RUNC" --root "$ROOT" delete -f "$id" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A private machine configuration: the real runc, trusted (root, 0644).
cat >"$T/config.json" <<EOF
{
	// written by tests/integration/passthrough.sh
	"runtime": "$RUNC",
	"policy": "${BULKHEAD_SOURCE_ROOT:-$(dirname "$0")/../..}/policies/restricted.json",
	"audit": {"log": "$T/audit.jsonl"}
}
EOF
chmod 0644 "$T/config.json"
export BULKHEAD_CONFIG=$T/config.json

ok() { TESTS=$((TESTS + 1)); echo "ok $TESTS - $*"; }
not_ok()
{
	TESTS=$((TESTS + 1))
	FAILS=$((FAILS + 1))
	echo "not ok $TESTS - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}

# make_bundle DIR ARGS-AS-JSON: busybox-static, those process args, no terminal.
make_bundle()
{
	local b=$1
	shift
	mkdir -p "$b/rootfs/bin" "$b/rootfs/tmp" "$b/rootfs/run" "$b/rootfs/var/tmp"
	cp "$BUSYBOX" "$b/rootfs/bin/busybox"
	for app in $("$b/rootfs/bin/busybox" --list); do
		[ "$app" = busybox ] || ln -sf busybox "$b/rootfs/bin/$app"
	done
	(cd "$b" && "$RUNC" spec) || exit 1
	jq --argjson args "$1" '.process.terminal = false | .process.args = $args' \
		<"$b/config.json" >"$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
}

LONG=$T/long
make_bundle "$LONG" '["sleep", "1000"]'
SHORT=$T/short
make_bundle "$SHORT" '["sh", "-c", "echo hello from busybox; echo to stderr >&2; exit 7"]'

# Run "runc ARGS" and "bulkhead ARGS"; out/err/rc of each in $T/{r,b}.*
both()
{
	"$RUNC" --root "$ROOT" "$@" >"$T/r.out" 2>"$T/r.err" </dev/null
	echo $? >"$T/r.rc"
	"$BIN" --root "$ROOT" "$@" >"$T/b.out" 2>"$T/b.err" </dev/null
	echo $? >"$T/b.rc"
}

# Times in runc's log lines and JSON, the two container IDs, and ps(1)'s CPU
# percentage column (C, it moves between two calls), normalised.
norm()
{
	sed -E -e 's/time="[^"]*"/time="T"/g' -e "s/${PFX}-[ab]/ID/g" \
		-e 's/^([a-z0-9_]+ +[0-9]+ +[0-9]+ +)[0-9]+ /\1C /' \
		-e 's/"created": ?"[^"]*"/"created":"T"/g' -e 's/"pid": ?[0-9]+/"pid":P/g' "$1"
}

# same NAME: both runs gave the same exit code, stdout and stderr.
same()
{
	local name=$1 d
	if ! cmp -s "$T/r.rc" "$T/b.rc"; then
		not_ok "$name" "exit code: runc $(cat "$T/r.rc"), bulkhead $(cat "$T/b.rc")" \
			"bulkhead stderr: $(head -c 300 "$T/b.err")"
		return
	fi
	for s in out err; do
		if ! d=$(diff <(norm "$T/r.$s") <(norm "$T/b.$s")); then
			not_ok "$name" "std$s differs:" "$d"
			return
		fi
	done
	ok "$name (exit $(cat "$T/r.rc"))"
}

# lifecycle ID CMD...: run CMD on container ID-a with runc and on ID-b with
# bulkhead (state-changing commands need a container each).
lifecycle()
{
	local name=$1
	shift
	local ra=() rb=()
	for a in "$@"; do
		ra+=("${a//@ID@/$PFX-a}")
		rb+=("${a//@ID@/$PFX-b}")
	done
	"$RUNC" --root "$ROOT" "${ra[@]}" >"$T/r.out" 2>"$T/r.err" </dev/null
	echo $? >"$T/r.rc"
	"$BIN" --root "$ROOT" "${rb[@]}" >"$T/b.out" 2>"$T/b.err" </dev/null
	echo $? >"$T/b.rc"
	same "$name"
}

status_of() { "$RUNC" --root "$ROOT" state "$1" 2>/dev/null | jq -r .status; }

wait_status()
{
	local i
	for i in $(seq 50); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- version, help, features, spec -----------------------------------------
"$BIN" --version >"$T/v.out" 2>"$T/v.err"
rc=$?
first=$(head -n1 "$T/v.out")
if [ $rc = 0 ] && [[ "$first" == "runc version "* ]] &&
	[ "$(tail -n1 "$T/v.out")" = "bulkhead version $("$BIN" --version | tail -n1 | cut -d' ' -f3)" ] &&
	diff -q <("$RUNC" --version) <(head -n -1 "$T/v.out") >/dev/null; then
	ok "--version: runc's lines first, then bulkhead's"
else
	not_ok "--version" "rc=$rc" "$(cat "$T/v.out" "$T/v.err")"
fi

both features
same "features"

mkdir -p "$T/spec-r" "$T/spec-b"
(cd "$T/spec-r" && "$RUNC" spec) && (cd "$T/spec-b" && "$BIN" spec)
if cmp -s "$T/spec-r/config.json" "$T/spec-b/config.json"; then
	ok "spec writes the same config.json"
else
	not_ok "spec writes the same config.json"
fi

both frobnicate
same "unknown command"
both state "$PFX-none"
same "state of a missing container"
both --log "$T/missing.log" --log-format json state "$PFX-none"
same "state of a missing container, json log"
both list --frobnicate
same "unknown option of a pass-through command"

# --- lifecycle: containers made by runc, driven by both --------------------
for c in a b; do
	"$RUNC" --root "$ROOT" create --bundle "$LONG" "$PFX-$c" </dev/null >/dev/null 2>"$T/create.err" ||
		{ not_ok "runc create $PFX-$c" "$(cat "$T/create.err")"; exit 1; }
done

both state "$PFX-a"
same "state (created)"
both list
same "list"
both list --format json
same "list --format json"
both list -q
same "list -q"

lifecycle "start" start @ID@
wait_status "$PFX-a" running && wait_status "$PFX-b" running ||
	not_ok "both containers running" "a: $(status_of "$PFX-a") b: $(status_of "$PFX-b")"
lifecycle "state (running)" state @ID@
both ps "$PFX-a"
same "ps"
both ps -f json "$PFX-a"
same "ps -f json"
both ps "$PFX-a" -o pid,comm
same "ps with ps(1) options after the ID"

# events --stats: numbers move; the shape and the exit code must not.
"$RUNC" --root "$ROOT" events --stats "$PFX-a" >"$T/r.ev" 2>&1
r=$?
"$BIN" --root "$ROOT" events --stats "$PFX-a" >"$T/b.ev" 2>&1
b=$?
if [ $r = $b ] && [ "$(jq -c '[.type, .id, (.data | keys)]' <"$T/r.ev")" = \
	"$(jq -c '[.type, .id, (.data | keys)]' <"$T/b.ev")" ]; then
	ok "events --stats (exit $r)"
else
	not_ok "events --stats" "runc $r: $(head -c 200 "$T/r.ev")" "bulkhead $b: $(head -c 200 "$T/b.ev")"
fi

# exec and update after ps: a detached exec can leave a zombie behind in the
# container, which ps would show in one container and not yet in the other.
lifecycle "exec" exec @ID@ sh -c 'echo hello'
# ... but the process is the judged one: these containers were made by plain
# runc with root in the spec, and an exec through bulkhead runs as the policy's
# user (runc itself would run it as root)
u=$("$BIN" --root "$ROOT" exec "$PFX-b" id -u 2>/dev/null </dev/null)
if [ "$u" = 65534 ]; then ok "exec through bulkhead runs the hardened process (uid $u)"; else not_ok "exec through bulkhead runs the hardened process" "uid '$u'"; fi
lifecycle "exec: the command's exit status" exec @ID@ sh -c 'exit 3'
lifecycle "exec --env --cwd" exec --env FOO=bar --cwd /tmp @ID@ sh -c 'echo "$FOO"; pwd'
lifecycle "exec -d" exec -d @ID@ true
lifecycle "exec in a missing container" exec "$PFX-none" true
# --process from a pipe, as runc's own tests pass it: -p <(...) (/dev/fd/N)
echo '{"args": ["echo", "from a pipe"], "cwd": "/", "env": ["PATH=/bin"]}' >"$T/proc.json"
"$RUNC" --root "$ROOT" exec -p <(cat "$T/proc.json") "$PFX-a" >"$T/r.out" 2>"$T/r.err" </dev/null
echo $? >"$T/r.rc"
"$BIN" --root "$ROOT" exec -p <(cat "$T/proc.json") "$PFX-b" >"$T/b.out" 2>"$T/b.err" </dev/null
echo $? >"$T/b.rc"
same "exec --process <(...)"
echo '{"pids": {"limit": 300}}' >"$T/res.json"
lifecycle "update --pids-limit" update --pids-limit 200 @ID@
pids_limit() { "$RUNC" --root "$ROOT" events --stats "$1" | jq -r .data.pids.limit; }
if [ "$(pids_limit "$PFX-a")" = 200 ] && [ "$(pids_limit "$PFX-b")" = 200 ]; then
	ok "update --pids-limit: both containers at 200"
else
	not_ok "update --pids-limit" "runc's: $(pids_limit "$PFX-a")" "bulkhead's: $(pids_limit "$PFX-b")"
fi
lifecycle "update -r FILE" update -r "$T/res.json" @ID@
if [ "$(pids_limit "$PFX-a")" = 300 ] && [ "$(pids_limit "$PFX-b")" = 300 ]; then
	ok "update -r FILE: both containers at 300"
else
	not_ok "update -r FILE" "runc's: $(pids_limit "$PFX-a")" "bulkhead's: $(pids_limit "$PFX-b")"
fi
"$RUNC" --root "$ROOT" update -r <(echo '{"pids": {"limit": 400}}') "$PFX-a" >"$T/r.out" 2>"$T/r.err" </dev/null
echo $? >"$T/r.rc"
"$BIN" --root "$ROOT" update -r <(echo '{"pids": {"limit": 400}}') "$PFX-b" >"$T/b.out" 2>"$T/b.err" </dev/null
echo $? >"$T/b.rc"
same "update -r <(...)"
if [ "$(pids_limit "$PFX-a")" = 400 ] && [ "$(pids_limit "$PFX-b")" = 400 ]; then
	ok "update -r <(...): both containers at 400"
else
	not_ok "update -r <(...)" "runc's: $(pids_limit "$PFX-a")" "bulkhead's: $(pids_limit "$PFX-b")"
fi
lifecycle "pause" pause @ID@
lifecycle "state (paused)" state @ID@
lifecycle "resume" resume @ID@
lifecycle "state (resumed)" state @ID@
lifecycle "kill" kill @ID@ KILL
wait_status "$PFX-a" stopped && wait_status "$PFX-b" stopped ||
	not_ok "both containers stopped" "a: $(status_of "$PFX-a") b: $(status_of "$PFX-b")"
lifecycle "state (stopped)" state @ID@
lifecycle "kill a stopped container" kill @ID@ TERM
lifecycle "delete" delete @ID@
lifecycle "delete again" delete @ID@
lifecycle "delete --force a missing container" delete --force @ID@

# --- refusals and the hardened commands -------------------------------------
# refused NAME LOG ARGS...: exit 1, nothing on stdout, one stderr line, exactly
# one runc-format JSON line in LOG, no container left behind.
refused()
{
	local name=$1 log=$2
	shift 2
	rm -f "$log"
	"$BIN" --root "$ROOT" --log "$log" --log-format json "$@" >"$T/x.out" 2>"$T/x.err" </dev/null
	local rc=$?
	local why=()
	[ $rc = 1 ] || why+=("exit $rc, not 1")
	[ -s "$T/x.out" ] && why+=("stdout: $(head -c 200 "$T/x.out")")
	[ "$(wc -l <"$T/x.err")" = 1 ] && grep -q '^bulkhead: ' "$T/x.err" ||
		why+=("stderr: $(head -c 300 "$T/x.err")")
	if [ "$(wc -l <"$log" 2>/dev/null)" != 1 ]; then
		why+=("log has $(wc -l <"$log" 2>/dev/null) lines")
	elif ! jq -e 'keys_unsorted == ["level", "msg", "time"] and .level == "error" and
			(.msg | startswith("bulkhead: ")) and
			(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$"))' \
		"$log" >/dev/null; then
		why+=("log line: $(cat "$log")")
	fi
	if [ -n "$("$RUNC" --root "$ROOT" list -q)" ]; then
		why+=("a container was left: $("$RUNC" --root "$ROOT" list -q | tr '\n' ' ')")
	fi
	if [ ${#why[@]} = 0 ]; then
		ok "refused: $name"
	else
		not_ok "refused: $name" "${why[@]}"
	fi
	for id in $("$RUNC" --root "$ROOT" list -q 2>/dev/null); do
		"$RUNC" --root "$ROOT" delete -f "$id" >/dev/null 2>&1
	done
}

refused "create with an unknown option" "$T/r1.log" create --frobnicate --bundle "$LONG" "$PFX-c"
refused "run with an option given twice in two forms" "$T/r2.log" \
	run -b "$SHORT" --bundle "$SHORT" "$PFX-c"
refused "exec with an unknown option" "$T/r3.log" exec --privileged "$PFX-c" sh
refused "update with an unknown option" "$T/r4.log" update --cpu-burst 1 "$PFX-c"
refused "restore without a container ID" "$T/r5.log" restore --bundle "$LONG"
refused "an unreadable global before create" "$T/r6.log" --frobnicate create --bundle "$LONG" "$PFX-c"
if cmp -s <(norm "$T/x.err") <(echo "bulkhead: global options: flag provided but not defined: -frobnicate: cannot tell where the command starts, refusing \"create\""); then
	ok "the refusal names the problem"
else
	not_ok "the refusal names the problem" "$(cat "$T/x.err")"
fi

# An untrusted machine configuration refuses even pass-through calls.
cp "$T/config.json" "$T/world.json"
chmod 0666 "$T/world.json"
BULKHEAD_CONFIG=$T/world.json "$BIN" --root "$ROOT" --log "$T/w.log" --log-format json list \
	>"$T/x.out" 2>"$T/x.err"
rc=$?
if [ $rc = 1 ] && [ ! -s "$T/x.out" ] && grep -q 'writable by everyone' "$T/x.err" &&
	jq -e '.msg | contains("writable by everyone")' "$T/w.log" >/dev/null; then
	ok "a world-writable configuration is refused"
else
	not_ok "a world-writable configuration is refused" "rc=$rc" "$(cat "$T/x.err")"
fi

# run and create: refused cleanly while the runtime path is a placeholder;
# once it lands they must run the container like runc (the policy may change
# the spec, so only the outcome of a plain echo is compared).
"$RUNC" --root "$ROOT" run --bundle "$SHORT" "$PFX-r" >"$T/r.out" 2>"$T/r.err" </dev/null
r=$?
"$BIN" --root "$ROOT" --log "$T/run.log" --log-format json run --bundle "$SHORT" "$PFX-s" \
	>"$T/b.out" 2>"$T/b.err" </dev/null
b=$?
if [ $b = 1 ] && [ ! -s "$T/b.out" ] && [ "$(wc -l <"$T/run.log")" = 1 ] &&
	[ -z "$("$RUNC" --root "$ROOT" list -q)" ]; then
	ok "run: refused cleanly ($(jq -r .msg "$T/run.log"))"
elif [ $b = $r ] && cmp -s "$T/r.out" "$T/b.out"; then
	ok "run: same exit code ($r) and output as runc"
else
	not_ok "run" "runc $r: $(cat "$T/r.out")" "bulkhead $b: $(cat "$T/b.out" "$T/b.err")"
fi
"$RUNC" --root "$ROOT" delete -f "$PFX-s" >/dev/null 2>&1

"$BIN" --root "$ROOT" --log "$T/create.log" --log-format json create --bundle "$LONG" "$PFX-t" \
	>"$T/b.out" 2>"$T/b.err" </dev/null
b=$?
if [ $b = 1 ] && [ ! -s "$T/b.out" ] && [ "$(wc -l <"$T/create.log")" = 1 ] &&
	[ -z "$("$RUNC" --root "$ROOT" list -q)" ]; then
	ok "create: refused cleanly ($(jq -r .msg "$T/create.log"))"
elif [ $b = 0 ] && [ "$(status_of "$PFX-t")" = created ] && [ ! -s "$T/create.log" ]; then
	ok "create: created, nothing logged"
else
	not_ok "create" "bulkhead $b: $(cat "$T/b.out" "$T/b.err")"
fi

echo "1..$TESTS"
[ $FAILS = 0 ] || { echo "passthrough: $FAILS of $TESTS failed" >&2; exit 1; }
exit 0
