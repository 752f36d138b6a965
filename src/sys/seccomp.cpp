#include "bulkhead/seccomp.h"

#include <string>

#include <seccomp.h>

namespace bulkhead::seccomp {

namespace {

struct ArchName
{
	const char *oci;
	uint32_t token;
};

/* The architectures of runtime-spec, as libseccomp 2.5 knows them. */
constexpr ArchName kArches[] = {
        {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
        {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
        {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
        {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
        {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},
        {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
        {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
        {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
        {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

bool plainName(std::string_view name) noexcept
{
	return !name.empty() && name.find('\0') == std::string_view::npos;
}

} // namespace

bool isKnown(std::string_view name)
{
	if (!plainName(name))
		return false;
	std::string s(name);
	return seccomp_syscall_resolve_name(s.c_str()) != __NR_SCMP_ERROR;
}

std::optional<Arch> archFromOci(std::string_view name) noexcept
{
	for (const auto &a : kArches)
		if (name == a.oci)
			return Arch{a.token, a.oci};
	return std::nullopt;
}

Arch nativeArch() noexcept
{
	const uint32_t token = seccomp_arch_native();
	for (const auto &a : kArches)
		if (a.token == token)
			return Arch{a.token, a.oci};
	return Arch{token, "SCMP_ARCH_NATIVE"};
}

std::optional<int> resolve(const Arch &arch, std::string_view name)
{
	/* Syscall names are short: a longer one is no syscall (and saves a copy
	 * on the path that resolves every name of a profile). */
	char buf[64];
	if (!plainName(name) || name.size() >= sizeof buf)
		return std::nullopt;
	name.copy(buf, name.size());
	buf[name.size()] = '\0';
	/* libseccomp finds a name by a perfect hash (about 35 ns here): no memo of
	 * ours is faster, and one cost a create 1,775 allocations (100 KB of heap)
	 * for the one profile it judges. Negative: a pseudo-number (no such
	 * syscall on this architecture) or __NR_SCMP_ERROR (no such name). */
	const int nr = seccomp_syscall_resolve_name_arch(arch.token, buf);
	return nr >= 0 ? std::optional<int>(nr) : std::nullopt;
}

unsigned cloneFlagsIndex(const Arch &arch) noexcept
{
	return arch.token == SCMP_ARCH_S390 || arch.token == SCMP_ARCH_S390X ? 1 : 0;
}

} // namespace bulkhead::seccomp
