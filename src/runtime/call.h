/* What the runtime verbs share: one call's context, the decision's record and
 * refusal, the container behind an exec or update, and the hand-over of a
 * judged document to the runtime. One file per verb builds on it:
 *
 *   create.cpp  create / run / restore: harden BUNDLE/config.json in place
 *   exec.cpp    exec: the process runc would run (--process FILE or the flags)
 *   update.cpp  update: the resources runc would apply (-r FILE, -r -, flags)
 *   call.cpp    prepare(): the policy, the dispatch, the error record */
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/audit.h"
#include "bulkhead/cli.h"
#include "bulkhead/config.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"

namespace bulkhead::runtime {

constexpr size_t kSpecMax = 64u << 20; /* config.json */
constexpr size_t kSmallMax = 4u << 20; /* an exec process or update resources */

struct Call
{
	const cli::Invocation &inv;
	const Config &cfg;
	const policy::Policy &pol;
	const HostFacts &host;
	std::string id;
	audit::Record rec;
	bool recorded = false;
	json::Value annotations = json::Value::object(); /* exec/update: the container's */
	std::string bundle; /* exec/update: the container's bundle, from runc's state */
};

/* The runtime's --root as runc resolves it (filepath.Abs); "" when not given. */
std::string runtimeRoot(const cli::Invocation &inv);

/* The policy's view of this call: the container, the bundle ("" for exec and
 * update), the configured engine and the runtime's root. */
policy::CallContext callContext(const Call &c, const std::string &bundle);

/* Write the audit record of D. Returns "" or, when the record could not be
 * written for a call that is refused anyway, the reason. Throws when a call
 * that would go ahead cannot be recorded (unless audit.onError continue). */
std::string record(Call &c, const policy::Decision &d, bool refused);

/* Record a denial (TEXT, the document as read, kept for auditors when the
 * configuration asks) and throw Error{Denied} with the reasons on one line. */
[[noreturn]] void refuse(Call &c, const policy::Decision &d, std::string_view text);

/* The container an exec or update acts on, from the state runc keeps for it
 * (ROOT/ID/state.json). */
struct Container
{
	json::Value annotations = json::Value::object(); /* "" keys never; may be empty */
	std::string bundle;                              /* "" when the state is unreadable */
	std::string stateError;                          /* why, when it is */
	bool missing = false; /* no state at all: runc will say the container does not exist */
};
Container container(const cli::Invocation &inv, const std::string &id);

/* The decision on an exec process or update resources document ({"process": P}
 * or {"linux": {"resources": R}}), the container's annotations beside it so
 * that exemptions and overrides match; a denial is refused. */
policy::Decision judge(Call &c, json::Value doc, policy::Scope scope, std::string_view text);

/* Hand OUT to the runtime in a sealed memfd above the descriptors it passes on,
 * then record D. The argv names the memfd: in place of FLAG's value when FLAG is
 * given, otherwise as "--NAME=/proc/self/fd/N" right after the command. */
std::vector<std::string> handOver(Call &c, const policy::Decision &d, std::string_view out,
                                  const cli::FlagUse *flag, std::string_view name);
/* As handOver with no flag, for a document nobody judged and the runtime will
 * refuse (the caller records why). */
std::vector<std::string> handOverUnjudged(Call &c, std::string_view out, std::string_view name);
/* As handOver, on the runtime's stdin (update -r -). */
std::vector<std::string> handOverStdin(Call &c, const policy::Decision &d, std::string_view out);

std::vector<std::string> hardenBundle(Call &c);
std::vector<std::string> hardenExec(Call &c);
std::vector<std::string> checkUpdate(Call &c);

} // namespace bulkhead::runtime
