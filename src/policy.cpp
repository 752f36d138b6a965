#include "policy_compiled.h"

#include <fnmatch.h>
#include <new>
#include <optional>
#include <string_view>
#include <utility>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"
#include "bulkhead/spec.h"

namespace bulkhead::policy {

namespace {

constexpr std::string_view kStampKey = "io.bulkhead.policy";

/* A string fit for fnmatch(3): no NUL. */
bool globMatch(const std::string &pattern, const std::string &value, int flags)
{
	if (value.find('\0') != std::string::npos)
		return false;
	return ::fnmatch(pattern.c_str(), value.c_str(), flags) == 0;
}

} // namespace

json::Value factsJson(const engine::Facts &f)
{
	using json::Value;
	auto str = [](const std::string &s) { return s.empty() ? Value() : Value::string(s); };
	Value o = Value::object();
	o.set("engine", str(engine::kindName(f.engine)));
	o.set("containerId", str(f.containerId));
	Value k8s = Value::object();
	k8s.set("namespace", str(f.k8sNamespace));
	k8s.set("pod", str(f.k8sPod));
	k8s.set("podUid", str(f.podUid));
	k8s.set("container", str(f.k8sContainer));
	k8s.set("sandbox", Value::boolean(f.sandbox));
	k8s.set("sandboxId", str(f.sandboxId));
	o.set("k8s", std::move(k8s));
	o.set("image", str(f.image));
	o.set("unproven", str(f.unproven));
	return o;
}

engine::Facts engineFacts(const json::Value &doc, const CallContext &call, const HostFacts &host)
{
	if (call.facts != nullptr)
		return *call.facts;
	return engine::derive(doc,
	                      engine::Call{call.engine, call.containerId, call.bundle,
	                                   call.runtimeRoot, call.offline},
	                      host);
}

const char *verdictName(Verdict v) noexcept
{
	switch (v) {
	case Verdict::Allow:
		return "allow";
	case Verdict::Mutate:
		return "mutate";
	case Verdict::Deny:
		return "deny";
	}
	return "deny";
}

const char *actionName(Action a) noexcept
{
	switch (a) {
	case Action::Mutate:
		return "mutate";
	case Action::Deny:
		return "deny";
	case Action::Audit:
		return "audit";
	case Action::Off:
		return "off";
	}
	return "off";
}

namespace {

/* The value of a match key for this call; "" when unknown. */
std::string matchFact(const std::string &key, const engine::Facts &f, const CallContext &call)
{
	if (key == "containerId")
		return call.containerId;
	if (key == "bundle")
		return call.bundle;
	if (key == "engine")
		return engine::kindName(f.engine);
	if (key == "k8s.namespace")
		return f.k8sNamespace;
	if (key == "k8s.pod")
		return f.k8sPod;
	if (key == "k8s.container")
		return f.k8sContainer;
	if (key == "image")
		return f.image;
	return {};
}

bool matches(const CompiledPolicy::Match &m, const engine::Facts &f, const CallContext &call)
{
	for (const auto &[key, glob] : m.keys) {
		const std::string value = matchFact(key, f, call);
		/* unknown matches nothing, not even "*" */
		if (value.empty() || !globMatch(glob, value, key == "bundle" ? FNM_PATHNAME : 0))
			return false;
	}
	return true;
}

bool inScope(const RuleDef &def, Scope scope)
{
	for (Scope s : def.scopes)
		if (s == scope)
			return true;
	return false;
}

} // namespace

Decision Policy::evaluate(const json::Value &doc, Scope scope, const CallContext &call,
                          const HostFacts &host) const
{
	Decision d;
	d.mode = mode_;
	d.policyName = name_;
	d.policySha256 = sha256_;
	d.policyVersion = version_;
	const bool audit = mode_ == Mode::Audit;
	/* The rules read only what runc reads, in the types Go gives it. */
	spec::check(doc, scope);
	json::Value work = doc;
	/* Who runs it, as the engine proves it: derived once, on the document as
	 * the engine wrote it, for the matches and every rule. */
	d.facts = engineFacts(doc, call, host);
	const engine::Facts &facts = d.facts;
	CallContext ruleCall = call;
	ruleCall.facts = &d.facts;

	{
		const CompiledPolicy &c = *compiled_;
		const std::string now = call.date.empty() ? today() : call.date;
		std::vector<const CompiledPolicy::Exemption *> exempt;
		for (const auto &e : c.exemptions) {
			if (!matches(e.match, facts, call))
				continue;
			if (!e.expires.empty() && now > e.expires) {
				d.expired.push_back(
				        ExpiredUse{"exemption", e.name, e.expires, e.rules});
				continue;
			}
			exempt.push_back(&e);
			d.exemptions.push_back(ExemptionUse{e.name, e.reason, e.expires, e.rules});
		}
		std::vector<const CompiledPolicy::Override *> over;
		for (const auto &o : c.overrides) {
			if (!matches(o.match, facts, call))
				continue;
			std::vector<std::string> names;
			for (const auto &r : o.rules)
				names.emplace_back(r.first->name);
			if (!o.expires.empty() && now > o.expires) {
				d.expired.push_back(
				        ExpiredUse{"override", o.name, o.expires, names});
				continue;
			}
			over.push_back(&o);
			d.overrides.push_back(OverrideUse{o.name, o.reason, o.expires, names});
		}

		const auto &all = allRules();
		for (size_t i = 0; i < all.size() && i < c.rules.size(); i++) {
			const auto &cfg = c.rules[i];
			const RuleDef &def = all[i];
			if (!cfg || cfg->action == Action::Off || !inScope(def, scope))
				continue;
			bool exempted = false;
			for (const auto *e : exempt)
				for (const auto &rn : e->rules)
					exempted = exempted || rn == def.name;
			if (exempted)
				continue;

			json::Value merged;
			const json::Value *params = &cfg->params;
			for (const auto *o : over)
				for (const auto &[odef, oparams] : o->rules) {
					if (odef != &def)
						continue;
					if (merged.isNull())
						merged = cfg->params;
					for (const auto &[k, v] : oparams.members())
						merged.set(k, v);
					params = &merged;
				}

			const Action action = audit ? Action::Audit : cfg->action;
			/* A rule that only records runs on a scratch copy: nothing it does
			 * can reach the result. */
			json::Value scratch;
			json::Value *target = &work;
			if (action == Action::Audit && !audit && !def.fixesOnly) {
				scratch = work;
				target = &scratch;
			}
			const size_t first = d.findings.size();
			RuleRun run(*target, *params, action, scope, ruleCall, host, def.name,
			            d.findings);
			run.paramsProbed = cfg->probed && params == &cfg->params;
			try {
				def.fn(run);
			} catch (const std::bad_alloc &) {
				throw;
			} catch (const std::exception &e) {
				d.findings.push_back(Finding{
				        def.name, "",
				        std::string("cannot judge the spec: ") + e.what(),
				        action == Action::Audit ? Action::Audit : Action::Deny,
				        Action::Deny, "fix the spec so that it is well formed"});
			}
			if (action == Action::Audit && cfg->action != Action::Audit)
				for (size_t j = first; j < d.findings.size(); j++)
					if (d.findings[j].wouldBe == Action::Audit)
						d.findings[j].wouldBe = cfg->action;
		}
	}

	bool denied = false;
	for (const auto &f : d.findings)
		denied = denied || f.action == Action::Deny;
	if (audit)
		work = doc;
	const bool changed = !audit && !(work == doc);
	if (denied)
		d.verdict = Verdict::Deny;
	else if (changed)
		d.verdict = Verdict::Mutate;
	else
		d.verdict = Verdict::Allow;

	if (d.verdict == Verdict::Mutate && scope == Scope::Spec) {
		json::Value *ann = work.find("annotations");
		if (!ann)
			ann = &work.set("annotations", json::Value::object());
		if (ann->isObject()) {
			ann->set(kStampKey, json::Value::string(name_ + " sha256:" + sha256_));
		} else {
			d.findings.push_back(Finding{
			        "spec", "/annotations",
			        "annotations is not an object: cannot stamp the "
			        "policy into it",
			        Action::Deny, Action::Deny, "give the spec an annotations object"});
			d.verdict = Verdict::Deny;
		}
	}

	if (audit) {
		d.wouldBe = Verdict::Allow;
		for (const auto &f : d.findings) {
			if (f.wouldBe == Action::Deny)
				d.wouldBe = Verdict::Deny;
			else if (f.wouldBe == Action::Mutate && d.wouldBe == Verdict::Allow)
				d.wouldBe = Verdict::Mutate;
		}
	} else {
		d.wouldBe = d.verdict;
	}
	/* nothing changed: the empty patch, without walking both trees again */
	d.patch = changed && call.patch ? json::diff(doc, work) : json::Value::array();
	d.result = std::move(work);
	return d;
}

json::Value toJson(const Decision &d)
{
	using json::Value;
	auto strOrNull = [](const std::string &s) {
		return s.empty() ? Value() : Value::string(s);
	};
	auto names = [](const std::vector<std::string> &v) {
		Value a = Value::array();
		for (const auto &s : v)
			a.push(Value::string(s));
		return a;
	};
	Value o = Value::object();
	o.set("verdict", Value::string(verdictName(d.verdict)));
	o.set("wouldBe", Value::string(verdictName(d.wouldBe)));
	o.set("mode", Value::string(d.mode == Mode::Audit ? "audit" : "enforce"));
	Value p = Value::object();
	p.set("name", Value::string(d.policyName));
	p.set("sha256", Value::string(d.policySha256));
	p.set("version", Value::string(d.policyVersion));
	o.set("policy", std::move(p));
	Value findings = Value::array();
	findings.items().reserve(d.findings.size());
	for (const auto &f : d.findings) {
		/* six members, each named once: built at its size */
		Value x = Value::object();
		auto &m = x.members();
		m.reserve(6);
		m.emplace_back("rule", Value::string(f.rule));
		m.emplace_back("pointer", Value::string(f.pointer));
		m.emplace_back("message", Value::string(f.message));
		m.emplace_back("action", Value::string(actionName(f.action)));
		m.emplace_back("wouldBe", Value::string(actionName(f.wouldBe)));
		m.emplace_back("remedy", strOrNull(f.remedy));
		findings.push(std::move(x));
	}
	o.set("findings", std::move(findings));
	Value ex = Value::array();
	for (const auto &e : d.exemptions) {
		Value x = Value::object();
		x.set("name", Value::string(e.name));
		x.set("reason", Value::string(e.reason));
		x.set("expires", strOrNull(e.expires));
		x.set("rules", names(e.rules));
		ex.push(std::move(x));
	}
	o.set("exemptions", std::move(ex));
	Value ov = Value::array();
	for (const auto &e : d.overrides) {
		Value x = Value::object();
		x.set("name", Value::string(e.name));
		x.set("reason", strOrNull(e.reason));
		x.set("expires", strOrNull(e.expires));
		x.set("rules", names(e.rules));
		ov.push(std::move(x));
	}
	o.set("overrides", std::move(ov));
	Value expired = Value::array();
	for (const auto &e : d.expired) {
		Value x = Value::object();
		x.set("kind", Value::string(e.kind));
		x.set("name", Value::string(e.name));
		x.set("expires", Value::string(e.expires));
		x.set("rules", names(e.rules));
		expired.push(std::move(x));
	}
	o.set("expired", std::move(expired));
	o.set("facts", factsJson(d.facts));
	o.set("patch", d.patch.isNull() ? Value::array() : d.patch);
	return o;
}

} // namespace bulkhead::policy
