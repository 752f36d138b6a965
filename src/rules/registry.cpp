#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> privilegedRules();
std::vector<RuleDef> userRules();
std::vector<RuleDef> rootfsRules();
std::vector<RuleDef> capsRules();
std::vector<RuleDef> processRules();
std::vector<RuleDef> resourcesRules();
std::vector<RuleDef> cgroupsRules();
std::vector<RuleDef> seccompRules();
std::vector<RuleDef> sysctlRules();
std::vector<RuleDef> pathsRules();
std::vector<RuleDef> usernsRules();
std::vector<RuleDef> namespacesRules();
std::vector<RuleDef> mountsRules();
std::vector<RuleDef> mountOptionsRules();
std::vector<RuleDef> devicesRules();
std::vector<RuleDef> hooksRules();
std::vector<RuleDef> annotationsRules();
std::vector<RuleDef> sandboxRules();

const std::vector<RuleDef> &allRules()
{
	/* Evaluation order: the privileged shape is judged on the spec as the
	 * engine wrote it, before any other rule changes it; the user namespace
	 * after the mounts and namespaces it depends on. */
	static const std::vector<RuleDef> rules = [] {
		std::vector<RuleDef> all;
		for (auto family : {
		             &privilegedRules,
		             &userRules,
		             &rootfsRules,
		             &capsRules,
		             &processRules,
		             &resourcesRules,
		             &cgroupsRules,
		             &seccompRules,
		             &sysctlRules,
		             &pathsRules,
		             &namespacesRules,
		             &mountsRules,
		             &mountOptionsRules,
		             &devicesRules,
		             &hooksRules,
		             &annotationsRules,
		             &sandboxRules,
		             &usernsRules,
		     }) {
			auto part = family();
			all.insert(all.end(), std::make_move_iterator(part.begin()),
			           std::make_move_iterator(part.end()));
		}
		return all;
	}();
	return rules;
}

const RuleDef *findRule(std::string_view name) noexcept
{
	for (const auto &r : allRules())
		if (name == r.name)
			return &r;
	return nullptr;
}

} // namespace bulkhead::policy
