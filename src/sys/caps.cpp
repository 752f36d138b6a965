#include "bulkhead/caps.h"

#include <array>
#include <string>

namespace bulkhead::caps {

namespace {

/* The capabilities by number, as the kernel's uapi header numbers them (0
 * CAP_CHOWN to 40 CAP_CHECKPOINT_RESTORE, Linux 5.9), the names runc's specs
 * use. A table, not libcap: linked in, libcap's constructor probed the
 * bounding set with six prctl calls on every call, pass-through included, and
 * building its names cost a create about 13 us. tests/unit/test_caps.cpp
 * checks every entry against libcap's cap_to_name. */
constexpr std::array<std::string_view, 41> kNames = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

} // namespace

int lastCap() noexcept
{
	return static_cast<int>(kNames.size()) - 1;
}

std::string toName(int cap)
{
	if (cap < 0 || static_cast<size_t>(cap) >= kNames.size())
		return {};
	return std::string(kNames[static_cast<size_t>(cap)]);
}

std::optional<int> fromName(std::string_view name)
{
	/* exactly a listed name: "cap_sys_admin", "SYS_ADMIN" and "21" are not */
	for (size_t c = 0; c < kNames.size(); ++c)
		if (kNames[c] == name)
			return static_cast<int>(c);
	return std::nullopt;
}

} // namespace bulkhead::caps
