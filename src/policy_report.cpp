/* Reports on a policy itself: the review behind `policy validate`, the merged
 * and effective forms behind `policy show`, and `policy diff`. */
#include "bulkhead/policy_report.h"

#include "policy_compiled.h"

#include <ctime>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

constexpr int kSoonDays = 30;

/* Days from A to B, both valid "YYYY-MM-DD". */
long daysBetween(const std::string &a, const std::string &b)
{
	auto epochDay = [](const std::string &d) {
		std::tm tm{};
		tm.tm_year = std::stoi(d.substr(0, 4)) - 1900;
		tm.tm_mon = std::stoi(d.substr(5, 2)) - 1;
		tm.tm_mday = std::stoi(d.substr(8, 2));
		return static_cast<long>(::timegm(&tm) / 86400);
	};
	return epochDay(b) - epochDay(a);
}

std::string compact(const json::Value &v)
{
	std::string s = json::write(v, false);
	return s.size() > 200 ? s.substr(0, 197) + "..." : s;
}

/* How much of a rule is enforced: off < audit < mutate, deny. */
int strength(Action a)
{
	switch (a) {
	case Action::Off:
		return 0;
	case Action::Audit:
		return 1;
	case Action::Mutate:
	case Action::Deny:
		return 2;
	}
	return 0;
}

const CompiledPolicy::Rule *setting(const Policy &p, size_t i)
{
	const auto &rules = p.compiled().rules;
	return i < rules.size() && rules[i] ? &*rules[i] : nullptr;
}

Action actionOf(const CompiledPolicy::Rule *r)
{
	return r != nullptr ? r->action : Action::Off;
}

std::string describeAction(const CompiledPolicy::Rule *r)
{
	if (r == nullptr)
		return "off (not in the policy)";
	std::string s = actionName(r->action);
	if (!r->reason.empty())
		s += " (reason: " + r->reason + ")";
	return s;
}

/* A parameter that differs between two settings of a rule. */
struct Change
{
	std::string text; /* "NAME: A -> B" ("(default)" for a side that leaves it out) */
	int widens;       /* +1 lets more through, -1 less, 0 cannot tell */
};

/* Whether B holds more (+1), less (-1), the same or a mix (0) than A: numbers
 * by value, arrays as sets of their items. */
int compareSize(const json::Value &a, const json::Value &b)
{
	if (a.isNumber() && b.isNumber()) {
		auto x = a.asInt64(), y = b.asInt64();
		if (!x || !y || *x == *y)
			return 0;
		return *y > *x ? 1 : -1;
	}
	if (a.isArray() && b.isArray()) {
		auto has = [](const json::Value &list, const json::Value &item) {
			for (const auto &v : list.items())
				if (v == item)
					return true;
			return false;
		};
		bool bHasExtra = false, aHasExtra = false;
		for (const auto &v : b.items())
			bHasExtra = bHasExtra || !has(a, v);
		for (const auto &v : a.items())
			aHasExtra = aHasExtra || !has(b, v);
		if (bHasExtra && aHasExtra)
			return 0;
		return bHasExtra ? 1 : aHasExtra ? -1 : 0;
	}
	return 0;
}

/* The parameters that differ between two settings A and B of one rule. A
 * JsonFile parameter is compared by the document it names (params holds it),
 * not by its path: two copies of one profile in different directories are the
 * same setting. */
std::vector<Change> paramChanges(const RuleDef &def, const CompiledPolicy::Rule &ra,
                                 const CompiledPolicy::Rule &rb)
{
	const json::Value &a = ra.written, &b = rb.written;
	auto paramOf = [&](const std::string &name) -> const ParamDef * {
		for (const auto &p : def.params)
			if (name == p.name)
				return &p;
		return nullptr;
	};
	auto shown = [](const json::Value *v) {
		return v == nullptr ? std::string("(default)") : compact(*v);
	};
	/* +1 when B lets more through than A, -1 less, 0 cannot tell */
	auto direction = [](const ParamDef *p, const json::Value *x, const json::Value *y) {
		if (p == nullptr || p->widens == Widens::Unknown || x == nullptr || y == nullptr)
			return 0;
		const int size = compareSize(*x, *y);
		return p->widens == Widens::More ? size : -size;
	};
	std::vector<Change> out;
	for (const auto &[k, v] : b.members()) {
		const json::Value *was = a.find(k);
		const ParamDef *p = paramOf(k);
		const bool file = p != nullptr && p->kind == ParamKind::JsonFile;
		if (was != nullptr && *was == v)
			continue;
		if (was != nullptr && file) {
			const json::Value *x = ra.params.find(k), *y = rb.params.find(k);
			if (x != nullptr && y != nullptr && *x == *y)
				continue;
		}
		out.push_back({k + ": " + shown(was) + " -> " + shown(&v) +
		                       (was != nullptr && file ? " (the documents differ)" : ""),
		               direction(p, was, &v)});
	}
	for (const auto &[k, v] : a.members())
		if (b.find(k) == nullptr)
			out.push_back({k + ": " + compact(v) + " -> (default)", 0});
	return out;
}

std::string expiry(const std::string &expires)
{
	return expires.empty() ? std::string(", no expiry date") : ", until " + expires;
}

json::Value ruleObject(const CompiledPolicy::Rule &r)
{
	json::Value o = json::Value::object();
	o.set("action", json::Value::string(actionName(r.action)));
	if (!r.reason.empty())
		o.set("reason", json::Value::string(r.reason));
	for (const auto &[k, v] : r.written.members())
		o.set(k, v);
	return o;
}

json::Value matchOf(const CompiledPolicy::Match &m)
{
	return m.written.isNull() ? json::Value::object() : m.written;
}

} // namespace

std::vector<Notice> review(const Policy &p, const Policy *reference, const std::string &today)
{
	std::vector<Notice> out;
	auto warn = [&](std::string s) { out.push_back({Notice::Level::Warning, std::move(s)}); };
	const CompiledPolicy &c = p.compiled();
	if (p.mode() == Mode::Audit)
		warn("mode audit: no rule is enforced, decisions are only recorded");
	if (reference == nullptr)
		out.push_back({Notice::Level::Note,
		               "restricted.json was not found to compare with: only rules that are "
		               "off are reported"});
	const auto &all = allRules();
	for (size_t i = 0; i < all.size(); i++) {
		const CompiledPolicy::Rule *r = setting(p, i);
		const CompiledPolicy::Rule *ref = reference ? setting(*reference, i) : nullptr;
		const std::string name = all[i].name;
		if (r == nullptr) {
			warn("rule " + name +
			     " is not in the policy, so it is off (\"extends\": \"restricted\" "
			     "keeps "
			     "restricted's setting for every rule a policy leaves out)");
			continue;
		}
		if (r->action == Action::Off) {
			warn("rule " + name + " is off: " + r->reason);
			continue;
		}
		if (ref == nullptr)
			continue;
		if (strength(r->action) < strength(ref->action))
			warn("rule " + name + " only records (audit) where restricted " +
			     actionName(ref->action) + "s");
		for (const auto &change : paramChanges(all[i], *ref, *r))
			if (change.widens >= 0)
				warn("rule " + name + ": " + change.text +
				     (change.widens > 0 ? " (restricted's -> this policy's: lets "
				                          "more through)"
				                        : " (restricted's -> this policy's)"));
	}
	auto dated = [&](const std::string &what, const std::string &expires) {
		if (expires.empty())
			return;
		const long days = daysBetween(today, expires);
		if (days < 0)
			out.push_back({Notice::Level::Error,
			               what + " expired on " + expires +
			                       ": it no longer applies; remove it or renew it"});
		else if (days <= kSoonDays)
			warn(what + strprintf(" expires on %s, in %ld day%s", expires.c_str(), days,
			                      days == 1 ? "" : "s"));
	};
	for (const auto &e : c.exemptions) {
		std::string rules;
		for (const auto &r : e.rules)
			rules += (rules.empty() ? "" : ", ") + r;
		warn("exemption " + e.name + " turns off " + rules + " where " +
		     compact(matchOf(e.match)) + ": " + e.reason + expiry(e.expires));
		dated("exemption " + e.name, e.expires);
	}
	for (const auto &o : c.overrides) {
		for (const auto &[def, params] : o.rules)
			warn("override " + o.name + " sets " + def->name + " " + compact(params) +
			     " where " + compact(matchOf(o.match)) +
			     (o.reason.empty() ? std::string() : ": " + o.reason) +
			     expiry(o.expires));
		dated("override " + o.name, o.expires);
	}
	return out;
}

json::Value flatten(const Policy &p)
{
	const CompiledPolicy &c = p.compiled();
	json::Value doc = json::Value::object();
	doc.set("name", json::Value::string(p.name()));
	doc.set("version", json::Value::string(p.version()));
	if (!c.description.empty())
		doc.set("description", json::Value::string(c.description));
	doc.set("mode", json::Value::string(p.mode() == Mode::Audit ? "audit" : "enforce"));
	json::Value rules = json::Value::object();
	for (const auto &r : c.rules)
		if (r)
			rules.set(r->def->name, ruleObject(*r));
	doc.set("rules", std::move(rules));
	if (!c.exemptions.empty()) {
		json::Value ex = json::Value::array();
		for (const auto &e : c.exemptions) {
			json::Value o = json::Value::object();
			o.set("name", json::Value::string(e.name));
			o.set("reason", json::Value::string(e.reason));
			if (!e.expires.empty())
				o.set("expires", json::Value::string(e.expires));
			o.set("match", matchOf(e.match));
			json::Value names = json::Value::array();
			for (const auto &r : e.rules)
				names.push(json::Value::string(r));
			o.set("rules", std::move(names));
			ex.push(std::move(o));
		}
		doc.set("exemptions", std::move(ex));
	}
	if (!c.overrides.empty()) {
		json::Value ov = json::Value::array();
		for (const auto &e : c.overrides) {
			json::Value o = json::Value::object();
			o.set("name", json::Value::string(e.name));
			if (!e.reason.empty())
				o.set("reason", json::Value::string(e.reason));
			if (!e.expires.empty())
				o.set("expires", json::Value::string(e.expires));
			o.set("match", matchOf(e.match));
			json::Value rules2 = json::Value::object();
			for (const auto &[def, params] : e.written)
				rules2.set(def->name, params);
			o.set("rules", std::move(rules2));
			ov.push(std::move(o));
		}
		doc.set("overrides", std::move(ov));
	}
	return doc;
}

json::Value effective(const Policy &p)
{
	const CompiledPolicy &c = p.compiled();
	json::Value doc = json::Value::object();
	doc.set("name", json::Value::string(p.name()));
	doc.set("version", json::Value::string(p.version()));
	doc.set("sha256", json::Value::string(p.sha256()));
	json::Value files = json::Value::array();
	for (const auto &f : c.files)
		files.push(json::Value::string(f));
	doc.set("files", std::move(files));
	doc.set("mode", json::Value::string(p.mode() == Mode::Audit ? "audit" : "enforce"));
	json::Value rules = json::Value::object();
	const auto &all = allRules();
	for (size_t i = 0; i < all.size(); i++) {
		const CompiledPolicy::Rule *r = setting(p, i);
		json::Value o;
		if (r == nullptr) {
			o = json::Value::object();
			o.set("action", json::Value::string("off"));
			o.set("from", json::Value());
		} else {
			o = ruleObject(*r);
			o.set("from", json::Value::string(r->source));
		}
		o.set("summary", json::Value::string(all[i].summary));
		rules.set(all[i].name, std::move(o));
	}
	doc.set("rules", std::move(rules));
	json::Value flat = flatten(p);
	for (const char *k : {"exemptions", "overrides"})
		doc.set(k, flat.find(k) ? *flat.find(k) : json::Value::array());
	return doc;
}

std::vector<std::string> weakenings(const Policy &a, const Policy &b,
                                    std::vector<std::string> &different)
{
	std::vector<std::string> out;
	if (b.mode() == Mode::Audit && a.mode() != Mode::Audit)
		out.push_back("mode: B is in audit mode: it enforces no rule, A does");
	else if (a.mode() == Mode::Audit && b.mode() != Mode::Audit)
		different.push_back("mode: B enforces, A only records");
	const auto &all = allRules();
	for (size_t i = 0; i < all.size(); i++) {
		const CompiledPolicy::Rule *ra = setting(a, i);
		const CompiledPolicy::Rule *rb = setting(b, i);
		const std::string head = std::string(all[i].name) + " (" + all[i].summary + "): ";
		const int sa = strength(actionOf(ra)), sb = strength(actionOf(rb));
		if (sb < sa) {
			out.push_back(head + "A " + describeAction(ra) + ", B " +
			              describeAction(rb) + ": B lets through what this rule " +
			              (sa == 2 ? "refuses or fixes" : "records"));
			continue;
		}
		if (sb > sa) {
			different.push_back(head + "A " + describeAction(ra) + ", B " +
			                    describeAction(rb));
			continue;
		}
		if (ra == nullptr || rb == nullptr || sa == 0)
			continue;
		if (ra->action != rb->action)
			different.push_back(head + "A " + actionName(ra->action) + "s, B " +
			                    actionName(rb->action) + "s");
		for (const auto &change : paramChanges(all[i], *ra, *rb)) {
			if (change.widens < 0)
				different.push_back(head + "B narrows " + change.text +
				                    " (A's -> B's)");
			else if (change.widens > 0)
				out.push_back(head + "B widens " + change.text + " (A's -> B's)");
			else
				out.push_back(head + "B changes " + change.text +
				              " (A's -> B's; review which way this goes)");
		}
	}
	auto named = [](const auto &list, const std::string &name) {
		for (const auto &x : list)
			if (x.name == name)
				return true;
		return false;
	};
	for (const auto &e : b.compiled().exemptions) {
		if (named(a.compiled().exemptions, e.name))
			continue;
		std::string rules;
		for (const auto &r : e.rules)
			rules += (rules.empty() ? "" : ", ") + r;
		out.push_back("exemption " + e.name + ": B turns off " + rules + " where " +
		              compact(matchOf(e.match)) + " (" + e.reason + expiry(e.expires) +
		              ")");
	}
	for (const auto &o : b.compiled().overrides) {
		if (named(a.compiled().overrides, o.name))
			continue;
		for (const auto &[def, params] : o.rules)
			out.push_back("override " + o.name + ": B sets " + def->name + " " +
			              compact(params) + " where " + compact(matchOf(o.match)) +
			              (o.reason.empty() ? std::string() : " (" + o.reason + ")") +
			              expiry(o.expires));
	}
	return out;
}

} // namespace bulkhead::policy
