#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"

/* One rule = one small unit (check + fix) with a stable name used in policy
 * files, findings, audit records and man pages. Rules are pure functions of
 * (document, parameters, host facts): they report through RuleRun, never print,
 * never exit. */
namespace bulkhead::policy {

/* Parameter kinds, checked by `policy validate`. */
enum class ParamKind {
	Bool,
	Int, /* integer number */
	String,
	StringList,
	CapList,     /* list of capability names, validated with caps::fromName */
	SyscallList, /* list of syscall names, validated with seccomp::isKnown */
	Object,      /* free-form object, the rule checks it */
	List,        /* free-form array, the rule checks it */
	JsonFile,    /* path of a JSON file, relative to the policy file: the loader
	              * reads and parses it and the rule sees the parsed document */
};

/* Which way a parameter widens what a rule lets through, for `policy diff`
 * and `policy validate`: a change the other way is a tightening. */
enum class Widens {
	Unknown, /* a change either way is reported for review */
	More,    /* a larger number, or a list with more in it (allowlists, maxima) */
	Less,    /* a smaller number, or a list with less in it (denylists, requirements) */
};

struct ParamDef
{
	ParamDef(const char *n, ParamKind k, const char *h, Widens w = Widens::Unknown)
	    : name(n), kind(k), help(h), widens(w)
	{
	}
	const char *name;
	ParamKind kind;
	const char *help; /* one line, for the man page */
	Widens widens;
};

class RuleRun
{
public:
	RuleRun(json::Value &doc_, const json::Value &params_, Action action, Scope scope,
	        const CallContext &call_, const HostFacts &host_, std::string_view rule,
	        std::vector<Finding> &out) noexcept
	    : doc(doc_), params(params_), call(call_), host(host_), action_(action), scope_(scope),
	      rule_(rule), out_(out)
	{
	}

	json::Value &doc; /* the working document; fixes modify it */
	const json::Value
	        &params; /* this rule's object from the policy (never null: {} when absent) */
	const CallContext &call;
	const HostFacts &host;
	/* The policy's load ran this rule with exactly these params on its probe
	 * documents and they passed: a check of the params alone (not of the
	 * document) has been made already and may be skipped. */
	bool paramsProbed = false;

	[[nodiscard]] Action action() const noexcept { return action_; }
	[[nodiscard]] Scope scope() const noexcept { return scope_; }
	[[nodiscard]] std::string_view rule() const noexcept { return rule_; }

	/* A violation the rule can fix. action Mutate: fix() runs and the finding
	 * is recorded as mutated. Deny: recorded as denied, fix() not run. Audit:
	 * recorded, fix() not run. */
	void fixable(const json::Pointer &at, std::string message, std::string remedy,
	             const std::function<void()> &fix);
	/* A violation no mutation can fix: denied under Mutate and Deny, recorded under Audit. */
	void deny(const json::Pointer &at, std::string message, std::string remedy);
	/* Something an auditor should connect to the change, not a violation: a
	 * place the hardening left out or what it hides ("no tmpfs on /var/tmp:
	 * the image has no such directory"). Recorded with action and wouldBe
	 * audit in every mode; it never changes the verdict. */
	void note(const json::Pointer &at, std::string message, std::string remedy);

	/* Parameter helpers: the value of params[name], or the default. Throw
	 * Error{Policy} on a wrong type (validate catches these earlier). */
	[[nodiscard]] bool paramBool(std::string_view name, bool def) const;
	[[nodiscard]] int64_t paramInt(std::string_view name, int64_t def) const;
	[[nodiscard]] std::string paramString(std::string_view name, std::string_view def) const;
	[[nodiscard]] std::vector<std::string> paramList(std::string_view name,
	                                                 const std::vector<std::string> &def) const;

private:
	Action action_;
	Scope scope_;
	std::string_view rule_;
	std::vector<Finding> &out_;
};

using RuleFn = void (*)(RuleRun &);

struct RuleDef
{
	const char *name;    /* "P10.engine-socket" */
	const char *summary; /* one line, for the man page and `policy explain` */
	std::vector<Scope> scopes;
	std::vector<ParamDef> params;
	RuleFn fn;
	/* The rule changes the document only in the fix it hands RuleRun::fixable
	 * (which runs under Mutate only): a run in audit mode needs no scratch
	 * copy of the document. Leave it false for a rule that writes otherwise. */
	bool fixesOnly = false;
};

/* Every rule, in evaluation order. Each family file (src/rules/NAME.cpp)
 * defines `std::vector<RuleDef> NAMERules()` and registry.cpp concatenates them. */
const std::vector<RuleDef> &allRules();
const RuleDef *findRule(std::string_view name) noexcept;

} // namespace bulkhead::policy
