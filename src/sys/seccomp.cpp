#include "bulkhead/seccomp.h"

#include <string>

#include <seccomp.h>

namespace bulkhead::seccomp {

bool isKnown(std::string_view name)
{
	if (name.empty() || name.find('\0') != std::string_view::npos)
		return false;
	std::string s(name);
	return seccomp_syscall_resolve_name(s.c_str()) != __NR_SCMP_ERROR;
}

} // namespace bulkhead::seccomp
