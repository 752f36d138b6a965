#pragma once

#include <string_view>

/* Syscall names, checked once. seccomp_syscall_resolve_name() is case-sensitive
 * and returns negative pseudo-numbers for real syscalls of other architectures
 * (socketcall on x86_64): "known" means != __NR_SCMP_ERROR, not >= 0. */
namespace bulkhead::seccomp {

bool isKnown(std::string_view name);

} // namespace bulkhead::seccomp
