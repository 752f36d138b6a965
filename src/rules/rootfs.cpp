#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> rootfsRules()
{
	return {};
}

} // namespace bulkhead::policy
