#include "bulkhead/caps.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/capability.h>

namespace bulkhead::caps {

namespace {

struct CapFree
{
	void operator()(char *p) const noexcept { cap_free(p); }
};

bool canonicalSpelling(std::string_view name) noexcept
{
	if (name.size() <= 4 || name.substr(0, 4) != "CAP_")
		return false;
	for (char c : name.substr(4))
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	return true;
}

/* libcap's table may be newer or older than the kernel; names come from
 * libcap, so its table is the bound. Built once: the exec path asks often. */
struct Table
{
	std::vector<std::string> names; /* index = capability number */
	std::unordered_map<std::string, int> numbers;
};

const Table &table()
{
	static const Table t = [] {
		Table r;
		for (int c = 0; c < 64; ++c) {
			std::unique_ptr<char, CapFree> n(cap_to_name(static_cast<cap_value_t>(c)));
			std::string s = n ? n.get() : "";
			if (s.substr(0, 4) != "cap_")
				s.clear(); /* libcap prints unnamed numbers as digits */
			for (char &ch : s)
				if (ch >= 'a' && ch <= 'z')
					ch = static_cast<char>(ch - 'a' + 'A');
			r.names.push_back(s);
		}
		while (!r.names.empty() && r.names.back().empty())
			r.names.pop_back();
		for (size_t c = 0; c < r.names.size(); ++c)
			if (!r.names[c].empty())
				r.numbers.emplace(r.names[c], static_cast<int>(c));
		return r;
	}();
	return t;
}

} // namespace

int lastCap() noexcept
{
	return static_cast<int>(table().names.size()) - 1;
}

std::string toName(int cap)
{
	const auto &names = table().names;
	if (cap < 0 || static_cast<size_t>(cap) >= names.size())
		return {};
	return names[static_cast<size_t>(cap)];
}

std::optional<int> fromName(std::string_view name)
{
	if (!canonicalSpelling(name))
		return std::nullopt;
	const auto &numbers = table().numbers;
	auto it = numbers.find(std::string(name));
	if (it == numbers.end())
		return std::nullopt;
	return it->second;
}

} // namespace bulkhead::caps
