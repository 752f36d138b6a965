/* libFuzzer target for the JSON core: json::parse must accept what yajl
 * accepts and build the same tree (tests/unit/yajl_parse_oracle.h), with and
 * without comments; whatever parses must write and parse back to an equal tree,
 * compact and pretty, and pretty output must be stable. */
#include "../unit/yajl_oracle.h"
#include "../unit/yajl_parse_oracle.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace {

[[noreturn]] void mismatch(const char *what)
{
	std::fprintf(stderr, "fuzz_json: %s\n", what);
	std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace bulkhead::json;
	std::string_view text(reinterpret_cast<const char *>(data), size);
	ParseOptions opts;
	opts.maxBytes = 1u << 20;
	opts.maxDepth = 200; /* deeper than yajl_gen's 128, so both writers run */
	/* any bytes as the parsed-file cache's form: refused or read, never a crash */
	(void)detail::decode(text, 200);
	for (bool comments : {true, false}) {
		ParseOptions o = opts;
		o.allowComments = comments;
		if (auto d = bulkhead::test::parseDisagreement(text, o); !d.empty()) {
			std::fprintf(stderr, "fuzz_json: json::parse and yajl: %s\n", d.c_str());
			std::abort();
		}
	}
	Value v;
	try {
		v = parse(text, "fuzz", opts);
	} catch (const bulkhead::Error &) {
		return 0;
	}
	std::string compact, pretty;
	try {
		compact = write(v);
		pretty = write(v, true);
	} catch (const bulkhead::Error &) {
		mismatch("write failed on a parsed tree");
	}
	if (compact != bulkhead::test::yajlWrite(v, false).value_or(compact) ||
	    pretty != bulkhead::test::yajlWrite(v, true).value_or(pretty))
		mismatch("json::write and yajl_gen disagree");
	try {
		if (!(parse(compact, "compact", opts) == v))
			mismatch("compact round trip changed the tree");
		Value p = parse(pretty, "pretty", opts);
		if (!(p == v))
			mismatch("pretty round trip changed the tree");
		if (write(p, true) != pretty)
			mismatch("pretty output is not stable");
	} catch (const bulkhead::Error &e) {
		std::fprintf(stderr, "fuzz_json: reparse failed: %s\n", e.what());
		std::abort();
	}
	/* the parsed-file cache's form keeps the tree */
	{
		auto back = detail::decode(detail::encode(v));
		if (!back || !(*back == v))
			mismatch("decode(encode(tree)) is not the tree");
	}
	/* A two-element array [from, to] also exercises diff and applyPatch. */
	if (v.isArray() && v.items().size() == 2) {
		const Value &from = v.items()[0], &to = v.items()[1];
		Value x = from;
		try {
			applyPatch(x, diff(from, to));
		} catch (const bulkhead::Error &e) {
			std::fprintf(stderr, "fuzz_json: patch failed: %s\n", e.what());
			std::abort();
		}
		if (!(x == to))
			mismatch("applyPatch(from, diff(from, to)) != to");
	}
	return 0;
}
