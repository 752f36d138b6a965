#pragma once

#include <set>
#include <string>
#include <vector>

/* The lists P7.seccomp (src/rules/seccomp.cpp) judges a profile by, built on
 * first use: a call that judges no profile (every pass-through, most exec and
 * update calls) does not build them. */
namespace bulkhead::policy::seccomp_tables {

/* The default of the rule's "dangerous" parameter. */
const std::vector<std::string> &dangerousList();
/* Actions that refuse the syscall. */
const std::set<std::string> &denying();
/* Actions that hand the decision to someone else. */
const std::set<std::string> &delegating();
/* Syscalls that do what each other does: when one is dangerous, all are. */
const std::vector<std::vector<std::string>> &sameDanger();

/* Multiplexers (i386, s390, ppc, ...): socketcall(SYS_SOCKET, args) runs
 * socket(2), ipc(SEMOP, ...) runs semop(2). When a member is dangerous, so is
 * the multiplexer. */
struct Multiplexer
{
	const char *name;
	std::vector<std::string> members;
};
const std::vector<Multiplexer> &multiplexers();
/* seccomp(2) filter flags a profile can name. */
const std::vector<std::string> &filterFlags();

} // namespace bulkhead::policy::seccomp_tables
