# debian_root: one Debian bookworm root filesystem for the tests that need a
# real distribution (workloads.sh runs servers from it through Docker; deb.sh
# installs bulkhead's package into it), made with debootstrap from the mirror
# apt uses here and cached as a tarball, so a fresh machine runs debootstrap
# once. Sourced after lib.sh. Sets DEBIAN_ROOT_TAR, or skips with the reason.
DEBIAN_ROOT_CACHE=${BULKHEAD_TEST_CACHE:-/var/cache/bulkhead-test}/bookworm-root
DEBIAN_ROOT_PKGS=nginx,redis-server,postgresql,python3,busybox-static,runc
DEBIAN_ROOT_RECIPE="debootstrap --variant=minbase --include=$DEBIAN_ROOT_PKGS bookworm; tar --numeric-owner; 2"
DEBIAN_ROOT_TAR=$DEBIAN_ROOT_CACHE/rootfs.tar

# The Debian mirror apt uses here (one-line or deb822 sources).
debian_mirror()
{
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
			-e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\)[[:space:]]\+bookworm[[:space:]].*/\2/p' "$f"
	done | grep -v -e security -e '^$' | head -n 1
}

debian_root()
{
	local m dir t0
	if [ -f "$DEBIAN_ROOT_TAR" ] && [ "$(cat "$DEBIAN_ROOT_CACHE/version" 2>/dev/null)" = "$DEBIAN_ROOT_RECIPE" ]; then
		return 0
	fi
	command -v debootstrap >/dev/null || skip "debootstrap is not installed (dev.sh installs it)"
	m=$(debian_mirror)
	[ -n "$m" ] || skip "no Debian bookworm mirror in /etc/apt/sources.list*"
	curl -fsS --max-time 20 -o /dev/null "$m/dists/bookworm/Release" ||
		skip "the mirror $m is unreachable (no Debian root is cached in $DEBIAN_ROOT_CACHE)"
	mkdir -p "$DEBIAN_ROOT_CACHE"
	# one builder at a time; a second waits and then finds the cache
	exec 9>"$DEBIAN_ROOT_CACHE/lock"
	flock 9
	if [ -f "$DEBIAN_ROOT_TAR" ] && [ "$(cat "$DEBIAN_ROOT_CACHE/version" 2>/dev/null)" = "$DEBIAN_ROOT_RECIPE" ]; then
		exec 9>&-
		return 0
	fi
	dir=$(mktemp -d /var/tmp/bulkhead-rootfs.XXXXXX)
	t0=$(date +%s)
	echo "# building the Debian root from $m (debootstrap, a few minutes; cached)"
	if ! debootstrap --variant=minbase --include="$DEBIAN_ROOT_PKGS" bookworm "$dir/root" "$m" \
		>"$DEBIAN_ROOT_CACHE/debootstrap.log" 2>&1; then
		rm -rf "$dir"
		tail -n 5 "$DEBIAN_ROOT_CACHE/debootstrap.log" >&2
		grep -q -e "Failed getting release" -e "Couldn't download" "$DEBIAN_ROOT_CACHE/debootstrap.log" &&
			skip "debootstrap could not download from $m"
		fail "debootstrap failed (log: $DEBIAN_ROOT_CACHE/debootstrap.log)"
	fi
	rm -rf "$dir/root/var/cache/apt/archives/"*.deb "$dir/root/var/lib/apt/lists/"*_Packages
	tar --numeric-owner -C "$dir/root" -cf "$DEBIAN_ROOT_TAR.tmp" . || fail "tar of the Debian root"
	rm -rf "$dir"
	mv "$DEBIAN_ROOT_TAR.tmp" "$DEBIAN_ROOT_TAR"
	echo "$DEBIAN_ROOT_RECIPE" >"$DEBIAN_ROOT_CACHE/version"
	echo "# Debian root built in $(($(date +%s) - t0)) s"
	exec 9>&-
}
