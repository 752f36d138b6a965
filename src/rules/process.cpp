#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> processRules()
{
	return {};
}

} // namespace bulkhead::policy
