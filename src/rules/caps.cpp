#include "bulkhead/caps.h"

#include "spec_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P3.capabilities: every capability set is a subset of the policy's allowlist.
 * A missing or null capabilities object means the process keeps everything
 * the runtime has: it is "all", not "none". */
namespace bulkhead::policy {

namespace {

const char *const kRemedy =
        "docker run/exec --cap-drop ALL --cap-add NET_BIND_SERVICE (no --privileged); "
        "k8s securityContext.capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}";

const char *const kSets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};

std::vector<std::string> allowedParam(const RuleRun &run)
{
	auto allowed = run.paramList("allowed", {"CAP_NET_BIND_SERVICE"});
	for (const auto &c : allowed)
		if (!caps::fromName(c))
			throw Error(ErrorKind::Policy,
			            "rule P3.capabilities: parameter \"allowed\": "
			            "unknown capability \"" +
			                    c + "\"");
	return allowed;
}

bool contains(const std::vector<std::string> &v, const std::string &s)
{
	return std::find(v.begin(), v.end(), s) != v.end();
}

void checkCaps(RuleRun &run)
{
	const auto allowed = allowedParam(run);
	const json::Pointer pp = json::Pointer() / "process";
	json::Value *process = util::object(&run.doc, "process", pp);
	if (!process) {
		if (run.scope() == Scope::Spec)
			run.deny(pp, "spec has no process", util::kFixWriter);
		return;
	}
	const json::Pointer cp = pp / "capabilities";
	json::Value *capsObj = util::object(process, "capabilities", cp);
	if (!capsObj) {
		util::fix(run, cp,
		          "no capabilities object: the process would keep every capability",
		          "set to " + (allowed.empty() ? std::string("none") : util::join(allowed)),
		          kRemedy, [&] {
			          json::Value c = json::Value::object();
			          for (const char *set : {"bounding", "effective", "permitted"}) {
				          json::Value list = json::Value::array();
				          for (const auto &a : allowed)
					          list.push(json::Value::string(a));
				          c.set(set, std::move(list));
			          }
			          util::ensureObject(run.doc, "process")
			                  .set("capabilities", std::move(c));
		          });
		return;
	}

	/* Odd spellings first: refused, never passed on or guessed at. */
	bool odd = false;
	for (const char *set : kSets) {
		json::Value *list = util::array(capsObj, set, cp / set);
		if (!list)
			continue;
		for (size_t i = 0; i < list->items().size(); ++i) {
			const json::Pointer at = cp / set / i;
			const std::string &name = util::text(list->items()[i], at);
			if (!caps::fromName(name)) {
				run.deny(at,
				         "capability name " + util::show(name) +
				                 " is not a canonical CAP_* name bulkhead knows "
				                 "(CAP_CHOWN .. CAP_CHECKPOINT_RESTORE); refused",
				         "use upper-case CAP_ names, e.g. CAP_NET_BIND_SERVICE");
				odd = true;
			}
		}
	}
	if (odd)
		return;

	for (const char *set : kSets) {
		json::Value *list = util::child(capsObj, set);
		if (!list)
			continue;
		std::vector<std::string> extra;
		for (const auto &item : list->items())
			if (!contains(allowed, item.asString()) &&
			    !contains(extra, item.asString()))
				extra.push_back(item.asString());
		if (extra.empty())
			continue;
		util::fix(run, cp / set,
		          std::string(set) + " set has " + util::join(extra) +
		                  " beyond the allowed " +
		                  (allowed.empty() ? std::string("none") : util::join(allowed)),
		          "dropped", kRemedy, [&] {
			          auto &items = list->items();
			          items.erase(std::remove_if(items.begin(), items.end(),
			                                     [&](const json::Value &v) {
				                                     return !contains(allowed,
				                                                      v.asString());
			                                     }),
			                      items.end());
		          });
	}
}

} // namespace

std::vector<RuleDef> capsRules()
{
	return {
	        {"P3.capabilities",
	         "all five capability sets within the allowlist; a missing capabilities object is "
	         "all capabilities; odd names refused",
	         {Scope::Spec, Scope::Process},
	         {{"allowed", ParamKind::CapList,
	           "capabilities a process may keep ([CAP_NET_BIND_SERVICE])", Widens::More}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkCaps(run); }); }},
	};
}

} // namespace bulkhead::policy
