#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/output.h"
#include "bulkhead/policy.h"

/* SARIF 2.1.0 (OASIS, sarif-schema-2.1.0.json) for CI systems, written as it
 * goes: one run whose tool.driver lists every rule of the registry, with the
 * benchmark ids of compliance.h as taxonomies, then one result per finding.
 * Used by `policy check --format sarif` and `bulkhead audit --format sarif`. */
namespace bulkhead::sarif {

inline constexpr const char *kSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"
                                       "schemas/sarif-schema-2.1.0.json";

/* "error" for a finding enforce mode denies, "warning" for one it fixes,
 * "note" for one it only records. */
const char *level(policy::Action wouldBe) noexcept;

/* A path as a URI reference: absolute paths as file:///..., relative ones
 * relative (resolved against the run's working directory), with every byte
 * outside RFC 3986's unreserved set and '/' percent-encoded. */
std::string fileUri(std::string_view path);

/* The index of RULE in the driver's rules, or -1 for a name the registry lacks. */
int ruleIndex(std::string_view rule) noexcept;

/* A result object: ruleId (and ruleIndex when known), level, kind "fail",
 * message, properties (action, wouldBe, remedy, benchmark ids). LOCATIONS is
 * set as given (an array, or null for none). */
json::Value result(const policy::Finding &f, json::Value locations);

class Writer
{
public:
	/* Writes the log up to the opening of "results"; RUN_PROPERTIES (an
	 * object) become the run's properties. */
	Writer(Output &out, json::Value runProperties);
	/* One result, on a line of its own. */
	void add(const json::Value &result);
	/* COUNT results that join() wrote into RESULTS, as add() would write
	 * them one by one (`policy check` renders a file's results on the
	 * thread that judged it). */
	void addJoined(std::string_view results, size_t count);
	static void join(std::string &results, const json::Value &result);
	/* A tool execution notification (a file that could not be read): the
	 * first 1,000 are kept for the end of the run, the rest counted. */
	void notify(std::string_view level, std::string_view message, std::string_view uri);
	/* Closes results, writes the invocation (executionSuccessful, the
	 * notifications) and ends the log with a newline. */
	void finish(bool executionSuccessful);

private:
	Output &out_;
	size_t results_ = 0;
	std::vector<json::Value> notes_;
	size_t dropped_ = 0;
};

} // namespace bulkhead::sarif
