/* Rule name -> benchmark ids. Sections of the CIS Docker Benchmark 1.2.0
 * (section 5, Container Runtime; the numbering docker-bench-security checks);
 * controls of the Kubernetes Pod Security Standards (baseline and restricted
 * profiles). A rule that enforces more than the control is still mapped to the
 * control it serves. */
#include "bulkhead/compliance.h"

#include <array>

namespace bulkhead::compliance {

namespace {

struct Row
{
	std::string_view rule;
	Ids ids;
	std::string_view line;
};

constexpr const char *kHigh = "high";
constexpr const char *kMedium = "medium";
constexpr const char *kLow = "low";

// clang-format off
constexpr std::array kTable = {
	Row{"P0.privileged", {"5.4", "Ensure that privileged containers are not used",
	        "baseline/privileged", "Privileged Containers", kHigh},
	    "CIS-Docker 5.4, PSS baseline/privileged"},
	Row{"P1.user", {"4.1", "Ensure that a user for the container has been created",
	        "restricted/running-as-non-root", "Running as Non-root", kMedium},
	    "CIS-Docker 4.1, PSS restricted/running-as-non-root"},
	Row{"P2.readonly-rootfs", {"5.12", "Ensure that the container's root filesystem is mounted as read only",
	        nullptr, nullptr, kLow},
	    "CIS-Docker 5.12"},
	Row{"P3.capabilities", {"5.3", "Ensure that Linux kernel capabilities are restricted within containers",
	        "restricted/capabilities", "Capabilities", kHigh},
	    "CIS-Docker 5.3, PSS restricted/capabilities"},
	Row{"P4.no-new-privileges", {"5.25", "Ensure that the container is restricted from acquiring additional privileges",
	        "restricted/privilege-escalation", "Privilege Escalation", kMedium},
	    "CIS-Docker 5.25, PSS restricted/privilege-escalation"},
	Row{"P5.userns", {"5.30", "Ensure that the host's user namespaces are not shared",
	        nullptr, nullptr, kMedium},
	    "CIS-Docker 5.30"},
	Row{"P6.memory", {"5.10", "Ensure that the memory usage for containers is limited",
	        nullptr, nullptr, kLow},
	    "CIS-Docker 5.10"},
	Row{"P6.pids", {"5.28", "Ensure that the PIDs cgroup limit is used",
	        nullptr, nullptr, kLow},
	    "CIS-Docker 5.28"},
	Row{"P7.seccomp", {"5.21", "Ensure the default seccomp profile is not disabled",
	        "baseline/seccomp", "Seccomp", kHigh},
	    "CIS-Docker 5.21, PSS baseline/seccomp"},
	Row{"P8.namespaces", {"5.9", "Ensure that the host's network namespace is not shared (also 5.15 PID, 5.16 IPC, 5.20 UTS)",
	        "baseline/host-namespaces", "Host Namespaces", kHigh},
	    "CIS-Docker 5.9/5.15/5.16/5.20, PSS baseline/host-namespaces"},
	Row{"P9.masked-paths", {nullptr, nullptr,
	        "baseline/proc-mount-type", "/proc Mount Type", kMedium},
	    "PSS baseline/proc-mount-type"},
	Row{"P9.readonly-paths", {nullptr, nullptr,
	        "baseline/proc-mount-type", "/proc Mount Type", kMedium},
	    "PSS baseline/proc-mount-type"},
	Row{"P10.engine-socket", {"5.31", "Ensure that the Docker socket is not mounted inside any containers",
	        "baseline/host-path-volumes", "HostPath Volumes", kHigh},
	    "CIS-Docker 5.31, PSS baseline/host-path-volumes"},
	Row{"P10.sensitive-mount", {"5.5", "Ensure sensitive host system directories are not mounted on containers",
	        "baseline/host-path-volumes", "HostPath Volumes", kHigh},
	    "CIS-Docker 5.5, PSS baseline/host-path-volumes"},
	Row{"P10.propagation", {"5.19", "Ensure mount propagation mode is not set to shared",
	        nullptr, nullptr, kHigh},
	    "CIS-Docker 5.19"},
	Row{"P10.bind-options", {"5.5", "Ensure sensitive host system directories are not mounted on containers",
	        "restricted/volume-types", "Volume Types", kMedium},
	    "CIS-Docker 5.5, PSS restricted/volume-types"},
	Row{"P10.proc-sys-mounts", {"5.5", "Ensure sensitive host system directories are not mounted on containers",
	        "baseline/proc-mount-type", "/proc Mount Type", kHigh},
	    "CIS-Docker 5.5, PSS baseline/proc-mount-type"},
	Row{"P11.devices", {"5.17", "Ensure that host devices are not directly exposed to containers",
	        "baseline/privileged", "Privileged Containers", kHigh},
	    "CIS-Docker 5.17, PSS baseline/privileged"},
	Row{"P12.hooks", {nullptr, nullptr, nullptr, nullptr, kHigh}, ""},
	Row{"process.apparmor", {"5.1", "Ensure that, if applicable, an AppArmor profile is enabled",
	        "baseline/apparmor", "AppArmor", kMedium},
	    "CIS-Docker 5.1, PSS baseline/apparmor"},
	Row{"process.selinux", {"5.2", "Ensure that, if applicable, SELinux security options are set",
	        "baseline/selinux", "SELinux", kMedium},
	    "CIS-Docker 5.2, PSS baseline/selinux"},
	Row{"process.rlimits", {"5.18", "Ensure that the default ulimit is overwritten at runtime if needed",
	        nullptr, nullptr, kLow},
	    "CIS-Docker 5.18"},
	Row{"sysctl.safe", {nullptr, nullptr, "baseline/sysctls", "Sysctls", kMedium},
	    "PSS baseline/sysctls"},
};
// clang-format on

constexpr Ids kNone{nullptr, nullptr, nullptr, nullptr, kMedium};

} // namespace

const Ids &lookup(std::string_view rule) noexcept
{
	for (const auto &row : kTable)
		if (row.rule == rule)
			return row.ids;
	return kNone;
}

std::string_view describe(std::string_view rule) noexcept
{
	for (const auto &row : kTable)
		if (row.rule == rule)
			return row.line;
	return {};
}

} // namespace bulkhead::compliance
