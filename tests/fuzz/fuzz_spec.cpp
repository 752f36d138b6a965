/* Fuzz target: a config.json read as runc reads it and judged by the shipped
 * restricted policy on a fake host; whatever is let through is checked against
 * P1-P12 by an independent checker and must be a fixed point (harden_check.h). */
#include "harden_check.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bulkhead::test::hardenAndCheck(std::string_view(reinterpret_cast<const char *>(data), size),
	                               bulkhead::policy::Scope::Spec);
	return 0;
}
