#pragma once

#include <string_view>

/* What each rule maps to in the benchmarks auditors are asked about: one table,
 * keyed by rule name, used by `policy check --format sarif` and by the audit
 * reports (SARIF, HTML, PolicyReport). */
namespace bulkhead::compliance {

inline constexpr const char *kCisName = "CIS Docker Benchmark";
inline constexpr const char *kCisVersion = "1.2.0"; /* section 5, Container Runtime */
inline constexpr const char *kPssName = "Kubernetes Pod Security Standards";

struct Ids
{
	const char *cis;      /* CIS Docker Benchmark section ("5.31"), nullptr when none */
	const char *cisTitle; /* its recommendation */
	const char *pss;      /* Pod Security Standards control ("baseline/host-namespaces") */
	const char *pssTitle; /* its name in the standard ("Host Namespaces") */
	const char *severity; /* "high", "medium", "low": how much a violation gives away */
};

/* The row of a rule; a rule without one gets {nullptr, ..., "medium"}. */
const Ids &lookup(std::string_view rule) noexcept;

/* "CIS-Docker 5.31, PSS baseline/host-namespaces", "" when none: one line for
 * text and HTML. */
std::string_view describe(std::string_view rule) noexcept;

} // namespace bulkhead::compliance
