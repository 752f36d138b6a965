#pragma once

#include <string>
#include <vector>

#include "bulkhead/logger.h"

namespace bulkhead {

/* main()'s body. Pass-through commands: execv(real runtime, argv) at once (no
 * policy, no JSON). Hardened commands: runtime::prepare() first. Offline verbs
 * (policy, audit): offline::main(). Returns an exit code only when it does not
 * exec; throws Error (caught once, in main()). */
int run(const Logger &log, const std::vector<std::string> &argv);

/* Exit code for an error: 2 for offline verbs' bad input, 1 in runtime mode. */
int exitCodeFor(const std::vector<std::string> &argv) noexcept;

} // namespace bulkhead
