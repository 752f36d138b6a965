#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> hooksRules()
{
	return {};
}

} // namespace bulkhead::policy
