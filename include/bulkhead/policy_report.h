#pragma once

#include <string>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/policy.h"

/* What an admin and an auditor read about a policy rather than a spec:
 * `policy validate` (what is off or weaker than restricted, what expires),
 * `policy show` and `policy diff`. */
namespace bulkhead::policy {

struct Notice
{
	enum class Level { Note, Warning, Error };
	Level level;
	std::string text; /* one line */
};

/* The review `policy validate` prints for P, compared with REFERENCE (the
 * shipped restricted; null when it cannot be found) as of TODAY
 * ("YYYY-MM-DD"):
 *   Error    an exemption or override that has expired;
 *   Warning  a rule that is off (left out of a policy that extends nothing, or
 *            "off" with its reason), audit where the reference enforces,
 *            parameters that differ from the reference's, mode audit, every
 *            exemption and override (each turns something off or changes it),
 *            an expiry within 30 days;
 *   Note     nothing to compare with. */
std::vector<Notice> review(const Policy &p, const Policy *reference, const std::string &today);

/* `policy show FILE`: the policy with everything it extends merged in, as a
 * policy document that loads on its own. */
json::Value flatten(const Policy &p);
/* `policy show --effective FILE`: every rule in evaluation order, with its
 * action ("off" when the policy does not configure it), parameters, reason
 * and the file that set it; the files of the chain and the sha256. */
json::Value effective(const Policy &p);

/* `policy diff A B`: what B lets through that A refuses, one line per rule,
 * exemption or override, in words an auditor can sign; empty when B allows
 * nothing A refuses. DIFFERENT receives the changes that do not weaken (a
 * stricter action, a new rule), also one line each. */
std::vector<std::string> weakenings(const Policy &a, const Policy &b,
                                    std::vector<std::string> &different);

} // namespace bulkhead::policy
