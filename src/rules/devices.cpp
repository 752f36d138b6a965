#include "bulkhead/rule.h"

namespace bulkhead::policy {

std::vector<RuleDef> devicesRules()
{
	return {};
}

} // namespace bulkhead::policy
