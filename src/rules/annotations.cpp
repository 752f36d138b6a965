/* annotations.runtime: annotations that the real runtime acts on can undo the
 * policy (crun's run.oci.seccomp_bpf_data replaces the seccomp profile,
 * run.oci.hooks.stdout opens host files, gVisor and Kata flags, runc's
 * org.systemd.property.* and org.criu.config). Denied unless allowlisted. */
#include "paths_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

const std::vector<std::string> &denyPrefixesList()
{
	static const std::vector<std::string> v = {
	        "run.oci.",        "dev.gvisor.",           "io.katacontainers.",
	        "org.criu.config", "org.systemd.property.",
	};
	return v;
}

void annotationsRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto deny = rr.paramList("denyPrefixes", denyPrefixesList());
		auto allow = rr.paramList("allowKeys", {});
		Value *ann = paths::member(rr.doc, "annotations", Type::Object, Pointer());
		if (!ann)
			return;
		std::vector<std::string> hits;
		for (const auto &[key, value] : ann->members()) {
			if (!value.isString())
				throw paths::Malformed{Pointer() / "annotations" / key,
				                       "annotation value is not a string"};
			if (std::find(allow.begin(), allow.end(), key) != allow.end())
				continue;
			bool denied = std::any_of(deny.begin(), deny.end(),
			                          [&key = key](const std::string &p) {
				                          return key.compare(0, p.size(), p) == 0;
			                          });
			if (denied)
				hits.push_back(key);
		}
		for (const auto &key : hits)
			rr.fixable(Pointer() / "annotations" / key,
			           "runtime annotation " + key + " can override the policy",
			           "drop the annotation (docker run --annotation, podman "
			           "--annotation, "
			           "k8s pod annotations passed to the runtime)",
			           [ann, key] { ann->erase(key); });
	});
}

} // namespace

std::vector<RuleDef> annotationsRules()
{
	return {
	        {"annotations.runtime",
	         "no annotation the runtime acts on (run.oci.*, dev.gvisor.*, io.katacontainers.*, "
	         "org.criu.config, org.systemd.property.*) unless allowlisted; mutate removes it",
	         {Scope::Spec},
	         {{"denyPrefixes", ParamKind::StringList, "annotation key prefixes refused"},
	          {"allowKeys", ParamKind::StringList, "exact keys allowed despite a prefix"}},
	         &annotationsRule},
	};
}

} // namespace bulkhead::policy
