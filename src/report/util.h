/* What the report formats share. */
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "bulkhead/report.h"

namespace bulkhead::report::detail {

/* The entries of a table, most decisions (or findings) first, ties by name. */
template <typename M, typename F>
std::vector<const typename M::value_type *> ranked(const M &map, F weight)
{
	std::vector<const typename M::value_type *> v;
	v.reserve(map.size());
	for (const auto &e : map)
		v.push_back(&e);
	std::stable_sort(v.begin(), v.end(), [&](const auto *a, const auto *b) {
		return weight(a->second) > weight(b->second);
	});
	return v;
}

inline std::vector<const std::pair<const std::string, Counts> *>
rankedCounts(const std::map<std::string, Counts> &m)
{
	return ranked(m, [](const Counts &c) { return c.total(); });
}

/* Uses (exemptions, overrides) in a stable order: kind, then name. */
inline std::vector<const Use *> usesOf(const std::map<std::string, Use> &m)
{
	std::vector<const Use *> v;
	for (const auto &[k, u] : m)
		v.push_back(&u);
	return v;
}

/* "P1.user, P3.capabilities" */
inline std::string joined(const std::vector<std::string> &v)
{
	std::string s;
	for (const auto &x : v)
		s += (s.empty() ? "" : ", ") + x;
	return s;
}

/* Finding groups: denials first, then fixes, then records; most frequent first. */
inline std::vector<const FindingGroup *> groupsOf(const Aggregate &a)
{
	std::vector<const FindingGroup *> v;
	for (const auto &[k, g] : a.groups)
		v.push_back(&g);
	auto rank = [](const FindingGroup *g) {
		return g->action == "deny" ? 0 : g->action == "mutate" ? 1 : 2;
	};
	std::stable_sort(v.begin(), v.end(), [&](const auto *x, const auto *y) {
		if (rank(x) != rank(y))
			return rank(x) < rank(y);
		return x->count > y->count;
	});
	return v;
}

} // namespace bulkhead::report::detail
