#pragma once

#include <memory>
#include <string>
#include <utility>
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
	CallContext() = default;
	CallContext(std::string id, std::string bundleDir, std::string cmd, std::string asOf = {})
	    : containerId(std::move(id)), bundle(std::move(bundleDir)), command(std::move(cmd)),
	      date(std::move(asOf))
	{
	}
	CallContext(std::string id, std::string bundleDir, std::string cmd, engine::Kind kind,
	            std::string root = {})
	    : containerId(std::move(id)), bundle(std::move(bundleDir)), command(std::move(cmd)),
	      engine(kind), runtimeRoot(std::move(root))
	{
	}

	std::string containerId; /* "" offline */
	std::string bundle;      /* absolute bundle directory, "" offline */
	std::string command;     /* "create", "exec", "update", "policy", ... */
	/* The machine config's "engine" and the runtime's --root ("" for its
	 * default): what engine::derive needs to prove a pod's identity. */
	engine::Kind engine = engine::Kind::Unknown;
	std::string runtimeRoot = {};
	/* The offline verbs' --engine: the engine's keys read without proof. */
	bool offline = false;
	std::string date = {}; /* "YYYY-MM-DD" to judge expiry dates as of; "" today (UTC) */
	/* Whether the decision carries the patch (policy check's SARIF, which
	 * writes none, leaves it an empty array and skips the diff). */
	bool patch = true;
	/* Set by Policy::evaluate for the rules it runs: the engine facts of the
	 * document as the engine wrote it, derived once per evaluation. */
	const engine::Facts *facts = nullptr;
};

/* The engine facts of DOC for CALL: CALL's own when evaluate has derived them,
 * otherwise derived now. For rules and matches; never from the document alone. */
engine::Facts engineFacts(const json::Value &doc, const CallContext &call, const HostFacts &host);

/* An exemption or override whose match held but whose date has passed: not
 * applied, and recorded so that an auditor sees it stopped applying. */
struct ExpiredUse
{
	std::string kind; /* "exemption" or "override" */
	std::string name;
	std::string expires;
	std::vector<std::string> rules;
};

struct Decision
{
	Verdict verdict = Verdict::Allow; /* effective: Allow in audit mode */
	Mode mode = Mode::Enforce;
	std::vector<Finding> findings;
	json::Value result; /* what to hand the runtime: the input unless mutated */
	json::Value patch;  /* RFC 6902 from the input to result (empty array when unchanged,
	                       and when the call asked for none) */
	std::vector<ExemptionUse> exemptions;
	std::string policyName;
	std::string policySha256;
	std::string policyVersion; /* the policy file's "version" */
	std::vector<OverrideUse> overrides;
	std::vector<ExpiredUse> expired;
	/* Who runs the container, as far as the engine proves it (engine.h):
	 * what matches used, for the audit record. */
	engine::Facts facts;
	/* What the policy in enforce mode would have decided: == verdict in
	 * enforce mode; in audit mode judged from the findings' wouldBe. */
	Verdict wouldBe = Verdict::Allow;
};

struct CompiledPolicy; /* rules, exemptions and overrides, checked and ready (policy.cpp) */

class Policy
{
public:
	/* Load and validate, with every policy it extends ("extends": a shipped
	 * policy's name, or a path relative to the file). Throws Error{Policy,
	 * "FILE:LINE:COL: problem"}. checkOwner: refuse a file (the policy, a
	 * policy it extends, a file it names) not owned by root or group- or
	 * world-writable (when running as root). */
	static Policy load(const std::string &path, bool checkOwner);
	/* As load(), for evaluating documents of SCOPE only: the rules that never
	 * judge SCOPE keep their action, but their parameters (and the files they
	 * name, such as P7.seccomp's profile) are neither read nor checked. An exec
	 * or an update pays for no seccomp profile; a create loads everything. */
	static Policy loadFor(const std::string &path, bool checkOwner, Scope scope);
	/* name: shown in errors; "extends" and relative JsonFile parameters resolve
	 * against its directory (the current directory when it has no slash). */
	static Policy fromText(std::string_view text, std::string_view name);

	[[nodiscard]] const std::string &name() const noexcept { return name_; }
	[[nodiscard]] const std::string &version() const noexcept { return version_; }
	/* sha256 of the file's text, or, when it extends another policy, of the
	 * text followed by a newline and the base policy's sha256: it changes when
	 * any file of the chain does. */
	[[nodiscard]] const std::string &sha256() const noexcept { return sha256_; }
	[[nodiscard]] Mode mode() const noexcept { return mode_; }
	/* The rules, exemptions and overrides after the chain is merged
	 * (src/policy_compiled.h), for the reports of src/policy_report.cpp. */
	[[nodiscard]] const CompiledPolicy &compiled() const noexcept { return *compiled_; }

	/* Evaluate a document of the given scope. The document is first read as
	 * runc reads it (spec::check): one that runc would read differently (a key
	 * that folds to a field name) or not at all (a wrong type) throws
	 * Error{Json} and is not judged. A value the rules still refuse to read
	 * (NUL in a path) is a Deny finding. When a Spec is mutated, the policy's name and
	 * sha256 are stamped into annotations["io.bulkhead.policy"]; harden(harden(x))
	 * == harden(x) byte for byte. */
	[[nodiscard]] Decision evaluate(const json::Value &doc, Scope scope,
	                                const CallContext &call, const HostFacts &host) const;

private:
	friend class Loader;
	std::string name_;
	std::string version_;
	std::string sha256_;
	Mode mode_ = Mode::Enforce;
	std::shared_ptr<const CompiledPolicy> compiled_;
};

/* Engine facts as JSON: {"engine", "containerId", "k8s": {"namespace", "pod",
 * "podUid", "container", "sandbox", "sandboxId"}, "image", "unproven"}, null
 * for what is unknown. */
json::Value factsJson(const engine::Facts &f);

/* Decision as JSON (for `policy check --format json` and the audit log). */
json::Value toJson(const Decision &d);

} // namespace bulkhead::policy
