#include "host_ids.h"

#include "last_result.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string_view>

namespace bulkhead::policy::hostids {

namespace {

constexpr size_t kAccountFileMax = 32u << 20;

bool inRange(uint64_t id, uint64_t start, uint64_t size)
{
	return id >= start && id - start < size;
}

/* A host file's text; "" when it does not exist; problem set when it exists
 * but is not a root-owned file bulkhead can read. */
std::string accountFile(const HostFacts &host, const char *path, std::string &problem)
{
	if (auto t = host.rootFile(path, kAccountFileMax))
		return std::move(*t);
	if (host.lstat(path) && problem.empty())
		problem = std::string(path) +
		          " exists but is not a root-owned file bulkhead can read";
	return {};
}

} // namespace

std::vector<std::string_view> fields(std::string_view line, char sep)
{
	std::vector<std::string_view> out;
	size_t i = 0;
	for (;;) {
		size_t j = line.find(sep, i);
		out.push_back(line.substr(i, j == std::string_view::npos ? j : j - i));
		if (j == std::string_view::npos)
			return out;
		i = j + 1;
	}
}

std::optional<uint64_t> decimal(std::string_view s)
{
	uint64_t v = 0;
	auto r = std::from_chars(s.data(), s.data() + s.size(), v);
	if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v > 0xffffffffu)
		return std::nullopt;
	return v;
}

namespace {

/* The files readHostIds reads, each with why it cannot be used ("" when it
 * can, or does not exist). */
struct Inputs
{
	std::array<std::string, 5> text, problem;
	bool operator==(const Inputs &) const = default;
};

constexpr std::array<const char *, 5> kFiles = {"/etc/passwd", "/etc/group", "/etc/login.defs",
                                                "/etc/subuid", "/etc/subgid"};

HostIds parseHostIds(const Inputs &in, const std::vector<std::string> &users,
                     const std::vector<std::pair<uint64_t, uint64_t>> &extra);

} // namespace

HostIds readHostIds(const HostFacts &host, const std::vector<std::string> &users,
                    const std::vector<std::pair<uint64_t, uint64_t>> &extra)
{
	Inputs in;
	for (size_t i = 0; i < kFiles.size(); i++)
		in.text[i] = accountFile(host, kFiles[i], in.problem[i]);
	/* one host for every spec of a `policy check`: parsed once per thread */
	static thread_local util::LastResult<HostIds, Inputs, std::vector<std::string>,
	                                     std::vector<std::pair<uint64_t, uint64_t>>>
	        last;
	return last.get([&] { return parseHostIds(in, users, extra); }, in, users, extra);
}

namespace {

HostIds parseHostIds(const Inputs &in, const std::vector<std::string> &users,
                     const std::vector<std::pair<uint64_t, uint64_t>> &extra)
{
	HostIds h;
	std::string &problem = h.problem;
	/* the first problem met, in the order the files are parsed (a line
	 * below can replace it) */
	auto file = [&](size_t i) -> const std::string & {
		if (problem.empty())
			problem = in.problem[i];
		return in.text[i];
	};
	/* Accounts. NIS compat lines (+/-) stand for accounts bulkhead cannot see. */
	std::vector<std::pair<std::string, uint64_t>> uidOf;
	eachLine(file(0), [&](std::string_view line) {
		if (line.front() == '+' || line.front() == '-') {
			problem = "/etc/passwd names NIS accounts bulkhead cannot list";
			return;
		}
		auto f = fields(line, ':');
		if (f.size() < 4)
			return; /* the C library skips such lines too */
		auto uid = decimal(f[2]);
		auto gid = decimal(f[3]);
		if (uid) {
			h.accounts[0].push_back({*uid, std::string(f[0]), Account::Source::Passwd});
			uidOf.emplace_back(std::string(f[0]), *uid);
		}
		if (gid)
			h.accounts[1].push_back(
			        {*gid, std::string(f[0]), Account::Source::PrimaryGroup});
	});
	eachLine(file(1), [&](std::string_view line) {
		if (line.front() == '+' || line.front() == '-') {
			problem = "/etc/group names NIS groups bulkhead cannot list";
			return;
		}
		auto f = fields(line, ':');
		if (f.size() < 3)
			return;
		if (auto gid = decimal(f[2]))
			h.accounts[1].push_back({*gid, std::string(f[0]), Account::Source::Group});
	});
	eachLine(file(2), [&](std::string_view line) {
		size_t k = line.find_first_not_of(" \t");
		if (k == std::string_view::npos)
			return;
		line = line.substr(k);
		if (!line.starts_with("SUB_")) /* only SUB_UID_MIN and SUB_GID_MIN are read */
			return;
		size_t e = line.find_first_of(" \t");
		if (e == std::string_view::npos)
			return;
		std::string_view key = line.substr(0, e);
		int which = key == "SUB_UID_MIN" ? 0 : key == "SUB_GID_MIN" ? 1 : -1;
		if (which < 0)
			return;
		std::string_view value = line.substr(e);
		value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
		value = value.substr(0, value.find_first_of(" \t"));
		if (auto v = decimal(value))
			h.subMin[which] = *v;
		else
			problem =
			        "/etc/login.defs: " + std::string(key) + " is not a decimal number";
	});
	/* Subordinate ranges: "NAME:START:COUNT", NAME a user name or uid. */
	auto allowedUser = [&](std::string_view name) {
		for (const auto &u : users) {
			if (name == u)
				return true;
			for (const auto &[n, uid] : uidOf)
				if (n == u && name == std::to_string(uid))
					return true;
		}
		return false;
	};
	for (size_t k = 0; k < 2; k++) {
		auto &ranges = h.allowed[k];
		eachLine(file(3 + k), [&](std::string_view line) {
			auto f = fields(line, ':');
			if (f.size() != 3 || !allowedUser(f[0]))
				return;
			auto start = decimal(f[1]);
			auto count = decimal(f[2]);
			if (start && count && *count > 0)
				ranges.emplace_back(*start, *start + *count);
		});
		ranges.insert(ranges.end(), extra.begin(), extra.end());
		std::sort(ranges.begin(), ranges.end());
		std::vector<std::pair<uint64_t, uint64_t>> merged;
		for (const auto &r : ranges) {
			if (!merged.empty() && r.first <= merged.back().second)
				merged.back().second = std::max(merged.back().second, r.second);
			else
				merged.push_back(r);
		}
		ranges = std::move(merged);
	}
	std::string who;
	for (size_t i = 0; i < users.size(); i++)
		who += (i ? (i + 1 == users.size() ? " or " : ", ") : "") + users[i];
	if (!who.empty())
		h.allowedFrom = "the subordinate ranges of " + who + " (/etc/subuid, /etc/subgid)";
	if (!extra.empty())
		h.allowedFrom +=
		        (who.empty() ? "" : " and ") +
		        std::string("the policy's ranges (hostIdStart and size, hostRanges)");
	if (who.empty())
		h.allowedFrom +=
		        " (no engine user is known: set \"engine\" in "
		        "bulkhead-config(5), or name the user in P5.userns subordinateUsers)";
	return h;
}

} // namespace

std::string describe(const Account &a)
{
	switch (a.source) {
	case Account::Source::Passwd:
		return "account " + a.name + " (/etc/passwd)";
	case Account::Source::PrimaryGroup:
		return "the primary group of " + a.name + " (/etc/passwd)";
	case Account::Source::Group:
		break;
	}
	return "group " + a.name + " (/etc/group)";
}

std::string hostRangeProblem(const HostIds &h, int kind, uint64_t start, uint64_t size,
                             bool subordinateOnly)
{
	const char *id = kind == 0 ? "uid" : "gid";
	std::vector<std::string> why;
	if (!h.problem.empty())
		return "cannot check it against the host's accounts: " + h.problem;
	if (start < h.subMin[kind])
		why.push_back("it starts below " +
		              std::string(kind == 0 ? "SUB_UID_MIN" : "SUB_GID_MIN") + " " +
		              std::to_string(h.subMin[kind]) +
		              " (/etc/login.defs), among the host's own accounts");
	size_t named = 0;
	for (const auto &a : h.accounts[kind]) {
		if (!inRange(a.id, start, size))
			continue;
		if (named++ < 3)
			why.push_back("host " + std::string(id) + " " + std::to_string(a.id) +
			              " is " + describe(a));
	}
	if (named > 3)
		why.push_back(std::to_string(named - 3) + " more accounts");
	if (subordinateOnly) {
		const uint64_t end = start + size;
		bool inside = std::any_of(
		        h.allowed[kind].begin(), h.allowed[kind].end(),
		        [&](const auto &r) { return start >= r.first && end <= r.second; });
		if (!inside)
			why.push_back("it lies outside " + h.allowedFrom);
	}
	std::string out;
	for (const auto &w : why)
		out += (out.empty() ? "" : "; ") + w;
	return out;
}

} // namespace bulkhead::policy::hostids
