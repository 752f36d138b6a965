#include "bulkhead/seccomp.h"

#include "last_result.h"
#include "paths_util.h"
#include "seccomp_tables.h"
#include "spec_util.h"

#include <algorithm>
#include <map>
#include <set>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P7.seccomp: a seccomp profile whose default action denies and which never
 * lets a dangerous syscall run, in any form. A rule "allows" when its action
 * is ALLOW, LOG (allow and log), NOTIFY (a user-space agent decides), TRACE (a
 * tracer decides) or one bulkhead does not know; argument conditions do not
 * count (a pinned value can be the dangerous one, an index the syscall does not
 * have reads a register the caller sets). Names are compared by the number the
 * kernel runs on every architecture of the filter, and a syscall that does
 * what a dangerous one does (umount for umount2, the new mount API for mount,
 * clone with a CLONE_NEW* flag and clone3 for unshare) is as dangerous. A weak
 * profile is replaced by the policy's own; a listenerPath that is an engine
 * socket is refused. */
namespace bulkhead::policy {

namespace {

using seccomp::Arch;
using seccomp_tables::dangerousList;
using seccomp_tables::delegating;
using seccomp_tables::denying;
using seccomp_tables::filterFlags;
using seccomp_tables::Multiplexer;
using seccomp_tables::multiplexers;
using seccomp_tables::sameDanger;

const char *const kRemedy = "docker run without --security-opt seccomp=unconfined (or with "
                            "--security-opt seccomp=PROFILE); k8s "
                            "securityContext.seccompProfile.type: RuntimeDefault";
const char *const kListenerRemedy =
        "point listenerPath at the seccomp agent's own socket, listed in the policy's "
        "allowedListeners; never at an engine socket";

/* CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
 * CLONE_NEWPID | CLONE_NEWNET (Docker's mask). CLONE_NEWTIME (0x80) is not
 * needed: clone(2) reads its low byte as the exit signal (CSIGNAL), so only
 * clone3 and unshare can ask for a time namespace. */
constexpr uint64_t kCloneNewMask = 0x7e020000;

struct Weak
{
	json::Pointer at;
	std::string why;
};

/* One argument condition, as runc reads it (absent value/valueTwo are 0). */
struct Cond
{
	uint64_t index = 0;
	std::string op;
	uint64_t value = 0;
	uint64_t valueTwo = 0;
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

uint64_t unsignedAt(const json::Value &v, const json::Pointer &at)
{
	auto n = v.isNumber() ? v.asUint64() : std::nullopt;
	if (!n)
		util::malformed(at, "non-negative integer expected at " + at.str());
	return *n;
}

/* A rule's conditions, type-checked (even where they do not matter, so that a
 * malformed profile never slips by). */
std::vector<Cond> conditions(const json::Value *args, const json::Pointer &at)
{
	std::vector<Cond> out;
	if (!args)
		return out;
	typed(args, json::Type::Array, at);
	for (size_t i = 0; i < args->items().size(); ++i) {
		const json::Pointer ap = at / i;
		const json::Value &a = typed(&args->items()[i], json::Type::Object, ap);
		const json::Value *op = member(a, "op");
		const json::Value *index = member(a, "index");
		if (!op || !index)
			util::malformed(ap,
			                "argument condition without op or index at " + ap.str());
		Cond c;
		c.op = util::text(*op, ap / "op");
		c.index = unsignedAt(*index, ap / "index");
		if (const json::Value *v = member(a, "value"))
			c.value = unsignedAt(*v, ap / "value");
		if (const json::Value *v = member(a, "valueTwo"))
			c.valueTwo = unsignedAt(*v, ap / "valueTwo");
		out.push_back(std::move(c));
	}
	return out;
}

/* This condition alone keeps every CLONE_NEW* flag out of argument INDEX:
 * MASKED_EQ (arg & value) == valueTwo with a mask over all of them and none in
 * valueTwo, or EQ to a value without any. */
bool refusesNamespaces(const Cond &c, unsigned index)
{
	if (c.index != index)
		return false;
	if (c.op == "SCMP_CMP_MASKED_EQ")
		return (c.value & kCloneNewMask) == kCloneNewMask &&
		       (c.valueTwo & kCloneNewMask) == 0;
	if (c.op == "SCMP_CMP_EQ")
		return (c.value & kCloneNewMask) == 0;
	return false;
}

/* A clone rule never lets a CLONE_NEW* flag through where the flags are
 * argument INDEX. runc ANDs a rule's conditions, unless two name the same
 * argument: then each becomes a rule of its own and they are ORed. */
bool cloneFiltered(const std::vector<Cond> &conds, unsigned index)
{
	if (conds.empty())
		return false;
	std::map<uint64_t, unsigned> perIndex;
	bool split = false;
	for (const auto &c : conds)
		split = split || ++perIndex[c.index] > 1;
	auto refuses = [&](const Cond &c) { return refusesNamespaces(c, index); };
	return split ? std::all_of(conds.begin(), conds.end(), refuses)
	             : std::any_of(conds.begin(), conds.end(), refuses);
}

class Judge
{
public:
	Judge(const std::vector<std::string> &dangerous, std::vector<std::string> flags,
	      std::vector<std::string> listeners)
	    : flags_(std::move(flags)), listeners_(std::move(listeners))
	{
		auto add = [&](const std::string &name, const std::string &origin) {
			if (expanded_.count(name) == 0)
				expanded_[name] = origin;
		};
		for (const auto &d : dangerous) {
			add(d, d);
			for (const auto &group : sameDanger())
				if (std::find(group.begin(), group.end(), d) != group.end())
					for (const auto &g : group)
						add(g, d);
			for (const auto &m : multiplexers())
				if (std::find(m.members.begin(), m.members.end(), d) !=
				    m.members.end())
					add(m.name, d);
			namespaces_ = namespaces_ || d == "unshare";
		}
	}

	/* Why the profile is weak; nullopt when it is not. Malformed on wrong types. */
	[[nodiscard]] std::optional<Weak> weakness(const json::Value &sc,
	                                           const json::Pointer &at) const
	{
		typed(&sc, json::Type::Object, at);
		const json::Value *def = member(sc, "defaultAction");
		const std::string defAction = def ? util::text(*def, at / "defaultAction") : "";
		if (defAction.empty())
			return Weak{at, "seccomp profile without a defaultAction: runc loads no "
			                "filter (or refuses the profile)"};
		if (denying().count(defAction) == 0)
			return Weak{at / "defaultAction",
			            "seccomp default action " + util::show(defAction) +
			                    " lets every unlisted syscall through"};
		if (auto w = flagWeakness(sc, at))
			return w;
		if (auto w = listenerWeakness(sc, at))
			return w;
		std::vector<Arch> arches{seccomp::nativeArch()};
		if (const json::Value *list = member(sc, "architectures")) {
			const json::Pointer ap = at / "architectures";
			typed(list, json::Type::Array, ap);
			for (size_t i = 0; i < list->items().size(); ++i) {
				const std::string &name = util::text(list->items()[i], ap / i);
				auto arch = seccomp::archFromOci(name);
				if (!arch)
					return Weak{ap / i,
					            "unknown seccomp architecture " +
					                    util::show(name) +
					                    ": what it runs cannot be judged"};
				if (std::find(arches.begin(), arches.end(), *arch) == arches.end())
					arches.push_back(*arch);
			}
		}
		return ruleWeakness(sc, at, arches);
	}

private:
	struct Danger
	{
		std::string name;   /* as libseccomp spells it */
		std::string origin; /* the entry of the dangerous list it stands for */
	};

	std::optional<Weak> flagWeakness(const json::Value &sc, const json::Pointer &at) const
	{
		const json::Value *flags = member(sc, "flags");
		if (!flags)
			return std::nullopt;
		const json::Pointer fp = at / "flags";
		typed(flags, json::Type::Array, fp);
		for (size_t i = 0; i < flags->items().size(); ++i) {
			const std::string &f = util::text(flags->items()[i], fp / i);
			if (std::find(flags_.begin(), flags_.end(), f) == flags_.end())
				return Weak{fp / i, "seccomp flag " + util::show(f) +
				                            " is not in the policy's allowedFlags"};
		}
		return std::nullopt;
	}

	std::optional<Weak> listenerWeakness(const json::Value &sc, const json::Pointer &at) const
	{
		const json::Value *l = member(sc, "listenerPath");
		if (!l)
			return std::nullopt;
		const std::string &path = util::text(*l, at / "listenerPath");
		if (path.empty() ||
		    std::find(listeners_.begin(), listeners_.end(), path) != listeners_.end())
			return std::nullopt;
		return Weak{at / "listenerPath",
		            "seccomp listenerPath " + util::show(path) +
		                    " is not in the policy's allowedListeners: runc connects "
		                    "to it as root and hands it the container's seccomp "
		                    "notifications"};
	}

	/* One architecture of the filter, with the numbers the checks compare. */
	struct Target
	{
		Arch arch;
		bool native;
		std::optional<int> clone, clone3;
	};

	/* What allowing NAME means on T, "" when nothing dangerous. */
	std::string danger(const std::map<std::pair<uint32_t, int>, Danger> &numbers,
	                   const Target &t, const std::string &name,
	                   const std::vector<Cond> &conds) const
	{
		auto nr = seccomp::resolve(t.arch, name);
		if (!nr)
			return {};
		auto where = [&] {
			return t.native ? std::string()
			                : " (" + std::string(t.arch.oci) + " syscall " +
			                          std::to_string(*nr) + ")";
		};
		auto it = numbers.find({t.arch.token, *nr});
		if (it != numbers.end()) {
			const Danger &d = it->second;
			std::string what = d.name == d.origin ? "the dangerous syscall " + name
			                                      : name + where() +
			                                                ", which does what the "
			                                                "dangerous syscall " +
			                                                d.origin + " does";
			if (!conds.empty())
				what += ", whatever its argument conditions (a dangerous syscall "
				        "is never allowed, in any form)";
			return what;
		}
		if (!namespaces_)
			return {};
		const unsigned flags = seccomp::cloneFlagsIndex(t.arch);
		if (nr == t.clone && !cloneFiltered(conds, flags))
			return name + where() +
			       " without a filter that refuses every CLONE_NEW* flag in argument " +
			       std::to_string(flags) +
			       " (MASKED_EQ with a mask over 0x7e020000 and value 0): it creates "
			       "namespaces like unshare";
		if (nr == t.clone3)
			return name + where() +
			       ", whose flags (namespaces, like unshare) lie in memory no filter "
			       "can read: make it SCMP_ACT_ERRNO with errnoRet 38 (ENOSYS), and "
			       "glibc falls back to clone";
		return {};
	}

	std::optional<Weak> ruleWeakness(const json::Value &sc, const json::Pointer &at,
	                                 const std::vector<Arch> &arches) const
	{
		std::map<std::pair<uint32_t, int>, Danger> numbers;
		std::vector<Target> targets;
		const Arch native = seccomp::nativeArch();
		for (const auto &arch : arches) {
			for (const auto &[name, origin] : expanded_)
				if (auto nr = seccomp::resolve(arch, name))
					numbers.emplace(std::make_pair(arch.token, *nr),
					                Danger{name, origin});
			targets.push_back({arch, arch == native, seccomp::resolve(arch, "clone"),
			                   seccomp::resolve(arch, "clone3")});
		}
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
			const auto conds = conditions(member(r, "args"), p / "args");
			const json::Value *names = member(r, "names");
			if (!names)
				continue;
			typed(names, json::Type::Array, p / "names");
			std::vector<const std::string *> ns;
			for (size_t j = 0; j < names->items().size(); ++j) {
				const json::Value &item = names->items()[j];
				/* The pointer is built only when it names a problem
				 * (a profile has hundreds of names). */
				if (!item.isString() ||
				    item.asString().find('\0') != std::string::npos)
					util::text(item, p / "names" / j);
				ns.push_back(&item.asString());
			}
			if (denying().count(act) != 0)
				continue;
			for (const std::string *n : ns) {
				for (const auto &t : targets) {
					const std::string what = danger(numbers, t, *n, conds);
					if (what.empty())
						continue;
					if (delegating().count(act) != 0)
						return Weak{
						        p,
						        act + " hands " + what +
						                " to a user-space agent: as good "
						                "as allowed"};
					if (act != "SCMP_ACT_ALLOW" && act != "SCMP_ACT_LOG")
						return Weak{p, "unknown seccomp action " +
						                       util::show(act) + " for " +
						                       what};
					return Weak{p, "seccomp " + act + " rule allows " + what};
				}
			}
		}
		return std::nullopt;
	}

	std::map<std::string, std::string> expanded_; /* dangerous name -> list entry */
	bool namespaces_ = false;                     /* unshare listed: judge clone, clone3 */
	std::vector<std::string> flags_;
	std::vector<std::string> listeners_;
};

/* The spec's listenerPath when it is an engine socket (refused outright:
 * runc would connect to it as root), or lies in a sensitive host tree (weak).
 * Judged by device+inode after following links. */
struct ListenerCheck
{
	std::optional<Weak> engine;
	std::optional<Weak> sensitive;
};

ListenerCheck judgeListener(const json::Value &sc, const json::Pointer &at, const RuleRun &run,
                            const std::vector<std::string> &sockets)
{
	ListenerCheck out;
	const json::Value *l = member(sc, "listenerPath");
	if (!l)
		return out;
	const json::Pointer lp = at / "listenerPath";
	const std::string &raw = util::text(*l, lp);
	if (raw.empty() || raw.front() == '@') /* unset, or an abstract socket */
		return out;
	auto path = paths::resolveAgainst(raw, run.call.bundle);
	if (!path)
		util::malformed(lp, "relative listenerPath " + util::show(raw) +
		                            " with an unknown bundle directory");
	std::string why = paths::sameFileAs(run.host, *path, sockets);
	if (!why.empty()) {
		out.engine = Weak{lp, "seccomp listenerPath " + util::show(raw) + " " + why +
		                              ", an engine socket: runc would connect to it "
		                              "as root"};
		return out;
	}
	why = paths::insideTree(run.host, *path, paths::defaultSensitivePaths());
	if (!why.empty())
		out.sensitive = Weak{lp, "seccomp listenerPath " + util::show(raw) + " " + why};
	return out;
}

std::vector<std::string> checkedFlags(const RuleRun &run)
{
	auto flags = run.paramList("allowedFlags", {});
	for (const auto &f : flags)
		if (std::find(filterFlags().begin(), filterFlags().end(), f) == filterFlags().end())
			throw Error(ErrorKind::Policy,
			            "rule P7.seccomp: parameter \"allowedFlags\": unknown seccomp "
			            "filter flag " +
			                    util::show(f) +
			                    " (known: " + util::join(filterFlags()) + ")");
	return flags;
}

std::vector<std::string> checkedListeners(const RuleRun &run)
{
	auto listeners = run.paramList("allowedListeners", {});
	for (const auto &l : listeners) {
		const bool abstract = l.size() > 1 && l.front() == '@';
		if (paths::hasNul(l) ||
		    (!abstract && (l.empty() || l.front() != '/' || paths::normalize(l) != l)))
			throw Error(ErrorKind::Policy,
			            "rule P7.seccomp: parameter \"allowedListeners\": " +
			                    util::show(l) +
			                    " is not a normalised absolute path or an @abstract "
			                    "socket name");
	}
	return listeners;
}

void checkSeccomp(RuleRun &run)
{
	const auto dangerous = run.paramList("dangerous", dangerousList());
	for (const auto &n : dangerous)
		if (!seccomp::isKnown(n))
			throw Error(ErrorKind::Policy, "rule P7.seccomp: parameter \"dangerous\": "
			                               "unknown syscall \"" +
			                                       n + "\"");
	auto flags = checkedFlags(run);
	auto listeners = checkedListeners(run);
	/* built when a profile is judged (a hardened spec carries the policy's,
	 * already judged) */
	std::optional<Judge> judge;
	auto judged = [&]() -> const Judge & {
		if (!judge)
			judge.emplace(dangerous, flags, listeners);
		return *judge;
	};
	const auto sockets = run.paramList("sockets", paths::defaultEngineSockets());
	const json::Value *profile = member(run.params, "profile");
	/* the load's probe made this very check with these params */
	if (profile && !run.paramsProbed) {
		try {
			if (auto w = judged().weakness(*profile, {}))
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
	if (!sc) {
		weak = Weak{lp / "seccomp", "no seccomp profile: every syscall is allowed"};
	} else {
		typed(sc, json::Type::Object, lp / "seccomp");
		const ListenerCheck listener = judgeListener(*sc, lp / "seccomp", run, sockets);
		if (listener.engine) {
			run.deny(listener.engine->at, listener.engine->why, kListenerRemedy);
			return;
		}
		/* the policy's own profile (what a hardened spec carries) was judged
		 * above or by the load's probe, and not weak: not judged again */
		if (!profile || !(*sc == *profile)) {
			/* most specs carry the engine's default profile: comparing
			 * two costs a fraction of judging one (some 1,000 syscall
			 * lookups); per thread, as `policy check` judges on several */
			static thread_local util::LastResult<
			        std::optional<Weak>, json::Value, std::vector<std::string>,
			        std::vector<std::string>, std::vector<std::string>>
			        last;
			weak = last.get([&] { return judged().weakness(*sc, lp / "seccomp"); }, *sc,
			                dangerous, flags, listeners);
		}
		if (!weak)
			weak = listener.sensitive;
	}
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
	         "a seccomp profile that denies by default and never lets a dangerous syscall run, "
	         "in any form (ALLOW, LOG, NOTIFY and TRACE rules allow whatever their argument "
	         "conditions; aliases, clone with CLONE_NEW* and clone3 count), with no flag or "
	         "listener the policy does not list",
	         {Scope::Spec},
	         {{"profile", ParamKind::JsonFile,
	           "profile (OCI linux.seccomp) put in place of a weak one (seccomp-default.json)"},
	          {"dangerous", ParamKind::SyscallList,
	           "syscalls never allowed in any form (mount, umount2, ptrace, kexec_load, "
	           "kexec_file_load, init_module, finit_module, delete_module, bpf, keyctl, "
	           "add_key, request_key, open_by_handle_at, userfaultfd, perf_event_open, "
	           "pivot_root, swapon, swapoff, reboot, setns, unshare, fsopen, fsconfig, "
	           "fsmount, fspick, move_mount, open_tree, mount_setattr)",
	           Widens::Less},
	          {"allowedFlags", ParamKind::List,
	           "seccomp filter flags a profile may carry (SECCOMP_FILTER_FLAG_*); none by "
	           "default",
	           Widens::More},
	          {"allowedListeners", ParamKind::List,
	           "listenerPath values a profile may carry (normalised absolute paths or "
	           "@abstract names); none by default",
	           Widens::More},
	          {"sockets", ParamKind::StringList,
	           "engine sockets a listenerPath may never be (P10.engine-socket's list by "
	           "default)"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkSeccomp(run); }); }},
	};
}

} // namespace bulkhead::policy
