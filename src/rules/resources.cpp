#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> resourcesRules()
{
	return {};
}

} // namespace bulkhead::policy
