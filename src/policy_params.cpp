#include "policy_params.h"

#include "policy_cache.h"
#include "sys/fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "bulkhead/caps.h"
#include "bulkhead/seccomp.h"
#include "bulkhead/sha256.h"

namespace bulkhead::policy {

namespace {

using sys::Fd;

/* A host where nothing can be found: rules run against it at load time. */
class NullHost final : public HostFacts
{
public:
	[[nodiscard]] std::optional<FileId> pid1Namespace(std::string_view) const override
	{
		return std::nullopt;
	}
	[[nodiscard]] std::optional<FileId> selfNamespace(std::string_view) const override
	{
		return std::nullopt;
	}
	[[nodiscard]] std::optional<FileStat> stat(const std::string &) const override
	{
		return std::nullopt;
	}
	[[nodiscard]] std::optional<FileStat> lstat(const std::string &) const override
	{
		return std::nullopt;
	}
	[[nodiscard]] std::optional<std::string> realpath(const std::string &) const override
	{
		return std::nullopt;
	}
};

/* A spec with a little of everything, so that each rule reads its parameters
 * when the policy is loaded: a parameter the rule cannot use (a typo inside an
 * allowedHooks entry, an unknown rlimit) is a load error, not a surprise at the
 * first container. */
constexpr const char *kProbeSpec = R"({"ociVersion": "1.0.2",
 "process": {"user": {"uid": 0, "gid": 0, "additionalGids": [0]}, "args": ["sh"],
  "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": false,
  "capabilities": {"bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"],
   "permitted": ["CAP_SYS_ADMIN"], "inheritable": [], "ambient": []},
  "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
   {"type": "RLIMIT_RTPRIO", "hard": 1, "soft": 1}],
  "apparmorProfile": "unconfined", "selinuxLabel": "system_u:system_r:spc_t:s0", "oomScoreAdj": -1},
 "root": {"path": "rootfs"}, "hostname": "probe",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "rshared"]}],
 "hooks": {"prestart": [{"path": "/proc/1/exe", "args": ["libnetwork-setkey"]}]},
 "annotations": {"run.oci.seccomp.plugins": "x", "io.kubernetes.cri.container-type": "sandbox"},
 "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}],
  "resources": {"memory": {"limit": 1099511627776}, "pids": {"limit": 1000000},
   "devices": [{"allow": true, "access": "rwm"}], "unified": {"memory.max": "max"}},
  "sysctl": {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_forward": "1"},
  "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"},
  "devices": [{"path": "/dev/sda", "type": "b", "major": 8, "minor": 0}],
  "maskedPaths": [], "readonlyPaths": []}})";

json::Value probeDocument(Scope scope)
{
	static const json::Value spec = json::parse(kProbeSpec, "probe");
	if (scope == Scope::Spec)
		return spec;
	json::Value doc = json::Value::object();
	if (scope == Scope::Process) {
		doc.set("process", *spec.find("process"));
	} else {
		json::Value linux = json::Value::object();
		linux.set("resources", *spec.find("linux")->find("resources"));
		doc.set("linux", std::move(linux));
	}
	return doc;
}

} // namespace

/* Read a policy (or a file it names) without blocking on a FIFO or device, with a
 * bound, refusing what root must not trust when checkOwner and running as root. */
std::string readTrusted(const std::string &path, bool checkOwner)
{
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
	if (fd.get() < 0)
		throw Error(ErrorKind::Policy,
		            strprintf("%s: cannot open: %s", path.c_str(), std::strerror(errno)));
	struct stat st
	{
	};
	if (::fstat(fd.get(), &st) != 0)
		throw Error(ErrorKind::Policy,
		            strprintf("%s: cannot stat: %s", path.c_str(), std::strerror(errno)));
	if (!S_ISREG(st.st_mode))
		throw Error(ErrorKind::Policy, path + ": not a regular file");
	if (checkOwner && ::geteuid() == 0) {
		if (st.st_uid != 0)
			throw Error(ErrorKind::Policy,
			            strprintf("%s: owned by uid %u, not root: refusing a policy "
			                      "that root did not write",
			                      path.c_str(), static_cast<unsigned>(st.st_uid)));
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
			throw Error(
			        ErrorKind::Policy,
			        strprintf("%s: group- or world-writable (mode %04o): refusing it "
			                  "(chmod go-w)",
			                  path.c_str(), static_cast<unsigned>(st.st_mode & 07777)));
	}
	if (st.st_size > static_cast<off_t>(kMaxPolicyBytes))
		throw Error(ErrorKind::Policy,
		            strprintf("%s: larger than %zu bytes", path.c_str(), kMaxPolicyBytes));
	/* Regular file: clear O_NONBLOCK-irrelevant, read through readFd with the bound. */
	try {
		return json::readFd(fd.get(), path, kMaxPolicyBytes);
	} catch (const Error &e) {
		throw Error(ErrorKind::Policy, e.what());
	}
}

std::string dirOf(std::string_view name)
{
	auto slash = name.rfind('/');
	if (slash == std::string_view::npos)
		return ".";
	if (slash == 0)
		return "/";
	return std::string(name.substr(0, slash));
}

Action ParamReader::parseAction(std::string_view s, bool &ok)
{
	ok = true;
	if (s == "mutate")
		return Action::Mutate;
	if (s == "deny")
		return Action::Deny;
	if (s == "audit")
		return Action::Audit;
	if (s == "off")
		return Action::Off;
	ok = false;
	return Action::Off;
}

const RuleDef *ParamReader::knownRule(const json::Value &at, const std::string &name) const
{
	const RuleDef *def = findRule(name);
	if (!def)
		fail(at, "unknown rule \"" + name + "\"");
	return def;
}

/* Check one parameter against its definition; returns the value the rule sees. */
json::Value ParamReader::param(const RuleDef &def, const std::string &key,
                               const json::Value &v) const
{
	const ParamDef *pd = nullptr;
	for (const auto &p : def.params)
		if (key == p.name)
			pd = &p;
	if (!pd) {
		std::string known;
		for (const auto &p : def.params)
			known += (known.empty() ? "" : ", ") + std::string(p.name);
		fail(v, strprintf("rule %s: unknown parameter \"%s\" (%s%s)", def.name, key.c_str(),
		                  known.empty() ? "it takes none" : "known: ", known.c_str()));
	}
	auto bad = [&](const json::Value &at, const char *want) {
		fail(at, strprintf("rule %s: parameter \"%s\" must be %s", def.name, key.c_str(),
		                   want));
	};
	auto stringList = [&](const char *want) {
		if (!v.isArray())
			bad(v, want);
		for (const auto &item : v.items())
			if (!item.isString())
				bad(item, want);
	};
	switch (pd->kind) {
	case ParamKind::Bool:
		if (!v.isBool())
			bad(v, "true or false");
		break;
	case ParamKind::Int:
		if (!v.isNumber() || !v.asInt64())
			bad(v, "an integer");
		break;
	case ParamKind::String:
		if (!v.isString())
			bad(v, "a string");
		break;
	case ParamKind::StringList:
		stringList("an array of strings");
		break;
	case ParamKind::CapList:
		stringList("an array of capability names");
		for (const auto &item : v.items())
			checkCap(def, key, item);
		break;
	case ParamKind::SyscallList:
		stringList("an array of syscall names");
		for (const auto &item : v.items())
			if (!seccomp::isKnown(item.asString()))
				fail(item, strprintf("rule %s: parameter \"%s\": unknown syscall "
				                     "\"%s\"",
				                     def.name, key.c_str(),
				                     printable(item.asString()).c_str()));
		break;
	case ParamKind::Object:
		if (!v.isObject())
			bad(v, "an object");
		break;
	case ParamKind::List:
		if (!v.isArray())
			bad(v, "an array");
		break;
	case ParamKind::JsonFile:
		if (!v.isString() || v.asString().empty())
			bad(v, "the path of a JSON file");
		return jsonFile(def, key, v);
	}
	return v;
}

void ParamReader::checkCap(const RuleDef &def, const std::string &key,
                           const json::Value &item) const
{
	const std::string &name = item.asString();
	if (caps::fromName(name))
		return;
	std::string hint;
	std::string upper = name;
	for (char &c : upper)
		if (c >= 'a' && c <= 'z')
			c = static_cast<char>(c - 'a' + 'A');
	if (upper.rfind("CAP_", 0) != 0)
		upper = "CAP_" + upper;
	bool digits = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
	if (digits && name.size() < 4) {
		std::string n = caps::toName(std::stoi(name));
		if (!n.empty())
			hint = " (write its name, " + n + ")";
	} else if (caps::fromName(upper)) {
		hint = " (the canonical spelling is " + upper + ")";
	}
	fail(item, strprintf("rule %s: parameter \"%s\": unknown capability \"%s\"%s", def.name,
	                     key.c_str(), printable(name).c_str(), hint.c_str()));
}

json::Value ParamReader::jsonFile(const RuleDef &def, const std::string &key,
                                  const json::Value &v) const
{
	const std::string &rel = v.asString();
	if (rel.find('\0') != std::string::npos)
		fail(v, strprintf("rule %s: parameter \"%s\": NUL in path", def.name, key.c_str()));
	const std::string path = fileOf(rel);
	try {
		std::string text = readTrusted(path, checkOwner_);
		const std::string sha = sha256Hex(text);
		fileShas_ += "\n" + sha;
		if (!remember_)
			return json::parse(text, path);
		inputs_ += path + "\n" + sha + "\n";
		return cache::parseTrusted(text, path, sha);
	} catch (const Error &e) {
		fail(v,
		     strprintf("rule %s: parameter \"%s\": %s", def.name, key.c_str(), e.what()));
	}
}

std::string ParamReader::fileOf(const std::string &rel) const
{
	return rel[0] == '/' ? rel : baseDir_ + "/" + rel;
}

void ParamReader::hashFiles(const RuleDef &def, const json::Value &obj) const
{
	for (const auto &[key, v] : obj.members())
		for (const auto &p : def.params) {
			if (p.name != key || p.kind != ParamKind::JsonFile)
				continue;
			/* unreadable or not a path: "-" (an exec still runs when the
			 * profile it does not use is broken; a create's load fails) */
			std::string sha = "-";
			const std::string rel = v.isString() ? v.asString() : std::string();
			if (!rel.empty() && rel.find('\0') == std::string::npos) {
				try {
					sha = sha256Hex(readTrusted(fileOf(rel), checkOwner_));
				} catch (const Error &) {
				}
			}
			fileShas_ += "\n" + sha;
		}
}

std::string ParamReader::printable(const std::string &s)
{
	std::string out;
	for (char c : s) {
		auto u = static_cast<unsigned char>(c);
		if (u < 0x20 || u == 0x7f)
			out += strprintf("\\x%02x", u);
		else
			out += c;
	}
	return out;
}

/* Whether params set a parameter whose shape only the rule knows (Object,
 * List): the others are checked completely by their kind. */
bool ParamReader::structured(const RuleDef &def, const json::Value &params)
{
	for (const auto &p : def.params)
		if ((p.kind == ParamKind::Object || p.kind == ParamKind::List) &&
		    params.find(p.name))
			return true;
	return false;
}

/* Run the rule once with these parameters on the probe documents: a
 * parameter error it raises (Error{Policy}) becomes a load error here. */
void ParamReader::probe(const RuleDef &def, const json::Value &params, const json::Value &at,
                        bool stable) const
{
	if (remember_) {
		Pending q{&def, &params, std::nullopt, &at};
		if (!stable)
			q.owned = params;
		pending_.push_back(std::move(q));
		return;
	}
	runProbe(def, params, at);
}

void ParamReader::runProbe(const RuleDef &def, const json::Value &params,
                           const json::Value &at) const
{
	static const NullHost host;
	static const CallContext call{"bulkhead-probe", "/nonexistent/bulkhead-probe", "validate"};
	for (Scope scope : def.scopes) {
		json::Value doc = probeDocument(scope);
		std::vector<Finding> out;
		RuleRun run(doc, params, Action::Audit, scope, call, host, def.name, out);
		try {
			def.fn(run);
		} catch (const Error &e) {
			if (e.kind() == ErrorKind::Policy)
				fail(at, e.what());
		} catch (const std::bad_alloc &) {
			throw;
		} catch (const std::exception &) {
			/* the probe spec upset the rule: not the policy's fault */
		}
	}
}

/* Parameters of a rule object (without "action"), checked and substituted. */
json::Value ParamReader::params(const RuleDef &def, const json::Value &obj, bool allowAction) const
{
	json::Value out = json::Value::object();
	for (const auto &[key, v] : obj.members()) {
		if (key == "reason" && allowAction)
			continue;
		if (key == "action") {
			if (!allowAction)
				fail(v, strprintf("rule %s: an override changes parameters, not "
				                  "the action (use an exemption to turn a rule "
				                  "off)",
				                  def.name));
			continue;
		}
		out.set(key, param(def, key, v));
	}
	return out;
}

/* A rule object's parameters as written (checked by params() already),
 * with the path of each JSON file made absolute, so that the merged policy
 * `policy show` prints loads from anywhere. */
json::Value ParamReader::written(const RuleDef &def, const json::Value &obj) const
{
	json::Value out = json::Value::object();
	for (const auto &[key, v] : obj.members()) {
		if (key == "action" || key == "reason")
			continue;
		bool file = false;
		for (const auto &p : def.params)
			file = file || (key == p.name && p.kind == ParamKind::JsonFile);
		if (file && v.isString() && !v.asString().empty())
			out.set(key, json::Value::string(fileOf(v.asString())));
		else
			out.set(key, v);
	}
	return out;
}

} // namespace bulkhead::policy
