#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> sysctlRules()
{
	return {};
}

} // namespace bulkhead::policy
