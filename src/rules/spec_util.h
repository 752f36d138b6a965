#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/rule.h"

/* Small, non-throwing-to-the-caller helpers shared by the process, resources,
 * seccomp, sysctl and paths rules. A spec whose fields have the wrong type is
 * a denial, not an error: the typed accessors below throw Malformed, and
 * guarded() turns it into one deny finding naming the field. */
namespace bulkhead::policy::util {

inline const char *const kFixWriter = "fix the engine or tool that wrote the spec";

struct Malformed
{
	json::Pointer at;
	std::string what;
};

[[noreturn]] inline void malformed(const json::Pointer &at, std::string what)
{
	throw Malformed{at, std::move(what)};
}

/* Run a rule body. Malformed input and JSON type errors become a deny finding;
 * policy errors (a bad parameter) still propagate. */
template <typename F> void guarded(RuleRun &run, F &&body)
{
	if (!run.doc.isObject()) {
		run.deny({},
		         std::string("malformed spec: a JSON object expected, got ") +
		                 json::typeName(run.doc.type()),
		         kFixWriter);
		return;
	}
	try {
		body();
	} catch (const Malformed &m) {
		run.deny(m.at, "malformed spec: " + m.what, kFixWriter);
	} catch (const Error &e) {
		if (e.kind() != ErrorKind::Json)
			throw;
		run.deny({}, std::string("malformed spec: ") + e.what(), kFixWriter);
	}
}

/* parent[key], or nullptr when parent is not an object, the key is absent or
 * its value is null (Go, and so runc, reads null as absent). */
inline json::Value *child(json::Value *parent, std::string_view key) noexcept
{
	if (!parent || !parent->isObject())
		return nullptr;
	json::Value *v = parent->find(key);
	return v && !v->isNull() ? v : nullptr;
}

inline json::Value *expect(json::Value *v, json::Type t, const json::Pointer &at)
{
	if (v && v->type() != t)
		malformed(at, std::string(json::typeName(t)) + " expected at " + at.str() +
		                      ", got " + json::typeName(v->type()));
	return v;
}

/* Typed children: nullptr when absent or null, Malformed on a wrong type. */
inline json::Value *object(json::Value *parent, std::string_view key, const json::Pointer &at)
{
	return expect(child(parent, key), json::Type::Object, at);
}
inline json::Value *array(json::Value *parent, std::string_view key, const json::Pointer &at)
{
	return expect(child(parent, key), json::Type::Array, at);
}
inline json::Value *string(json::Value *parent, std::string_view key, const json::Pointer &at)
{
	return expect(child(parent, key), json::Type::String, at);
}

/* The integer value of a number, Malformed when it is not an integer in range. */
inline int64_t integer(const json::Value &v, const json::Pointer &at)
{
	auto n = v.isNumber() ? v.asInt64() : std::nullopt;
	if (!n)
		malformed(at, "integer expected at " + at.str());
	return *n;
}

/* A string that is used as a path or a name: an embedded NUL is refused. */
inline const std::string &text(const json::Value &v, const json::Pointer &at)
{
	if (!v.isString())
		malformed(at, "string expected at " + at.str());
	if (v.asString().find('\0') != std::string::npos)
		malformed(at, "NUL byte in string at " + at.str());
	return v.asString();
}

/* A fixable violation: the message says what was done only when it was done
 * (action mutate); under deny and audit it states the problem. */
template <typename F>
void fix(RuleRun &run, const json::Pointer &at, const std::string &problem, const std::string &done,
         std::string remedy, F &&apply)
{
	run.fixable(at, run.action() == Action::Mutate ? problem + "; " + done : problem,
	            std::move(remedy), std::function<void()>(std::forward<F>(apply)));
}

/* Lexical clean-up of a path: "//", "." and ".." resolved, no trailing slash
 * ("/a/../b/" -> "/b"; ".." never climbs above "/"). */
inline std::string cleanPath(std::string_view p)
{
	const bool abs = !p.empty() && p.front() == '/';
	std::vector<std::string_view> parts;
	size_t i = 0;
	while (i <= p.size()) {
		size_t j = p.find('/', i);
		if (j == std::string_view::npos)
			j = p.size();
		std::string_view part = p.substr(i, j - i);
		if (part.empty() || part == ".") {
			/* skip */
		} else if (part == "..") {
			if (!parts.empty() && parts.back() != "..")
				parts.pop_back();
			else if (!abs)
				parts.push_back(part);
		} else {
			parts.push_back(part);
		}
		i = j + 1;
	}
	std::string out = abs ? "/" : "";
	for (size_t k = 0; k < parts.size(); ++k) {
		if (k)
			out += '/';
		out += parts[k];
	}
	if (out.empty())
		out = ".";
	return out;
}

/* path equals prefix or lies below it (both clean and absolute). */
inline bool isUnder(std::string_view path, std::string_view prefix) noexcept
{
	if (prefix == "/")
		return true;
	return path == prefix ||
	       (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
	        path[prefix.size()] == '/');
}

/* A spec string quoted for a message, cut at 120 bytes (RuleRun escapes control bytes). */
inline std::string show(std::string_view s)
{
	if (s.size() > 120)
		return "\"" + std::string(s.substr(0, 120)) + "...\"";
	return "\"" + std::string(s) + "\"";
}

inline std::string join(const std::vector<std::string> &items, std::string_view sep = ", ")
{
	std::string out;
	for (const auto &s : items) {
		if (!out.empty())
			out += sep;
		out += s;
	}
	return out;
}

/* The whole "linux" / "process" object of a document, creating it when a fix needs it. */
inline json::Value &ensureObject(json::Value &parent, std::string_view key)
{
	json::Value *v = parent.find(key);
	if (!v || !v->isObject())
		return parent.set(key, json::Value::object());
	return *v;
}

} // namespace bulkhead::policy::util
