#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> namespacesRules()
{
	return {};
}

} // namespace bulkhead::policy
