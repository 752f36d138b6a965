/* Loading a policy: the file read as root must trust it, checked key by key
 * with FILE:LINE:COL errors, merged over the policy it extends, each rule
 * probed with its parameters. Evaluation is src/policy.cpp. */
#include "bulkhead_build.h"
#include "policy_cache.h"
#include "policy_compiled.h"
#include "policy_params.h"
#include "sys/fd.h"
#include "sys/utc.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/caps.h"
#include "bulkhead/engine.h"
#include "bulkhead/error.h"
#include "bulkhead/seccomp.h"
#include "bulkhead/sha256.h"

namespace bulkhead::policy {

namespace {

constexpr int kMaxExtends = 8;

/* Annotations an exemption or override may match on: set by the engine (dockerd,
 * containerd's CRI plugin, CRI-O, Podman) from facts a container user cannot
 * choose. Pod or container names are left out on purpose: whoever may create a
 * pod picks them. */
/* What an exemption or override may match on: facts of the call, the
 * Kubernetes and image ones as the configured engine proves them (engine.h). */
constexpr std::string_view kMatchKeys[] = {
        "k8s.namespace", "k8s.pod", "k8s.container", "image", "engine", "containerId", "bundle",
};

using sys::Fd;

bool validPolicyName(std::string_view s)
{
	if (s.empty() || s.size() > 64)
		return false;
	for (char c : s)
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	return true;
}

bool sameFile(const std::string &a, const std::string &b)
{
	struct stat sa
	{
	}, sb{};
	return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

} // namespace

std::optional<std::string> findShipped(const std::string &name, const std::string &from)
{
	/* beside the policy first (an admin's copy in /etc/bulkhead/policies), then
	 * the shipped ones (DATADIR), then the admin's directory (a policy kept
	 * elsewhere that extends one of them); never the file itself */
	for (const std::string &dir : {dirOf(from), std::string(BULKHEAD_DATADIR "/policies"),
	                               std::string(BULKHEAD_CONFDIR "/policies")}) {
		const std::string path = dir + "/" + name + ".json";
		if (::access(path.c_str(), F_OK) == 0 && !sameFile(path, from))
			return path;
	}
	return std::nullopt;
}

/* Today's date in UTC, "YYYY-MM-DD". */
std::string today()
{
	const utc::Fields f = utc::fields(std::time(nullptr));
	return strprintf("%04lld-%02d-%02d", static_cast<long long>(f.year), f.month, f.day);
}

bool validDate(std::string_view s)
{
	if (s.size() != 10 || s[4] != '-' || s[7] != '-')
		return false;
	static constexpr size_t kDigits[] = {0, 1, 2, 3, 5, 6, 8, 9};
	for (size_t i : kDigits)
		if (s[i] < '0' || s[i] > '9')
			return false;
	auto num = [&](size_t at, size_t len) {
		int n = 0;
		for (size_t i = at; i < at + len; i++)
			n = n * 10 + (s[i] - '0');
		return n;
	};
	int y = num(0, 4), m = num(5, 2), d = num(8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return false;
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int max = days[m - 1] + (m == 2 && leap ? 1 : 0);
	return d <= max;
}

/* One policy file checked, with FILE:LINE:COL errors, and merged over the
 * policy it extends (already loaded). */
class Loader : public ParamReader
{
public:
	Loader(std::string_view text, std::string name, std::string baseDir, bool checkOwner,
	       int depth, std::optional<Scope> only = std::nullopt)
	    : ParamReader(text, std::move(name), std::move(baseDir), checkOwner), depth_(depth),
	      only_(only)
	{
	}

	/* The policy of TEXT, the chain it extends loaded first. */
	Policy load();

	const std::string &requireString(const json::Value &obj, std::string_view key,
	                                 std::string_view what) const
	{
		const json::Value *v = obj.find(key);
		if (!v)
			fail(obj, strprintf("%.*s: missing \"%.*s\"", static_cast<int>(what.size()),
			                    what.data(), static_cast<int>(key.size()), key.data()));
		if (!v->isString())
			fail(*v, strprintf("%.*s: \"%.*s\" must be a string, not %s",
			                   static_cast<int>(what.size()), what.data(),
			                   static_cast<int>(key.size()), key.data(),
			                   json::typeName(v->type())));
		return v->asString();
	}

	/* In the probe marker's key: a load of one scope probes only its rules. */
	[[nodiscard]] std::string scopeKey() const
	{
		if (!only_)
			return "all";
		return *only_ == Scope::Spec      ? "spec"
		       : *only_ == Scope::Process ? "process"
		                                  : "resources";
	}

	/* Whether this load reads DEF's parameters at all. */
	[[nodiscard]] bool loads(const RuleDef &def) const
	{
		return !only_ ||
		       std::find(def.scopes.begin(), def.scopes.end(), *only_) != def.scopes.end();
	}

	CompiledPolicy::Match match(const json::Value &owner, std::string_view what) const
	{
		const json::Value *m = owner.find("match");
		if (!m)
			fail(owner, std::string(what) +
			                    ": missing \"match\" (an entry that applies "
			                    "everywhere belongs in \"rules\")");
		if (!m->isObject())
			fail(*m, std::string(what) + ": \"match\" must be an object");

		if (m->members().empty())
			fail(*m,
			     std::string(what) + ": \"match\" is empty: it would apply everywhere");
		CompiledPolicy::Match out;
		out.written = *m;
		for (const auto &[key, v] : m->members()) {
			if (key == "annotations")
				fail(v,
				     std::string(what) +
				             ": match.annotations is no longer read: a pod can set "
				             "annotations on some engines; match the facts the "
				             "engine "
				             "proves instead (k8s.namespace, k8s.pod, "
				             "k8s.container, "
				             "image, engine, containerId, bundle)");
			bool known = false;
			for (auto k : kMatchKeys)
				known = known || key == k;
			if (!known)
				fail(v, std::string(what) + ": unknown match key \"" +
				                printable(key) +
				                "\" (k8s.namespace, k8s.pod, k8s.container, image, "
				                "engine, containerId, bundle)");
			if (!v.isString() || v.asString().empty() ||
			    v.asString().find('\0') != std::string::npos)
				fail(v, std::string(what) + ": match." + key +
				                " must be a non-empty glob string");
			if (key == "engine" && !engine::kindFromName(v.asString()) &&
			    v.asString().find_first_of("*?[") == std::string::npos)
				fail(v, std::string(what) + ": match.engine \"" +
				                printable(v.asString()) + "\" is not an engine (" +
				                engine::kindNames() + ")");
			out.keys.emplace_back(key, v.asString());
		}
		return out;
	}

	/* name (required), reason, expires: shared by exemptions and overrides. */
	void header(const json::Value &e, std::string_view what, bool reasonRequired,
	            std::string &name, std::string &reason, std::string &expires) const
	{
		name = requireString(e, "name", what);
		if (name.empty())
			fail(*e.find("name"), std::string(what) + ": empty name");
		if (reasonRequired || e.find("reason")) {
			reason = requireString(e, "reason", std::string(what) + " " + name);
			if (reason.empty())
				fail(*e.find("reason"), std::string(what) + " " + name +
				                                ": the reason must not be empty");
		}
		if (e.find("expires")) {
			expires = requireString(e, "expires", std::string(what) + " " + name);
			if (!validDate(expires))
				fail(*e.find("expires"),
				     std::string(what) + " " + name +
				             ": expires must be a date, YYYY-MM-DD");
		}
	}

	/* The file's own policy merged over BASE (null for a policy that extends
	 * nothing): rules it names replace the base's action and the parameters
	 * they give, exemptions and overrides add to the base's. */
	CompiledPolicy compile(const json::Value &doc, const Policy *base, Policy &out) const
	{
		if (!doc.isObject())
			fail(doc, "a policy is a JSON object");
		for (const auto &[key, v] : doc.members())
			if (key != "name" && key != "version" && key != "mode" && key != "rules" &&
			    key != "exemptions" && key != "overrides" && key != "description" &&
			    key != "extends")
				fail(v, "unknown key \"" + printable(key) +
				                "\" (name, version, description, extends, mode, "
				                "rules, "
				                "exemptions, overrides)");
		out.name_ = requireString(doc, "name", "policy");
		if (!validPolicyName(out.name_))
			fail(*doc.find("name"),
			     "policy name must be 1-64 characters of A-Z a-z 0-9 . _ -");
		out.version_ = requireString(doc, "version", "policy");
		if (out.version_.empty())
			fail(*doc.find("version"), "policy version must not be empty");
		CompiledPolicy c;
		if (base != nullptr)
			c = base->compiled();
		c.files.insert(c.files.begin(), name_);
		if (const json::Value *d = doc.find("description")) {
			if (!d->isString())
				fail(*d, "description must be a string");
			c.description = d->asString();
		}
		out.mode_ = base != nullptr ? base->mode() : Mode::Enforce;
		if (doc.find("mode")) {
			const std::string &m = requireString(doc, "mode", "policy");
			if (m == "audit")
				out.mode_ = Mode::Audit;
			else if (m == "enforce")
				out.mode_ = Mode::Enforce;
			else
				fail(*doc.find("mode"), "mode must be \"enforce\" or \"audit\"");
		}

		const auto &all = allRules();
		c.rules.resize(all.size());
		const json::Value *rules = doc.find("rules");
		if (!rules && base == nullptr)
			fail(doc, "policy: missing \"rules\" (or \"extends\" to start from "
			          "another policy)");
		if (rules && !rules->isObject())
			fail(*rules, "\"rules\" must be an object of rule name -> settings");
		static const std::vector<json::Value::Member> kNone;
		for (const auto &[rname, robj] : rules ? rules->members() : kNone) {
			const RuleDef *def = knownRule(robj, rname);
			if (!robj.isObject())
				fail(robj, "rule " + rname +
				                   ": settings must be an object with an "
				                   "\"action\"");
			auto idx = static_cast<size_t>(def - all.data());
			std::optional<CompiledPolicy::Rule> &slot = c.rules[idx];
			const json::Value *a = robj.find("action");
			if (!a && !slot)
				fail(robj,
				     "rule " + rname +
				             ": missing \"action\" (mutate, deny, audit or off)" +
				             (base != nullptr ? "; " + base->name() +
				                                        " does not configure it"
				                              : std::string()));
			if (!slot)
				slot = CompiledPolicy::Rule{def,
				                            Action::Off,
				                            json::Value::object(),
				                            json::Value::object(),
				                            "",
				                            ""};
			if (a) {
				bool ok = false;
				Action action = a->isString() ? parseAction(a->asString(), ok)
				                              : Action::Off;
				if (!ok)
					fail(*a, "rule " + rname +
					                 ": action must be \"mutate\", \"deny\", "
					                 "\"audit\" or \"off\"");
				slot->action = action;
				slot->reason.clear();
			}
			if (const json::Value *r = robj.find("reason")) {
				if (!r->isString() || r->asString().empty())
					fail(*r, "rule " + rname +
					                 ": reason must be a non-empty string");
				slot->reason = r->asString();
			}
			if (slot->action == Action::Off && slot->reason.empty())
				fail(a ? *a : robj, "rule " + rname +
				                            ": turning a rule off needs a "
				                            "\"reason\" (who decided, "
				                            "and why)");
			if (!loads(*def)) {
				/* kept with its action; never run in this load's scope */
				hashFiles(*def, robj);
				slot->source = name_;
				slot->probed = false;
				continue;
			}
			json::Value given = params(*def, robj, true);
			for (auto &[k, v] : given.members())
				slot->params.set(k, std::move(v)); /* a profile is large: moved */
			json::Value as = written(*def, robj);
			for (auto &[k, v] : as.members())
				slot->written.set(k, std::move(v));
			slot->source = name_;
			slot->probed = false;
			if (slot->action != Action::Off && structured(*def, slot->params)) {
				probe(*def, slot->params, robj, true); /* throws unless they pass */
				slot->probed = true;
			}
		}

		if (const json::Value *ex = doc.find("exemptions")) {
			if (!ex->isArray())
				fail(*ex, "\"exemptions\" must be an array");
			for (const auto &e : ex->items()) {
				if (!e.isObject())
					fail(e, "an exemption must be an object");
				CompiledPolicy::Exemption x;
				x.source = name_;
				header(e, "exemption", true, x.name, x.reason, x.expires);
				for (const auto &[key, v] : e.members())
					if (key != "name" && key != "reason" && key != "expires" &&
					    key != "match" && key != "rules")
						fail(v, "exemption " + x.name + ": unknown key \"" +
						                printable(key) + "\"");
				x.match = match(e, "exemption " + x.name);
				const json::Value *r = e.find("rules");
				if (!r || !r->isArray() || r->items().empty())
					fail(r ? *r : e,
					     "exemption " + x.name +
					             ": \"rules\" must be a non-empty array "
					             "of rule names");
				for (const auto &rn : r->items()) {
					if (!rn.isString())
						fail(rn, "exemption " + x.name +
						                 ": rule names are strings");
					knownRule(rn, rn.asString());
					x.rules.push_back(rn.asString());
				}
				c.exemptions.push_back(std::move(x));
			}
		}

		if (const json::Value *ov = doc.find("overrides")) {
			if (!ov->isArray())
				fail(*ov, "\"overrides\" must be an array");
			for (const auto &o : ov->items()) {
				if (!o.isObject())
					fail(o, "an override must be an object");
				CompiledPolicy::Override x;
				x.source = name_;
				header(o, "override", false, x.name, x.reason, x.expires);
				for (const auto &[key, v] : o.members())
					if (key != "name" && key != "reason" && key != "expires" &&
					    key != "match" && key != "rules")
						fail(v, "override " + x.name + ": unknown key \"" +
						                printable(key) + "\"");
				x.match = match(o, "override " + x.name);
				const json::Value *r = o.find("rules");
				if (!r || !r->isObject() || r->members().empty())
					fail(r ? *r : o,
					     "override " + x.name +
					             ": \"rules\" must be a non-empty object "
					             "of rule name -> parameters");
				for (const auto &[rname, robj] : r->members()) {
					const RuleDef *def = knownRule(robj, rname);
					auto idx = static_cast<size_t>(def - all.data());
					if (!c.rules[idx] || c.rules[idx]->action == Action::Off)
						fail(robj,
						     "override " + x.name + ": rule " + rname +
						             " is off in this policy: an override "
						             "cannot turn it on");
					if (!robj.isObject())
						fail(robj,
						     "override " + x.name + ": rule " + rname +
						             ": parameters must be an object");
					if (!loads(*def)) {
						hashFiles(*def, robj);
						x.rules.emplace_back(def, json::Value::object());
						x.written.emplace_back(def, json::Value::object());
						continue;
					}
					x.rules.emplace_back(def, params(*def, robj, false));
					x.written.emplace_back(def, written(*def, robj));
					json::Value merged = c.rules[idx]->params;
					for (const auto &[k, v] : x.rules.back().second.members())
						merged.set(k, v);
					if (structured(*def, x.rules.back().second))
						probe(*def, merged, robj);
				}
				c.overrides.push_back(std::move(x));
			}
		}
		return c;
	}

private:
	int depth_;
	/* only the rules that judge this scope get their parameters read and
	 * checked (Policy::loadFor): an exec needs no seccomp profile */
	std::optional<Scope> only_;
};

Policy Loader::load()
{
	const std::string textSha = sha256Hex(text_);
	json::Value doc;
	try {
		doc = remember_ ? cache::parseTrusted(text_, name_, textSha)
		                : json::parse(text_, name_);
	} catch (const Error &e) {
		throw Error(ErrorKind::Policy, e.what());
	}
	std::optional<Policy> base;
	if (const json::Value *ext = doc.isObject() ? doc.find("extends") : nullptr) {
		if (!ext->isString() || ext->asString().empty() ||
		    ext->asString().find('\0') != std::string::npos)
			fail(*ext, "extends must name a shipped policy (\"restricted\") or a file");
		if (depth_ >= kMaxExtends)
			fail(*ext, strprintf("extends: more than %d policies deep (a loop?)",
			                     kMaxExtends));
		const std::string &want = ext->asString();
		std::string found;
		if (want.find('/') != std::string::npos || want.ends_with(".json")) {
			found = want[0] == '/' ? want : baseDir_ + "/" + want;
		} else {
			if (!validPolicyName(want) || want.find("..") != std::string::npos)
				fail(*ext, "extends \"" + printable(want) +
				                   "\": not a policy name (A-Z a-z 0-9 . _ -) nor "
				                   "a path");
			auto shipped = findShipped(want, name_);
			if (!shipped)
				fail(*ext, "extends \"" + want + "\": no " + want +
				                   ".json beside " + name_ +
				                   " nor in " BULKHEAD_DATADIR "/policies");
			found = *shipped;
		}
		const std::string &path = found;
		std::string text;
		try {
			text = readTrusted(path, checkOwner_);
		} catch (const Error &e) {
			fail(*ext, "extends \"" + want + "\": " + e.what());
		}
		base = Loader(text, path, dirOf(path), checkOwner_, depth_ + 1, only_).load();
	}
	Policy p;
	p.compiled_ =
	        std::make_shared<const CompiledPolicy>(compile(doc, base ? &*base : nullptr, p));
	/* The text, each file its parameters name, then the base: it changes
	 * when any file the policy reads does (bulkhead-policy(5)). */
	if (base || !fileShas_.empty())
		p.sha256_ = sha256Hex(std::string(text_) + fileShas_ +
		                      (base ? "\n" + base->sha256() : std::string()));
	else
		p.sha256_ = textSha;
	if (!pending_.empty()) {
		const std::string self = cache::selfIdentity();
		const std::string key =
		        self.empty() ? std::string()
		                     : sha256Hex(self + "\n" + scopeKey() + "\n" + name_ + "\n" +
		                                 p.sha256_ + "\n" + inputs_);
		if (key.empty() || !cache::probedBefore(key)) {
			for (const auto &q : pending_)
				runProbe(*q.def, q.owned ? *q.owned : *q.params, *q.at);
			if (!key.empty())
				cache::rememberProbed(key);
		}
	}
	return p;
}

Policy Policy::load(const std::string &path, bool checkOwner)
{
	std::string text = readTrusted(path, checkOwner);
	return Loader(text, path, dirOf(path), checkOwner, 0).load();
}

Policy Policy::loadFor(const std::string &path, bool checkOwner, Scope scope)
{
	std::string text = readTrusted(path, checkOwner);
	return Loader(text, path, dirOf(path), checkOwner, 0, scope).load();
}

Policy Policy::fromText(std::string_view text, std::string_view name)
{
	return Loader(text, std::string(name), dirOf(name), false, 0).load();
}

} // namespace bulkhead::policy
