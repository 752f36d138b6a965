/* `bulkhead audit --format json`: every aggregate, for machines. */
#include "util.h"

#include "bulkhead/compliance.h"

namespace bulkhead::report {

namespace {

using json::Value;
using namespace detail;

Value num(uint64_t v)
{
	return Value::number(v);
}

Value s(std::string v)
{
	return Value::string(std::move(v));
}

Value counts(const Counts &c)
{
	Value o = Value::object();
	o.set("total", num(c.total()));
	o.set("allow", num(c.allow));
	o.set("mutate", num(c.mutate));
	o.set("deny", num(c.deny));
	o.set("error", num(c.error));
	o.set("auditWouldDeny", num(c.wouldDeny));
	return o;
}

Value table(const std::map<std::string, Counts> &m)
{
	Value a = Value::array();
	for (const auto *e : rankedCounts(m)) {
		Value o = counts(e->second);
		o.members().insert(o.members().begin(), {"name", s(e->first)});
		a.push(std::move(o));
	}
	return a;
}

Value strings(const std::vector<std::string> &v)
{
	Value a = Value::array();
	for (const auto &x : v)
		a.push(s(x));
	return a;
}

Value use(const Use &u, const Options &o)
{
	Value x = Value::object();
	x.set("kind", s(u.kind));
	x.set("name", s(u.name));
	x.set("reason", s(u.reason));
	x.set("expires", u.expires ? s(*u.expires) : Value());
	x.set("rules", strings(u.rules));
	x.set("count", num(u.count));
	x.set("last", s(formatTime(u.lastMs)));
	int64_t left = 0;
	if (expiringSoon(u, o, &left))
		x.set("daysLeft", Value::number(left));
	return x;
}

Value subject(const Subject &w)
{
	Value o = Value::object();
	o.set("engine", s(w.engine));
	o.set("namespace", s(w.k8sNamespace));
	o.set("pod", s(w.k8sPod));
	o.set("container", s(w.k8sContainer));
	o.set("image", s(w.image));
	return o;
}

} // namespace

void writeJson(const Aggregate &a, const Options &o, Output &out)
{
	Value doc = Value::object();
	Value win = Value::object();
	win.set("since", o.sinceMs ? s(formatTime(*o.sinceMs)) : Value());
	win.set("until", o.untilMs ? s(formatTime(*o.untilMs)) : Value());
	win.set("first", a.records ? s(formatTime(a.firstMs)) : Value());
	win.set("last", a.records ? s(formatTime(a.lastMs)) : Value());
	doc.set("window", std::move(win));
	doc.set("files", strings(a.files));
	doc.set("records", num(a.records));
	doc.set("outside", num(a.outside));
	doc.set("badLines", num(a.badLines));
	Value bad = Value::array();
	for (const auto &b : a.bad) {
		Value x = Value::object();
		x.set("file", s(b.file));
		x.set("line", num(b.line));
		x.set("why", s(b.why));
		bad.push(std::move(x));
	}
	doc.set("bad", std::move(bad));
	doc.set("verdicts", counts(a.verdicts));
	doc.set("policies", table(a.policies));
	doc.set("commands", table(a.commands));

	int64_t width = 0;
	Value series = Value::array();
	for (const auto &b : buckets(a, &width)) {
		Value x = counts(b.counts);
		x.members().insert(x.members().begin(), {"start", s(formatTime(b.startMs))});
		series.push(std::move(x));
	}
	Value time = Value::object();
	time.set("bucket", s(bucketName(width)));
	time.set("buckets", std::move(series));
	doc.set("overTime", std::move(time));

	Value rules = Value::array();
	for (const auto *r : ranked(a.rules, [](const RuleCounts &c) { return c.total(); })) {
		const compliance::Ids &ids = compliance::lookup(r->first);
		Value x = Value::object();
		x.set("rule", s(r->first));
		x.set("deny", num(r->second.deny));
		x.set("mutate", num(r->second.mutate));
		x.set("audit", num(r->second.audit));
		x.set("cis", ids.cis ? s(ids.cis) : Value());
		x.set("pss", ids.pss ? s(ids.pss) : Value());
		rules.push(std::move(x));
	}
	doc.set("rules", std::move(rules));
	doc.set("engines", table(a.engines));
	doc.set("namespaces", table(a.namespaces));
	doc.set("pods", table(a.pods));
	doc.set("images", table(a.images));
	doc.set("containers", table(a.containers));

	Value groups = Value::array();
	for (const auto *g : groupsOf(a)) {
		Value x = Value::object();
		x.set("rule", s(g->rule));
		x.set("action", s(g->action));
		x.set("wouldBe", s(g->wouldBe));
		x.set("pointer", s(g->pointer));
		x.set("message", s(g->message));
		x.set("remedy", g->remedy.empty() ? Value() : s(g->remedy));
		x.set("count", num(g->count));
		x.set("first", s(formatTime(g->firstMs)));
		x.set("last", s(formatTime(g->lastMs)));
		x.set("example", s(g->example));
		groups.push(std::move(x));
	}
	doc.set("findings", std::move(groups));

	Value reqs = Value::array();
	for (const auto &r : a.requests) {
		Value x = Value::object();
		x.set("time", s(formatTime(r.ms)));
		x.set("verdict", s(r.verdict));
		x.set("command", s(r.command));
		x.set("containerId", s(r.containerId));
		x.set("subject", s(r.subject));
		x.set("who", subject(r.who));
		Value fs = Value::array();
		for (const auto &f : r.findings) {
			Value y = Value::object();
			y.set("rule", s(f.rule));
			y.set("action", s(f.action));
			y.set("message", s(f.message));
			y.set("remedy", f.remedy.empty() ? Value() : s(f.remedy));
			fs.push(std::move(y));
		}
		x.set("findings", std::move(fs));
		reqs.push(std::move(x));
	}
	doc.set("requests", std::move(reqs));

	Value uses = Value::array(), expired = Value::array(), soon = Value::array();
	for (const auto *u : usesOf(a.uses)) {
		uses.push(use(*u, o));
		if (expiringSoon(*u, o, nullptr))
			soon.push(use(*u, o));
	}
	for (const auto *u : usesOf(a.expired))
		expired.push(use(*u, o));
	doc.set("exemptionsAndOverrides", std::move(uses));
	doc.set("expired", std::move(expired));
	doc.set("expiringSoon", std::move(soon));
	doc.set("soonDays", Value::number(o.soonDays));
	out << json::write(doc, true);
}

} // namespace bulkhead::report
