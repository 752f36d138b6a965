/* P12: hooks only from the policy's allowlist. A hook is matched by what its
 * path resolves to (Docker 20.10's hook is /proc/<dockerd pid>/exe) and by the
 * shape of its whole argv, and runc is handed the resolved executable, so a
 * link swapped between judging and running changes nothing. Every directory
 * on the way to it, and on the way through the path as written, must be owned
 * by root and writable by nobody else (as sudo judges its files). Each hook
 * runs with a pinned, minimal environment. */
#include "paths_util.h"

#include <algorithm>
#include <sys/stat.h>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

namespace bulkhead::policy {

namespace {

using json::Pointer;
using json::Type;
using json::Value;

const char *const kStages[] = {"prestart",       "createRuntime", "createContainer",
                               "startContainer", "poststart",     "poststop"};

/* One element of an argument pattern. */
struct Token
{
	enum class Kind { Literal, Id, Hex } kind;
	std::string text; /* Literal */
	size_t n = 0;     /* Hex: exact number of digits */
};

struct ArgPattern
{
	std::string source;
	std::vector<Token> tokens;
	size_t maxLen = 0; /* no argument longer than this can match */
};

struct Allowed
{
	std::string path;
	std::vector<ArgPattern> args; /* the whole argv, args[0] included */
	std::optional<std::vector<std::string>> env;
	std::optional<std::vector<std::string>> stages;
};

[[noreturn]] void badParam(const std::string &what)
{
	throw Error(ErrorKind::Policy, "rule P12.hooks: parameter \"allowedHooks\": " + what);
}

/* Pattern language of "args": text matches itself; {id} is the container's ID
 * (offline, when no ID is known: any ID of [A-Za-z0-9_.-] up to 256 bytes);
 * {hex:N} is exactly N digits 0-9a-f; {{ is a literal "{". Nothing else is
 * special: no wildcards, so nothing is kept unseen. */
ArgPattern parsePattern(const std::string &s)
{
	ArgPattern p;
	p.source = s;
	auto literal = [&](std::string_view t) {
		if (p.tokens.empty() || p.tokens.back().kind != Token::Kind::Literal)
			p.tokens.push_back(Token{Token::Kind::Literal, "", 0});
		p.tokens.back().text += t;
		p.maxLen += t.size();
	};
	for (size_t i = 0; i < s.size();) {
		if (s[i] != '{') {
			size_t j = s.find('{', i);
			if (j == std::string::npos)
				j = s.size();
			literal(std::string_view(s).substr(i, j - i));
			i = j;
			continue;
		}
		if (i + 1 < s.size() && s[i + 1] == '{') {
			literal("{");
			i += 2;
			continue;
		}
		size_t close = s.find('}', i);
		if (close == std::string::npos)
			badParam("args pattern \"" + s +
			         "\": unclosed \"{\" (write {{ for a brace)");
		std::string name = s.substr(i + 1, close - i - 1);
		if (name == "id") {
			p.tokens.push_back(Token{Token::Kind::Id, "", 0});
			p.maxLen += 256;
		} else if (name.rfind("hex:", 0) == 0 && name.size() > 4 && name.size() <= 7 &&
		           std::all_of(name.begin() + 4, name.end(),
		                       [](char c) { return c >= '0' && c <= '9'; }) &&
		           std::stoul(name.substr(4)) >= 1 && std::stoul(name.substr(4)) <= 1024) {
			size_t n = std::stoul(name.substr(4));
			p.tokens.push_back(Token{Token::Kind::Hex, "", n});
			p.maxLen += n;
		} else {
			badParam("args pattern \"" + s + "\": unknown placeholder {" + name +
			         "} (known: {id}, {hex:N}, {{)");
		}
		i = close + 1;
	}
	return p;
}

bool isHex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool idChar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Does s[pos..] match tokens[t..]? Arguments are no longer than the pattern's
 * maxLen here, so the backtracking over an offline {id} stays small. */
bool matchFrom(const std::vector<Token> &tokens, size_t t, std::string_view s, size_t pos,
               const std::string &id)
{
	if (t == tokens.size())
		return pos == s.size();
	const Token &k = tokens[t];
	std::string_view rest = s.substr(pos);
	switch (k.kind) {
	case Token::Kind::Literal:
		return rest.substr(0, k.text.size()) == k.text &&
		       matchFrom(tokens, t + 1, s, pos + k.text.size(), id);
	case Token::Kind::Hex:
		return rest.size() >= k.n && std::all_of(rest.begin(), rest.begin() + k.n, isHex) &&
		       matchFrom(tokens, t + 1, s, pos + k.n, id);
	case Token::Kind::Id:
		if (!id.empty())
			return rest.substr(0, id.size()) == id &&
			       matchFrom(tokens, t + 1, s, pos + id.size(), id);
		for (size_t len = 1; len <= rest.size() && len <= 256 && idChar(rest[len - 1]);
		     len++)
			if (paths::isSafeId(rest.substr(0, len)) &&
			    matchFrom(tokens, t + 1, s, pos + len, id))
				return true;
		return false;
	}
	return false;
}

bool matches(const std::vector<ArgPattern> &patterns, const std::vector<std::string> &argv,
             const std::string &id)
{
	if (patterns.size() != argv.size())
		return false;
	for (size_t i = 0; i < argv.size(); i++)
		if (argv[i].size() > patterns[i].maxLen ||
		    !matchFrom(patterns[i].tokens, 0, argv[i], 0, id))
			return false;
	return true;
}

std::vector<ArgPattern> dockerShape()
{
	std::vector<ArgPattern> out;
	for (const char *p :
	     {"libnetwork-setkey", "-exec-root=/var/run/docker", "{id}", "{hex:12}"})
		out.push_back(parsePattern(p));
	return out;
}

std::vector<Allowed> defaultHooks()
{
	std::vector<Allowed> out;
	for (const char *p : {"/usr/bin/dockerd", "/usr/sbin/dockerd"})
		out.push_back(Allowed{p, dockerShape(), std::nullopt,
		                      std::vector<std::string>{"prestart", "createRuntime"}});
	return out;
}

std::vector<std::string> stringArray(const Value &v, const char *name)
{
	if (!v.isArray())
		badParam(std::string(name) + " must be an array of strings");
	std::vector<std::string> out;
	for (const auto &s : v.items()) {
		if (!s.isString() || paths::hasNul(s.asString()))
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
		badParam("must be an array of {path, args, env, stages}");
	std::vector<Allowed> out;
	for (const auto &e : v->items()) {
		if (!e.isObject())
			badParam("each entry must be an object");
		Allowed a;
		bool hasArgs = false;
		for (const auto &[k, val] : e.members()) {
			if (k == "path" && val.isString() && !val.asString().empty() &&
			    val.asString().front() == '/' && !paths::hasNul(val.asString()))
				a.path = paths::normalize(val.asString());
			else if (k == "args") {
				for (const auto &s : stringArray(val, "args"))
					a.args.push_back(parsePattern(s));
				hasArgs = true;
			} else if (k == "args0")
				badParam("\"args0\" is replaced by \"args\", the pattern of the "
				         "whole "
				         "argv (bulkhead-policy(5))");
			else if (k == "env")
				a.env = stringArray(val, "env");
			else if (k == "stages") {
				a.stages = stringArray(val, "stages");
				for (const auto &s : *a.stages) {
					if (s == "startContainer")
						badParam("stage startContainer runs a path inside "
						         "the "
						         "container's root, which bulkhead cannot "
						         "judge "
						         "on the host");
					if (std::none_of(std::begin(kStages), std::end(kStages),
					                 [&](const char *k2) { return s == k2; }))
						badParam("unknown stage \"" + s + "\"");
				}
			} else
				badParam("unknown or mistyped key \"" + k + "\"");
		}
		if (a.path.empty())
			badParam("each entry needs an absolute \"path\"");
		if (!hasArgs)
			badParam("each entry needs \"args\", the pattern of the whole argv");
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

std::string octal(mode_t m)
{
	return strprintf("%04o", static_cast<unsigned>(m & 07777));
}

/* Why someone other than root could change what `p` names, or nullopt. */
std::optional<std::string> untrustedComponent(const HostFacts &host, const std::string &p,
                                              bool mustBeReal)
{
	auto st = host.lstat(p);
	if (!st)
		return p + " cannot be inspected";
	bool link = S_ISLNK(st->mode);
	if (link && mustBeReal)
		return p + " changed into a symbolic link while it was judged";
	if (st->uid != 0)
		return p + " is owned by uid " + std::to_string(st->uid) + ", not root";
	if (!link && (st->mode & (S_IWGRP | S_IWOTH)) != 0)
		return p + " is writable by group or others (mode " + octal(st->mode) + ")";
	return std::nullopt;
}

/* Every component of the path as written (each prefix, as the kernel walks it)
 * and of what it resolves to: owned by root, not writable by group or others;
 * the target a regular file. */
std::optional<std::string> untrusted(const HostFacts &host, const std::string &written,
                                     const std::string &real)
{
	if (auto why = untrustedComponent(host, "/", false))
		return why;
	std::string prefix;
	for (const auto &c : paths::components(written)) {
		if (c == ".")
			continue;
		prefix += "/" + c;
		if (auto why = untrustedComponent(host, prefix, false))
			return why;
	}
	prefix.clear();
	for (const auto &c : paths::components(real)) {
		prefix += "/" + c;
		if (auto why = untrustedComponent(host, prefix, true))
			return why;
	}
	auto st = host.lstat(real);
	if (!st || !S_ISREG(st->mode))
		return real + " is not a regular file";
	return std::nullopt;
}

std::string showArgv(const std::vector<std::string> &argv)
{
	std::string s = "[";
	for (size_t i = 0; i < argv.size(); i++) {
		if (i)
			s += ", ";
		s += util::show(argv[i]);
	}
	s += "]";
	if (s.size() > 400)
		s = s.substr(0, 400) + "...";
	return s;
}

const char *const kRemedy = "remove the hook from the engine (OCI hooks directories, "
                            "nvidia-container-runtime, ...) or allowlist its path and argv in "
                            "P12.hooks allowedHooks";

void hooksRule(RuleRun &rr)
{
	paths::guarded(rr, [&] {
		auto allowed = allowedHooks(rr);
		auto defaultEnv = rr.paramList(
		        "defaultEnv",
		        {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
		const std::string id = paths::isSafeId(rr.call.containerId) ? rr.call.containerId
		                       : rr.call.containerId.empty()        ? std::string()
		                                                            : std::string("\x01");
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
				/* runc (Go's exec.Cmd) runs an empty args as {path}. */
				std::vector<std::string> argv;
				const Value *args = paths::member(h, "args", Type::Array, at);
				for (size_t k = 0; args && k < args->items().size(); k++) {
					const Value &a = args->items()[k];
					if (!a.isString() || paths::hasNul(a.asString()))
						throw paths::Malformed{
						        at / "args" / k,
						        "hook argument is not a string"};
					argv.push_back(a.asString());
				}
				const bool argsGiven = !argv.empty();
				if (!argsGiven)
					argv.push_back(*path);
				const Value *env = paths::member(h, "env", Type::Array, at);
				auto resolved = rr.host.realpath(*path);
				std::string real = resolved ? paths::normalize(*resolved) : "";
				auto st = resolved ? rr.host.lstat(real) : std::nullopt;
				const Allowed *match = nullptr;
				for (const auto &a : allowed) {
					if (a.stages &&
					    std::find(a.stages->begin(), a.stages->end(), stage) ==
					            a.stages->end())
						continue;
					if (!resolved || !matches(a.args, argv, id))
						continue;
					bool same = real == a.path;
					if (!same) {
						auto areal = rr.host.realpath(a.path);
						same = areal && paths::normalize(*areal) == real;
					}
					if (!same && st && S_ISREG(st->mode)) {
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
					if (resolved && real != *path)
						what += " (resolves to " + real + ")";
					else if (!resolved)
						what += " (cannot be resolved)";
					std::string hint;
					if (real.size() > 10 &&
					    real.compare(real.size() - 10, 10, " (deleted)") == 0)
						hint = "; its executable was replaced since it "
						       "started "
						       "(restart the engine after an upgrade)";
					rr.deny(at,
					        stage + " hook " + what + " with argv " +
					                showArgv(argv) + " is not allowlisted" +
					                hint,
					        kRemedy);
					continue;
				}
				if (auto why = untrusted(rr.host, *path, real)) {
					rr.deny(at / "path",
					        stage + " hook " + *path + ": " + *why +
					                ", so someone other than root could change "
					                "what runs",
					        "install the hook in directories that only root "
					        "owns and can write");
					continue;
				}
				if (real != *path) {
					Value argsNow = Value::array();
					for (const auto &a : argv)
						argsNow.push(Value::string(a));
					rr.fixable(at / "path",
					           stage + " hook " + *path + " resolves to " +
					                   real + ", judged there; runc gets " +
					                   real +
					                   " so a swapped link cannot change what "
					                   "runs",
					           "no engine knob: bulkhead hands runc the "
					           "judged executable",
					           [&h, real, argsNow, argsGiven] {
						           h.set("path", Value::string(real));
						           /* keep argv[0] what it was */
						           if (!argsGiven)
							           h.set("args", argsNow);
					           });
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
	         "hooks only from the allowlist, matched by the resolved executable and the "
	         "pattern of the whole argv; runc gets the resolved executable, in root-only "
	         "directories, with a pinned minimal environment",
	         {Scope::Spec},
	         {{"allowedHooks", ParamKind::List,
	           "allowed hooks: {path (resolved executable), args (argv patterns), env, "
	           "stages}"},
	          {"defaultEnv", ParamKind::StringList,
	           "environment of an allowed hook whose entry has no env"}},
	         &hooksRule},
	};
}

} // namespace bulkhead::policy
