/* bulkhead::json::Value -> JSON text: key order, number text and string
 * bytes kept, in the bytes yajl_gen writes (tests/unit/yajl_oracle.h holds
 * yajl_gen as the reference the tests and the JSON fuzzer compare with). It
 * writes into one string, reserved ahead: yajl_gen's calls per value, its own
 * buffer and the copy out of it cost a mutating create about 45 us. */
#include "swar.h"

#include <array>
#include <cstdint>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::json {

namespace {

/* Bytes as a string holds them: written as they are (0), escaped (1), or
 * the first of a UTF-8 sequence to check (2). */
constexpr std::array<uint8_t, 256> kByte = [] {
	std::array<uint8_t, 256> t{};
	for (size_t c = 0; c < 0x20; c++)
		t[c] = 1;
	t[static_cast<unsigned char>('"')] = t[static_cast<unsigned char>('\\')] = 1;
	for (size_t c = 0x80; c < 256; c++)
		t[c] = 2;
	return t;
}();

/* Whether one of the eight bytes of W is not written as it is: a control
 * byte, '"', '\\', or the start of a UTF-8 sequence. */
bool anyToLook(uint64_t w) noexcept
{
	return swar::anyBelow(w, 0x20) || swar::anyEqual(w, '"') || swar::anyEqual(w, '\\') ||
	       swar::anyHigh(w);
}

/* S quoted and escaped, checked as UTF-8 on the way (one pass: most strings
 * are short, and two passes cost a call each) */
void plainString(std::string &out, const std::string &s)
{
	static const char hex[] = "0123456789ABCDEF"; /* as yajl_gen writes them */
	const size_t start = out.size();
	out.push_back('"');
	size_t run = 0; /* bytes copied as they are, appended in one go */
	for (size_t i = 0; i < s.size();) {
		if (i + 8 <= s.size() && !anyToLook(swar::load(s.data() + i))) {
			i += 8;
			continue;
		}
		const auto c = static_cast<unsigned char>(s[i]);
		const uint8_t k = kByte[c];
		if (k == 0) {
			i++;
			continue;
		}
		if (k == 2) {
			const size_t len = detail::utf8Sequence(s, i);
			if (len == 0) {
				out.resize(start);
				throw Error{
				        ErrorKind::Json,
				        strprintf("cannot write a string that is not valid UTF-8 "
				                  "(byte %zu)",
				                  i)};
			}
			i += len;
			continue;
		}
		out.append(s, run, i - run);
		run = ++i;
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\t':
			out += "\\t";
			break;
		case '\b':
			out += "\\b";
			break;
		case '\f':
			out += "\\f";
			break;
		default:
			out += "\\u00";
			out.push_back(hex[c >> 4]);
			out.push_back(hex[c & 0xF]);
		}
	}
	out.append(s, run, s.size() - run);
	out.push_back('"');
}

void plainIndent(std::string &out, size_t level)
{
	out.push_back('\n');
	out.append(2 * level, ' ');
}

void plain(std::string &out, const Value &v, bool pretty, size_t level)
{
	switch (v.type()) {
	case Type::Null:
		out += "null";
		break;
	case Type::Bool:
		out += v.asBool() ? "true" : "false";
		break;
	case Type::Number:
		out += v.numberText();
		break;
	case Type::String:
		plainString(out, v.asString());
		break;
	case Type::Array: {
		if (v.items().empty()) {
			out += "[]";
			break;
		}
		out.push_back('[');
		bool first = true;
		for (const auto &i : v.items()) {
			if (!first)
				out.push_back(',');
			first = false;
			if (pretty)
				plainIndent(out, level + 1);
			plain(out, i, pretty, level + 1);
		}
		if (pretty)
			plainIndent(out, level);
		out.push_back(']');
		break;
	}
	case Type::Object: {
		if (v.members().empty()) {
			out += "{}";
			break;
		}
		out.push_back('{');
		bool first = true;
		for (const auto &[k, m] : v.members()) {
			if (!first)
				out.push_back(',');
			first = false;
			if (pretty)
				plainIndent(out, level + 1);
			plainString(out, k);
			out += pretty ? ": " : ":";
			plain(out, m, pretty, level + 1);
		}
		if (pretty)
			plainIndent(out, level);
		out.push_back('}');
		break;
	}
	}
}

} // namespace

namespace detail {

void writeNested(std::string &out, const Value &v, size_t level)
{
	plain(out, v, true, level);
}

void append(std::string &out, const Value &v)
{
	plain(out, v, false, 0);
}

} // namespace detail

std::string write(const Value &v, bool pretty)
{
	std::string out;
	out.reserve(8192); /* a spec's size; pages are touched only as written */
	plain(out, v, pretty, 0);
	if (pretty)
		out.push_back('\n');
	return out;
}

} // namespace bulkhead::json
