/* What the files of `bulkhead policy` share (offline.cpp: the verbs and their
 * arguments; offline_check.cpp: `policy check` and its formats). */
#pragma once

#include <string>
#include <vector>

#include "bulkhead/engine.h"
#include "bulkhead/json.h"
#include "bulkhead/output.h"
#include "bulkhead/policy.h"

namespace bulkhead::offline::detail {

enum : int { kExitOk = 0, kExitBad = 2, kExitDenied = 3 };

struct Options
{
	std::string verb;
	std::string policy;
	std::string format = "text";
	std::string id;
	policy::Scope kind = policy::Scope::Spec;
	std::string at;                              /* --at DATE */
	engine::Kind engine = engine::Kind::Unknown; /* --engine NAME */
	bool strict = false;                         /* validate --strict */
	bool effective = false;                      /* show --effective */
	size_t jobs = 0;                             /* check --jobs N; 0: one per CPU */
	bool help = false;
	std::vector<std::string> operands;
};

struct Input
{
	std::string name; /* as shown to the user */
	json::Value doc;
	std::string bundle;
	std::string text; /* as read: findings' places are offsets into it */
};

/* The call an offline judgement simulates: --id, the CONFIG's directory as
 * the bundle, --at, and with --engine that engine's own keys read as written. */
policy::CallContext callOf(const Options &o, const std::string &bundle);

/* Read CONFIG ("-": standard input) as runc reads a document of KIND.
 * Throws Error naming the file. */
Input readInput(const std::string &operand, policy::Scope kind);

/* `policy check`: each file's result written as soon as it is judged. */
int check(const Options &o, Output &out, Output &err, bool colour);

} // namespace bulkhead::offline::detail
