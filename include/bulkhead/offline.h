#pragma once

#include <string>
#include <vector>

/* bulkhead's own verbs, which never run the real runtime and need no root:
 *   bulkhead policy harden --policy FILE [CONFIG|-]
 *   bulkhead policy check --policy FILE [--format text|json] CONFIG...
 *   bulkhead policy validate FILE
 * Exit 0 allowed (maybe mutated), 3 denied, 2 bad input or bad policy. */
namespace bulkhead::offline {

/* args: everything after the verb name ("policy"), e.g. {"harden", "--policy", "p.json", "-"}. */
int policyMain(const std::vector<std::string> &args);

} // namespace bulkhead::offline
