/* bulkhead::json::Value -> JSON text, with yajl_gen: key order, number text
 * and string bytes kept; a hand-written writer for trees deeper than
 * yajl_gen's limit gives the same output. */
#include <memory>

#include <yajl/yajl_gen.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead::json {

namespace {

template <typename T, auto Free> struct CDeleter
{
	void operator()(T *p) const noexcept { Free(p); }
};
using YajlGen = std::unique_ptr<yajl_gen_t, CDeleter<yajl_gen_t, yajl_gen_free>>;

void checkString(const std::string &s)
{
	if (auto bad = detail::invalidUtf8(s))
		throw Error{ErrorKind::Json,
		            strprintf("cannot write a string that is not valid UTF-8 (byte %zu)",
		                      *bad)};
}

void genCheck(yajl_gen_status st)
{
	if (st != yajl_gen_status_ok)
		throw Error{ErrorKind::Internal, strprintf("yajl_gen failed (status %d)", st)};
}

void genString(yajl_gen g, const std::string &s)
{
	checkString(s);
	genCheck(yajl_gen_string(g, reinterpret_cast<const unsigned char *>(s.data()), s.size()));
}

/* yajl_gen's beautifier writes an empty container over three lines ("{\n\n}");
 * yajl_gen_number emits its text verbatim as one atom (with the separators and
 * indentation of any value), so "{}" and "[]" go through it. */
void genEmpty(yajl_gen g, const char *text)
{
	genCheck(yajl_gen_number(g, text, 2));
}

void gen(yajl_gen g, const Value &v)
{
	switch (v.type()) {
	case Type::Null:
		genCheck(yajl_gen_null(g));
		break;
	case Type::Bool:
		genCheck(yajl_gen_bool(g, v.asBool() ? 1 : 0));
		break;
	case Type::Number:
		genCheck(yajl_gen_number(g, v.numberText().data(), v.numberText().size()));
		break;
	case Type::String:
		genString(g, v.asString());
		break;
	case Type::Array:
		if (v.items().empty()) {
			genEmpty(g, "[]");
			break;
		}
		genCheck(yajl_gen_array_open(g));
		for (const auto &i : v.items())
			gen(g, i);
		genCheck(yajl_gen_array_close(g));
		break;
	case Type::Object:
		if (v.members().empty()) {
			genEmpty(g, "{}");
			break;
		}
		genCheck(yajl_gen_map_open(g));
		for (const auto &[k, m] : v.members()) {
			genString(g, k);
			gen(g, m);
		}
		genCheck(yajl_gen_map_close(g));
		break;
	}
}

/* The hand-written writer: same bytes as yajl_gen produces. */
void plainString(std::string &out, const std::string &s)
{
	checkString(s);
	static const char hex[] = "0123456789ABCDEF"; /* as yajl_gen writes them */
	out.push_back('"');
	size_t run = 0; /* bytes copied as they are, appended in one go */
	for (size_t i = 0; i < s.size(); i++) {
		auto c = static_cast<unsigned char>(s[i]);
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		out.append(s, run, i - run);
		run = i + 1;
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

std::string writePlain(const Value &v, bool pretty)
{
	std::string out;
	plain(out, v, pretty, 0);
	if (pretty)
		out.push_back('\n');
	return out;
}

} // namespace detail

std::string write(const Value &v, bool pretty)
{
	/* yajl_gen refuses nesting deeper than YAJL_MAX_DEPTH. */
	if (detail::depth(v) >= YAJL_MAX_DEPTH)
		return detail::writePlain(v, pretty);
	YajlGen g(yajl_gen_alloc(nullptr));
	if (!g)
		throw std::bad_alloc();
	if (pretty) {
		yajl_gen_config(g.get(), yajl_gen_beautify, 1);
		yajl_gen_config(g.get(), yajl_gen_indent_string, "  ");
	}
	gen(g.get(), v);
	const unsigned char *buf = nullptr;
	size_t len = 0;
	genCheck(yajl_gen_get_buf(g.get(), &buf, &len));
	return std::string(reinterpret_cast<const char *>(buf), len);
}

} // namespace bulkhead::json
