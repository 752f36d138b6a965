#include "bulkhead/seccomp.h"

#include "spec_util.h"

#include <algorithm>
#include <map>
#include <set>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P7.seccomp: a seccomp profile whose default action denies, and which never
 * allows a dangerous syscall unconditionally. "Allows" includes LOG (allow and
 * log), NOTIFY (a user-space agent decides) and TRACE (a tracer decides);
 * "unconditionally" includes argument conditions that do not pin the argument
 * (NE, ranges, partial masks: several of them can add up to everything). A
 * weak profile is replaced by the policy's own. */
namespace bulkhead::policy {

namespace {

const char *const kRemedy = "docker run without --security-opt seccomp=unconfined (or with "
                            "--security-opt seccomp=PROFILE); k8s "
                            "securityContext.seccompProfile.type: RuntimeDefault";

const std::vector<std::string> kDangerous = {
        "mount",        "umount2",           "ptrace",      "kexec_load",      "init_module",
        "finit_module", "delete_module",     "bpf",         "keyctl",          "add_key",
        "request_key",  "open_by_handle_at", "userfaultfd", "perf_event_open", "pivot_root",
        "swapon",       "swapoff",           "reboot",      "setns",           "unshare",
};

const std::set<std::string> kDenying = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO"};
/* Actions that hand the decision to someone else. */
const std::set<std::string> kDelegating = {"SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE"};

struct Weak
{
	json::Pointer at;
	std::string why;
};

const json::Value *member(const json::Value &obj, std::string_view key)
{
	const json::Value *v = obj.isObject() ? obj.find(key) : nullptr;
	return v && !v->isNull() ? v : nullptr;
}

const json::Value &typed(const json::Value *v, json::Type t, const json::Pointer &at)
{
	if (v->type() != t)
		util::malformed(at, std::string(json::typeName(t)) + " expected at " + at.str());
	return *v;
}

/* Arguments of the dangerous syscalls that are user-space addresses: pinning
 * one to a value pins nothing, since the caller can map memory there. */
unsigned pointerArgs(const std::string &name)
{
	static const std::map<std::string, unsigned> table = {
	        {"mount", 0x17},          {"umount2", 0x1},     {"ptrace", 0xc},
	        {"kexec_load", 0x4},      {"init_module", 0x5}, {"finit_module", 0x2},
	        {"delete_module", 0x1},   {"bpf", 0x2},         {"keyctl", 0x1e},
	        {"add_key", 0x7},         {"request_key", 0x7}, {"open_by_handle_at", 0x2},
	        {"perf_event_open", 0x1}, {"pivot_root", 0x3},  {"swapon", 0x1},
	        {"swapoff", 0x1},         {"reboot", 0x8},
	};
	auto it = table.find(name);
	return it == table.end() ? 0 : it->second;
}

/* The arguments (bit i = index i) that one of the conditions pins to a single
 * value (EQ, or MASKED_EQ with a full mask). A union of rules that each pin a
 * scalar argument never covers every call. */
unsigned pinned(const json::Value *args, const json::Pointer &at)
{
	if (!args)
		return 0;
	typed(args, json::Type::Array, at);
	unsigned pin = 0;
	for (size_t i = 0; i < args->items().size(); ++i) {
		const json::Pointer ap = at / i;
		const json::Value &a = typed(&args->items()[i], json::Type::Object, ap);
		const json::Value *op = member(a, "op");
		const json::Value *index = member(a, "index");
		const json::Value *value = member(a, "value");
		if (!op || !index)
			util::malformed(ap,
			                "argument condition without op or index at " + ap.str());
		const std::string &o = util::text(*op, ap / "op");
		auto idx = index->isNumber() ? index->asUint64() : std::nullopt;
		if (!idx)
			util::malformed(ap / "index",
			                "non-negative integer expected at " + (ap / "index").str());
		std::optional<uint64_t> val;
		if (value) {
			val = value->isNumber() ? value->asUint64() : std::nullopt;
			if (!val)
				util::malformed(ap / "value", "non-negative integer expected at " +
				                                      (ap / "value").str());
		}
		if (const json::Value *two = member(a, "valueTwo"))
			if (!two->isNumber() || !two->asUint64())
				util::malformed(ap / "valueTwo",
				                "non-negative integer expected at " +
				                        (ap / "valueTwo").str());
		if (*idx > 5)
			continue;
		if (o == "SCMP_CMP_EQ" ||
		    (o == "SCMP_CMP_MASKED_EQ" && val.value_or(0) == UINT64_MAX))
			pin |= 1u << *idx;
	}
	return pin;
}

/* Why a profile is weak; nullopt when it denies by default and never allows a
 * dangerous syscall unpinned. Malformed on wrong types. */
std::optional<Weak> weakness(const json::Value &sc, const std::vector<std::string> &dangerous,
                             const json::Pointer &at)
{
	typed(&sc, json::Type::Object, at);
	const json::Value *def = member(sc, "defaultAction");
	if (!def)
		util::malformed(at, "seccomp without defaultAction at " + at.str());
	const std::string &defAction = util::text(*def, at / "defaultAction");
	if (kDenying.count(defAction) == 0)
		return Weak{at / "defaultAction", "seccomp default action " +
		                                          util::show(defAction) +
		                                          " lets every unlisted syscall through"};
	const json::Value *rules = member(sc, "syscalls");
	if (!rules)
		return std::nullopt;
	const json::Pointer rp = at / "syscalls";
	typed(rules, json::Type::Array, rp);
	for (size_t i = 0; i < rules->items().size(); ++i) {
		const json::Pointer p = rp / i;
		const json::Value &r = typed(&rules->items()[i], json::Type::Object, p);
		const json::Value *action = member(r, "action");
		if (!action)
			util::malformed(p, "seccomp rule without action at " + p.str());
		const std::string &act = util::text(*action, p / "action");
		const json::Value *names = member(r, "names");
		const bool denying = kDenying.count(act) != 0;
		const bool delegating =
		        !denying && act != "SCMP_ACT_ALLOW" && act != "SCMP_ACT_LOG";
		/* Argument conditions are judged (and type-checked) even when no
		 * dangerous name is listed, so a malformed profile never slips by. */
		const unsigned pin = pinned(member(r, "args"), p / "args");
		if (!names)
			continue;
		typed(names, json::Type::Array, p / "names");
		for (size_t j = 0; j < names->items().size(); ++j) {
			const std::string &n = util::text(names->items()[j], p / "names" / j);
			if (denying ||
			    std::find(dangerous.begin(), dangerous.end(), n) == dangerous.end())
				continue;
			if (delegating)
				return Weak{p, kDelegating.count(act) != 0
				                       ? act + " hands the dangerous syscall " + n +
				                                 " to a user-space agent: as good "
				                                 "as allowed"
				                       : "unknown seccomp action " +
				                                 util::show(act) +
				                                 " for the dangerous syscall " + n};
			if ((pin & ~pointerArgs(n)) == 0)
				return Weak{
				        p, "seccomp " + act +
				                   " rule allows the dangerous syscall " + n +
				                   (member(r, "args")
				                            ? " with conditions that pin no scalar "
				                              "argument to one value"
				                            : " unconditionally")};
		}
	}
	return std::nullopt;
}

void checkSeccomp(RuleRun &run)
{
	const auto dangerous = run.paramList("dangerous", kDangerous);
	for (const auto &n : dangerous)
		if (!seccomp::isKnown(n))
			throw Error(ErrorKind::Policy, "rule P7.seccomp: parameter \"dangerous\": "
			                               "unknown syscall \"" +
			                                       n + "\"");
	const json::Value *profile = member(run.params, "profile");
	if (profile) {
		try {
			if (auto w = weakness(*profile, dangerous, {}))
				throw Error(ErrorKind::Policy,
				            "rule P7.seccomp: the policy's profile is "
				            "weak at " +
				                    w->at.str() + ": " + w->why);
		} catch (const util::Malformed &m) {
			throw Error(ErrorKind::Policy,
			            "rule P7.seccomp: the policy's profile is malformed: " +
			                    m.what);
		}
	}

	const json::Pointer lp = json::Pointer() / "linux";
	json::Value *linux = util::object(&run.doc, "linux", lp);
	json::Value *sc = util::child(linux, "seccomp");
	std::optional<Weak> weak;
	if (!sc)
		weak = Weak{lp / "seccomp", "no seccomp profile: every syscall is allowed"};
	else
		weak = weakness(*sc, dangerous, lp / "seccomp");
	if (!weak)
		return;
	if (!profile) {
		run.deny(weak->at,
		         run.action() == Action::Mutate
		                 ? weak->why + " (and the policy names no profile to use instead)"
		                 : weak->why,
		         kRemedy);
		return;
	}
	util::fix(run, weak->at, weak->why, "replaced with the policy's profile", kRemedy,
	          [&] { util::ensureObject(run.doc, "linux").set("seccomp", *profile); });
}

} // namespace

std::vector<RuleDef> seccompRules()
{
	return {
	        {"P7.seccomp",
	         "a seccomp profile that denies by default and never allows a dangerous syscall "
	         "unconditionally (LOG, NOTIFY, TRACE and unpinned conditions count as allowing)",
	         {Scope::Spec},
	         {{"profile", ParamKind::JsonFile,
	           "profile (OCI linux.seccomp) put in place of a weak one (seccomp-default.json)"},
	          {"dangerous", ParamKind::SyscallList,
	           "syscalls never allowed unconditionally (mount, umount2, ptrace, kexec_load, "
	           "init_module, finit_module, delete_module, bpf, keyctl, add_key, request_key, "
	           "open_by_handle_at, userfaultfd, perf_event_open, pivot_root, swapon, swapoff, "
	           "reboot, setns, unshare)"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkSeccomp(run); }); }},
	};
}

} // namespace bulkhead::policy
