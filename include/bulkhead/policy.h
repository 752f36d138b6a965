#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bulkhead/engine.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"

/* The policy engine: given an OCI spec (or an exec process, or update
 * resources) and an organisation's policy, decide — leave it, harden it, or
 * refuse it — and say exactly why. A denial is data, not an error. */
namespace bulkhead::policy {

enum class Verdict { Allow, Mutate, Deny };
enum class Action { Mutate, Deny, Audit, Off };
enum class Mode { Enforce, Audit };

const char *verdictName(Verdict v) noexcept; /* "allow", "mutate", "deny" */
const char *actionName(Action a) noexcept;   /* "mutate", "deny", "audit", "off" */

/* What is being evaluated. Rules declare the scopes they apply to. */
enum class Scope {
	Spec,      /* a whole config.json (create, run, restore, policy harden/check) */
	Process,   /* an exec process ({"process": P} is what rules see) */
	Resources, /* update resources ({"linux": {"resources": R}} is what rules see) */
};

struct Finding
{
	std::string rule;    /* stable rule id, "P10.engine-socket" */
	std::string pointer; /* JSON Pointer into the evaluated document */
	std::string message; /* one line */
	Action action;  /* what was done: Mutate (fixed), Deny (refused), Audit (recorded only) */
	Action wouldBe; /* what enforce mode would have done (== action in enforce mode) */
	std::string remedy; /* the engine knob that avoids it, e.g. "docker run --read-only" */
};

struct ExemptionUse
{
	std::string name;
	std::string reason;
	std::string expires; /* "" when none */
	std::vector<std::string> rules;
};

/* An override whose match held: its parameters were merged over the rules'. */
struct OverrideUse
{
	std::string name;
	std::string reason;  /* "" when none */
	std::string expires; /* "" when none */
	std::vector<std::string> rules;
};

/* Facts the engine sets and a container user cannot forge. Annotations are read
 * from the evaluated document's top-level "annotations" object: in Process and
 * Resources scope the caller may add the container's spec annotations there
 * ({"process": P, "annotations": {...}}) so that exemptions and overrides
 * matched on them apply to exec and update too; rules never look at them there. */
struct CallContext
{
	std::string containerId; /* "" offline */
	std::string bundle;      /* absolute bundle directory, "" offline */
	std::string command;     /* "create", "exec", "update", "policy", ... */
	/* The machine config's "engine" and the runtime's --root ("" for its
	 * default): what engine::derive needs to prove a pod's identity. */
	engine::Kind engine = engine::Kind::Unknown;
	std::string runtimeRoot = {};
};

struct Decision
{
	Verdict verdict = Verdict::Allow; /* effective: Allow in audit mode */
	Mode mode = Mode::Enforce;
	std::vector<Finding> findings;
	json::Value result; /* what to hand the runtime: the input unless mutated */
	json::Value patch;  /* RFC 6902 from the input to result (empty array when unchanged) */
	std::vector<ExemptionUse> exemptions;
	std::string policyName;
	std::string policySha256;
	std::vector<OverrideUse> overrides;
	/* What the policy in enforce mode would have decided: == verdict in
	 * enforce mode; in audit mode judged from the findings' wouldBe. */
	Verdict wouldBe = Verdict::Allow;
};

struct CompiledPolicy; /* rules, exemptions and overrides, checked and ready (policy.cpp) */

class Policy
{
public:
	/* Load and validate. Throws Error{Policy, "FILE:LINE:COL: problem"}.
	 * checkOwner: refuse a file not owned by root or group/world-writable (when
	 * running as root). */
	static Policy load(const std::string &path, bool checkOwner);
	/* name: shown in errors; relative JsonFile parameters resolve against its
	 * directory (the current directory when it has no slash). sha256 is that of text. */
	static Policy fromText(std::string_view text, std::string_view name);

	[[nodiscard]] const std::string &name() const noexcept { return name_; }
	[[nodiscard]] const std::string &sha256() const noexcept { return sha256_; }
	[[nodiscard]] Mode mode() const noexcept { return mode_; }

	/* Evaluate a document of the given scope. Never throws for a bad spec: a spec
	 * the rules cannot read (wrong types, NUL in paths) is a Deny finding. Throws
	 * only on internal errors. When a Spec is mutated, the policy's name and
	 * sha256 are stamped into annotations["io.bulkhead.policy"]; harden(harden(x))
	 * == harden(x) byte for byte. */
	[[nodiscard]] Decision evaluate(const json::Value &doc, Scope scope,
	                                const CallContext &call, const HostFacts &host) const;

	/* The parsed policy document (rules, exemptions, ...). */
	[[nodiscard]] const json::Value &document() const noexcept { return doc_; }

private:
	std::string name_;
	std::string sha256_;
	Mode mode_ = Mode::Enforce;
	json::Value doc_;
	std::shared_ptr<const CompiledPolicy> compiled_;

	static Policy make(std::string_view text, const std::string &name, bool checkOwner);
};

/* Decision as JSON (for `policy check --format json` and the audit log). */
json::Value toJson(const Decision &d);

} // namespace bulkhead::policy
