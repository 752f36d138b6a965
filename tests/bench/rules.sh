#!/usr/bin/env bash
# What each rule of a policy adds to a create, in wall time: for every rule,
# a create of an already-hardened spec under the policy without that rule
# against one under the whole policy, in alternating pairs; then the whole
# policy against a policy with no rules at all. Information for the cost
# budget (tests/bench/run.sh) and for an operator weighing a rule, not a
# test: nothing here has a target.
# The runtime is /bin/true and the audit log is on a tmpfs, as in run.sh, so
# only bulkhead's work shows. A rule that inspects the host pays for it here
# (its reads of /proc, the account files, the paths it resolves) and so does
# the code it runs for the first time in the process.
# Each line: the rule, the median wall time (us) without it and with the whole
# policy, and the difference. Differences under about 15 us are noise here
# (the same rule measured twice: up to 15 us apart).
# Usage: tests/bench/rules.sh [BULKHEAD_BIN] [N] [POLICY] [SPEC]
#        (root; default build-musl/bulkhead, the shipped binary, N=300,
#        POLICY=policies/restricted.json,
#        SPEC=tests/data/runc-spec-default.json: the spec is hardened under the
#        policy first, so the policy must let it through)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build-musl/bulkhead}
n=${2:-300}
policy=${3:-$root/policies/restricted.json}
spec=${4:-$root/tests/data/runc-spec-default.json}
[ -f "$policy" ] || { echo "rules: no policy at $policy" >&2; exit 2; }
[ -f "$spec" ] || { echo "rules: no spec at $spec" >&2; exit 2; }
command -v python3 >/dev/null || { echo "rules: python3 is missing" >&2; exit 2; }
me=rules
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"

# The policies sit beside the shipped ones, so that what they name (a seccomp
# profile, a policy they extend) resolves as it does for the original.
cp "$root/policies/"*.json "$work/"
cp "$policy" "$work/under-test.json"
"$bin" policy show "$work/under-test.json" >"$work/whole.json"
python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
whole = json.load(open(f"{work}/whole.json"))
whole.pop("extends", None)
names = list(whole.get("rules", {}))
def write(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f)
for i, name in enumerate(names):
    doc = dict(whole, rules={k: v for k, v in whole["rules"].items() if k != name})
    write(f"{work}/without-{i}.json", doc)
write(f"{work}/none.json", dict(whole, rules={}))
with open(f"{work}/names", "w") as f:
    f.write("".join(n + "\n" for n in names))
EOF
bench_config conf-whole.json /bin/true "$work/whole.json" "$shm/audit.jsonl"
bench_config conf-none.json /bin/true "$work/none.json" "$shm/audit.jsonl"

mkdir -p "$shm/bundle/rootfs/"{proc,sys,dev,tmp,run,var/tmp}
cp "$spec" "$shm/bundle/config.json"
"$bin" policy harden --policy "$work/whole.json" "$shm/bundle/config.json" >"$work/hardened.json" ||
	{ echo "rules: $(basename "$policy") refuses $spec: give a spec it lets through" >&2; exit 2; }
cp "$work/hardened.json" "$shm/bundle/config.json"

# what one line measures: the create without (A) against the create with (B)
pair() # pair LABEL CONFIG_A
{
	# the first call under a policy fills its caches (/run/bulkhead)
	BULKHEAD_CONFIG="$work/$2" "$bin" create --bundle "$shm/bundle" c1 >/dev/null ||
		{ echo "rules: a create without $1 fails (above)" >&2; exit 2; }
	"$work/bench" "$1" "$n" --env-a "BULKHEAD_CONFIG=$work/$2" \
		--env-b "BULKHEAD_CONFIG=$work/conf-whole.json" -- \
		"$bin" create --bundle "$shm/bundle" c1 -- "$bin" create --bundle "$shm/bundle" c1
}
BULKHEAD_CONFIG="$work/conf-whole.json" "$bin" create --bundle "$shm/bundle" c1 >/dev/null ||
	{ echo "rules: a create of the hardened spec under $(basename "$policy") fails (above)" >&2; exit 2; }
lines=()
i=0
while IFS= read -r name; do
	bench_config "conf-$i.json" /bin/true "$work/without-$i.json" "$shm/audit.jsonl"
	read -r _ wa wb _ <<<"$(pair "$name" "conf-$i.json")"
	lines+=("$name $wa $wb $((wb - wa))")
	i=$((i + 1))
done <"$work/names"
read -r _ none whole _ <<<"$(pair none conf-none.json)"

echo "what each rule of $(basename "$policy") adds to a create of a hardened spec ($n alternating pairs each)"
printf '%-24s %9s %9s %7s\n' rule without whole adds
printf '%s\n' "${lines[@]}" | sort -k4 -n -r |
	while read -r name wa wb d; do printf '%-24s %7sus %7sus %5sus\n' "$name" "$wa" "$wb" "$d"; done
printf '%-24s %7sus %7sus %5sus\n' "(every rule)" "$none" "$whole" "$((whole - none))"
echo "(without: the policy without that rule; (every rule): a policy with no rules at all)"
