/* yajl_gen, the reference for json::write's bytes: the tests and the JSON
 * fuzzer write each tree both ways and compare. yajl_gen refuses nesting of
 * YAJL_MAX_DEPTH levels or more (nullopt then). */
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <yajl/yajl_gen.h>

#include "bulkhead/json.h"

namespace bulkhead::test {

inline bool yajlGen(yajl_gen g, const json::Value &v, size_t depth)
{
	using json::Type;
	auto str = [g](const std::string &s) {
		return yajl_gen_string(g, reinterpret_cast<const unsigned char *>(s.data()),
		                       s.size()) == yajl_gen_status_ok;
	};
	switch (v.type()) {
	case Type::Null:
		return yajl_gen_null(g) == yajl_gen_status_ok;
	case Type::Bool:
		return yajl_gen_bool(g, v.asBool() ? 1 : 0) == yajl_gen_status_ok;
	case Type::Number:
		return yajl_gen_number(g, v.numberText().data(), v.numberText().size()) ==
		       yajl_gen_status_ok;
	case Type::String:
		return str(v.asString());
	case Type::Array:
	case Type::Object:
		break;
	}
	/* yajl_gen's beautifier writes an empty container over three lines;
	 * bulkhead writes "[]" and "{}", which yajl_gen_number emits as one atom */
	const bool array = v.isArray();
	if (array ? v.items().empty() : v.members().empty())
		return yajl_gen_number(g, array ? "[]" : "{}", 2) == yajl_gen_status_ok;
	if (depth + 1 >= YAJL_MAX_DEPTH)
		return false;
	if ((array ? yajl_gen_array_open(g) : yajl_gen_map_open(g)) != yajl_gen_status_ok)
		return false;
	if (array) {
		for (const auto &i : v.items())
			if (!yajlGen(g, i, depth + 1))
				return false;
	} else {
		for (const auto &[k, m] : v.members())
			if (!str(k) || !yajlGen(g, m, depth + 1))
				return false;
	}
	return (array ? yajl_gen_array_close(g) : yajl_gen_map_close(g)) == yajl_gen_status_ok;
}

/* V as yajl_gen writes it, pretty with two spaces and a final newline as
 * json::write(v, true); nullopt past yajl_gen's depth limit. */
inline std::optional<std::string> yajlWrite(const json::Value &v, bool pretty)
{
	std::unique_ptr<yajl_gen_t, void (*)(yajl_gen)> g(yajl_gen_alloc(nullptr), yajl_gen_free);
	if (!g)
		throw std::bad_alloc();
	if (pretty) {
		yajl_gen_config(g.get(), yajl_gen_beautify, 1);
		yajl_gen_config(g.get(), yajl_gen_indent_string, "  ");
	}
	if (!yajlGen(g.get(), v, 0))
		return std::nullopt;
	const unsigned char *buf = nullptr;
	size_t len = 0;
	if (yajl_gen_get_buf(g.get(), &buf, &len) != yajl_gen_status_ok)
		return std::nullopt;
	return std::string(reinterpret_cast<const char *>(buf), len);
}

} // namespace bulkhead::test
