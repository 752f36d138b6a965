/* A policy after loading: the rules, exemptions and overrides of the file and
 * of every policy it extends, merged and checked (src/policy_load.cpp), ready
 * for evaluation (src/policy.cpp) and for the reports (src/policy_report.cpp). */
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/policy.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

struct CompiledPolicy
{
	/* Every key given must hold; each is a glob (fnmatch(3)) over one fact of
	 * the call. A fact the engine does not prove is unknown and matches no
	 * glob, not even "*". */
	struct Match
	{
		std::vector<std::pair<std::string, std::string>> keys; /* match key, glob */
		json::Value written; /* the match object as the policy wrote it */
	};
	struct Rule
	{
		const RuleDef *def = nullptr;
		Action action = Action::Off;
		json::Value
		        params; /* without "action" and "reason", JsonFile parameters substituted */
		json::Value written; /* the same as written, JsonFile paths made absolute */
		std::string reason;  /* why the rule is off or changed, "" when none */
		std::string source;  /* the file that last set it */
		/* the load ran the rule on its probe documents with exactly these
		 * params and they passed (policy_load.cpp's probe()) */
		bool probed = false;
	};
	struct Exemption
	{
		std::string name, reason, expires, source;
		Match match;
		std::vector<std::string> rules;
	};
	struct Override
	{
		std::string name, reason, expires, source;
		Match match;
		std::vector<std::pair<const RuleDef *, json::Value>> rules;
		std::vector<std::pair<const RuleDef *, json::Value>> written; /* as for Rule */
	};
	std::vector<std::optional<Rule>> rules; /* indexed like allRules() */
	std::vector<Exemption> exemptions;
	std::vector<Override> overrides;
	std::string description;
	std::vector<std::string> files; /* the policy file, then each file it extends */
};

/* A shipped policy by NAME ("restricted") for a policy file FROM: NAME.json
 * beside FROM, else in the shipped directories; never FROM itself. */
std::optional<std::string> findShipped(const std::string &name, const std::string &from);

/* Today's date in UTC, "YYYY-MM-DD". */
std::string today();
/* A valid calendar date written YYYY-MM-DD. */
bool validDate(std::string_view s);

} // namespace bulkhead::policy
