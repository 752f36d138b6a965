#include "bulkhead/rule.h"

#include <algorithm>

#include "bulkhead/error.h"

namespace bulkhead::policy {

/* A finding's message is one line whatever the spec holds: control bytes
 * (a newline in a sysctl value, a cwd, a map key) are shown escaped. */
static std::string oneLine(std::string s)
{
	static const char hex[] = "0123456789abcdef";
	auto control = [](char ch) {
		auto c = static_cast<unsigned char>(ch);
		return c < 0x20 || c == 0x7f;
	};
	if (std::none_of(s.begin(), s.end(), control))
		return s; /* almost every message */
	std::string out;
	out.reserve(s.size());
	for (char ch : s) {
		auto c = static_cast<unsigned char>(ch);
		if (c == '\n')
			out += "\\n";
		else if (c == '\t')
			out += "\\t";
		else if (c < 0x20 || c == 0x7f) {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 15];
		} else
			out += ch;
	}
	return out;
}

void RuleRun::fixable(const json::Pointer &at, std::string message, std::string remedy,
                      const std::function<void()> &fix)
{
	Finding f{
	        std::string(rule_),        at.str(), oneLine(std::move(message)), action_, action_,
	        oneLine(std::move(remedy))};
	if (action_ == Action::Mutate && fix)
		fix();
	out_.push_back(std::move(f));
}

void RuleRun::deny(const json::Pointer &at, std::string message, std::string remedy)
{
	Action a = action_ == Action::Audit ? Action::Audit : Action::Deny;
	out_.push_back(Finding{std::string(rule_), at.str(), oneLine(std::move(message)), a,
	                       Action::Deny, oneLine(std::move(remedy))});
}

void RuleRun::note(const json::Pointer &at, std::string message, std::string remedy)
{
	out_.push_back(Finding{std::string(rule_), at.str(), oneLine(std::move(message)),
	                       Action::Audit, Action::Audit, oneLine(std::move(remedy))});
}

static const json::Value *param(const json::Value &params, std::string_view name)
{
	const json::Value *v = params.isObject() ? params.find(name) : nullptr;
	return v && !v->isNull() ? v : nullptr;
}

[[noreturn]] static void badParam(std::string_view rule, std::string_view name, const char *want)
{
	throw Error(ErrorKind::Policy, strprintf("rule %.*s: parameter \"%.*s\" must be %s",
	                                         static_cast<int>(rule.size()), rule.data(),
	                                         static_cast<int>(name.size()), name.data(), want));
}

bool RuleRun::paramBool(std::string_view name, bool def) const
{
	const json::Value *v = param(params, name);
	if (!v)
		return def;
	if (!v->isBool())
		badParam(rule_, name, "a boolean");
	return v->asBool();
}

int64_t RuleRun::paramInt(std::string_view name, int64_t def) const
{
	const json::Value *v = param(params, name);
	if (!v)
		return def;
	auto n = v->isNumber() ? v->asInt64() : std::nullopt;
	if (!n)
		badParam(rule_, name, "an integer");
	return *n;
}

std::string RuleRun::paramString(std::string_view name, std::string_view def) const
{
	const json::Value *v = param(params, name);
	if (!v)
		return std::string(def);
	if (!v->isString())
		badParam(rule_, name, "a string");
	return v->asString();
}

std::vector<std::string> RuleRun::paramList(std::string_view name,
                                            const std::vector<std::string> &def) const
{
	const json::Value *v = param(params, name);
	if (!v)
		return def;
	if (!v->isArray())
		badParam(rule_, name, "an array of strings");
	std::vector<std::string> out;
	for (const auto &item : v->items()) {
		if (!item.isString())
			badParam(rule_, name, "an array of strings");
		out.push_back(item.asString());
	}
	return out;
}

} // namespace bulkhead::policy
