/* k8s.sandbox: Kubernetes sandbox (pause) containers own the pod's namespaces
 * and usually carry no memory limit. The rule names them explicitly: the
 * process must be the pause binary, and a missing memory limit gets a small
 * one. In audit mode every sandbox container is recorded. */
#include "paths_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

/* A sandbox by the engine's proof, or by any engine's annotation: the rule
 * only adds checks, so a spec that merely claims to be a sandbox gets them
 * too. */
bool isSandbox(const Value &spec, const engine::Facts &facts)
{
	return facts.sandbox ||
	       paths::annotation(spec, "io.kubernetes.cri.container-type") == "sandbox" ||
	       paths::annotation(spec, "io.kubernetes.cri-o.ContainerType") == "sandbox" ||
	       paths::annotation(spec, "io.kubernetes.docker.type") == "podsandbox";
}

void sandboxRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		const engine::Facts facts = engineFacts(rr.doc, rr.call, rr.host);
		if (!isSandbox(rr.doc, facts))
			return;
		auto pause = rr.paramList("pauseCommands", {"/pause"});
		int64_t memory = rr.paramInt("memory", 33554432);
		/* the pod as the engine proves it: never what the annotations claim */
		std::string who = "Kubernetes sandbox container" +
		                  (facts.k8sNamespace.empty() && facts.k8sPod.empty()
		                           ? std::string(" (pod not proven by the engine)")
		                           : " of pod " + facts.k8sNamespace + "/" + facts.k8sPod);
		if (rr.action() == Action::Audit)
			rr.deny(Pointer() / "annotations", who, "none: recorded for audit");

		const Value *proc = paths::member(rr.doc, "process", Type::Object, Pointer());
		const Value *args =
		        proc ? paths::member(*proc, "args", Type::Array, Pointer() / "process")
		             : nullptr;
		std::string arg0;
		if (args && !args->items().empty() && args->items()[0].isString())
			arg0 = args->items()[0].asString();
		if (std::find(pause.begin(), pause.end(), arg0) == pause.end())
			rr.deny(Pointer() / "process" / "args",
			        who + " runs \"" + arg0 + "\", not the pause process",
			        "check the engine's sandbox image (containerd sandbox_image, CRI-O "
			        "pause_image)");

		if (memory <= 0)
			return;
		Value *linux = paths::member(rr.doc, "linux", Type::Object, Pointer());
		Value *res = linux ? paths::member(*linux, "resources", Type::Object,
		                                   Pointer() / "linux")
		                   : nullptr;
		Value *mem = res ? paths::member(*res, "memory", Type::Object,
		                                 Pointer() / "linux" / "resources")
		                 : nullptr;
		if (mem && mem->find("limit") && !mem->find("limit")->isNull())
			return;
		rr.fixable(Pointer() / "linux" / "resources" / "memory" / "limit",
		           who + " has no memory limit",
		           "none needed: bulkhead sets the sandbox's limit (k8s pod overhead)",
		           [&rr, memory] {
			           json::set(rr.doc,
			                     Pointer() / "linux" / "resources" / "memory" / "limit",
			                     Value::number(memory));
		           });
	});
}

} // namespace

std::vector<RuleDef> sandboxRules()
{
	return {
	        {"k8s.sandbox",
	         "Kubernetes sandbox (pause) containers: recorded, the pause process only, a small "
	         "memory limit when none is set",
	         {Scope::Spec},
	         {{"pauseCommands", ParamKind::StringList, "allowed process.args[0] of a sandbox"},
	          {"memory", ParamKind::Int,
	           "memory limit (bytes) set on a sandbox without one; 0 leaves it unset"}},
	         &sandboxRule,
	         true},
	};
}

} // namespace bulkhead::policy
