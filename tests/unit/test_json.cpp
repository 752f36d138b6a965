#include "fixtures.h"
#include "yajl_oracle.h"
#include "yajl_parse_oracle.h"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/sha256.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using namespace bulkhead::json;
namespace fs = std::filesystem;

namespace {

std::string dataDir()
{
	const char *d = std::getenv("BULKHEAD_TEST_DATA");
	return d ? d : "tests/data";
}

std::vector<fs::path> specFiles()
{
	std::vector<fs::path> out;
	for (const auto &e : fs::directory_iterator(dataDir()))
		if (e.path().extension() == ".json")
			out.push_back(e.path());
	std::sort(out.begin(), out.end());
	return out;
}

/* The message of the Error{Json} that parsing text throws ("" if none). */
std::string parseError(std::string_view text, const ParseOptions &opts = {})
{
	try {
		(void)parse(text, "t.json", opts);
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Json);
		return e.what();
	}
	return "";
}

bool contains(const std::string &s, std::string_view part)
{
	return s.find(part) != std::string::npos;
}

/* A scratch directory removed at the end of the test. */
using test::TempDir;

std::string ioError(const std::string &path, size_t max, bool noFollow = false)
{
	try {
		(void)readFile(path, max, noFollow);
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Io);
		return e.what();
	}
	return "";
}

/* Random trees for the round-trip and diff properties. */
class Gen
{
public:
	explicit Gen(uint32_t seed) : rng_(seed) {}
	Value value(int depth)
	{
		int kind = pick(depth > 3 ? 4 : 6);
		switch (kind) {
		case 0:
			return Value();
		case 1:
			return Value::boolean(pick(2) == 1);
		case 2: {
			static const char *nums[] = {
			        "0",   "-0",   "1.50", "1E+3", "18446744073709551615",
			        "-12", "3e-7", "42",   "0.0",  "-9223372036854775808"};
			return Value::number(nums[pick(10)]);
		}
		case 3:
			return Value::string(str());
		case 4: {
			Value a = Value::array();
			int n = pick(5);
			for (int i = 0; i < n; i++)
				a.push(value(depth + 1));
			return a;
		}
		default: {
			Value o = Value::object();
			int n = pick(5);
			for (int i = 0; i < n; i++)
				o.set(key(), value(depth + 1));
			return o;
		}
		}
	}
	/* A variant of v: some members changed, dropped, added or reordered. */
	Value mutate(const Value &v, int depth)
	{
		if (pick(6) == 0)
			return value(depth);
		if (v.isArray()) {
			Value a = Value::array();
			for (const auto &i : v.items())
				if (pick(5) != 0)
					a.push(pick(3) == 0 ? mutate(i, depth + 1) : i);
			if (pick(3) == 0)
				a.push(value(depth + 1));
			return a;
		}
		if (v.isObject()) {
			Value o = Value::object();
			std::vector<Value::Member> ms = v.members();
			if (pick(4) == 0 && ms.size() > 1)
				std::swap(ms[0], ms[ms.size() - 1]);
			for (auto &[k, m] : ms)
				if (pick(5) != 0)
					o.set(k, pick(3) == 0 ? mutate(m, depth + 1) : m);
			if (pick(3) == 0)
				o.set(key(), value(depth + 1));
			return o;
		}
		return v;
	}

private:
	int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
	std::string key()
	{
		static const char *keys[] = {"a", "b", "c", "a/b", "m~n", "", "uid", "x y"};
		return keys[pick(8)];
	}
	std::string str()
	{
		static const char *strs[] = {"",        "x",          "(NUL)",
		                             "\"q\"\\", "line\nnext", "\xc3\xa9\xf0\x9f\x98\x80",
		                             "/path",   "\x01\x1f"};
		int i = pick(8);
		if (i == 2)
			return std::string("a\0b", 3);
		return strs[i];
	}
	std::mt19937 rng_;
};

} // namespace

/* ---- values ---- */

/* invalidUtf8 with its ASCII stride against the sequence-by-sequence reading */
static std::optional<size_t> firstBadBySequence(std::string_view s)
{
	for (size_t i = 0; i < s.size();) {
		const size_t len = json::detail::utf8Sequence(s, i);
		if (len == 0)
			return i;
		i += len;
	}
	return std::nullopt;
}

TEST_CASE("invalidUtf8 finds the first bad byte wherever the eight-byte stride falls", "[json]")
{
	const std::string_view pieces[] = {
	        "\xff",         "\xc3", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	        "\xed\xa0\x80", "\x80"};
	size_t checked = 0;
	for (size_t len = 0; len <= 24; len++)
		for (size_t at = 0; at <= len; at++)
			for (std::string_view piece : pieces) {
				std::string s(len, 'a');
				s.insert(at, piece);
				const auto want = firstBadBySequence(s);
				if (json::detail::invalidUtf8(s) != want)
					FAIL("len " << len << " at " << at << " piece of "
					            << piece.size());
				checked++;
			}
	CHECK(checked == 2275);
	CHECK(json::detail::invalidUtf8(std::string(1000, 'x') + "\xff") == 1000u);
	CHECK(!json::detail::invalidUtf8(std::string(1000, 'x') + "\xc3\xa9"));
}

TEST_CASE("Value constructors and accessors", "[json]")
{
	CHECK(Value().isNull());
	CHECK(Value::boolean(true).asBool());
	CHECK(Value::number(int64_t{-5}).numberText() == "-5");
	CHECK(Value::number(uint64_t{18446744073709551615u}).numberText() ==
	      "18446744073709551615");
	CHECK(Value::number("1.50").numberText() == "1.50");
	CHECK(Value::string(std::string("a\0b", 3)).asString().size() == 3);
	CHECK_THROWS_AS(Value::number("01"), Error);
	CHECK_THROWS_AS(Value::number("1."), Error);
	CHECK_THROWS_AS(Value::number("NaN"), Error);
	CHECK_THROWS_AS(Value::number(""), Error);
	CHECK_THROWS_AS(Value::number(" 1"), Error);
	CHECK(typeName(Type::Bool) == std::string("boolean"));
	CHECK(typeName(Type::Object) == std::string("object"));
}

TEST_CASE("accessor type mismatch throws Error{Json}", "[json]")
{
	Value n = Value::number(int64_t{1});
	try {
		(void)n.asString();
		FAIL("no throw");
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Json);
		CHECK(std::string(e.what()) == "expected string, got number");
	}
	CHECK_THROWS_AS(n.asBool(), Error);
	CHECK_THROWS_AS(n.items(), Error);
	CHECK_THROWS_AS(n.members(), Error);
	CHECK_THROWS_AS(n.push(Value()), Error);
	CHECK_THROWS_AS(n.set("a", Value()), Error);
	CHECK_THROWS_AS(Value::string("x").numberText(), Error);
	CHECK(n.find("a") == nullptr);
}

TEST_CASE("integer conversions", "[json]")
{
	auto v = [](const char *t) { return Value::number(t); };
	CHECK(v("42").asInt64() == 42);
	CHECK(v("-9223372036854775808").asInt64() == INT64_MIN);
	CHECK_FALSE(v("9223372036854775808").asInt64());
	CHECK(v("18446744073709551615").asUint64() == UINT64_MAX);
	CHECK_FALSE(v("18446744073709551616").asUint64());
	CHECK_FALSE(v("-1").asUint64());
	CHECK(v("-0").asUint64() == 0u);
	CHECK(v("-0").asInt64() == 0);
	CHECK_FALSE(v("1.5").asInt64());
	CHECK_FALSE(v("1e3").asInt64());
	CHECK_FALSE(v("1.0").asUint64());
	CHECK_FALSE(Value::string("1").asInt64());
}

TEST_CASE("object set keeps position, erase, find", "[json]")
{
	Value o = Value::object();
	o.set("a", Value::number(int64_t{1}));
	o.set("b", Value::number(int64_t{2}));
	o.set("a", Value::number(int64_t{3}));
	REQUIRE(o.members().size() == 2);
	CHECK(o.members()[0].first == "a");
	CHECK(o.members()[0].second.numberText() == "3");
	CHECK(o.find("b")->numberText() == "2");
	CHECK(o.erase("a"));
	CHECK_FALSE(o.erase("a"));
	CHECK(o.find("a") == nullptr);
}

TEST_CASE("equality compares order and number text, not offsets", "[json]")
{
	CHECK(parse(R"({"a":1,"b":2})", "x") == parse(R"( { "a" : 1 , "b" : 2 } )", "y"));
	CHECK_FALSE(parse(R"({"a":1,"b":2})", "x") == parse(R"({"b":2,"a":1})", "y"));
	CHECK_FALSE(parse("1.0", "x") == parse("1", "y"));
	CHECK_FALSE(parse("[]", "x") == parse("{}", "y"));
	CHECK_FALSE(parse("null", "x") == parse("false", "y"));
}

/* ---- parsing ---- */

TEST_CASE("parse keeps order, number text and embedded NUL", "[json][parse]")
{
	Value v = parse(
	        R"({"z":18446744073709551615,"a":1.50,"m":-0,"e":1E+3,"s":"x\u0000y","t":true,"n":null})",
	        "t.json");
	REQUIRE(v.members().size() == 7);
	CHECK(v.members()[0].first == "z");
	CHECK(v.members()[1].first == "a");
	CHECK(v.find("z")->numberText() == "18446744073709551615");
	CHECK(v.find("a")->numberText() == "1.50");
	CHECK(v.find("m")->numberText() == "-0");
	CHECK(v.find("e")->numberText() == "1E+3");
	CHECK((v.find("s")->asString() == std::string("x\0y", 3)));
	CHECK(v.find("t")->asBool());
	CHECK(v.find("n")->isNull());
	CHECK(write(v) ==
	      R"({"z":18446744073709551615,"a":1.50,"m":-0,"e":1E+3,"s":"x\u0000y","t":true,"n":null})");
}

TEST_CASE("parse decodes escapes and surrogate pairs", "[json][parse]")
{
	CHECK((parse(R"("\"\\\/\b\f\n\r\t")", "x").asString() == "\"\\/\b\f\n\r\t"));
	CHECK(parse(R"("\u00e9\u20AC")", "x").asString() == "\xc3\xa9\xe2\x82\xac");
	CHECK(parse(R"("\ud83d\ude00")", "x").asString() == "\xf0\x9f\x98\x80");
	CHECK(parse("\"\xf0\x9f\x98\x80\"", "x").asString() == "\xf0\x9f\x98\x80");
	CHECK((parse(R"({"a\u0000b":1})", "x").members()[0].first == std::string("a\0b", 3)));
	CHECK(parse(R"(["\\", "a\"b", "\\\"", "\"\\"])", "x").items()[3].asString() == "\"\\");
}

TEST_CASE("parse records offsets", "[json][parse]")
{
	std::string text = "{\n  \"a\": [1, \"x\", true],\n  \"b\": {}\n}";
	Value v = parse(text, "x");
	CHECK(v.offset() == 0);
	const Value &a = *v.find("a");
	CHECK(lineCol(text, a.offset()) == "2:8");
	CHECK(lineCol(text, a.items()[0].offset()) == "2:9");
	CHECK(lineCol(text, a.items()[1].offset()) == "2:12");
	CHECK(lineCol(text, a.items()[2].offset()) == "2:17");
	CHECK(lineCol(text, v.find("b")->offset()) == "3:8");
	CHECK(parse("  7", "x").offset() == 2);
}

TEST_CASE("lineCol", "[json]")
{
	CHECK(lineCol("abc", 0) == "1:1");
	CHECK(lineCol("abc", 2) == "1:3");
	CHECK(lineCol("a\nbc", 2) == "2:1");
	CHECK(lineCol("a\nbc", 3) == "2:2");
	CHECK(lineCol("a\n", 99) == "2:1");
}

TEST_CASE("parse refuses hostile and malformed input", "[json][parse][hostile]")
{
	SECTION("duplicate keys")
	{
		std::string e = parseError(R"({"uid":1000,"uid":0})");
		CHECK(e == "t.json:1:13: duplicate key \"uid\"");
		CHECK(contains(parseError("{\"a\":{\"x\":1,\n\"x\":2}}"),
		               "t.json:2:1: duplicate key"));
		/* Same key spelled differently is still the same key. */
		CHECK(contains(parseError(R"({"uid":1,"\u0075id":0})"), "duplicate key"));
		CHECK(contains(parseError(R"({"a\nb\u0000":1,"a\nb\u0000":2})"),
		               R"(duplicate key "a\nb\u0000")"));
		/* The same key in different objects is fine. */
		CHECK(parseError(R"([{"a":1},{"a":2}])").empty());
	}
	SECTION("empty input")
	{
		CHECK(contains(parseError(""), "t.json:1:1: empty input"));
		CHECK(contains(parseError(" \n\t "), "empty input"));
		CHECK(contains(parseError("/* nothing */"), "empty input"));
	}
	SECTION("trailing garbage")
	{
		CHECK(contains(parseError("{} x"), "t.json:1:4"));
		CHECK(contains(parseError("{}{}"), "trailing garbage"));
		CHECK(contains(parseError("1 2"), "trailing garbage"));
		CHECK(contains(parseError("[1]]"), "trailing garbage"));
		/* an open string after the value (yajl, waiting for its end, took it) */
		CHECK(contains(parseError("1 \"x"), "t.json:1:3: trailing garbage"));
		CHECK(contains(parseError("{}\""), "trailing garbage"));
		CHECK(!parseError("01").empty());
		CHECK(parseError("{} \n").empty());
	}
	SECTION("syntax errors")
	{
		for (const char *t : {"[1,]",    "{\"a\":1,}", "{a:1}",       "['a']",
		                      "[1 2]",   "{\"a\"}",    "{\"a\":}",    "[",
		                      "{",       "\"abc",      "tru",         "nul",
		                      "1.",      "-",          ".5",          "+1",
		                      "0x10",    "NaN",        "Infinity",    "[1,,2]",
		                      "\"\\x\"", "\"\\u12\"",  "\"\\u12G4\"", "\xef\xbb\xbf{}"})
			CHECK_FALSE(parseError(t).empty());
	}
	SECTION("raw control characters in strings")
	{
		CHECK(!parseError("\"a\tb\"").empty());
		CHECK(!parseError("\"a\nb\"").empty());
		CHECK(!parseError(std::string("\"a\0b\"", 5)).empty());
		CHECK(!parseError(std::string("[1]\0", 4)).empty());
	}
	SECTION("invalid UTF-8")
	{
		CHECK(contains(parseError("\"\xff\""), "t.json:1:2: invalid UTF-8"));
		CHECK(contains(parseError("\"\xc0\xaf\""), "invalid UTF-8"));     /* overlong '/' */
		CHECK(contains(parseError("\"\xe0\x80\xaf\""), "invalid UTF-8")); /* overlong */
		CHECK(contains(parseError("\"\xf0\x80\x80\xaf\""), "invalid UTF-8")); /* overlong */
		CHECK(contains(parseError("\"\xed\xa0\x80\""), "invalid UTF-8")); /* surrogate */
		CHECK(contains(parseError("\"\xf4\x90\x80\x80\""),
		               "invalid UTF-8"));                         /* > U+10FFFF */
		CHECK(contains(parseError("\"\xc3\""), "invalid UTF-8")); /* truncated */
		CHECK(contains(parseError("\"\x80\""), "invalid UTF-8"));
		CHECK(contains(parseError("{\"\xfe\":1}"), "invalid UTF-8"));
		CHECK(contains(parseError("[1] /* \xff */"), "invalid UTF-8"));
	}
	SECTION("lone surrogates")
	{
		CHECK(contains(parseError(R"("\ud800")"), "t.json:1:2: lone high surrogate"));
		CHECK(contains(parseError(R"("\ud800x")"), "lone high surrogate"));
		CHECK(contains(parseError(R"("\ud800\u0041")"), "lone high surrogate"));
		CHECK(contains(parseError(R"("\ud800\ud800")"), "lone high surrogate"));
		CHECK(contains(parseError(R"("\udc00")"), "lone low surrogate"));
		CHECK(contains(parseError(R"({"\udfff":1})"), "lone low surrogate"));
	}
	SECTION("depth")
	{
		ParseOptions o;
		o.maxDepth = 3;
		CHECK(parseError("[[[1]]]", o).empty());
		CHECK(contains(parseError("[[[[1]]]]", o),
		               "t.json:1:4: nesting deeper than 3 levels"));
		CHECK(contains(parseError("{\"a\":{\"b\":{\"c\":{}}}}", o), "nesting deeper"));
		/* 100000 '[' must be an error, not a crash. */
		CHECK(contains(parseError(std::string(100000, '[')), "nesting deeper than 1000"));
		CHECK(contains(parseError(std::string(100000, '[') + std::string(100000, ']')),
		               "nesting deeper"));
		std::string objs;
		for (int i = 0; i < 100000; i++)
			objs += "{\"a\":";
		CHECK(contains(parseError(objs), "t.json:1:5001: nesting deeper than 1000"));
		CHECK(parseError(std::string(1000, '[') + std::string(1000, ']')).empty());
	}
	SECTION("size")
	{
		ParseOptions o;
		o.maxBytes = 10;
		CHECK(parseError("[1,2,3,4]", o).empty());
		CHECK(contains(parseError("[1,2,3,4,5]", o), "larger than the limit of 10 bytes"));
	}
	SECTION("value count")
	{
		ParseOptions o;
		o.maxValues = 4;
		CHECK(parseError("[1,2,3]", o).empty());
		CHECK(contains(parseError("[1,2,3,4]", o), "more than 4 values"));
		/* A hostile flat array of zeros stops at the default bound. */
		std::string big = "[";
		for (size_t i = 0; i < (1u << 20) + 1; i++)
			big += "0,";
		big += "0]";
		CHECK(contains(parseError(big), "more than 1048576 values"));
	}
	SECTION("comments")
	{
		CHECK(parse("/* a */ {\"a\": 1 // b\n}", "x").find("a") != nullptr);
		ParseOptions o;
		o.allowComments = false;
		CHECK(!parseError("/* a */ {}", o).empty());
		CHECK(!parseError("{} // x", o).empty());
		CHECK(!parseError("[1 /* unterminated").empty());
	}
}

TEST_CASE("many keys in one object are checked fast", "[json][parse][hostile]")
{
	std::string t = "{";
	for (int i = 0; i < 200000; i++)
		t += "\"k" + std::to_string(i) + "\":0,";
	t += "\"k7\":1}";
	CHECK(contains(parseError(t), "duplicate key \"k7\""));
}

TEST_CASE("nested containers keep their own elements and keys", "[json][parse]")
{
	/* inner objects reuse the outer's keys; arrays nest in objects and back */
	const Value v = parse(
	        R"({"a":{"a":1,"b":[{"a":2},[3,{"b":4}]]},"b":[5,{"a":{"a":6}}],"c":7})", "x");
	CHECK(write(v) == R"({"a":{"a":1,"b":[{"a":2},[3,{"b":4}]]},"b":[5,{"a":{"a":6}}],"c":7})");
	CHECK(v.members().size() == 3);
	CHECK(v.find("a")->members().size() == 2);
	CHECK(v.find("b")->items().size() == 2);
	/* a duplicate after a nested object is still found, in both regimes:
	 * fewer keys than the set threshold, and more */
	CHECK(contains(parseError(R"({"a":1,"b":{"c":1,"a":2},"a":3})"), "duplicate key \"a\""));
	CHECK(parseError(R"({"a":1,"b":{"c":1,"a":2},"c":3})").empty());
	std::string many = "{";
	for (int i = 0; i < 40; i++)
		many += "\"k" + std::to_string(i) + "\":{\"k" + std::to_string(i + 1) +
		        "\":[1,{\"k0\":2}]},";
	CHECK(parseError(many + "\"z\":0}").empty());
	CHECK(contains(parseError(many + "\"k39\":0}"), "duplicate key \"k39\""));
	/* and elements stay in order across nested arrays */
	const Value a = parse("[[1,2],[3,[4,5]],6]", "x");
	CHECK(write(a) == "[[1,2],[3,[4,5]],6]");
}

/* ---- writing ---- */

TEST_CASE("write: compact and pretty", "[json][write]")
{
	Value v = parse(R"({"a":[1,{"b":null}],"c":{},"d":[],"e":"x/y"})", "x");
	CHECK(write(v) == R"({"a":[1,{"b":null}],"c":{},"d":[],"e":"x/y"})");
	CHECK(write(v, true) == "{\n"
	                        "  \"a\": [\n"
	                        "    1,\n"
	                        "    {\n"
	                        "      \"b\": null\n"
	                        "    }\n"
	                        "  ],\n"
	                        "  \"c\": {},\n"
	                        "  \"d\": [],\n"
	                        "  \"e\": \"x/y\"\n"
	                        "}\n");
	CHECK(write(Value()) == "null");
	CHECK(write(Value(), true) == "null\n");
	CHECK((write(Value::string(std::string("\0\x1f\x7f\"\\\n", 6))) ==
	       "\"\\u0000\\u001F\x7f\\\"\\\\\\n\""));
}

TEST_CASE("write escapes every byte as yajl_gen does", "[json][write]")
{
	std::string all;
	for (int c = 0; c < 0x80; c++)
		all.push_back(static_cast<char>(c));
	all += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/"; /* é € an emoji, and a slash */
	Value o = Value::object();
	o.set(all, Value::string(all));
	for (bool pretty : {false, true})
		CHECK((write(o, pretty) == test::yajlWrite(o, pretty).value()));
}

TEST_CASE("write refuses strings that are not UTF-8", "[json][write]")
{
	CHECK_THROWS_AS(write(Value::string("\xff")), Error);
	Value o = Value::object();
	o.set("\xc0\xaf", Value());
	CHECK_THROWS_AS(write(o), Error);
	CHECK_THROWS_AS(write(o, true), Error);
}

TEST_CASE("write handles trees deeper than yajl_gen's limit", "[json][write]")
{
	for (size_t depth : {127u, 128u, 129u, 500u}) {
		std::string t = std::string(depth, '[') + "1" + std::string(depth, ']');
		Value v = parse(t, "x");
		CHECK((write(v) == t));
		std::string p = write(v, true);
		CHECK((parse(p, "p") == v));
		/* where yajl_gen can write it, the same bytes */
		auto ref = test::yajlWrite(v, true);
		CHECK(ref.has_value() == (depth < YAJL_MAX_DEPTH));
		if (ref)
			CHECK((p == *ref));
	}
}

TEST_CASE("every spec round-trips", "[json][write][specs]")
{
	auto files = specFiles();
	REQUIRE(files.size() >= 10);
	for (const auto &f : files) {
		INFO(f.string());
		Value v = parseFile(f.string());
		std::string compact = write(v), pretty = write(v, true);
		CHECK(parse(compact, "c") == v);
		CHECK(parse(pretty, "p") == v);
		CHECK((write(parse(pretty, "p"), true) == pretty));
		CHECK((compact == test::yajlWrite(v, false).value()));
		CHECK((pretty == test::yajlWrite(v, true).value()));
		CHECK(pretty.back() == '\n');
	}
}

TEST_CASE("random trees round-trip", "[json][write][property]")
{
	Gen g(1234);
	for (int i = 0; i < 500; i++) {
		Value v = g.value(0);
		std::string c = write(v), p = write(v, true);
		INFO("generated case " << i << " of Gen(1234)");
		CHECK((parse(c, "c") == v));
		CHECK((parse(p, "p") == v));
		CHECK((c == test::yajlWrite(v, false).value_or(c)));
		CHECK((p == test::yajlWrite(v, true).value_or(p)));
	}
}

/* ---- files ---- */

TEST_CASE("readFile reads regular files with a bound", "[json][io]")
{
	TempDir d;
	auto p = d.write("a.json", "{\"a\":1}");
	CHECK(readFile(p, 100) == "{\"a\":1}");
	CHECK(readFile(p, 7) == "{\"a\":1}");
	CHECK(ioError(p, 6) == p + ": larger than the limit of 6 bytes");
	CHECK(parseFile(p).find("a")->numberText() == "1");
	CHECK(contains(ioError(d.path + "/missing", 10), "No such file"));
}

TEST_CASE("readFile refuses what is not a regular file", "[json][io][hostile]")
{
	TempDir d;
	CHECK(ioError("/dev/zero", 100) == "/dev/zero: not a regular file");
	CHECK(ioError("/dev/null", 100) == "/dev/null: not a regular file");
	CHECK(ioError(d.path, 100) == d.path + ": not a regular file");
	fs::path fifo = fs::path(d.path) / "fifo";
	REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
	/* Must return at once (O_NONBLOCK), not wait for a writer. */
	CHECK(ioError(fifo.string(), 100) == fifo.string() + ": not a regular file");
	auto target = d.write("t.json", "[]");
	fs::path link = fs::path(d.path) / "link.json";
	fs::create_symlink(target, link);
	CHECK(readFile(link.string(), 100) == "[]");
	CHECK(ioError(link.string(), 100, true) ==
	      link.string() + ": is a symbolic link (refused)");
	fs::path dirLink = fs::path(d.path) / "dirlink";
	fs::create_symlink(d.path, dirLink);
	/* Only the last component is checked. */
	CHECK(readFile((dirLink / "t.json").string(), 100, true) == "[]");
}

TEST_CASE("readFileOrPipe also reads a pipe or FIFO to its end, never a device",
          "[json][io][hostile]")
{
	TempDir d;
	auto p = d.write("a.json", "{}");
	CHECK(readFileOrPipe(p, 10) == "{}");
	int fds[2];
	REQUIRE(::pipe(fds) == 0);
	REQUIRE(::write(fds[1], "[1,2]", 5) == 5);
	::close(fds[1]);
	/* what `runc exec -p <(...)` hands over */
	const std::string devfd = "/dev/fd/" + std::to_string(fds[0]);
	CHECK(readFileOrPipe(devfd, 100) == "[1,2]");
	::close(fds[0]);
	REQUIRE(::pipe(fds) == 0);
	const std::string big(200, ' ');
	REQUIRE(::write(fds[1], big.data(), big.size()) == 200);
	::close(fds[1]);
	try {
		(void)readFileOrPipe("/dev/fd/" + std::to_string(fds[0]), 100);
		FAIL("no throw");
	} catch (const Error &e) {
		CHECK(contains(e.what(), "larger than the limit of 100 bytes"));
	}
	::close(fds[0]);
	/* A FIFO nobody writes to reads empty at once. */
	fs::path fifo = fs::path(d.path) / "fifo";
	REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
	CHECK(readFileOrPipe(fifo.string(), 100).empty());
	try {
		(void)readFileOrPipe("/dev/zero", 100);
		FAIL("no throw");
	} catch (const Error &e) {
		CHECK(std::string(e.what()) == "/dev/zero: neither a regular file nor a pipe");
	}
}

TEST_CASE("parseFile names the file in errors", "[json][io]")
{
	TempDir d;
	auto p = d.write("bad.json", "{\n  \"a\": 1,\n  \"a\": 2\n}\n");
	try {
		(void)parseFile(p);
		FAIL("no throw");
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Json);
		CHECK(std::string(e.what()) == p + ":3:3: duplicate key \"a\"");
	}
	auto big = d.write("big.json", "[" + std::string(100, ' ') + "]");
	ParseOptions o;
	o.maxBytes = 50;
	CHECK_THROWS_AS(parseFile(big, o), Error);
}

TEST_CASE("readFd reads a pipe with a bound", "[json][io]")
{
	int fds[2];
	REQUIRE(::pipe(fds) == 0);
	REQUIRE(::write(fds[1], "[1,2]", 5) == 5);
	::close(fds[1]);
	CHECK(readFd(fds[0], "stdin", 5) == "[1,2]");
	::close(fds[0]);

	REQUIRE(::pipe(fds) == 0);
	REQUIRE(::write(fds[1], "[1,2,3]", 7) == 7);
	::close(fds[1]);
	try {
		(void)readFd(fds[0], "stdin", 6);
		FAIL("no throw");
	} catch (const Error &e) {
		CHECK(std::string(e.what()) == "stdin: larger than the limit of 6 bytes");
	}
	::close(fds[0]);

	/* An endless source stops at the bound. */
	int z = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
	REQUIRE(z >= 0);
	CHECK_THROWS_AS(readFd(z, "/dev/zero", 1u << 20), Error);
	::close(z);
}

/* ---- pointers ---- */

TEST_CASE("Pointer syntax", "[json][pointer]")
{
	CHECK(Pointer::parse("").tokens().empty());
	CHECK(Pointer::parse("/").tokens() == std::vector<std::string>{""});
	CHECK(Pointer::parse("/a~1b/m~0n/0").tokens() ==
	      std::vector<std::string>{"a/b", "m~n", "0"});
	CHECK(Pointer::parse("/~01").tokens() == std::vector<std::string>{"~1"});
	CHECK(Pointer::parse("/a~1b/m~0n/0").str() == "/a~1b/m~0n/0");
	CHECK((Pointer() / "linux" / "namespaces" / size_t{0}).str() == "/linux/namespaces/0");
	CHECK((Pointer() / "a/b" / "~").str() == "/a~1b/~0");
	CHECK(Pointer::parse("/x//y").tokens().size() == 3);
	CHECK_THROWS_AS(Pointer::parse("a"), Error);
	CHECK_THROWS_AS(Pointer::parse("/a~"), Error);
	CHECK_THROWS_AS(Pointer::parse("/a~2"), Error);
	CHECK(Pointer::parse("/a/b") == Pointer() / "a" / "b");
}

TEST_CASE("get follows RFC 6901", "[json][pointer]")
{
	/* The example document of RFC 6901 section 5. */
	Value doc = parse(R"({"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,
		"k\"l":6," ":7,"m~n":8})",
	                  "x");
	CHECK(*get(doc, Pointer::parse("")) == doc);
	CHECK(get(doc, Pointer::parse("/foo"))->items().size() == 2);
	CHECK(get(doc, Pointer::parse("/foo/0"))->asString() == "bar");
	CHECK(get(doc, Pointer::parse("/"))->numberText() == "0");
	CHECK(get(doc, Pointer::parse("/a~1b"))->numberText() == "1");
	CHECK(get(doc, Pointer::parse("/i\\j"))->numberText() == "5");
	CHECK(get(doc, Pointer::parse("/k\"l"))->numberText() == "6");
	CHECK(get(doc, Pointer::parse("/ "))->numberText() == "7");
	CHECK(get(doc, Pointer::parse("/m~0n"))->numberText() == "8");
	CHECK(get(doc, Pointer::parse("/foo/2")) == nullptr);
	CHECK(get(doc, Pointer::parse("/foo/-")) == nullptr);
	CHECK(get(doc, Pointer::parse("/foo/01")) == nullptr);
	CHECK(get(doc, Pointer::parse("/foo/+1")) == nullptr);
	CHECK(get(doc, Pointer::parse("/foo/0/x")) == nullptr);
	CHECK(get(doc, Pointer::parse("/nope")) == nullptr);
	const Value &cdoc = doc;
	CHECK(get(cdoc, Pointer::parse("/foo/1"))->asString() == "baz");
}

TEST_CASE("set creates parents, inserts and appends", "[json][pointer]")
{
	Value doc = parse(R"({"a":{"x":1},"l":[1,2]})", "x");
	set(doc, Pointer::parse("/a/x"), Value::number("2"));
	set(doc, Pointer::parse("/b/c/d"), Value::boolean(true));
	set(doc, Pointer::parse("/l/-"), Value::number("3"));
	set(doc, Pointer::parse("/l/0"), Value::number("0"));
	set(doc, Pointer::parse("/l/4"), Value::number("4"));
	CHECK(write(doc) == R"({"a":{"x":2},"l":[0,1,2,3,4],"b":{"c":{"d":true}}})");
	CHECK_THROWS_AS(set(doc, Pointer::parse("/l/9"), Value()), Error);
	CHECK_THROWS_AS(set(doc, Pointer::parse("/l/x"), Value()), Error);
	CHECK_THROWS_AS(set(doc, Pointer::parse("/a/x/y"), Value()), Error);
	CHECK_THROWS_AS(set(doc, Pointer::parse("/l/7/y"), Value()), Error);
	set(doc, Pointer(), Value::number("1"));
	CHECK(write(doc) == "1");
}

TEST_CASE("remove", "[json][pointer]")
{
	Value doc = parse(R"({"a":{"x":1,"y":2},"l":[1,2,3]})", "x");
	CHECK(remove(doc, Pointer::parse("/a/x")));
	CHECK_FALSE(remove(doc, Pointer::parse("/a/x")));
	CHECK(remove(doc, Pointer::parse("/l/1")));
	CHECK_FALSE(remove(doc, Pointer::parse("/l/5")));
	CHECK_FALSE(remove(doc, Pointer::parse("/l/-")));
	CHECK_FALSE(remove(doc, Pointer::parse("/q/r")));
	CHECK_FALSE(remove(doc, Pointer::parse("/a/y/z")));
	CHECK(write(doc) == R"({"a":{"y":2},"l":[1,3]})");
	CHECK_THROWS_AS(remove(doc, Pointer()), Error);
}

/* ---- patches ---- */

TEST_CASE("diff produces the documented operations", "[json][patch]")
{
	Value a = parse(R"({"a":1,"b":{"c":"x"},"l":[1,2,3],"gone":true})", "a");
	Value b = parse(R"({"a":2,"b":{"c":"x","d":null},"l":[1,5],"new":[]})", "b");
	CHECK(write(diff(a, b)) == R"([{"op":"remove","path":"/gone"},)"
	                           R"({"op":"replace","path":"/a","value":2},)"
	                           R"({"op":"add","path":"/b/d","value":null},)"
	                           R"({"op":"replace","path":"/l/1","value":5},)"
	                           R"({"op":"remove","path":"/l/2"},)"
	                           R"({"op":"add","path":"/new","value":[]}])");
	CHECK(write(diff(a, a)) == "[]");
	CHECK(write(diff(parse("1", "x"), parse("[1]", "y"))) ==
	      R"([{"op":"replace","path":"","value":[1]}])");
	CHECK(write(diff(parse("[1]", "x"), parse("[1,2,3]", "y"))) ==
	      R"([{"op":"add","path":"/1","value":2},{"op":"add","path":"/2","value":3}])");
	CHECK(write(diff(parse("1.0", "x"), parse("1", "y"))) ==
	      R"([{"op":"replace","path":"","value":1}])");
	CHECK(write(diff(parse(R"({"a/b":1})", "x"), parse(R"({"a/b":2})", "y"))) ==
	      R"([{"op":"replace","path":"/a~1b","value":2}])");
}

TEST_CASE("diff keeps key order", "[json][patch]")
{
	Value a = parse(R"({"a":1,"b":2,"c":3})", "a");
	Value b = parse(R"({"a":1,"c":3,"b":2})", "b");
	Value p = diff(a, b);
	Value x = a;
	applyPatch(x, p);
	CHECK(x == b);
	CHECK(write(x) == write(b));
}

TEST_CASE("applyPatch(from, diff(from, to)) == to", "[json][patch][property]")
{
	Gen g(42);
	for (int i = 0; i < 2000; i++) {
		Value from = g.value(0);
		Value to = g.mutate(from, 0);
		Value patch = diff(from, to);
		Value x = from;
		/* short: the TAP stream carries it for every assertion */
		INFO("generated case " << i << " of Gen(42)");
		applyPatch(x, patch);
		CHECK((x == to));
		if (from == to)
			CHECK(patch.items().empty());
		/* The patch itself is a JSON document that round-trips. */
		CHECK((parse(write(patch), "p") == patch));
	}
	for (const auto &f : specFiles()) {
		Value from = parseFile(f.string());
		for (const auto &t : specFiles()) {
			Value to = parseFile(t.string());
			Value x = from;
			applyPatch(x, diff(from, to));
			CHECK((x == to));
		}
	}
}

TEST_CASE("applyPatch operations (RFC 6902 appendix A)", "[json][patch]")
{
	auto apply = [](const char *doc, const char *patch) {
		Value d = parse(doc, "doc");
		applyPatch(d, parse(patch, "patch"));
		return write(d);
	};
	CHECK(apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])") ==
	      R"({"foo":"bar","baz":"qux"})");
	CHECK(apply(R"({"foo":["bar","baz"]})",
	            R"([{"op":"add","path":"/foo/1","value":"qux"}])") ==
	      R"({"foo":["bar","qux","baz"]})");
	CHECK(apply(R"({"foo":[1]})", R"([{"op":"add","path":"/foo/-","value":2}])") ==
	      R"({"foo":[1,2]})");
	CHECK(apply(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])") ==
	      R"({"foo":"bar"})");
	CHECK(apply(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])") ==
	      R"({"foo":["bar","baz"]})");
	CHECK(apply(R"({"baz":"qux","foo":"bar"})",
	            R"([{"op":"replace","path":"/baz","value":"boo"}])") ==
	      R"({"baz":"boo","foo":"bar"})");
	CHECK(apply(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
	            R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])") ==
	      R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
	CHECK(apply(R"({"foo":["all","grass","cows","eat"]})",
	            R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])") ==
	      R"({"foo":["all","cows","eat","grass"]})");
	CHECK(apply(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])") ==
	      R"({"a":{"b":1},"c":{"b":1}})");
	CHECK(apply(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])") == R"({"a":1})");
	CHECK(apply(R"({"baz":"qux","foo":["a",2,"c"]})",
	            R"([{"op":"test","path":"/baz","value":"qux"},)"
	            R"({"op":"test","path":"/foo/1","value":2}])") ==
	      R"({"baz":"qux","foo":["a",2,"c"]})");
	CHECK(apply(R"({"o":{"a":1,"b":2}})",
	            R"([{"op":"test","path":"/o","value":{"b":2,"a":1}}])") ==
	      R"({"o":{"a":1,"b":2}})");
	CHECK(apply(R"({"a":1})", R"([{"op":"replace","path":"","value":[]}])") == "[]");
}

TEST_CASE("applyPatch refuses bad patches and leaves the document alone", "[json][patch]")
{
	const char *bad[] = {
	        R"({})",
	        R"([1])",
	        R"([{"path":"/a"}])",
	        R"([{"op":"add","value":1}])",
	        R"([{"op":"frob","path":"/a"}])",
	        R"([{"op":"add","path":"/x/y","value":1}])",
	        R"([{"op":"add","path":"/l/5","value":1}])",
	        R"([{"op":"add","path":"/a"}])",
	        R"([{"op":"remove","path":"/nope"}])",
	        R"([{"op":"replace","path":"/nope","value":1}])",
	        R"([{"op":"move","from":"/nope","path":"/a"}])",
	        R"([{"op":"move","from":"/l","path":"/l/0"}])",
	        R"([{"op":"copy","path":"/a"}])",
	        R"([{"op":"test","path":"/a","value":2}])",
	        R"([{"op":"test","path":"/a","value":1.0}])",
	        R"([{"op":"add","path":"/z","value":1},{"op":"test","path":"/a","value":9}])",
	        R"([{"op":"add","path":"a","value":1}])",
	};
	for (const char *p : bad) {
		INFO(p);
		Value d = parse(R"({"a":1,"l":[1]})", "doc");
		CHECK_THROWS_AS(applyPatch(d, parse(p, "patch")), Error);
		CHECK(write(d) == R"({"a":1,"l":[1]})");
	}
}

/* ---- sha256 ---- */

TEST_CASE("sha256 FIPS 180-4 vectors", "[sha256]")
{
	CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(sha256Hex("abc") ==
	      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK(sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjk"
	                "lmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	CHECK(sha256Hex(std::string(1000000, 'a')) ==
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	CHECK(sha256Hex(std::string("\0", 1)) ==
	      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST_CASE("sha256 at the padding boundaries", "[sha256]")
{
	/* Lengths around one block, checked against sha256sum's values. */
	CHECK(sha256Hex(std::string(55, 'a')) ==
	      "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	CHECK(sha256Hex(std::string(56, 'a')) ==
	      "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	CHECK(sha256Hex(std::string(64, 'a')) ==
	      "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("sha256 with the SHA extensions equals the portable one", "[sha256]")
{
	/* every length around the block and padding boundaries, then a few long ones */
	std::string data;
	uint32_t x = 2463534242u;
	for (size_t n = 0; n < 300; n++) {
		CHECK(sha256Hex(data) == sha256HexPortable(data));
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data.push_back(static_cast<char>(x & 0xFF));
	}
	for (size_t n : {4096u, 65536u, 100001u}) {
		const std::string big(n, static_cast<char>(n & 0x7F));
		CHECK(sha256Hex(big) == sha256HexPortable(big));
	}
	CHECK(sha256HexPortable("abc") ==
	      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---- the compact form of the parsed-file cache ---- */

namespace {

/* equal, offsets included */
bool same(const Value &a, const Value &b)
{
	if (!(a == b) || a.offset() != b.offset())
		return false;
	if (a.isArray())
		for (size_t i = 0; i < a.items().size(); i++)
			if (!same(a.items()[i], b.items()[i]))
				return false;
	if (a.isObject())
		for (size_t i = 0; i < a.members().size(); i++)
			if (!same(a.members()[i].second, b.members()[i].second))
				return false;
	return true;
}

} // namespace

TEST_CASE("encode and decode keep every spec and its offsets", "[json][encode]")
{
	for (const auto &f : specFiles()) {
		INFO(f.string());
		Value v = parseFile(f.string());
		auto back = detail::decode(detail::encode(v));
		REQUIRE(back.has_value());
		CHECK(same(*back, v));
	}
	Gen g(77);
	for (int i = 0; i < 300; i++) {
		INFO("generated case " << i << " of Gen(77)");
		Value v = parse(write(g.value(0)), "g");
		auto back = detail::decode(detail::encode(v));
		REQUIRE(back.has_value());
		CHECK(same(*back, v));
	}
}

TEST_CASE("decode refuses what encode did not write or parse would refuse", "[json][encode]")
{
	const std::string good =
	        detail::encode(parse(R"({"a": [1, "x", null, true], "b": {}})", "t"));
	CHECK(detail::decode(good).has_value());
	/* every truncation, and trailing bytes */
	for (size_t n = 0; n < good.size(); n++)
		CHECK_FALSE(detail::decode(good.substr(0, n)).has_value());
	CHECK_FALSE(detail::decode(good + "n").has_value());
	CHECK_FALSE(detail::decode("XXXX" + good.substr(4)).has_value());
	/* a duplicate key, bad UTF-8, a number JSON would not write */
	Value dup = Value::object();
	dup.members().emplace_back("k", Value::number(int64_t{1}));
	dup.members().emplace_back("k", Value::number(int64_t{0}));
	CHECK_FALSE(detail::decode(detail::encode(dup)).has_value());
	CHECK_FALSE(detail::decode(detail::encode(Value::string("\xff"))).has_value());
	std::string num = detail::encode(Value::number(int64_t{12}));
	num[6] = 'x'; /* "BHJ1" '#' len '1' '2' */
	CHECK_FALSE(detail::decode(num).has_value());
	/* deeper than the bound */
	std::string deep = "[";
	for (int i = 0; i < 50; i++)
		deep += "[";
	deep += std::string(51, ']');
	CHECK(detail::decode(detail::encode(parse(deep, "d")), 100).has_value());
	CHECK_FALSE(detail::decode(detail::encode(parse(deep, "d")), 10).has_value());
}

TEST_CASE("json::parse reads what yajl reads", "[json][parse][oracle]")
{
	/* every document the tests hold, both as they are and with comments off */
	std::vector<std::string> texts;
	for (const auto &f : specFiles())
		texts.push_back(test::slurp(f.string()));
	const std::string root = test::env("BULKHEAD_SOURCE_ROOT");
	for (const char *dir : {"/policies", "/tests/fuzz/corpus/json", "/tests/fuzz/corpus/spec",
	                        "/tests/fuzz/corpus/policy", "/tests/fuzz/corpus/process"})
		for (const auto &e : fs::directory_iterator(root + dir))
			if (e.is_regular_file())
				texts.push_back(test::slurp(e.path().string()));
	REQUIRE(texts.size() >= 40);
	/* and the edges of the grammar as yajl 2 draws them */
	for (const char *t : {"0",
	                      "-0",
	                      "1.5e+10",
	                      "1E-0",
	                      "01",
	                      "-",
	                      "-a",
	                      "1.",
	                      "1.e5",
	                      "1e",
	                      "1e+",
	                      ".5",
	                      "[1,2]",
	                      "[1,]",
	                      "[,1]",
	                      "[1 2]",
	                      "[]",
	                      "{}",
	                      "[ ]",
	                      "{ }",
	                      "{\"a\":}",
	                      "{\"a\" 1}",
	                      "{\"a\":1,}",
	                      "{,}",
	                      "{1:2}",
	                      "{\"a\":1 \"b\":2}",
	                      "[1]]",
	                      "{}}",
	                      "true",
	                      "false",
	                      "null",
	                      "tru",
	                      "nul",
	                      "fals",
	                      "trueX",
	                      "True",
	                      "NULL",
	                      "[true,false,null]",
	                      "\"a\\u0041\"",
	                      "\"\\u00\"",
	                      "\"\\x\"",
	                      "\"\\ud800\\udc00\"",
	                      "\"\\udc00\"",
	                      "\"\\ud800\"",
	                      "\"abc",
	                      "\"a\tb\"",
	                      "[\"\\\"\"]",
	                      " \v[1]\f ",
	                      "\v",
	                      "/**/1",
	                      "1/**/",
	                      "1 /* open",
	                      "1 // open",
	                      "[1 /* open",
	                      "// c\n[1]",
	                      "/",
	                      "1 /",
	                      "/x1",
	                      "[1/**/,/**/2]",
	                      "{\"a\"/**/:/**/1}",
	                      "/* only */",
	                      "[1]\x01",
	                      "{\"a\":1,\"a\":2}",
	                      "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
	                      "[[[[]]]]",
	                      "[{\"k\":[{}]}]",
	                      "1 2",
	                      "\"\xc3\xa9\"",
	                      "\xef\xbb\xbf{}",
	                      "[1e400]",
	                      "-12345678901234567890123"})
		texts.emplace_back(t);
	texts.emplace_back(std::string("[1]\0", 4));
	texts.emplace_back(std::string("\"a\0b\"", 5));
	std::string deep;
	for (int i = 0; i < 40; i++)
		deep += i % 2 ? "{\"k\":" : "[";
	texts.push_back(deep);
	for (const auto &t : texts) {
		for (bool comments : {true, false}) {
			ParseOptions o;
			o.allowComments = comments;
			o.maxDepth = 16;
			INFO(t.substr(0, 200));
			CHECK(test::parseDisagreement(t, o) == "");
		}
	}
}
