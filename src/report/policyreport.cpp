/* `bulkhead audit --format policyreport`: a Kubernetes PolicyReport
 * (wgpolicyk8s.io/v1alpha2) per namespace, in a v1 List that `kubectl apply -f`
 * takes. Records without a Kubernetes namespace are left out. */
#include "util.h"

#include "bulkhead/compliance.h"

namespace bulkhead::report {

namespace {

using json::Value;

Value s(std::string v)
{
	return Value::string(std::move(v));
}

/* fail: denied; warn: recorded only (audit); pass: fixed by bulkhead, or no finding */
const char *resultOf(std::string_view action) noexcept
{
	return action == "deny" ? "fail" : action == "mutate" ? "pass" : "warn";
}

const char *severityOf(std::string_view rule) noexcept
{
	return compliance::lookup(rule).severity;
}

Value resource(const std::string &ns, const std::string &pod)
{
	Value r = Value::object();
	r.set("apiVersion", s("v1"));
	r.set("kind", s("Pod"));
	r.set("name", s(pod));
	r.set("namespace", s(ns));
	Value a = Value::array();
	a.push(std::move(r));
	return a;
}

Value timestamp(int64_t ms)
{
	Value t = Value::object();
	t.set("seconds", Value::number(ms / 1000));
	t.set("nanos", Value::number(static_cast<int64_t>(0)));
	return t;
}

/* The policy most decisions were made under: its name. */
std::string policyName(const Aggregate &a)
{
	std::string best = "bulkhead";
	uint64_t most = 0;
	for (const auto &[key, c] : a.policies)
		if (c.total() > most) {
			most = c.total();
			best = key.substr(0, key.find(' '));
		}
	return best;
}

} // namespace

void writePolicyReport(const Aggregate &a, const Options &o, Output &out)
{
	const std::string policy = policyName(a);
	Value items = Value::array();
	for (const auto &nsEntry : a.k8s) {
		/* named references, not structured bindings: the lambda below uses
		 * them, and clang 14 (the fuzz build) cannot capture a binding */
		const auto &ns = nsEntry.first;
		const auto &pods = nsEntry.second;
		uint64_t pass = 0, fail = 0, warn = 0, error = 0;
		Value results = Value::array();
		for (const auto &podEntry : pods) {
			const auto &pod = podEntry.first;
			const auto &st = podEntry.second;
			auto add = [&](std::string rule, const char *result, const char *severity,
			               std::string message, Value props) {
				Value r = Value::object();
				r.set("source", s("bulkhead"));
				r.set("policy", s(policy));
				r.set("rule", s(std::move(rule)));
				r.set("result", s(result));
				r.set("severity", s(severity));
				r.set("scored", Value::boolean(true));
				r.set("message", s(std::move(message)));
				r.set("timestamp", timestamp(st.lastMs));
				r.set("resources", resource(ns, pod));
				r.set("properties", std::move(props));
				results.push(std::move(r));
				std::string_view res = result;
				(res == "fail"    ? fail
				 : res == "warn"  ? warn
				 : res == "error" ? error
				                  : pass)++;
			};
			for (const auto &[key, count] : st.findings) {
				const auto &[rule, action] = key;
				const compliance::Ids &ids = compliance::lookup(rule);
				Value props = Value::object();
				props.set("action", s(action));
				props.set("count", s(std::to_string(count)));
				if (ids.cis)
					props.set("cis", s(std::string("CIS Docker Benchmark ") +
					                   ids.cis));
				if (ids.pss)
					props.set("pss", s(ids.pss));
				std::string msg =
				        std::to_string(count) + " " + action +
				        (action == "mutate" ? " (fixed by bulkhead)" : "") +
				        " finding" + (count == 1 ? "" : "s");
				auto r = results.items().size();
				add(rule, resultOf(action), severityOf(rule), msg,
				    std::move(props));
				if (std::string_view(compliance::describe(rule)).size())
					results.items()[r].set(
					        "category",
					        s(std::string(compliance::describe(rule))));
			}
			Value props = Value::object();
			props.set("allow", s(std::to_string(st.verdicts.allow)));
			props.set("mutate", s(std::to_string(st.verdicts.mutate)));
			props.set("deny", s(std::to_string(st.verdicts.deny)));
			props.set("error", s(std::to_string(st.verdicts.error)));
			if (st.verdicts.error)
				add("bulkhead.error", "error", "medium",
				    std::to_string(st.verdicts.error) +
				            " calls failed before a decision (see the audit log)",
				    std::move(props));
			else if (st.findings.empty())
				add("bulkhead.decisions", "pass", "info",
				    std::to_string(st.verdicts.total()) + " decisions, no finding",
				    std::move(props));
		}
		Value summary = Value::object();
		summary.set("pass", Value::number(pass));
		summary.set("fail", Value::number(fail));
		summary.set("warn", Value::number(warn));
		summary.set("error", Value::number(error));
		summary.set("skip", Value::number(static_cast<uint64_t>(0)));
		Value labels = Value::object();
		labels.set("app.kubernetes.io/managed-by", s("bulkhead"));
		Value ann = Value::object();
		ann.set("bulkhead/first", s(a.records ? formatTime(a.firstMs) : ""));
		ann.set("bulkhead/last", s(a.records ? formatTime(a.lastMs) : ""));
		ann.set("bulkhead/generated", s(formatTime(o.nowMs)));
		Value meta = Value::object();
		meta.set("name", s("bulkhead-audit"));
		meta.set("namespace", s(ns));
		meta.set("labels", std::move(labels));
		meta.set("annotations", std::move(ann));
		Value rep = Value::object();
		rep.set("apiVersion", s("wgpolicyk8s.io/v1alpha2"));
		rep.set("kind", s("PolicyReport"));
		rep.set("metadata", std::move(meta));
		rep.set("summary", std::move(summary));
		rep.set("results", std::move(results));
		items.push(std::move(rep));
	}
	Value list = Value::object();
	list.set("apiVersion", s("v1"));
	list.set("kind", s("List"));
	list.set("items", std::move(items));
	out << json::write(list, true);
}

} // namespace bulkhead::report
