#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> capsRules()
{
	return {};
}

} // namespace bulkhead::policy
