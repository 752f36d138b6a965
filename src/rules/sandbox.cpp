#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> sandboxRules()
{
	return {};
}

} // namespace bulkhead::policy
