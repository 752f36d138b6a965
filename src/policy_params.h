/* Checking a policy file's text: its place for FILE:LINE:COL messages, and
 * each rule's parameters against the rule's declaration, probed on a spec
 * with a little of everything (src/policy_params.cpp). The loader
 * (src/policy_load.cpp) builds on it. */
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

/* A policy (or a file it names) read without blocking on a FIFO or device,
 * with a bound, refusing what root must not trust when checkOwner and running
 * as root. Throws Error{Policy}. */
std::string readTrusted(const std::string &path, bool checkOwner);
/* The directory of a file name ("." when it has no slash). */
std::string dirOf(std::string_view name);

class ParamReader
{
public:
	ParamReader(std::string_view text, std::string name, std::string baseDir, bool checkOwner)
	    : text_(text), name_(std::move(name)), baseDir_(std::move(baseDir)),
	      checkOwner_(checkOwner)
	{
	}

	[[noreturn]] void fail(const json::Value &at, const std::string &problem) const
	{
		throw Error(ErrorKind::Policy,
		            name_ + ":" + json::lineCol(text_, at.offset()) + ": " + problem);
	}

	static Action parseAction(std::string_view s, bool &ok);

	const RuleDef *knownRule(const json::Value &at, const std::string &name) const;

	/* Check one parameter against its definition; returns the value the rule sees. */
	json::Value param(const RuleDef &def, const std::string &key, const json::Value &v) const;

	void checkCap(const RuleDef &def, const std::string &key, const json::Value &item) const;

	json::Value jsonFile(const RuleDef &def, const std::string &key,
	                     const json::Value &v) const;

	static std::string printable(const std::string &s);

	/* Whether params set a parameter whose shape only the rule knows (Object,
	 * List): the others are checked completely by their kind. */
	static bool structured(const RuleDef &def, const json::Value &params);

	/* Run the rule once with these parameters on the probe documents: a
	 * parameter error it raises (Error{Policy}) becomes a load error here.
	 * When remember_, the probe waits in pending_ until every input is read
	 * (the loader runs them unless they passed before on exactly these
	 * bytes). STABLE: PARAMS live as long as the compiled policy (a rule's
	 * own), so a deferred probe points at them instead of copying them. */
	void probe(const RuleDef &def, const json::Value &params, const json::Value &at,
	           bool stable = false) const;
	void runProbe(const RuleDef &def, const json::Value &params, const json::Value &at) const;

	/* Parameters of a rule object (without "action"), checked and substituted. */
	json::Value params(const RuleDef &def, const json::Value &obj, bool allowAction) const;

	/* A file a parameter names (REL, not empty): relative to the policy's
	 * directory. */
	[[nodiscard]] std::string fileOf(const std::string &rel) const;

	/* The files DEF's parameters in OBJ name, read and hashed but not
	 * parsed: a load of another scope (Policy::loadFor) still covers them
	 * in the policy's sha256, as a full load does ("-" for one it cannot
	 * read: that load does not use it). */
	void hashFiles(const RuleDef &def, const json::Value &obj) const;

	/* A rule object's parameters as written (checked by params() already),
	 * with the path of each JSON file made absolute, so that the merged policy
	 * `policy show` prints loads from anywhere. */
	json::Value written(const RuleDef &def, const json::Value &obj) const;

protected:
	std::string_view text_;
	std::string name_;
	std::string baseDir_;
	bool checkOwner_;
	/* root, on trusted files: probes wait until every input is read, and
	 * parsed files come through the cache (src/policy_cache.h) */
	bool remember_ = checkOwner_ && ::geteuid() == 0;
	struct Pending
	{
		const RuleDef *def;
		const json::Value *params;        /* a rule's parameters in the compiled policy */
		std::optional<json::Value> owned; /* or these (an override's, merged) */
		const json::Value *at; /* into the document, alive until load() returns */
	};
	mutable std::vector<Pending> pending_;
	mutable std::string inputs_; /* "PATH\nSHA256\n" of each file a parameter named */
	/* "\nSHA256" of each file a parameter named, in the order of the
	 * document, whatever the scope of the load: part of the policy's sha256 */
	mutable std::string fileShas_;
};

} // namespace bulkhead::policy
