#!/bin/sh
# meson install script: install-atomic.sh MODE DIR STRIP FILE...
# Puts each FILE into DIR (relative to the prefix, below DESTDIR when set) by
# writing a copy beside the destination and renaming it over the old one. A
# process that execs or opens the path at any moment of an upgrade gets the old
# file or the new one, whole: never a missing or half-written binary (meson's
# own install removes the old file, then copies). STRIP is the strip program to
# run on the copy, or - for none.
set -eu
mode=$1 dir=$2 strip=$3
shift 3
dest="${MESON_INSTALL_DESTDIR_PREFIX:?run by meson install}/$dir"
mkdir -p "$dest"
tmp=
trap 'if [ -n "$tmp" ]; then rm -f "$tmp"; fi' EXIT
for f in "$@"; do
	name=$(basename "$f")
	tmp=$(mktemp "$dest/.$name.install-XXXXXX")
	cp "$f" "$tmp"
	if [ "$strip" != - ]; then
		"$strip" --strip-all "$tmp"
	fi
	chmod "$mode" "$tmp"
	# the data reach the disk before the name does
	sync "$tmp"
	mv -f -T "$tmp" "$dest/$name"
	tmp=
	if [ -z "${MESON_INSTALL_QUIET:-}" ]; then
		echo "Installing $f to $dest/$name (atomically)"
	fi
done
sync "$dest"
