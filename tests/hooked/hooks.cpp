/* Linked with src/main.cpp into bulkhead-hooked, bulkhead with its test hooks
 * set (tests/meson.build, -Dtest_hooks=true; never installed):
 *   BULKHEAD_TEST_PAUSE_US=N   sleep N microseconds (at most 10 s) at the
 *                              point named by BULKHEAD_TEST_PAUSE_AT
 *                              (default "create-before-rename": the hardened
 *                              copy written and recorded, config.json not
 *                              yet replaced). */
#include "../../src/test_hooks.h"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace {

void pause(const char *point) noexcept
{
	const char *at = std::getenv("BULKHEAD_TEST_PAUSE_AT");
	if (std::strcmp(point, at != nullptr ? at : "create-before-rename") != 0)
		return;
	const char *us = std::getenv("BULKHEAD_TEST_PAUSE_US");
	if (us == nullptr)
		return;
	char *end = nullptr;
	const long n = std::strtol(us, &end, 10);
	if (end != us && *end == '\0' && n > 0 && n <= 10'000'000)
		::usleep(static_cast<useconds_t>(n));
}

/* set before main() runs */
[[maybe_unused]] const bool installed = (bulkhead::testhooks::hook = pause, true);

} // namespace
