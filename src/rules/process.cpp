#include "spec_util.h"

#include <algorithm>
#include <map>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P4.no-new-privileges and the process.* rules: AppArmor, SELinux, rlimits,
 * cwd, oomScoreAdj. All of them apply to a whole spec and to an exec process. */
namespace bulkhead::policy {

namespace {

/* The process object, or nullptr (with a denial for a spec without one). */
json::Value *processOf(RuleRun &run)
{
	const json::Pointer pp = json::Pointer() / "process";
	json::Value *process = util::object(&run.doc, "process", pp);
	if (!process && run.scope() == Scope::Spec)
		run.deny(pp, "spec has no process", util::kFixWriter);
	return process;
}

void checkNoNewPrivileges(RuleRun &run)
{
	json::Value *process = processOf(run);
	if (!process)
		return;
	const json::Pointer at = json::Pointer() / "process" / "noNewPrivileges";
	json::Value *nnp = util::child(process, "noNewPrivileges");
	if (nnp && !nnp->isBool())
		util::malformed(at, "boolean expected at " + at.str());
	if (nnp && nnp->asBool())
		return;
	util::fix(run, at,
	          "noNewPrivileges is not set: setuid binaries and file capabilities "
	          "could raise privileges",
	          "set to true",
	          "docker run/exec --security-opt no-new-privileges; k8s "
	          "securityContext.allowPrivilegeEscalation: false",
	          [&] {
		          util::ensureObject(run.doc, "process")
		                  .set("noNewPrivileges", json::Value::boolean(true));
	          });
}

void checkApparmor(RuleRun &run)
{
	json::Value *process = processOf(run);
	if (!process)
		return;
	const json::Pointer at = json::Pointer() / "process" / "apparmorProfile";
	json::Value *p = util::child(process, "apparmorProfile");
	if (!p)
		return;
	std::string name = util::text(*p, at);
	/* Trim what the kernel would ignore around a profile name. */
	auto notSpace = [](char c) { return c != ' ' && c != '\t' && c != '\n'; };
	name.erase(name.begin(), std::find_if(name.begin(), name.end(), notSpace));
	name.erase(std::find_if(name.rbegin(), name.rend(), notSpace).base(), name.end());
	if (name == "unconfined")
		run.deny(at, "AppArmor profile \"unconfined\" turns AppArmor off for the container",
		         "drop --security-opt apparmor=unconfined; k8s "
		         "securityContext.appArmorProfile.type: RuntimeDefault");
}

void checkSelinux(RuleRun &run)
{
	const auto allowed = run.paramList("allowedTypes", {"container_t"});
	json::Value *process = processOf(run);
	if (!process)
		return;
	const json::Pointer at = json::Pointer() / "process" / "selinuxLabel";
	json::Value *l = util::child(process, "selinuxLabel");
	if (!l)
		return;
	const std::string &label = util::text(*l, at);
	if (label.empty())
		return;
	/* user:role:type[:level] */
	size_t a = label.find(':');
	size_t b = a == std::string::npos ? a : label.find(':', a + 1);
	if (b == std::string::npos) {
		run.deny(at,
		         "SELinux label " + util::show(label) + " is not user:role:type[:level]",
		         "docker run --security-opt label=type:container_t; k8s "
		         "securityContext.seLinuxOptions");
		return;
	}
	size_t c = label.find(':', b + 1);
	std::string type = label.substr(b + 1, c == std::string::npos ? c : c - b - 1);
	if (std::find(allowed.begin(), allowed.end(), type) == allowed.end())
		run.deny(at,
		         "SELinux type " + util::show(type) + " is not one of " +
		                 util::join(allowed),
		         "drop --security-opt label=disable / label=type:...; k8s "
		         "securityContext.seLinuxOptions.type: container_t");
}

/* Names of the rlimits runc knows. */
const char *const kRlimits[] = {
        "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
        "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
        "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

bool knownRlimit(const std::string &s)
{
	return std::any_of(std::begin(kRlimits), std::end(kRlimits),
	                   [&](const char *k) { return s == k; });
}

std::map<std::string, uint64_t> rlimitMax(const RuleRun &run)
{
	/* Raising these lets an unprivileged process outrank the host: real-time
	 * priority starves the CPU, a nice floor below 0 (RLIMIT_NICE above 20)
	 * does the same more slowly. */
	std::map<std::string, uint64_t> max = {{"RLIMIT_RTPRIO", 0}, {"RLIMIT_NICE", 20}};
	const json::Value *p = run.params.isObject() ? run.params.find("max") : nullptr;
	if (!p || p->isNull())
		return max;
	auto bad = [](const std::string &why) {
		throw Error(ErrorKind::Policy, "rule process.rlimits: parameter \"max\": " + why);
	};
	if (!p->isObject())
		bad("must be an object of RLIMIT_NAME: number");
	max.clear();
	for (const auto &[k, v] : p->members()) {
		if (!knownRlimit(k))
			bad("unknown rlimit \"" + k + "\"");
		auto n = v.isNumber() ? v.asUint64() : std::nullopt;
		if (!n)
			bad("value of \"" + k + "\" must be a non-negative integer");
		max[k] = *n;
	}
	return max;
}

void checkRlimits(RuleRun &run)
{
	const auto max = rlimitMax(run);
	json::Value *process = processOf(run);
	if (!process)
		return;
	const json::Pointer rp = json::Pointer() / "process" / "rlimits";
	json::Value *list = util::array(process, "rlimits", rp);
	if (!list)
		return;
	for (size_t i = 0; i < list->items().size(); ++i) {
		const json::Pointer at = rp / i;
		json::Value &r = list->items()[i];
		util::expect(&r, json::Type::Object, at);
		json::Value *t = util::child(&r, "type");
		if (!t)
			util::malformed(at, "rlimit without type at " + at.str());
		const std::string &type = util::text(*t, at / "type");
		if (!knownRlimit(type))
			util::malformed(at / "type", "unknown rlimit " + util::show(type));
		uint64_t values[2] = {0, 0};
		const char *keys[2] = {"hard", "soft"};
		for (int k = 0; k < 2; ++k) {
			json::Value *v = util::child(&r, keys[k]);
			if (!v)
				continue;
			auto n = v->isNumber() ? v->asUint64() : std::nullopt;
			if (!n)
				util::malformed(at / keys[k], "non-negative integer expected at " +
				                                      (at / keys[k]).str());
			values[k] = *n;
		}
		auto m = max.find(type);
		if (m == max.end())
			continue;
		uint64_t hi = std::max(values[0], values[1]);
		if (hi > m->second)
			run.deny(at,
			         strprintf("%s raised to %s, above the policy's %llu", type.c_str(),
			                   hi == UINT64_MAX ? "unlimited"
			                                    : std::to_string(hi).c_str(),
			                   static_cast<unsigned long long>(m->second)),
			         "docker run --ulimit " + type.substr(7) +
			                 "=N; lower the engine's "
			                 "default ulimits");
	}
}

void checkCwd(RuleRun &run)
{
	json::Value *process = processOf(run);
	if (!process)
		return;
	const json::Pointer at = json::Pointer() / "process" / "cwd";
	json::Value *c = util::child(process, "cwd");
	if (!c)
		return;
	const std::string &cwd = util::text(*c, at);
	const char *remedy = "docker run/exec --workdir /absolute/dir; k8s workingDir";
	if (cwd.empty() || cwd.front() != '/') {
		run.deny(at, "cwd " + util::show(cwd) + " is not an absolute path", remedy);
		return;
	}
	const std::string clean = util::cleanPath(cwd);
	/* /proc/self/fd/N and its /dev/fd, /dev/std* aliases reach descriptors
	 * leaked by the runtime (CVE-2024-21626). */
	for (const char *bad : {"/proc", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"}) {
		if (util::isUnder(clean, bad)) {
			run.deny(at, "cwd " + util::show(cwd) + " is under " + bad, remedy);
			return;
		}
	}
}

void checkOomScoreAdj(RuleRun &run)
{
	const int64_t min = run.paramInt("min", 0);
	json::Value *process = processOf(run);
	if (!process)
		return;
	const json::Pointer at = json::Pointer() / "process" / "oomScoreAdj";
	json::Value *v = util::child(process, "oomScoreAdj");
	if (!v)
		return;
	int64_t n = util::integer(*v, at);
	if (n < min)
		util::fix(run, at,
		          strprintf("oomScoreAdj %lld is below %lld: the host would kill its own "
		                    "processes before this container's",
		                    static_cast<long long>(n), static_cast<long long>(min)),
		          strprintf("raised to %lld", static_cast<long long>(min)),
		          "docker run --oom-score-adj 0 (or more); Kubernetes sets -998 for pod "
		          "sandboxes and -997 for Guaranteed pods: lower the policy's min to keep "
		          "them",
		          [&] { *v = json::Value::number(min); });
}

template <void (*F)(RuleRun &)> void guardedRule(RuleRun &run)
{
	util::guarded(run, [&] { F(run); });
}

} // namespace

std::vector<RuleDef> processRules()
{
	const std::vector<Scope> both = {Scope::Spec, Scope::Process};
	return {
	        {"P4.no-new-privileges",
	         "process.noNewPrivileges is true",
	         both,
	         {},
	         &guardedRule<checkNoNewPrivileges>},
	        {"process.apparmor",
	         "the AppArmor profile is not \"unconfined\"",
	         both,
	         {},
	         &guardedRule<checkApparmor>},
	        {"process.selinux",
	         "the SELinux process label's type is allowed",
	         both,
	         {{"allowedTypes", ParamKind::StringList,
	           "SELinux types a process label may carry ([container_t])", Widens::More}},
	         &guardedRule<checkSelinux>},
	        {"process.rlimits",
	         "rlimits that let a process outrank the host stay within the policy's max",
	         both,
	         {{"max", ParamKind::Object,
	           "highest hard/soft value per rlimit ({\"RLIMIT_RTPRIO\": 0, \"RLIMIT_NICE\": "
	           "20})"}},
	         &guardedRule<checkRlimits>},
	        {"process.cwd",
	         "cwd is absolute and not under /proc (or /dev/fd)",
	         both,
	         {},
	         &guardedRule<checkCwd>},
	        {"process.oom-score-adj",
	         "oomScoreAdj is not below the minimum (raised to it)",
	         both,
	         {{"min", ParamKind::Int, "lowest oomScoreAdj allowed (0)", Widens::Less}},
	         &guardedRule<checkOomScoreAdj>},
	};
}

} // namespace bulkhead::policy
