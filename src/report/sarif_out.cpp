/* `bulkhead audit --format sarif`: the findings of the log for CI systems, one
 * result per (rule, action, message) with how often it occurred. */
#include "util.h"

#include "bulkhead/sarif.h"

namespace bulkhead::report {

namespace {

policy::Action actionFrom(std::string_view s) noexcept
{
	return s == "deny"     ? policy::Action::Deny
	       : s == "mutate" ? policy::Action::Mutate
	       : s == "off"    ? policy::Action::Off
	                       : policy::Action::Audit;
}

} // namespace

void writeSarif(const Aggregate &a, const Options &o, Output &out)
{
	using json::Value;
	Value props = Value::object();
	props.set("records", Value::number(a.records));
	props.set("badLines", Value::number(a.badLines));
	props.set("first", a.records ? Value::string(formatTime(a.firstMs)) : Value());
	props.set("last", a.records ? Value::string(formatTime(a.lastMs)) : Value());
	props.set("since", o.sinceMs ? Value::string(formatTime(*o.sinceMs)) : Value());
	props.set("until", o.untilMs ? Value::string(formatTime(*o.untilMs)) : Value());
	sarif::Writer w(out, std::move(props));
	for (const auto *g : detail::groupsOf(a)) {
		policy::Finding f{g->rule,
		                  g->pointer,
		                  g->message,
		                  actionFrom(g->action),
		                  actionFrom(g->wouldBe),
		                  g->remedy};
		Value loc = Value::object();
		if (g->exampleSubject.starts_with("/")) {
			Value art = Value::object();
			art.set("uri", Value::string(sarif::fileUri(g->exampleSubject)));
			Value phys = Value::object();
			phys.set("artifactLocation", std::move(art));
			loc.set("physicalLocation", std::move(phys));
		}
		Value logical = Value::object();
		logical.set("fullyQualifiedName",
		            Value::string(g->pointer.empty() ? std::string("/") : g->pointer));
		logical.set("kind", Value::string("member"));
		Value logicals = Value::array();
		logicals.push(std::move(logical));
		loc.set("logicalLocations", std::move(logicals));
		Value locs = Value::array();
		locs.push(std::move(loc));
		Value r = sarif::result(f, std::move(locs));
		r.set("occurrenceCount", Value::number(g->count));
		if (Value *p = r.find("properties")) {
			p->set("firstSeen", Value::string(formatTime(g->firstMs)));
			p->set("lastSeen", Value::string(formatTime(g->lastMs)));
			p->set("example", Value::string(g->example));
		}
		w.add(r);
	}
	for (const auto &b : a.bad)
		w.notify("warning", b.file + ":" + std::to_string(b.line) + ": " + b.why, "");
	if (a.badLines > a.bad.size())
		w.notify("warning", std::to_string(a.badLines - a.bad.size()) + " more bad lines",
		         "");
	w.finish(true);
}

} // namespace bulkhead::report
