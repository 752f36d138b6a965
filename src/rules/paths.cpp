#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> pathsRules()
{
	return {};
}

} // namespace bulkhead::policy
