#include "spec_util.h"

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P6.memory and P6.pids: a limit is set and within the policy's max, in a
 * whole spec (defaults added) and in `update` resources (checked only: an
 * update never gets defaults added). cgroup v2 `unified` keys override the
 * structured limits in runc, so they are judged too. */
namespace bulkhead::policy {

namespace {

struct Limits
{
	int64_t def;
	int64_t max;
};

Limits limitParams(const RuleRun &run, int64_t def, int64_t max)
{
	Limits l{run.paramInt("default", def), run.paramInt("max", max)};
	if (l.max <= 0 || l.def <= 0 || l.def > l.max)
		throw Error(ErrorKind::Policy, "rule " + std::string(run.rule()) +
		                                       ": parameters need 0 < default <= max");
	return l;
}

/* A cgroup v2 value bulkhead accepts: plain decimal digits within [lo, max].
 * "max", hex, unit suffixes and a leading 0 (which the kernel reads as octal:
 * memory.max and pids.max are parsed with base 0) are not accepted, so nothing
 * is misread. */
bool plainWithin(const std::string &s, int64_t lo, int64_t max)
{
	if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0'))
		return false;
	for (char c : s)
		if (c < '0' || c > '9')
			return false;
	int64_t v = std::stoll(s);
	return v >= lo && v <= max;
}

struct Doc
{
	json::Value *resources = nullptr;
	json::Value *unified = nullptr;
};

const json::Pointer kRes = json::Pointer() / "linux" / "resources";

Doc resourcesOf(RuleRun &run)
{
	Doc d;
	json::Value *linux = util::object(&run.doc, "linux", json::Pointer() / "linux");
	d.resources = util::object(linux, "resources", kRes);
	d.unified = util::object(d.resources, "unified", kRes / "unified");
	if (d.unified)
		for (const auto &[k, v] : d.unified->members())
			if (!v.isString())
				util::malformed(kRes / "unified" / k,
				                "string expected at " +
				                        (kRes / "unified" / k).str());
	return d;
}

/* Judge unified[key]: fine when absent or `ok`; otherwise removed from a spec,
 * denied in an update. */
void checkUnified(RuleRun &run, const Doc &d, const std::string &key, bool ok,
                  const std::string &why, const char *remedy)
{
	const json::Value *v = util::child(d.unified, key);
	if (!v || ok)
		return;
	const json::Pointer at = kRes / "unified" / key;
	std::string msg =
	        "unified " + util::show(key) + ": " + util::show(v->asString()) + " " + why;
	if (run.scope() == Scope::Resources) {
		run.deny(at, msg, remedy);
		return;
	}
	util::fix(run, at, msg, "removed", remedy, [&] {
		util::child(util::child(util::child(&run.doc, "linux"), "resources"), "unified")
		        ->erase(key);
	});
}

json::Value &ensurePath(json::Value &doc, std::initializer_list<const char *> keys)
{
	json::Value *v = &doc;
	for (const char *k : keys)
		v = &util::ensureObject(*v, k);
	return *v;
}

std::string mib(int64_t bytes)
{
	if (bytes % (1 << 20) == 0)
		return std::to_string(bytes >> 20) + " MiB";
	return std::to_string(bytes) + " bytes";
}

const char *const kMemRemedy =
        "docker run --memory N --memory-swap N (same N); k8s resources.limits.memory";
const char *const kPidsRemedy = "docker run --pids-limit N; k8s kubelet podPidsLimit";

void checkMemoryUnified(RuleRun &run, const Doc &d, const Limits &lim)
{
	if (const json::Value *u = util::child(d.unified, "memory.max")) {
		checkUnified(run, d, "memory.max", plainWithin(u->asString(), 1, lim.max),
		             "overrides the memory limit and is not a byte count within " +
		                     mib(lim.max),
		             kMemRemedy);
	}
	if (const json::Value *u = util::child(d.unified, "memory.swap.max")) {
		checkUnified(run, d, "memory.swap.max", u->asString() == "0",
		             "allows swap beyond the memory limit", kMemRemedy);
	}
}

void checkMemory(RuleRun &run)
{
	const Limits lim = limitParams(run, 536870912, 2147483648);
	const bool update = run.scope() == Scope::Resources;
	Doc d = resourcesOf(run);
	const json::Pointer mp = kRes / "memory";
	json::Value *memory = util::object(d.resources, "memory", mp);
	json::Value *limitV = util::child(memory, "limit");
	json::Value *swapV = util::child(memory, "swap");
	std::optional<int64_t> limit, swap;
	if (limitV)
		limit = util::integer(*limitV, mp / "limit");
	if (swapV)
		swap = util::integer(*swapV, mp / "swap");

	if (update) {
		if (limit && *limit < 0)
			run.deny(mp / "limit", "memory limit removed (-1 = unlimited)", kMemRemedy);
		else if (limit && *limit > lim.max)
			run.deny(mp / "limit",
			         "memory limit " + mib(*limit) + " is above the max " +
			                 mib(lim.max),
			         kMemRemedy);
		if (swap && *swap < 0)
			run.deny(mp / "swap", "swap limit removed (-1 = unlimited)", kMemRemedy);
		else if (swap && *swap > lim.max)
			run.deny(mp / "swap",
			         "memory+swap " + mib(*swap) + " is above the max " + mib(lim.max),
			         kMemRemedy);
		checkMemoryUnified(run, d, lim);
		return;
	}

	if (limit && *limit < 0) {
		run.deny(mp / "limit", "memory limit is unlimited (-1)", kMemRemedy);
		return;
	}
	if (limit && *limit > lim.max) {
		run.deny(mp / "limit",
		         "memory limit " + mib(*limit) + " is above the max " + mib(lim.max),
		         kMemRemedy);
		return;
	}
	/* runc writes unified after the structured values: it would override them. */
	checkMemoryUnified(run, d, lim);
	int64_t effective = limit.value_or(0);
	if (effective == 0) {
		effective = lim.def;
		util::fix(run, mp / "limit", "no memory limit", "set to " + mib(lim.def),
		          kMemRemedy, [&] {
			          ensurePath(run.doc, {"linux", "resources", "memory"})
			                  .set("limit", json::Value::number(lim.def));
		          });
	}
	if (swap.value_or(0) != effective) {
		util::fix(run, mp / "swap",
		          swap ? "swap limit differs from the memory limit" : "no swap limit",
		          "set equal to the memory limit (no swap)", kMemRemedy, [&] {
			          ensurePath(run.doc, {"linux", "resources", "memory"})
			                  .set("swap", json::Value::number(effective));
		          });
	}
}

void checkPids(RuleRun &run)
{
	const Limits lim = limitParams(run, 1024, 4096);
	const bool update = run.scope() == Scope::Resources;
	Doc d = resourcesOf(run);
	const json::Pointer pp = kRes / "pids";
	json::Value *pids = util::object(d.resources, "pids", pp);
	json::Value *limitV = util::child(pids, "limit");
	std::optional<int64_t> limit;
	if (limitV)
		limit = util::integer(*limitV, pp / "limit");

	if (limit && *limit < 0) {
		run.deny(pp / "limit", "pids limit is unlimited (-1)", kPidsRemedy);
		return;
	}
	if (limit && *limit > lim.max) {
		run.deny(pp / "limit",
		         strprintf("pids limit %lld is above the max %lld",
		                   static_cast<long long>(*limit), static_cast<long long>(lim.max)),
		         kPidsRemedy);
		return;
	}
	if (const json::Value *u = util::child(d.unified, "pids.max")) {
		checkUnified(run, d, "pids.max", plainWithin(u->asString(), 1, lim.max),
		             "overrides the pids limit and is not a number within " +
		                     std::to_string(lim.max),
		             kPidsRemedy);
	}

	if (limit.value_or(0) != 0)
		return;
	if (update) {
		/* 0 reads as "no limit" to some runtimes: never let an update send it. */
		if (limit)
			run.deny(pp / "limit", "pids limit 0 (no limit)", kPidsRemedy);
		return;
	}
	util::fix(run, pp / "limit", "no pids limit", "set to " + std::to_string(lim.def),
	          kPidsRemedy, [&] {
		          ensurePath(run.doc, {"linux", "resources", "pids"})
		                  .set("limit", json::Value::number(lim.def));
	          });
}

} // namespace

std::vector<RuleDef> resourcesRules()
{
	const std::vector<Scope> both = {Scope::Spec, Scope::Resources};
	return {
	        {"P6.memory",
	         "a memory limit within the max, swap equal to it; unified memory.max and "
	         "memory.swap.max may not override them",
	         both,
	         {{"default", ParamKind::Int, "memory limit set when none is given (536870912)",
	           Widens::More},
	          {"max", ParamKind::Int, "highest memory limit allowed (2147483648)",
	           Widens::More}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkMemory(run); }); }},
	        {"P6.pids",
	         "a pids limit within the max; unified pids.max may not override it",
	         both,
	         {{"default", ParamKind::Int, "pids limit set when none is given (1024)",
	           Widens::More},
	          {"max", ParamKind::Int, "highest pids limit allowed (4096)", Widens::More}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkPids(run); }); }},
	};
}

} // namespace bulkhead::policy
