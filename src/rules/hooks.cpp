/* P12: hooks only from the policy's allowlist, matched by what the path
 * resolves to (Docker 20.10's hook is /proc/<dockerd pid>/exe) plus args[0],
 * each run with a pinned, minimal environment. */
#include "paths_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

const char *const kStages[] = {"prestart",       "createRuntime", "createContainer",
                               "startContainer", "poststart",     "poststop"};

struct Allowed
{
	std::string path;
	std::optional<std::string> args0;
	std::optional<std::vector<std::string>> env;
	std::optional<std::vector<std::string>> stages;
};

std::vector<Allowed> defaultHooks()
{
	std::vector<Allowed> out;
	for (const char *p : {"/usr/bin/dockerd", "/usr/sbin/dockerd"})
		out.push_back(Allowed{p, "libnetwork-setkey", std::nullopt,
		                      std::vector<std::string>{"prestart", "createRuntime"}});
	return out;
}

[[noreturn]] void badParam(const std::string &what)
{
	throw Error(ErrorKind::Policy, "rule P12.hooks: parameter \"allowedHooks\": " + what);
}

std::vector<std::string> stringArray(const Value &v, const char *name)
{
	if (!v.isArray())
		badParam(std::string(name) + " must be an array of strings");
	std::vector<std::string> out;
	for (const auto &s : v.items()) {
		if (!s.isString())
			badParam(std::string(name) + " must be an array of strings");
		out.push_back(s.asString());
	}
	return out;
}

std::vector<Allowed> allowedHooks(const RuleRun &rr)
{
	const Value *v = rr.params.isObject() ? rr.params.find("allowedHooks") : nullptr;
	if (!v || v->isNull())
		return defaultHooks();
	if (!v->isArray())
		badParam("must be an array of {path, args0, env, stages}");
	std::vector<Allowed> out;
	for (const auto &e : v->items()) {
		if (!e.isObject())
			badParam("each entry must be an object");
		Allowed a;
		for (const auto &[k, val] : e.members()) {
			if (k == "path" && val.isString() && !val.asString().empty() &&
			    val.asString().front() == '/')
				a.path = paths::normalize(val.asString());
			else if (k == "args0" && val.isString())
				a.args0 = val.asString();
			else if (k == "env")
				a.env = stringArray(val, "env");
			else if (k == "stages")
				a.stages = stringArray(val, "stages");
			else
				badParam("unknown or mistyped key \"" + k + "\"");
		}
		if (a.path.empty())
			badParam("each entry needs an absolute \"path\"");
		out.push_back(std::move(a));
	}
	return out;
}

Value envValue(const std::vector<std::string> &env)
{
	Value a = Value::array();
	for (const auto &e : env)
		a.push(Value::string(e));
	return a;
}

void hooksRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto allowed = allowedHooks(rr);
		auto defaultEnv = rr.paramList(
		        "defaultEnv",
		        {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
		Value *hooks = paths::member(rr.doc, "hooks", Type::Object, Pointer());
		if (!hooks)
			return;
		Pointer hat = Pointer() / "hooks";
		for (auto &member : hooks->members()) {
			const std::string &stage = member.first;
			Value &list = member.second;
			Pointer sat = hat / stage;
			if (list.isNull())
				continue;
			if (!list.isArray())
				throw paths::Malformed{sat, "hook stage is not an array"};
			bool known = std::any_of(std::begin(kStages), std::end(kStages),
			                         [&](const char *s) { return stage == s; });
			if (!known) {
				if (!list.items().empty())
					rr.deny(sat, "unknown hook stage \"" + stage + "\"",
					        "remove the hook from the engine's configuration");
				continue;
			}
			for (size_t i = 0; i < list.items().size(); i++) {
				Pointer at = sat / i;
				Value &h = list.items()[i];
				if (!h.isObject())
					throw paths::Malformed{at, "hook is not an object"};
				auto path = paths::stringMember(h, "path", at);
				if (!path || path->empty() || path->front() != '/')
					throw paths::Malformed{at / "path",
					                       "hook path is not absolute"};
				std::string args0;
				if (const Value *args = paths::member(h, "args", Type::Array, at)) {
					for (size_t k = 0; k < args->items().size(); k++) {
						const Value &a = args->items()[k];
						if (!a.isString() || paths::hasNul(a.asString()))
							throw paths::Malformed{
							        at / "args" / k,
							        "hook argument is not a "
							        "string"};
					}
					if (!args->items().empty())
						args0 = args->items()[0].asString();
				}
				const Value *env = paths::member(h, "env", Type::Array, at);
				auto real = rr.host.realpath(*path);
				auto st = rr.host.stat(*path);
				const Allowed *match = nullptr;
				for (const auto &a : allowed) {
					if (a.stages &&
					    std::find(a.stages->begin(), a.stages->end(), stage) ==
					            a.stages->end())
						continue;
					if (a.args0 && *a.args0 != args0)
						continue;
					bool same = real && paths::normalize(*real) == a.path;
					if (!same && real) {
						auto areal = rr.host.realpath(a.path);
						same = areal && paths::normalize(*areal) ==
						                        paths::normalize(*real);
					}
					if (!same && st) {
						auto ast = rr.host.stat(a.path);
						same = ast && ast->id == st->id;
					}
					if (same) {
						match = &a;
						break;
					}
				}
				if (!match) {
					std::string what = *path;
					if (real && *real != *path)
						what += " (resolves to " + *real + ")";
					else if (!real)
						what += " (cannot be resolved)";
					rr.deny(at,
					        stage + " hook " + what + " with args[0] \"" +
					                args0 + "\" is not allowlisted",
					        "remove the hook from the engine (OCI hooks "
					        "directories, "
					        "nvidia-container-runtime, ...) or allowlist it in "
					        "P12.hooks "
					        "allowedHooks");
					continue;
				}
				const auto &pinned = match->env ? *match->env : defaultEnv;
				Value want = envValue(pinned);
				if (env && *env == want)
					continue;
				rr.fixable(
				        at / "env",
				        stage + " hook " + *path +
				                (env ? " runs with an environment other than the "
				                       "pinned one"
				                     : " inherits the runtime's environment"),
				        "no engine knob: bulkhead pins hook environments",
				        [&h, want] { h.set("env", want); });
			}
		}
	});
}

} // namespace

std::vector<RuleDef> hooksRules()
{
	return {
	        {"P12.hooks",
	         "hooks only from the allowlist, matched by the resolved executable and args[0], "
	         "each with a pinned minimal environment",
	         {Scope::Spec},
	         {{"allowedHooks", ParamKind::List,
	           "allowed hooks: {path (resolved executable), args0, env, stages}"},
	          {"defaultEnv", ParamKind::StringList,
	           "environment of an allowed hook whose entry has no env"}},
	         &hooksRule},
	};
}

} // namespace bulkhead::policy
