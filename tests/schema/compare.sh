#!/bin/bash
# bulkhead's reader against the Go structs runc decodes into: every field of
# Debian's runtime-spec package (golang-github-opencontainers-specs-dev, the
# structs runc is built with) must be in spec::describe() with the same Go
# type, or lie under a section bulkhead reads as "any" (windows, solaris, vm,
# zos, which runc never acts on). A field bulkhead lacked would be one whose
# case-folded aliases it let through. Fields bulkhead knows beyond the package
# (newer runtimes' idmapped mounts, scheduler, ...) are listed, not failed.
set -u
skip() { echo "SKIP: $*" >&2; exit 77; }
DUMP=${BULKHEAD_SPEC_DUMP:-}
[ -n "$DUMP" ] && [ -x "$DUMP" ] || skip "BULKHEAD_SPEC_DUMP is not the spec_dump program"
command -v go >/dev/null || skip "go is not installed (apt-get install golang-go)"
[ -d /usr/share/gocode/src/github.com/opencontainers/runtime-spec/specs-go ] ||
	skip "golang-github-opencontainers-specs-dev is not installed"
T=$(mktemp -d /tmp/bulkhead-schema.XXXXXX)
trap 'rm -rf "$T"' EXIT
export GOCACHE=${GOCACHE:-$T/gocache} GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=-mod=mod
cp "$(dirname "$0")/fields.go" "$T/fields.go"
(cd "$T" && go run fields.go) >"$T/go.txt" 2>"$T/go.err" || {
	cat "$T/go.err" >&2
	echo "FAIL: the Go program did not run" >&2
	exit 1
}
"$DUMP" >"$T/bulkhead.txt" || { echo "FAIL: spec_dump failed" >&2; exit 1; }
[ "$(wc -l <"$T/go.txt")" -gt 150 ] || { echo "FAIL: the Go side printed too little" >&2; exit 1; }

# awk: paths hold "[]" and "{}", which grep would read as patterns
awk '
	FNR == NR { have[$1] = $2; next }
	{
		if (($1 in have) && (have[$1] == $2 || have[$1] == "any")) next
		p = $1
		covered = 0
		while (p != "") {
			sub(/\/[^\/]*$/, "", p)
			if ((p in have) && have[p] == "any") { covered = 1; break }
		}
		if (covered) next
		printf "not ok - %s %s: bulkhead reads %s\n", $1, $2, (($1 in have) ? have[$1] : "nothing there")
		bad++
	}
	END { exit bad > 0 }
' "$T/bulkhead.txt" "$T/go.txt"
rc=$?
echo "# $(wc -l <"$T/go.txt") Go fields checked against $(wc -l <"$T/bulkhead.txt") described"
awk 'FNR == NR { go[$1] = 1; next } !($1 in go) { print "# bulkhead also knows: " $0 }' \
	"$T/go.txt" "$T/bulkhead.txt"
[ "$rc" = 0 ] || { echo "FAIL: fields differ" >&2; exit 1; }
echo "ok - every Go field is in bulkhead's reader with its type"
