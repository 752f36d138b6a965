/* Fuzz target: an exec process (runc exec --process) and update resources
 * (runc update -r), each input read as both, judged by the shipped restricted
 * policy; what is let through keeps the guarantees and is a fixed point
 * (harden_check.h). */
#include "harden_check.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	bulkhead::test::hardenAndCheck(text, bulkhead::policy::Scope::Process);
	bulkhead::test::hardenAndCheck(text, bulkhead::policy::Scope::Resources);
	return 0;
}
