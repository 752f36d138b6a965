#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

/* Syscall names and architectures as libseccomp (and so runc) reads them,
 * checked once. seccomp_syscall_resolve_name() is case-sensitive and returns
 * negative pseudo-numbers for real syscalls of other architectures (socketcall
 * on x86_64): "known" means != __NR_SCMP_ERROR, not >= 0. */
namespace bulkhead::seccomp {

bool isKnown(std::string_view name);

/* One architecture of a seccomp filter: libseccomp's token and the OCI name
 * ("SCMP_ARCH_X86"). */
struct Arch
{
	uint32_t token = 0;
	std::string_view oci;
	friend bool operator==(const Arch &a, const Arch &b) noexcept { return a.token == b.token; }
};

/* An OCI linux.seccomp.architectures entry; nullopt when libseccomp has no such
 * architecture (names are case-sensitive, as in runc). */
std::optional<Arch> archFromOci(std::string_view name) noexcept;

/* The architecture libseccomp runs natively: every filter runc loads has it,
 * whatever the profile lists. */
Arch nativeArch() noexcept;

/* The number the kernel runs for NAME on ARCH; nullopt when ARCH has no such
 * syscall or libseccomp does not know the name. */
std::optional<int> resolve(const Arch &arch, std::string_view name);

/* The argument of clone(2) that holds the flags on ARCH: 1 where the kernel
 * takes clone(stack, flags, ...) (s390, s390x), 0 elsewhere. */
unsigned cloneFlagsIndex(const Arch &arch) noexcept;

} // namespace bulkhead::seccomp
