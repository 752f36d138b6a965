/* What a user namespace needs of the host and of the spec, shared by the
 * checks bulkhead runs when it adds one and when an engine maps one
 * (src/rules/userns_checks.cpp) and the P5.userns rule (src/rules/userns.cpp). */
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy::userns {

using json::Pointer;
using json::Value;

struct Reason
{
	Pointer at;
	std::string why;
	std::string remedy = {}; /* "" for the engine setting that gives a user namespace */
};

inline std::string octal(mode_t m)
{
	return strprintf("%04o", static_cast<unsigned>(m & 07777));
}

/* Can host uid `root` (group `root`) search this directory? Owner bits, else
 * group bits, else other bits, as the kernel checks them for an ID without
 * capabilities over the inode. */
inline bool traversable(const FileStat &st, uint64_t root)
{
	if (st.uid == root)
		return (st.mode & S_IXUSR) != 0;
	if (st.gid == root)
		return (st.mode & S_IXGRP) != 0;
	return (st.mode & S_IXOTH) != 0;
}

/* Can host uid `uid` (primary group `gid`) write into this directory? */
inline bool writable(const FileStat &st, std::optional<uint64_t> uid, std::optional<uint64_t> gid)
{
	const mode_t wx = S_IWUSR | S_IXUSR;
	if (uid && st.uid == *uid)
		return (st.mode & wx) == wx;
	if (gid && st.gid == *gid)
		return (st.mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
	return (st.mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* Can host uid `uid` (primary group `gid`) read this file? */
inline bool readable(const FileStat &st, std::optional<uint64_t> uid, std::optional<uint64_t> gid)
{
	if (uid && st.uid == *uid)
		return (st.mode & S_IRUSR) != 0;
	if (gid && st.gid == *gid)
		return (st.mode & S_IRGRP) != 0;
	return (st.mode & S_IROTH) != 0;
}

inline bool inRange(uint64_t id, uint64_t start, uint64_t size)
{
	return id >= start && id - start < size;
}

/* One line of a uid or gid mapping: container IDs [container, container+size)
 * are host IDs [host, host+size). `at` points at it for findings. */
struct Range
{
	uint64_t container = 0;
	uint64_t host = 0;
	uint64_t size = 0;
	Pointer at;
};

struct IdMapping
{
	std::vector<Range> uid;
	std::vector<Range> gid;
};

inline std::optional<uint64_t> toHost(const std::vector<Range> &m, uint64_t id)
{
	for (const auto &r : m)
		if (inRange(id, r.container, r.size))
			return r.host + (id - r.container);
	return std::nullopt;
}

inline bool hostMapped(const std::vector<Range> &m, uint64_t id)
{
	return std::any_of(m.begin(), m.end(),
	                   [id](const Range &r) { return inRange(id, r.host, r.size); });
}

inline std::string idSpan(uint64_t start, uint64_t size)
{
	if (size == 1)
		return std::to_string(start);
	return std::to_string(start) + "-" + std::to_string(start + size - 1);
}

std::string usernsRemedy(const Value &doc);
std::string engineHint(const std::string &path);
void checkTraversal(const HostFacts &host, const std::string &path, bool includeSelf, uint64_t root,
                    const Pointer &at, const std::string &what, std::vector<Reason> &out);
void checkMountPoints(const HostFacts &host, const Value &doc, const std::string &rootfs,
                      std::vector<Reason> &out);
using HasNs = std::vector<std::string>;
void namespaceNeeds(const Value *mounts, const HasNs &present, std::vector<Reason> &out);
bool mountedReadOnly(const std::vector<std::string> &opts);
void bindSources(RuleRun &rr, const Value *mounts, const IdMapping &map, bool engineMapped,
                 std::vector<Reason> &out);
void processUser(RuleRun &rr, const IdMapping &map, std::vector<Reason> &out);

} // namespace bulkhead::policy::userns
