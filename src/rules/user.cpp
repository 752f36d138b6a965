#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> userRules()
{
	return {};
}

} // namespace bulkhead::policy
