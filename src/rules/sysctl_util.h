#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/json.h"

/* net.ipv4.ping_group_range in a user namespace. runc writes sysctls from
 * inside the container's user namespace, and the kernel refuses (EINVAL) a
 * range whose ends are not groups mapped there: Docker's default
 * "0 2147483647" stops every container that gets a 65536-ID namespace. The
 * range is clamped to the mapped groups; where no mapped group is in it, the
 * sysctl is dropped (a new network namespace lets no group ping, "1 0").
 * Shared by sysctl.safe (a namespace already in the spec) and P5.userns (the
 * one it adds), so the fix holds whichever rule runs first. */
namespace bulkhead::policy::sysctl {

struct IdMapping
{
	uint64_t containerId;
	uint64_t hostId;
	uint64_t size;
};

struct PingFit
{
	enum class Kind { Keep, Set, Drop, Unreadable } kind = Kind::Keep;
	std::string value; /* Set: the clamped range */
};

/* What a ping_group_range value becomes with these gid mappings. */
PingFit fitPingGroupRange(std::string_view value, const std::vector<IdMapping> &gids);

/* The keys of linux.sysctl that name net.ipv4.ping_group_range (runc also
 * takes "net/ipv4/ping_group_range"). */
std::vector<std::string> pingGroupRangeKeys(const json::Value &doc);

/* What applyPingGroupRange would do ("net.ipv4.ping_group_range clamped to
 * \"0 65535\"", "... removed"), or "" when nothing would change. */
std::string pingGroupRangeChange(const json::Value &doc, const std::vector<IdMapping> &gids);
/* Clamp or drop every ping_group_range of the spec for these mappings. */
void applyPingGroupRange(json::Value &doc, const std::vector<IdMapping> &gids);

} // namespace bulkhead::policy::sysctl
