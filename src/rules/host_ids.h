/* The host's accounts and subordinate ID ranges, for judging an ID mapping
 * (P5.userns, P10.idmapped-mounts): /etc/passwd, /etc/group, /etc/subuid,
 * /etc/subgid and /etc/login.defs, read through HostFacts::rootFile. */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bulkhead/host.h"

namespace bulkhead::policy::hostids {

constexpr uint64_t kDefaultSubMin = 100000; /* shadow's default SUB_UID_MIN */

struct Account
{
	/* Where an ID was found: described only when a mapping covers it. */
	enum class Source : uint8_t { Passwd, PrimaryGroup, Group };
	uint64_t id;
	std::string name; /* the account's or group's name */
	Source source;
};

/* "account alice (/etc/passwd)", "group adm (/etc/group)", ... */
std::string describe(const Account &a);

/* What the mapping checks need to know about the host, per kind (0 uid, 1 gid).
 * problem: a file exists but cannot be trusted or read; nothing can be judged. */
struct HostIds
{
	std::string problem;
	uint64_t subMin[2] = {kDefaultSubMin, kDefaultSubMin};
	std::vector<Account> accounts[2];
	std::vector<std::pair<uint64_t, uint64_t>> allowed[2]; /* merged [start, end) */
	std::string allowedFrom;
};

/* The fields of a line of /etc/passwd or /etc/subuid, split at SEP. */
std::vector<std::string_view> fields(std::string_view line, char sep);
/* A decimal ID (at most 4294967295); nullopt otherwise. */
std::optional<uint64_t> decimal(std::string_view s);
/* Each non-empty, non-comment line. */
template <typename F> void eachLine(std::string_view text, F &&fn)
{
	while (!text.empty()) {
		size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
		if (!line.empty() && line.back() == '\r')
			line.remove_suffix(1);
		if (!line.empty() && line.front() != '#')
			fn(line);
	}
}

/* users: whose subordinate ranges an engine may map onto; extra: the ranges
 * the policy names ([start, end), for uids and gids alike). */
HostIds readHostIds(const HostFacts &host, const std::vector<std::string> &users,
                    const std::vector<std::pair<uint64_t, uint64_t>> &extra);

/* Why a host range must not be mapped ("" when it may be). kind: 0 uid, 1 gid;
 * subordinateOnly: false for bulkhead's own range, which the policy names. */
std::string hostRangeProblem(const HostIds &h, int kind, uint64_t start, uint64_t size,
                             bool subordinateOnly);

} // namespace bulkhead::policy::hostids
