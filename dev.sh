#!/usr/bin/env bash
# bulkhead's two entry points on a fresh Debian 12 machine (as root):
#   ./dev.sh demo   install what is needed, build the shipped binary, install
#                   it, and start a real busybox-static container through
#                   bulkhead with the default configuration, printing what the
#                   container sees
#   ./dev.sh test   install what is needed, build with warnings as errors, run
#                   every test (unit, fuzz seeds, real runtime), then the unit
#                   and fuzz-seed tests again under ASan+UBSan, and `policy
#                   check` on several threads under ThreadSanitizer
# The shipped binary is built for musl and libc++ (build-musl, through
# tools/musl.sh's toolchain, cached in /var/cache/bulkhead-build): glibc's
# start-up costs some 490 us on a virtual machine that traps CPUID, more than
# bulkhead's own work on a call. The unit tests and fuzz seeds run in both
# builds (the three that hold bulkhead to yajl, libcap and libmount only in
# the glibc one, build); the sanitizers build with glibc and g++ (build-asan,
# build-tsan); the real-runtime and report tests run the shipped binary.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(meson ninja-build pkg-config g++ lld clang libclang-rt-14-dev clang-format
	libseccomp-dev libcap-dev libyajl-dev libmount-dev catch2
	runc busybox-static jq groff-base util-linux iproute2 docker.io containerd podman python3
	golang-go golang-github-opencontainers-specs-dev
	containernetworking-plugins python3-grpcio python3-grpc-tools python3-protobuf python3-yaml
	logrotate conmon zlib1g-dev chromium yajl-tools time debhelper debootstrap dpkg-dev
	strace curl postgresql-client
	musl-dev cmake gperf make xz-utils)

need_root()
{
	if [ "$(id -u)" != 0 ]; then
		echo "dev.sh: $1 needs root (it installs packages and starts containers)" >&2
		exit 1
	fi
}

install_deps()
{
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "dev.sh: installing ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
	fi
	# dockerd and containerd are started by the tests themselves, privately.
	systemctl disable --now docker.service docker.socket containerd.service >/dev/null 2>&1 || true
}

# build DIR [--cross-file FILE] OPTION...: set up DIR (the cross file counts
# only then) or reconfigure it (setup --reconfigure knows options added since
# the directory was made), then build it
build()
{
	local dir=$1 setup=()
	shift
	if [ "${1:-}" = --cross-file ]; then
		setup=(--cross-file "$2")
		shift 2
	fi
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" --prefix=/usr/local --sysconfdir=/etc "${setup[@]}" "$@" >/dev/null
	else
		meson setup --reconfigure "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

# The shipped binary: musl and libc++, the toolchain from tools/musl.sh. The
# Debian package test builds its package with the same toolchain
# (tests/integration/deb.sh, the build profile pkg.bulkhead.musl).
build_shipped()
{
	local cross
	cross=$(tools/musl.sh)
	export BULKHEAD_MUSL_CROSS=$cross
	build build-musl --cross-file "$cross" -Dmusl=true "$@"
}

demo()
{
	need_root demo
	install_deps
	build_shipped -Dwerror=true -Dtests=false
	ninja -C build-musl install >/dev/null
	# The default configuration: no /etc/bulkhead/config.json, so bulkhead
	# uses runc from /usr/bin or /usr/sbin and the shipped restricted policy,
	# /usr/local/share/bulkhead/policies/restricted.json.
	bundle=$(mktemp -d /var/tmp/bulkhead-demo.XXXXXX)
	chmod 755 "$bundle"
	trap 'runc delete -f bulkhead-demo >/dev/null 2>&1 || true; rm -rf "$bundle"' EXIT
	# every mount point of the spec exists in the image: with the user
	# namespace bulkhead adds, the mapped root could not create them
	mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev" \
		"$bundle/rootfs/tmp" "$bundle/rootfs/run" "$bundle/rootfs/var/tmp" "$bundle/rootfs/mnt"
	chmod 1777 "$bundle/rootfs/tmp" "$bundle/rootfs/var/tmp"
	cp /bin/busybox "$bundle/rootfs/bin/busybox"
	for app in $("$bundle/rootfs/bin/busybox" --list); do
		# the list names busybox itself, which must stay the binary
		[ "$app" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$app"
	done
	(cd "$bundle" && runc spec)
	jq '.process.terminal = false | .process.args = ["sh", "-c",
		"echo \"id:            $(id)\";
		 echo \"uid_map:      $(cat /proc/self/uid_map)\";
		 grep -E \"^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):\" /proc/self/status;
		 touch /written 2>/dev/null && echo \"write to /:    allowed\" || echo \"write to /:    refused (read-only rootfs)\";
		 touch /tmp/ok && echo \"write to /tmp: allowed (tmpfs)\";
		 echo \"memory limit:  $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)\";
		 echo \"pids limit:    $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)\";
		 mount -t tmpfs none /mnt 2>/dev/null && echo \"mount:         allowed\" || echo \"mount:         refused\""]' \
		"$bundle/config.json" >"$bundle/config.json.new"
	mv "$bundle/config.json.new" "$bundle/config.json"
	echo "== bulkhead run bulkhead-demo (policy: /usr/local/share/bulkhead/policies/restricted.json)"
	(cd "$bundle" && /usr/local/sbin/bulkhead run bulkhead-demo </dev/null)
	echo "== what bulkhead changed (last audit record, /var/log/bulkhead/audit.jsonl)"
	tail -n 1 /var/log/bulkhead/audit.jsonl |
		jq -r '"verdict: \(.verdict)", (.findings[] | "  \(.rule)  \(.pointer)  \(.message)")' \
			2>/dev/null || true
	echo "== bulkhead doctor (the node's health check: exit 1 when a check fails)"
	/usr/local/sbin/bulkhead doctor || echo "(a check failed: its line says how to fix it)"
}

test_all()
{
	need_root test
	install_deps
	local failed=0
	build_shipped -Dwerror=true -Dtests=true
	build build -Dwerror=true -Dtest_hooks=true "-Dshipped_build=$PWD/build-musl"
	ninja -C build clang-format-check >/dev/null || {
		echo "dev.sh: sources are not clang-formatted (run: ninja -C build clang-format)" >&2
		failed=1
	}
	meson test -C build --print-errorlogs --num-processes 2 || failed=1
	# the unit tests and fuzz seeds on the shipped build, and its heap and
	# memory primitives (src/sys/musl_shim.c)
	meson test -C build-musl --suite unit --suite fuzz --print-errorlogs --num-processes 2 ||
		failed=1
	for page in man/*.[1-8]; do
		if [ -n "$(groff -man -ww -z "$page" 2>&1)" ]; then
			echo "dev.sh: groff warns about $page:" >&2
			groff -man -ww -z "$page" >&2 || true
			failed=1
		fi
	done
	# Sanitizers over the parsers, the rules and the fuzz seeds.
	build build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --suite unit --suite fuzz --print-errorlogs --num-processes 2 \
		|| failed=1
	# `policy check` judges files on several threads: the binary alone under
	# ThreadSanitizer, --jobs 4 against --jobs 1 in every format.
	build build-tsan -Dwerror=true -Db_sanitize=thread -Db_lundef=false -Dtests=false
	tests/report/threads.sh build-tsan/bulkhead || failed=1
	# and the shipped binary, whose heap is its own (src/sys/musl_shim.c)
	tests/report/threads.sh build-musl/bulkhead || failed=1
	summary build build-musl build-asan
	return $failed
}

# One closing line over both runs: "tests: N passed, N failed, N skipped".
summary()
{
	local pass=0 fail=0 skip=0
	for dir in "$@"; do
		local log="$dir/meson-logs/testlog.json"
		[ -f "$log" ] || continue
		pass=$((pass + $(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")))
		fail=$((fail + $(jq -s '[.[] | select(.result == "FAIL" or .result == "TIMEOUT" or .result == "ERROR" or .result == "UNEXPECTEDPASS")] | length' "$log")))
		skip=$((skip + $(jq -s '[.[] | select(.result == "SKIP")] | length' "$log")))
	done
	echo "tests: $pass passed, $fail failed, $skip skipped"
}

case "${1:-}" in
demo) demo ;;
test) test_all ;;
*)
	echo "usage: ./dev.sh demo | test" >&2
	exit 2
	;;
esac
