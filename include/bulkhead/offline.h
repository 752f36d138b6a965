#pragma once

#include <string>
#include <vector>

/* bulkhead's own verbs, which never run the real runtime and need no root:
 *   bulkhead policy harden --policy FILE [CONFIG|-]
 *   bulkhead policy check --policy FILE [--format text|json|sarif] CONFIG...
 *   bulkhead policy validate FILE
 * Exit 0 allowed (maybe mutated), 3 denied, 2 bad input or bad policy. */
namespace bulkhead::offline {

/* args: everything after the verb name ("policy"), e.g. {"harden", "--policy", "p.json", "-"}.
 * Output goes to fds 1 and 2 as it is produced (check writes each file's
 * result as soon as it is judged). */
int policyMain(const std::vector<std::string> &args);

/* The same, with what would go to stdout and stderr appended to out and err
 * (tests, golden files); colour: ANSI colour in check's text output. The
 * output is the same byte for byte. */
int policyMain(const std::vector<std::string> &args, std::string &out, std::string &err,
               bool colour);

} // namespace bulkhead::offline
