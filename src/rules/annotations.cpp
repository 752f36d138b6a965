#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> annotationsRules()
{
	return {};
}

} // namespace bulkhead::policy
