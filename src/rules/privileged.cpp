#include "spec_util.h"

#include <algorithm>
#include <set>

#include "bulkhead/caps.h"
#include "bulkhead/rule.h"

/* P0.privileged: a spec shaped like `docker run --privileged` (Kubernetes
 * `privileged: true`) is refused and named as such, on the spec as the engine
 * wrote it, before any other rule hardens it into something that merely looks
 * restricted. Shape = every capability, plus at least two of: no seccomp (or
 * one that allows by default), AppArmor unconfined, no masked or read-only
 * paths, a device rule allowing every device. Fields of the wrong type count
 * as absent here; the other rules refuse them. */
namespace bulkhead::policy {

namespace {

/* CAP_CHOWN (0) .. CAP_AUDIT_READ (37): what every engine lists for a
 * privileged container on any kernel since 3.16, less what the engine lacks
 * itself: containerd gives a privileged container the capabilities it holds,
 * so a sandbox without CAP_SYS_RESOURCE yields 37 of the 38. A set with
 * CAP_SYS_ADMIN missing at most kMayLack of them is "every capability". */
constexpr int kAllCapsUpTo = 37;
constexpr int kMayLack = 3;

const json::Value *get(const json::Value *v, std::string_view key)
{
	const json::Value *m = v && v->isObject() ? v->find(key) : nullptr;
	return m && !m->isNull() ? m : nullptr;
}

bool allCaps(const json::Value &doc)
{
	const json::Value *caps = get(get(&doc, "process"), "capabilities");
	if (!caps)
		return true; /* the process keeps everything the runtime has */
	const int last = std::min(kAllCapsUpTo, caps::lastCap());
	for (const char *set : {"bounding", "effective", "permitted"}) {
		const json::Value *list = get(caps, set);
		if (!list || !list->isArray())
			continue;
		std::set<int> have;
		for (const auto &c : list->items())
			if (c.isString())
				if (auto n = caps::fromName(c.asString()))
					have.insert(*n);
		int missing = 0;
		for (int c = 0; c <= last; ++c)
			missing += have.count(c) == 0 ? 1 : 0;
		if (have.count(*caps::fromName("CAP_SYS_ADMIN")) != 0 && missing <= kMayLack)
			return true;
	}
	return false;
}

bool noSeccomp(const json::Value &doc)
{
	const json::Value *sc = get(get(&doc, "linux"), "seccomp");
	if (!sc)
		return true;
	const json::Value *def = get(sc, "defaultAction");
	return def && def->isString() &&
	       (def->asString() == "SCMP_ACT_ALLOW" || def->asString() == "SCMP_ACT_LOG");
}

bool apparmorUnconfined(const json::Value &doc)
{
	const json::Value *p = get(get(&doc, "process"), "apparmorProfile");
	return p && p->isString() && p->asString() == "unconfined";
}

bool noSystemPaths(const json::Value &doc)
{
	const json::Value *linux = get(&doc, "linux");
	for (const char *key : {"maskedPaths", "readonlyPaths"}) {
		const json::Value *l = get(linux, key);
		if (l && l->isArray() && !l->items().empty())
			return false;
	}
	return true;
}

bool wildcard(const json::Value *v, std::string_view any)
{
	if (!v)
		return true;
	if (v->isString())
		return v->asString() == any;
	if (v->isNumber())
		return v->asInt64() == std::optional<int64_t>(-1);
	return false;
}

bool allDevices(const json::Value &doc)
{
	const json::Value *devs = get(get(get(&doc, "linux"), "resources"), "devices");
	if (!devs || !devs->isArray())
		return false;
	for (const auto &d : devs->items()) {
		const json::Value *allow = get(&d, "allow");
		if (allow && allow->isBool() && allow->asBool() && wildcard(get(&d, "type"), "a") &&
		    wildcard(get(&d, "major"), "") && wildcard(get(&d, "minor"), ""))
			return true;
	}
	return false;
}

void checkPrivileged(RuleRun &run)
{
	const json::Value &doc = run.doc;
	if (!allCaps(doc))
		return;
	std::vector<std::string> signs;
	if (noSeccomp(doc))
		signs.emplace_back("no seccomp");
	if (apparmorUnconfined(doc))
		signs.emplace_back("AppArmor unconfined");
	if (noSystemPaths(doc))
		signs.emplace_back("no masked or read-only /proc and /sys paths");
	if (allDevices(doc))
		signs.emplace_back("access to every device");
	if (signs.size() < 2)
		return;
	run.deny(json::Pointer(),
	         "privileged container (docker run --privileged / k8s privileged: true): every "
	         "capability the engine has, " +
	                 util::join(signs),
	         "drop docker run --privileged; k8s securityContext.privileged: false");
}

} // namespace

std::vector<RuleDef> privilegedRules()
{
	return {
	        {"P0.privileged",
	         "refuse privileged-shaped specs (every capability and no seccomp, AppArmor, "
	         "masked paths or device restriction)",
	         {Scope::Spec},
	         {},
	         [](RuleRun &run) { util::guarded(run, [&] { checkPrivileged(run); }); }},
	};
}

} // namespace bulkhead::policy
