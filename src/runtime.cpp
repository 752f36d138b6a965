/* placeholder until the runtime path lands: refuses (fail closed) */
#include "bulkhead/runtime.h"

#include "bulkhead/error.h"

namespace bulkhead::runtime {

std::vector<std::string> prepare(const cli::Invocation &, const Config &)
{
	throw Error(ErrorKind::Internal, "the runtime path is not built yet");
}

} // namespace bulkhead::runtime
