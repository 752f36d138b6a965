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

} // namespace bulkhead::test
