/* placeholder until the offline verbs land */
#include "bulkhead/offline.h"

#include "bulkhead/error.h"

namespace bulkhead::offline {

int policyMain(const std::vector<std::string> &)
{
	throw Error(ErrorKind::Internal, "the policy verbs are not built yet");
}

} // namespace bulkhead::offline
