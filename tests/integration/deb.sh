#!/bin/bash
# The Debian package from contrib/debian: dpkg-buildpackage -us -uc -b on a
# copy of the source tree, then install, run and purge in a throwaway Debian
# root. A chroot rather than dpkg --root: the package's maintainer scripts run
# chrooted either way, so the root needs a shell and coreutils, dpkg --root
# cannot satisfy Depends (runc) from the host, and the canary needs runc and
# busybox-static inside. The root is the Debian bookworm root the real-server
# tests share (tests/integration/debian_root.sh: debootstrap from the mirror
# apt uses here, with runc and busybox-static among its packages, cached as a
# tarball in /var/cache/bulkhead-test); the built package is cached there too,
# by the hash of the sources. Mounts live in a private mount
# namespace and go with it.
#
# Checked: what the package holds (the binary stripped, shipped policies in
# /usr/share, the conffiles, nothing in /etc/bulkhead but the empty policies
# directory), that an admin's policy present before install survives install,
# reinstall and purge, an edited conffile survives reinstall, bulkhead doctor
# passes in the root with its canary (a busybox-static container through
# /usr/sbin/bulkhead and runc), and purge leaves no file of the package.
#
# With BULKHEAD_MUSL_CROSS (dev.sh sets it to tools/musl.sh's cross file) the
# package is built with the build profile pkg.bulkhead.musl, as the shipped
# binary is (musl and libc++), and checked to hold no glibc; without it, the
# plain glibc package.
#
# Needs root, dpkg-buildpackage, debhelper, debootstrap (dev.sh installs
# them), unshare; exit 77 with the reason when one is missing or the mirror
# cannot be reached to make the root.
# shellcheck disable=SC2034 # the variables check evaluates look unused
set -u
. "$(dirname "$0")/lib.sh"
need_root
need_bulkhead
for t in dpkg-buildpackage dh debootstrap unshare chroot pivot_root readelf; do
	command -v "$t" >/dev/null || skip "$t is not installed (dev.sh installs it)"
done

CACHE=/var/cache/bulkhead-test
ARCH=$(dpkg --print-architecture)
[ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ] ||
	skip "the package is built and tried on Debian 12 (bookworm) only"
mkdir -p "$CACHE/deb"

T=$(make_tmp deb)
cleanup()
{
	unmount_under "$T"
	rm -rf "$T"
}
trap cleanup EXIT
start=$SECONDS

# --- the throwaway root: the Debian root the tests share (runc and busybox-static in it)
. "$(dirname "$0")/debian_root.sh"
debian_root
BASE=$DEBIAN_ROOT_TAR

# --- the package, built once per source tree ----------------------------------
mkdir "$T/src"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$SRC" ls-files -z --cached --others --exclude-standard |
		tar -C "$SRC" --null -T - -cf - | tar -C "$T/src" -xf -
else
	tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$T/src" -xf -
fi
# the package is built with -Dtests=false: tests/ does not go into it
PROFILE=()
MUSL=${BULKHEAD_MUSL_CROSS:-}
if [ -n "$MUSL" ]; then
	[ -f "$MUSL" ] || fail "BULKHEAD_MUSL_CROSS=$MUSL: no such cross file"
	PROFILE=(-Ppkg.bulkhead.musl)
fi
HASH=$( (cd "$T/src" && find . -path ./tests -prune -o -type f -print0 | sort -z |
	xargs -0 sha256sum; echo "profile ${PROFILE[*]} $MUSL") | sha256sum | cut -c1-16)
DEBS=$CACHE/deb/$HASH
if [ ! -f "$DEBS/ok" ]; then
	cp -r "$T/src/contrib/debian" "$T/src/debian"
	b=$SECONDS
	(cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
		dpkg-buildpackage -us -uc -b "${PROFILE[@]}" >"$T/build.log" 2>&1) || {
		tail -n 30 "$T/build.log" >&2
		fail "dpkg-buildpackage -us -uc -b ${PROFILE[*]} failed"
	}
	echo "# dpkg-buildpackage ${PROFILE[*]}: $((SECONDS - b)) s"
	rm -rf "$DEBS" && mkdir -p "$DEBS"
	cp "$T"/bulkhead_*.deb "$DEBS/" && touch "$DEBS/ok"
	find "$CACHE/deb" -mindepth 1 -maxdepth 1 -mtime +7 -exec rm -rf {} +
fi
DEB=$(ls "$DEBS"/bulkhead_*_"$ARCH".deb)
echo "# package $(basename "$DEB"), $(stat -c %s "$DEB") bytes"

contents=$(dpkg-deb -c "$DEB" | awk '{ print $6 }')
for f in ./usr/sbin/bulkhead ./usr/share/bulkhead/policies/restricted.json \
	./usr/share/bulkhead/policies/audit.json ./usr/share/man/man8/bulkhead.8.gz \
	./etc/logrotate.d/bulkhead ./etc/bulkhead/policies/; do
	check "the package holds $f" 'grep -qx "$f" <<<"$contents"'
done
check "the package writes nothing into /etc/bulkhead but its empty policies directory" \
	'[ "$(grep "^./etc/bulkhead/" <<<"$contents" | grep -vx -e ./etc/bulkhead/ -e ./etc/bulkhead/policies/)" = "" ]'
check "its conffiles are /etc/logrotate.d/bulkhead" \
	'[ "$(dpkg-deb -I "$DEB" conffiles)" = /etc/logrotate.d/bulkhead ]'
check "it depends on runc" 'dpkg-deb -f "$DEB" Depends | grep -qw runc'
dpkg-deb -x "$DEB" "$T/x"
check "the packaged binary is stripped ($(stat -c %s "$T/x/usr/sbin/bulkhead") bytes)" \
	'! readelf -S "$T/x/usr/sbin/bulkhead" | grep -q -e "\.symtab" -e "\.debug_info"'
# a static PIE: position-independent (DYN) with no program interpreter
check "the packaged binary is a static PIE" \
	'readelf -hW "$T/x/usr/sbin/bulkhead" | grep -q "Type: *DYN" &&
	! readelf -lW "$T/x/usr/sbin/bulkhead" | grep -q INTERP'
# glibc's static start carries its tunables' names (glibc.malloc.*, ...)
if [ -n "$MUSL" ]; then
	check "with pkg.bulkhead.musl the packaged binary holds no glibc" \
		'! grep -q "glibc\." "$T/x/usr/sbin/bulkhead"'
fi

# --- install, run, reinstall, purge in the root --------------------------------
R=$T/root
mkdir "$R"
tar -C "$R" -xf "$BASE"
cp "$DEB" "$R/tmp/bulkhead.deb"
# an admin's policy that predates the package
mkdir -p "$R/etc/bulkhead/policies"
echo '{"extends": "restricted", "name": "site", "version": "1"}' >"$R/etc/bulkhead/policies/site.json"
cat >"$T/inside.sh" <<'EOF'
#!/bin/bash
# Runs in the root, as the admin would.
set -u
say() { echo "$1=$2"; }
dpkg -i /tmp/bulkhead.deb >/tmp/dpkg.log 2>&1; say install $?
say auditdir "$(stat -c '%a %U' /var/log/bulkhead)"
bulkhead --version >/tmp/version 2>&1; say version "$(head -n 1 /tmp/version)"
start=$(date +%s%N)
bulkhead doctor >/tmp/doctor 2>&1; say doctor $?
say doctor_ms $((($(date +%s%N) - start) / 1000000))
echo '# admin' >>/etc/logrotate.d/bulkhead
dpkg -i /tmp/bulkhead.deb >>/tmp/dpkg.log 2>&1; say reinstall $?
say conffile "$(tail -n 1 /etc/logrotate.d/bulkhead)"
say site "$(cat /etc/bulkhead/policies/site.json)"
dpkg -L bulkhead | sort >/tmp/files
dpkg --purge bulkhead >>/tmp/dpkg.log 2>&1; say purge $?
say status "$(dpkg-query -W -f '${db:Status-Status}' bulkhead 2>/dev/null)"
left=""
while read -r f; do
	if [ -e "$f" ] && [ ! -d "$f" ]; then left="$left $f"; fi
done </tmp/files
say left "$left"
say logdir "$(if [ -e /var/log/bulkhead ]; then echo present; else echo gone; fi)"
say site_after "$(cat /etc/bulkhead/policies/site.json 2>/dev/null)"
say scratch "$(ls -d /tmp/bulkhead-doctor.* 2>/dev/null | wc -l)"
EOF
chmod 755 "$T/inside.sh"
cp "$T/inside.sh" "$R/tmp/inside.sh"
# A private mount namespace whose root is the throwaway root: pivot_root, not
# chroot, since the kernel refuses a user namespace (restricted's P5) to a
# chrooted process; runc then pivots again into the container.
out=$(unshare -m --propagation private bash -c '
	R=$1
	mount --bind "$R" "$R" && mount -t proc proc "$R/proc" &&
		mount --rbind /sys "$R/sys" && mount --make-rslave "$R/sys" &&
		mount --rbind /dev "$R/dev" && mount --make-rslave "$R/dev" || exit 1
	mkdir -p "$R/.host" && cd "$R" && pivot_root . .host || exit 1
	umount -l /.host && rmdir /.host || exit 1
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 /tmp/inside.sh' \
	sh "$R")
echo "$out" | sed 's/^/    /'
sed 's/^/    /' "$R/tmp/doctor"
v() { sed -n "s/^$1=//p" <<<"$out" | head -n 1; }

check "dpkg -i installs it" '[ "$(v install)" = 0 ]'
[ "$(v install)" = 0 ] || sed 's/^/    /' "$R/tmp/dpkg.log"
check "postinst made /var/log/bulkhead 0750 root" '[ "$(v auditdir)" = "750 root" ]'
check "bulkhead --version answers with runc's line first" '[[ "$(v version)" == "runc version "* ]]'
check "bulkhead doctor passes in the root ($(v doctor_ms) ms)" '[ "$(v doctor)" = 0 ]'
check "the doctor's canary ran through /usr/sbin/bulkhead and runc, hardened" \
	'grep -q "^ok    canary: busybox through /usr/sbin/bulkhead and /usr/.*bin/runc ran, deleted: uid 65534, user namespace" "$R/tmp/doctor"'
check "doctor found the built-in defaults: runc and the shipped restricted" \
	'grep -q "^ok    config: no /etc/bulkhead/config.json: built-in defaults (runtime /usr/.*bin/runc, policy /usr/share/bulkhead/policies/restricted.json)" "$R/tmp/doctor"'
check "reinstalling works" '[ "$(v reinstall)" = 0 ]'
check "reinstalling keeps the admin's edit of a conffile" '[ "$(v conffile)" = "# admin" ]'
check "install and reinstall leave the admin's policy alone" '[[ "$(v site)" == *"\"name\": \"site\""* ]]'
check "dpkg --purge works" '[ "$(v purge)" = 0 ]'
check "after purge dpkg knows nothing of it" '[ -z "$(v status)" ] || [ "$(v status)" = not-installed ]'
check "purge leaves no file of the package behind:$(v left)" '[ -z "$(v left)" ]'
check "purge removes the audit log directory" '[ "$(v logdir)" = gone ]'
check "purge keeps the admin's policy" '[[ "$(v site_after)" == *"\"name\": \"site\""* ]]'
check "the canary left no scratch directory" '[ "$(v scratch)" = 0 ]'
echo "# deb.sh: $((SECONDS - start)) s"
finish deb
