#pragma once

#include "fake_host.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/rule.h"

/* Run one rule on a document, the way the policy engine does. */
namespace bulkhead::test {

struct RuleResult
{
	json::Value doc;
	std::vector<policy::Finding> findings;
};

inline RuleResult runRule(std::string_view name, const json::Value &doc,
                          const json::Value &params = json::Value::object(),
                          policy::Action action = policy::Action::Mutate,
                          policy::Scope scope = policy::Scope::Spec,
                          const HostFacts &host = typicalHost(),
                          const policy::CallContext &call = {"ctr1", "/bundles/ctr1", "create"})
{
	const policy::RuleDef *def = policy::findRule(name);
	if (!def)
		throw std::runtime_error("no rule " + std::string(name));
	RuleResult r{doc, {}};
	policy::RuleRun run(r.doc, params, action, scope, call, host, def->name, r.findings);
	def->fn(run);
	return r;
}

/* The findings on one line each way a failing check wants to show them. */
inline std::string dump(const RuleResult &r)
{
	auto action = [](policy::Action a) {
		switch (a) {
		case policy::Action::Mutate:
			return "mutate";
		case policy::Action::Deny:
			return "deny";
		case policy::Action::Audit:
			return "audit";
		case policy::Action::Off:
			break;
		}
		return "off";
	};
	std::string s;
	for (const auto &f : r.findings)
		s += f.rule + " " + f.pointer + " [" + action(f.action) + "] " + f.message + " | " +
		     f.remedy + " ;; ";
	return s;
}

/* Whether a finding's message holds NEEDLE. */
inline bool mentions(const RuleResult &r, std::string_view needle)
{
	for (const auto &f : r.findings)
		if (f.message.find(needle) != std::string::npos)
			return true;
	return false;
}

} // namespace bulkhead::test
