#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> seccompRules()
{
	return {};
}

} // namespace bulkhead::policy
