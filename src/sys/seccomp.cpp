#include "bulkhead/seccomp.h"

#include <string>
#include <unordered_map>

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
	/* libseccomp searches its table name by name; a profile names some 400
	 * syscalls for each of its architectures, and `policy check` reads
	 * thousands of profiles, so each (architecture, name) is asked once. A
	 * pure function of its arguments; bounded, as the names come from the
	 * spec. Looked up by string_view, without a copy. */
	struct Hash
	{
		using is_transparent = void;
		size_t operator()(std::string_view s) const noexcept
		{
			return std::hash<std::string_view>{}(s);
		}
	};
	using Names = std::unordered_map<std::string, int, Hash, std::equal_to<>>;
	static std::unordered_map<uint32_t, Names> known;
	Names &names = known[arch.token];
	if (auto it = names.find(name); it != names.end())
		return it->second >= 0 ? std::optional<int>(it->second) : std::nullopt;
	name.copy(buf, name.size());
	buf[name.size()] = '\0';
	/* Negative: a pseudo-number (no such syscall on this architecture) or
	 * __NR_SCMP_ERROR (no such name). */
	const int nr = seccomp_syscall_resolve_name_arch(arch.token, buf);
	if (names.size() >= 4096)
		names.clear();
	names.emplace(std::string(name), nr);
	return nr >= 0 ? std::optional<int>(nr) : std::nullopt;
}

unsigned cloneFlagsIndex(const Arch &arch) noexcept
{
	return arch.token == SCMP_ARCH_S390 || arch.token == SCMP_ARCH_S390X ? 1 : 0;
}

} // namespace bulkhead::seccomp
