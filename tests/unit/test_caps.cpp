#include <cctype>
#include <memory>
#include <string>

#include <sys/capability.h>

#include "bulkhead/caps.h"

#include <catch2/catch.hpp>

/* bulkhead's capability table against libcap's names, number by number: a
 * libcap that knows a capability the table does not fails here. */

using namespace bulkhead;

namespace {

/* libcap's name for C, upper case; "" when libcap prints a number. */
std::string libcapName(int c)
{
	std::unique_ptr<char, int (*)(void *)> n(cap_to_name(static_cast<cap_value_t>(c)),
	                                         cap_free);
	std::string s = n ? n.get() : "";
	if (s.rfind("cap_", 0) != 0)
		return "";
	for (char &ch : s)
		ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
	return s;
}

} // namespace

TEST_CASE("the capability table is libcap's, number by number", "[caps]")
{
	int known = -1;
	for (int c = 0; c < 64; ++c) {
		INFO(c);
		const std::string want = libcapName(c);
		CHECK(caps::toName(c) == want);
		if (!want.empty()) {
			known = c;
			CHECK(caps::fromName(want) == c);
		}
	}
	CHECK(caps::lastCap() == known);
	CHECK(caps::toName(-1).empty());
	CHECK(caps::toName(21) == "CAP_SYS_ADMIN");
}

TEST_CASE("only the canonical spelling names a capability", "[caps]")
{
	for (const char *bad : {"cap_sys_admin", "SYS_ADMIN", "21", "CAP_BOGUS", "CAP_", "",
	                        "CAP_SYS_ADMIN ", "Cap_Sys_Admin"}) {
		INFO(bad);
		CHECK(!caps::fromName(bad));
	}
	CHECK(caps::fromName("CAP_CHECKPOINT_RESTORE") == 40);
}
