/* setup --dry-run's unified diff: the longest common subsequence of lines,
 * hunks with three lines of context, as diff -u prints them. Engine
 * configuration files are small; past a few million line pairs the whole
 * file is shown as replaced. */
#include <algorithm>
#include <cstdint>

#include "bulkhead/error.h"
#include "bulkhead/ops.h"

namespace bulkhead::ops {

namespace {

constexpr size_t kContext = 3;
constexpr size_t kMaxCells = 4u << 20;

/* Lines with their '\n', so that a missing final newline is a difference. */
std::vector<std::string> splitKeep(const std::string &s)
{
	std::vector<std::string> lines;
	size_t start = 0;
	while (start < s.size()) {
		size_t nl = s.find('\n', start);
		size_t end = nl == std::string::npos ? s.size() : nl + 1;
		lines.push_back(s.substr(start, end - start));
		start = end;
	}
	return lines;
}

enum class Op : unsigned char { Equal, Delete, Insert };

struct Step
{
	Op op;
	size_t a; /* line index in A (the position before which an insert goes) */
	size_t b;
};

std::vector<Step> script(const std::vector<std::string> &a, const std::vector<std::string> &b)
{
	const size_t n = a.size(), m = b.size();
	std::vector<Step> steps;
	if ((n + 1) * (m + 1) > kMaxCells) {
		for (size_t i = 0; i < n; i++)
			steps.push_back({Op::Delete, i, 0});
		for (size_t j = 0; j < m; j++)
			steps.push_back({Op::Insert, n, j});
		return steps;
	}
	/* lcs[i][j]: longest common subsequence of a[i..] and b[j..] */
	std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
	auto at = [&](size_t i, size_t j) -> uint32_t & { return lcs[i * (m + 1) + j]; };
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			at(i, j) = a[i] == b[j] ? at(i + 1, j + 1) + 1
			                        : std::max(at(i + 1, j), at(i, j + 1));
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && a[i] == b[j]) {
			steps.push_back({Op::Equal, i++, j++});
		} else if (j >= m || (i < n && at(i + 1, j) >= at(i, j + 1))) {
			steps.push_back({Op::Delete, i++, j});
		} else {
			steps.push_back({Op::Insert, i, j++});
		}
	}
	return steps;
}

std::string range(size_t first, size_t count)
{
	/* diff -u: "l" for one line, "l,c" otherwise; an empty range names the line before */
	if (count == 1)
		return std::to_string(first + 1);
	return std::to_string(count == 0 ? first : first + 1) + "," + std::to_string(count);
}

void emit(std::string &out, char mark, const std::string &line)
{
	out += mark;
	if (!line.empty() && line.back() == '\n') {
		out += line;
	} else {
		out += line;
		out += "\n\\ No newline at end of file\n";
	}
}

} // namespace

std::string unifiedDiff(const std::string &a, const std::string &b, const std::string &name,
                        bool aExists, bool bExists)
{
	if (a == b && aExists == bExists)
		return "";
	const auto la = splitKeep(a), lb = splitKeep(b);
	const auto steps = script(la, lb);
	std::string out = "--- " + (aExists ? name : std::string("/dev/null")) + "\n+++ " +
	                  (bExists ? name : std::string("/dev/null")) + "\n";
	size_t k = 0;
	while (k < steps.size()) {
		while (k < steps.size() && steps[k].op == Op::Equal)
			k++;
		if (k == steps.size())
			break;
		const size_t start = k >= kContext ? k - kContext : 0;
		/* extend over changes separated by at most 2 * kContext equal lines */
		size_t last = k, p = k;
		while (p < steps.size()) {
			if (steps[p].op != Op::Equal) {
				last = p++;
				continue;
			}
			size_t q = p;
			while (q < steps.size() && steps[q].op == Op::Equal)
				q++;
			if (q == steps.size() || q - p > 2 * kContext)
				break;
			p = q;
		}
		const size_t end = std::min(steps.size(), last + 1 + kContext);
		size_t aFirst = steps[start].a, bFirst = steps[start].b, aCount = 0, bCount = 0;
		for (size_t s = start; s < end; s++) {
			aCount += steps[s].op != Op::Insert ? 1 : 0;
			bCount += steps[s].op != Op::Delete ? 1 : 0;
		}
		out += "@@ -" + range(aFirst, aCount) + " +" + range(bFirst, bCount) + " @@\n";
		for (size_t s = start; s < end; s++) {
			const Step &st = steps[s];
			if (st.op == Op::Equal)
				emit(out, ' ', la[st.a]);
			else if (st.op == Op::Delete)
				emit(out, '-', la[st.a]);
			else
				emit(out, '+', lb[st.b]);
		}
		k = end;
	}
	return out;
}

} // namespace bulkhead::ops
