/* Points where a test build of bulkhead may stop or pause, for the tests that
 * kill or race a call at a chosen moment (tests/integration/concurrency.sh,
 * hooks_cgroups.sh). The library only calls through the pointer; only the
 * test executable (tests/meson.build, -Dtest_hooks=true, never installed)
 * sets it, so the installed binary reads nothing from the environment for
 * them. */
#pragma once

namespace bulkhead::testhooks {

using Hook = void (*)(const char *point) noexcept;
extern Hook hook;

inline void at(const char *point) noexcept
{
	if (hook != nullptr)
		hook(point);
}

} // namespace bulkhead::testhooks
