#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> privilegedRules()
{
	return {};
}

} // namespace bulkhead::policy
