#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> mountsRules()
{
	return {};
}

} // namespace bulkhead::policy
