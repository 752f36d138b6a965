#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> usernsRules()
{
	return {};
}

} // namespace bulkhead::policy
