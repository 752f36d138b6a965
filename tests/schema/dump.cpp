/* Print the structs bulkhead's reader describes (spec::describe()), for
 * tests/schema/compare.sh to hold against the Go structs runc decodes into. */
#include <cstdio>

#include "bulkhead/spec.h"

int main()
{
	const std::string d = bulkhead::spec::describe();
	return std::fwrite(d.data(), 1, d.size(), stdout) == d.size() ? 0 : 1;
}
