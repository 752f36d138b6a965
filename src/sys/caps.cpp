#include "bulkhead/caps.h"

#include <sys/capability.h>

#include <memory>

namespace bulkhead::caps {

namespace {

struct CapFree {
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

} // namespace

int lastCap() noexcept
{
	/* libcap's own table may be newer or older than the kernel; names come
	 * from libcap, so its table is the bound. */
	int last = 0;
	for (int c = 0; c < 64; ++c) {
		std::unique_ptr<char, CapFree> n(cap_to_name(static_cast<cap_value_t>(c)));
		if (n && std::string_view(n.get()).substr(0, 4) == "cap_")
			last = c;
	}
	return last;
}

std::string toName(int cap)
{
	if (cap < 0 || cap > lastCap())
		return {};
	std::unique_ptr<char, CapFree> n(cap_to_name(static_cast<cap_value_t>(cap)));
	if (!n)
		return {};
	std::string s(n.get());
	if (s.substr(0, 4) != "cap_")
		return {}; /* libcap prints unnamed numbers as digits */
	for (char &c : s)
		if (c >= 'a' && c <= 'z')
			c = static_cast<char>(c - 'a' + 'A');
	return s;
}

std::optional<int> fromName(std::string_view name)
{
	if (!canonicalSpelling(name))
		return std::nullopt;
	for (int c = 0, last = lastCap(); c <= last; ++c)
		if (toName(c) == name)
			return c;
	return std::nullopt;
}

} // namespace bulkhead::caps
