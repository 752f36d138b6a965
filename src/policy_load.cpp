/* Loading a policy: the file read as root must trust it, checked key by key
 * with FILE:LINE:COL errors, merged over the policy it extends, each rule
 * probed with its parameters. Evaluation is src/policy.cpp. */
#include "bulkhead_build.h"
#include "policy_compiled.h"
#include "sys/fd.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/caps.h"
#include "bulkhead/error.h"
#include "bulkhead/seccomp.h"
#include "bulkhead/sha256.h"

namespace bulkhead::policy {

namespace {

constexpr size_t kMaxPolicyBytes = 16u << 20;
constexpr int kMaxExtends = 8;

/* Annotations an exemption or override may match on: set by the engine (dockerd,
 * containerd's CRI plugin, CRI-O, Podman) from facts a container user cannot
 * choose. Pod or container names are left out on purpose: whoever may create a
 * pod picks them. */
constexpr std::string_view kMatchAnnotations[] = {
        "io.kubernetes.cri.sandbox-namespace",
        "io.kubernetes.pod.namespace",
        "io.kubernetes.cri.container-type",
        "io.kubernetes.cri.image-name",
        "io.container.manager",
};

using sys::Fd;

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

bool validPolicyName(std::string_view s)
{
	if (s.empty() || s.size() > 64)
		return false;
	for (char c : s)
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	return true;
}

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

bool sameFile(const std::string &a, const std::string &b)
{
	struct stat sa
	{
	}, sb{};
	return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

} // namespace

std::optional<std::string> findShipped(const std::string &name, const std::string &from)
{
	/* beside the policy first (an admin's copy in /etc/bulkhead/policies), then
	 * the shipped ones; never the file itself */
	for (const std::string &dir : {dirOf(from), std::string(BULKHEAD_DATADIR "/policies"),
	                               std::string(BULKHEAD_SYSCONFDIR "/bulkhead/policies")}) {
		const std::string path = dir + "/" + name + ".json";
		if (::access(path.c_str(), F_OK) == 0 && !sameFile(path, from))
			return path;
	}
	return std::nullopt;
}

/* Today's date in UTC, "YYYY-MM-DD". */
std::string today()
{
	std::time_t now = std::time(nullptr);
	std::tm tm{};
	gmtime_r(&now, &tm);
	return strprintf("%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

bool validDate(std::string_view s)
{
	if (s.size() != 10 || s[4] != '-' || s[7] != '-')
		return false;
	static constexpr size_t kDigits[] = {0, 1, 2, 3, 5, 6, 8, 9};
	for (size_t i : kDigits)
		if (s[i] < '0' || s[i] > '9')
			return false;
	auto num = [&](size_t at, size_t len) {
		int n = 0;
		for (size_t i = at; i < at + len; i++)
			n = n * 10 + (s[i] - '0');
		return n;
	};
	int y = num(0, 4), m = num(5, 2), d = num(8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return false;
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int max = days[m - 1] + (m == 2 && leap ? 1 : 0);
	return d <= max;
}

/* Probed policies: running every rule once on the probe documents (to turn a
 * bad parameter into a load error) judges the whole seccomp profile and is
 * most of a load. When bulkhead runs as root on a policy it trusts, it
 * remembers that a policy file probed clean, by the sha256 of everything the
 * probes read (the file, the policy it extends, the files its parameters
 * name) and of this binary's identity, in a root-owned directory only root
 * can write (kProbedDir, 0700). A marker is used only when that directory and
 * the marker itself pass the trust checks a policy file passes; anything else
 * (missing, foreign-owned, writable by others, a different key) means a full
 * load. A marker can skip nothing but the probes of exactly those bytes, and
 * a rule a bad parameter upsets at evaluation is a denial (policy.cpp): it
 * can never let through what the policy refuses. */
constexpr const char *kProbedDir = "/run/bulkhead/probed";

bool trustedStat(const struct stat &st, mode_t type) noexcept
{
	return (st.st_mode & S_IFMT) == type && st.st_uid == 0 && (st.st_mode & 022) == 0;
}

/* this binary, as installed: a new one probes again */
std::string selfIdentity()
{
	struct stat st
	{
	};
	if (::stat("/proc/self/exe", &st) != 0)
		return {};
	return strprintf("%s %lu:%lu %lld %lld.%09ld", BULKHEAD_VERSION,
	                 static_cast<unsigned long>(st.st_dev),
	                 static_cast<unsigned long>(st.st_ino), static_cast<long long>(st.st_size),
	                 static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
}

/* A file NAME in the root-only directory DIR, when both pass the trust checks
 * (root's, writable by no one else, the directory 0700), up to MAX bytes. */
std::optional<std::string> readCache(const char *dir, const std::string &name, size_t max)
{
	struct stat d
	{
	}, f{};
	if (::lstat(dir, &d) != 0 || !trustedStat(d, S_IFDIR) || (d.st_mode & 077) != 0)
		return std::nullopt;
	const std::string path = std::string(dir) + "/" + name;
	sys::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
	if (fd.get() < 0 || ::fstat(fd.get(), &f) != 0 || !trustedStat(f, S_IFREG) ||
	    static_cast<uint64_t>(f.st_size) > max)
		return std::nullopt;
	try {
		return json::readFd(fd.get(), path, max);
	} catch (const Error &) {
		return std::nullopt;
	}
}

/* Write NAME in DIR (made root's and 0700 when missing) whole or not at all. */
void writeCache(const char *dir, const std::string &name, std::string_view content) noexcept
{
	(void)::mkdir("/run/bulkhead", 0755);
	(void)::mkdir(dir, 0700);
	struct stat d
	{
	};
	if (::lstat(dir, &d) != 0 || !trustedStat(d, S_IFDIR) || (d.st_mode & 077) != 0)
		return;
	const std::string path = std::string(dir) + "/" + name;
	const std::string tmp = path + strprintf(".%d", static_cast<int>(::getpid()));
	sys::Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (fd.get() < 0)
		return;
	const bool ok = ::write(fd.get(), content.data(), content.size()) ==
	                static_cast<ssize_t>(content.size());
	if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
		(void)::unlink(tmp.c_str());
}

bool probedBefore(const std::string &key)
{
	auto text = readCache(kProbedDir, key, 64);
	return text && *text == key;
}

void rememberProbed(const std::string &key) noexcept
{
	writeCache(kProbedDir, key, key);
}

/* Parsed files: the tree json::parse builds from a trusted file, kept in the
 * same trusted way under the sha256 of the binary's identity and of the
 * text, in json::detail::encode's form. Reading it back skips the JSON
 * parse of the policy and of the seccomp profile, most of what is left of a
 * load once the probes are remembered. It is trusted as the policy is: only
 * root can write it, and a file that does not decode whole, as the parser
 * would have read it (no duplicate key, UTF-8, numbers as JSON writes them),
 * means a full parse. */
constexpr const char *kParsedDir = "/run/bulkhead/parsed";

/* One policy file checked, with FILE:LINE:COL errors, and merged over the
 * policy it extends (already loaded). */
class Loader
{
public:
	Loader(std::string_view text, std::string name, std::string baseDir, bool checkOwner,
	       int depth, std::optional<Scope> only = std::nullopt)
	    : text_(text), name_(std::move(name)), baseDir_(std::move(baseDir)),
	      checkOwner_(checkOwner), depth_(depth), only_(only)
	{
	}

	/* The policy of TEXT, the chain it extends loaded first. */
	Policy load();

	[[noreturn]] void fail(const json::Value &at, const std::string &problem) const
	{
		throw Error(ErrorKind::Policy,
		            name_ + ":" + json::lineCol(text_, at.offset()) + ": " + problem);
	}

	const std::string &requireString(const json::Value &obj, std::string_view key,
	                                 std::string_view what) const
	{
		const json::Value *v = obj.find(key);
		if (!v)
			fail(obj, strprintf("%.*s: missing \"%.*s\"", static_cast<int>(what.size()),
			                    what.data(), static_cast<int>(key.size()), key.data()));
		if (!v->isString())
			fail(*v, strprintf("%.*s: \"%.*s\" must be a string, not %s",
			                   static_cast<int>(what.size()), what.data(),
			                   static_cast<int>(key.size()), key.data(),
			                   json::typeName(v->type())));
		return v->asString();
	}

	static Action parseAction(std::string_view s, bool &ok)
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

	const RuleDef *knownRule(const json::Value &at, const std::string &name) const
	{
		const RuleDef *def = findRule(name);
		if (!def)
			fail(at, "unknown rule \"" + name + "\"");
		return def;
	}

	/* Check one parameter against its definition; returns the value the rule sees. */
	json::Value param(const RuleDef &def, const std::string &key, const json::Value &v) const
	{
		const ParamDef *pd = nullptr;
		for (const auto &p : def.params)
			if (key == p.name)
				pd = &p;
		if (!pd) {
			std::string known;
			for (const auto &p : def.params)
				known += (known.empty() ? "" : ", ") + std::string(p.name);
			fail(v, strprintf("rule %s: unknown parameter \"%s\" (%s%s)", def.name,
			                  key.c_str(), known.empty() ? "it takes none" : "known: ",
			                  known.c_str()));
		}
		auto bad = [&](const json::Value &at, const char *want) {
			fail(at, strprintf("rule %s: parameter \"%s\" must be %s", def.name,
			                   key.c_str(), want));
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
					fail(item,
					     strprintf("rule %s: parameter \"%s\": unknown syscall "
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

	void checkCap(const RuleDef &def, const std::string &key, const json::Value &item) const
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
		bool digits =
		        !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
		if (digits && name.size() < 4) {
			std::string n = caps::toName(std::stoi(name));
			if (!n.empty())
				hint = " (write its name, " + n + ")";
		} else if (caps::fromName(upper)) {
			hint = " (the canonical spelling is " + upper + ")";
		}
		fail(item, strprintf("rule %s: parameter \"%s\": unknown capability \"%s\"%s",
		                     def.name, key.c_str(), printable(name).c_str(), hint.c_str()));
	}

	/* TEXT (a file this load trusts) parsed, through the parsed-file cache
	 * when remember_ (SHA: the text's sha256). */
	json::Value parseTrusted(const std::string_view text, const std::string &name,
	                         const std::string &sha) const
	{
		if (!remember_)
			return json::parse(text, name);
		static const std::string self = selfIdentity();
		if (self.empty())
			return json::parse(text, name);
		const std::string key = sha256Hex(self + "\nparsed\n" + sha);
		if (auto bytes = readCache(kParsedDir, key, kMaxPolicyBytes * 4))
			if (auto v = json::detail::decode(*bytes))
				return std::move(*v);
		json::Value v = json::parse(text, name);
		writeCache(kParsedDir, key, json::detail::encode(v));
		return v;
	}

	json::Value jsonFile(const RuleDef &def, const std::string &key, const json::Value &v) const
	{
		const std::string &rel = v.asString();
		if (rel.find('\0') != std::string::npos)
			fail(v, strprintf("rule %s: parameter \"%s\": NUL in path", def.name,
			                  key.c_str()));
		std::string path = rel[0] == '/' ? rel : baseDir_ + "/" + rel;
		try {
			std::string text = readTrusted(path, checkOwner_);
			if (!remember_)
				return json::parse(text, path);
			const std::string sha = sha256Hex(text);
			inputs_ += path + "\n" + sha + "\n";
			return parseTrusted(text, path, sha);
		} catch (const Error &e) {
			fail(v, strprintf("rule %s: parameter \"%s\": %s", def.name, key.c_str(),
			                  e.what()));
		}
	}

	static std::string printable(const std::string &s)
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

	/* In the probe marker's key: a load of one scope probes only its rules. */
	[[nodiscard]] std::string scopeKey() const
	{
		if (!only_)
			return "all";
		return *only_ == Scope::Spec      ? "spec"
		       : *only_ == Scope::Process ? "process"
		                                  : "resources";
	}

	/* Whether this load reads DEF's parameters at all. */
	[[nodiscard]] bool loads(const RuleDef &def) const
	{
		return !only_ ||
		       std::find(def.scopes.begin(), def.scopes.end(), *only_) != def.scopes.end();
	}

	/* Whether params set a parameter whose shape only the rule knows (Object,
	 * List): the others are checked completely by their kind. */
	static bool structured(const RuleDef &def, const json::Value &params)
	{
		for (const auto &p : def.params)
			if ((p.kind == ParamKind::Object || p.kind == ParamKind::List) &&
			    params.find(p.name))
				return true;
		return false;
	}

	/* Run the rule once with these parameters on the probe documents: a
	 * parameter error it raises (Error{Policy}) becomes a load error here. */
	/* STABLE: PARAMS live as long as the compiled policy (a rule's own), so a
	 * deferred probe points at them instead of copying them. */
	void probe(const RuleDef &def, const json::Value &params, const json::Value &at,
	           bool stable = false) const
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

	void runProbe(const RuleDef &def, const json::Value &params, const json::Value &at) const
	{
		static const NullHost host;
		static const CallContext call{"bulkhead-probe", "/nonexistent/bulkhead-probe",
		                              "validate"};
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
	json::Value params(const RuleDef &def, const json::Value &obj, bool allowAction) const
	{
		json::Value out = json::Value::object();
		for (const auto &[key, v] : obj.members()) {
			if (key == "reason" && allowAction)
				continue;
			if (key == "action") {
				if (!allowAction)
					fail(v,
					     strprintf(
					             "rule %s: an override changes parameters, not "
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
	json::Value written(const RuleDef &def, const json::Value &obj) const
	{
		json::Value out = json::Value::object();
		for (const auto &[key, v] : obj.members()) {
			if (key == "action" || key == "reason")
				continue;
			bool file = false;
			for (const auto &p : def.params)
				file = file || (key == p.name && p.kind == ParamKind::JsonFile);
			if (file && v.isString() && !v.asString().empty() && v.asString()[0] != '/')
				out.set(key, json::Value::string(baseDir_ + "/" + v.asString()));
			else
				out.set(key, v);
		}
		return out;
	}

	CompiledPolicy::Match match(const json::Value &owner, std::string_view what) const
	{
		const json::Value *m = owner.find("match");
		if (!m)
			fail(owner, std::string(what) +
			                    ": missing \"match\" (an entry that applies "
			                    "everywhere belongs in \"rules\")");
		if (!m->isObject())
			fail(*m, std::string(what) + ": \"match\" must be an object");

		if (m->members().empty())
			fail(*m,
			     std::string(what) + ": \"match\" is empty: it would apply everywhere");
		CompiledPolicy::Match out;
		out.written = *m;
		for (const auto &[key, v] : m->members()) {
			if (key == "containerId" || key == "bundle") {
				if (!v.isString() || v.asString().empty() ||
				    v.asString().find('\0') != std::string::npos)
					fail(v, std::string(what) + ": match." + key +
					                " must be a non-empty glob string");
				(key == "containerId" ? out.containerId : out.bundle) =
				        v.asString();
			} else if (key == "annotations") {
				if (!v.isObject() || v.members().empty())
					fail(v, std::string(what) + ": match.annotations must be a "
					                            "non-empty object");
				for (const auto &[ak, av] : v.members()) {
					bool allowed = false;
					for (auto a : kMatchAnnotations)
						allowed = allowed || ak == a;
					if (!allowed)
						fail(av,
						     std::string(what) + ": annotation \"" +
						             printable(ak) +
						             "\" cannot be matched: only "
						             "engine-set keys (io.kubernetes.pod."
						             "namespace, io.kubernetes.cri.sandbox-"
						             "namespace, "
						             "io.kubernetes.cri.container-"
						             "type, io.kubernetes.cri.image-name, "
						             "io.container.manager)");
					if (!av.isString() ||
					    av.asString().find('\0') != std::string::npos)
						fail(av, std::string(what) +
						                 ": match.annotations." + ak +
						                 " must be a glob string");
					out.annotations.emplace_back(ak, av.asString());
				}
			} else {
				fail(v, std::string(what) + ": unknown match key \"" +
				                printable(key) +
				                "\" (containerId, bundle, annotations)");
			}
		}
		return out;
	}

	/* name (required), reason, expires: shared by exemptions and overrides. */
	void header(const json::Value &e, std::string_view what, bool reasonRequired,
	            std::string &name, std::string &reason, std::string &expires) const
	{
		name = requireString(e, "name", what);
		if (name.empty())
			fail(*e.find("name"), std::string(what) + ": empty name");
		if (reasonRequired || e.find("reason")) {
			reason = requireString(e, "reason", std::string(what) + " " + name);
			if (reason.empty())
				fail(*e.find("reason"), std::string(what) + " " + name +
				                                ": the reason must not be empty");
		}
		if (e.find("expires")) {
			expires = requireString(e, "expires", std::string(what) + " " + name);
			if (!validDate(expires))
				fail(*e.find("expires"),
				     std::string(what) + " " + name +
				             ": expires must be a date, YYYY-MM-DD");
		}
	}

	/* The file's own policy merged over BASE (null for a policy that extends
	 * nothing): rules it names replace the base's action and the parameters
	 * they give, exemptions and overrides add to the base's. */
	CompiledPolicy compile(const json::Value &doc, const Policy *base, Policy &out) const
	{
		if (!doc.isObject())
			fail(doc, "a policy is a JSON object");
		for (const auto &[key, v] : doc.members())
			if (key != "name" && key != "version" && key != "mode" && key != "rules" &&
			    key != "exemptions" && key != "overrides" && key != "description" &&
			    key != "extends")
				fail(v, "unknown key \"" + printable(key) +
				                "\" (name, version, description, extends, mode, "
				                "rules, "
				                "exemptions, overrides)");
		out.name_ = requireString(doc, "name", "policy");
		if (!validPolicyName(out.name_))
			fail(*doc.find("name"),
			     "policy name must be 1-64 characters of A-Z a-z 0-9 . _ -");
		out.version_ = requireString(doc, "version", "policy");
		if (out.version_.empty())
			fail(*doc.find("version"), "policy version must not be empty");
		CompiledPolicy c;
		if (base != nullptr)
			c = base->compiled();
		c.files.insert(c.files.begin(), name_);
		if (const json::Value *d = doc.find("description")) {
			if (!d->isString())
				fail(*d, "description must be a string");
			c.description = d->asString();
		}
		out.mode_ = base != nullptr ? base->mode() : Mode::Enforce;
		if (doc.find("mode")) {
			const std::string &m = requireString(doc, "mode", "policy");
			if (m == "audit")
				out.mode_ = Mode::Audit;
			else if (m == "enforce")
				out.mode_ = Mode::Enforce;
			else
				fail(*doc.find("mode"), "mode must be \"enforce\" or \"audit\"");
		}

		const auto &all = allRules();
		c.rules.resize(all.size());
		const json::Value *rules = doc.find("rules");
		if (!rules && base == nullptr)
			fail(doc, "policy: missing \"rules\" (or \"extends\" to start from "
			          "another policy)");
		if (rules && !rules->isObject())
			fail(*rules, "\"rules\" must be an object of rule name -> settings");
		static const std::vector<json::Value::Member> kNone;
		for (const auto &[rname, robj] : rules ? rules->members() : kNone) {
			const RuleDef *def = knownRule(robj, rname);
			if (!robj.isObject())
				fail(robj, "rule " + rname +
				                   ": settings must be an object with an "
				                   "\"action\"");
			auto idx = static_cast<size_t>(def - all.data());
			std::optional<CompiledPolicy::Rule> &slot = c.rules[idx];
			const json::Value *a = robj.find("action");
			if (!a && !slot)
				fail(robj,
				     "rule " + rname +
				             ": missing \"action\" (mutate, deny, audit or off)" +
				             (base != nullptr ? "; " + base->name() +
				                                        " does not configure it"
				                              : std::string()));
			if (!slot)
				slot = CompiledPolicy::Rule{def,
				                            Action::Off,
				                            json::Value::object(),
				                            json::Value::object(),
				                            "",
				                            ""};
			if (a) {
				bool ok = false;
				Action action = a->isString() ? parseAction(a->asString(), ok)
				                              : Action::Off;
				if (!ok)
					fail(*a, "rule " + rname +
					                 ": action must be \"mutate\", \"deny\", "
					                 "\"audit\" or \"off\"");
				slot->action = action;
				slot->reason.clear();
			}
			if (const json::Value *r = robj.find("reason")) {
				if (!r->isString() || r->asString().empty())
					fail(*r, "rule " + rname +
					                 ": reason must be a non-empty string");
				slot->reason = r->asString();
			}
			if (slot->action == Action::Off && slot->reason.empty())
				fail(a ? *a : robj, "rule " + rname +
				                            ": turning a rule off needs a "
				                            "\"reason\" (who decided, "
				                            "and why)");
			if (!loads(*def)) {
				/* kept with its action; never run in this load's scope */
				slot->source = name_;
				slot->probed = false;
				continue;
			}
			json::Value given = params(*def, robj, true);
			for (auto &[k, v] : given.members())
				slot->params.set(k, std::move(v)); /* a profile is large: moved */
			json::Value as = written(*def, robj);
			for (auto &[k, v] : as.members())
				slot->written.set(k, std::move(v));
			slot->source = name_;
			slot->probed = false;
			if (slot->action != Action::Off && structured(*def, slot->params)) {
				probe(*def, slot->params, robj, true); /* throws unless they pass */
				slot->probed = true;
			}
		}

		if (const json::Value *ex = doc.find("exemptions")) {
			if (!ex->isArray())
				fail(*ex, "\"exemptions\" must be an array");
			for (const auto &e : ex->items()) {
				if (!e.isObject())
					fail(e, "an exemption must be an object");
				CompiledPolicy::Exemption x;
				x.source = name_;
				header(e, "exemption", true, x.name, x.reason, x.expires);
				for (const auto &[key, v] : e.members())
					if (key != "name" && key != "reason" && key != "expires" &&
					    key != "match" && key != "rules")
						fail(v, "exemption " + x.name + ": unknown key \"" +
						                printable(key) + "\"");
				x.match = match(e, "exemption " + x.name);
				const json::Value *r = e.find("rules");
				if (!r || !r->isArray() || r->items().empty())
					fail(r ? *r : e,
					     "exemption " + x.name +
					             ": \"rules\" must be a non-empty array "
					             "of rule names");
				for (const auto &rn : r->items()) {
					if (!rn.isString())
						fail(rn, "exemption " + x.name +
						                 ": rule names are strings");
					knownRule(rn, rn.asString());
					x.rules.push_back(rn.asString());
				}
				c.exemptions.push_back(std::move(x));
			}
		}

		if (const json::Value *ov = doc.find("overrides")) {
			if (!ov->isArray())
				fail(*ov, "\"overrides\" must be an array");
			for (const auto &o : ov->items()) {
				if (!o.isObject())
					fail(o, "an override must be an object");
				CompiledPolicy::Override x;
				x.source = name_;
				header(o, "override", false, x.name, x.reason, x.expires);
				for (const auto &[key, v] : o.members())
					if (key != "name" && key != "reason" && key != "expires" &&
					    key != "match" && key != "rules")
						fail(v, "override " + x.name + ": unknown key \"" +
						                printable(key) + "\"");
				x.match = match(o, "override " + x.name);
				const json::Value *r = o.find("rules");
				if (!r || !r->isObject() || r->members().empty())
					fail(r ? *r : o,
					     "override " + x.name +
					             ": \"rules\" must be a non-empty object "
					             "of rule name -> parameters");
				for (const auto &[rname, robj] : r->members()) {
					const RuleDef *def = knownRule(robj, rname);
					auto idx = static_cast<size_t>(def - all.data());
					if (!c.rules[idx] || c.rules[idx]->action == Action::Off)
						fail(robj,
						     "override " + x.name + ": rule " + rname +
						             " is off in this policy: an override "
						             "cannot turn it on");
					if (!robj.isObject())
						fail(robj,
						     "override " + x.name + ": rule " + rname +
						             ": parameters must be an object");
					if (!loads(*def)) {
						x.rules.emplace_back(def, json::Value::object());
						x.written.emplace_back(def, json::Value::object());
						continue;
					}
					x.rules.emplace_back(def, params(*def, robj, false));
					x.written.emplace_back(def, written(*def, robj));
					json::Value merged = c.rules[idx]->params;
					for (const auto &[k, v] : x.rules.back().second.members())
						merged.set(k, v);
					if (structured(*def, x.rules.back().second))
						probe(*def, merged, robj);
				}
				c.overrides.push_back(std::move(x));
			}
		}
		return c;
	}

private:
	std::string_view text_;
	std::string name_;
	std::string baseDir_;
	bool checkOwner_;
	int depth_;
	/* only the rules that judge this scope get their parameters read and
	 * checked (Policy::loadFor): an exec needs no seccomp profile */
	std::optional<Scope> only_;
	/* root, on trusted files: probes wait until every input is read */
	bool remember_ = checkOwner_ && ::geteuid() == 0;
	struct Pending
	{
		const RuleDef *def;
		const json::Value *params;        /* a rule's parameters in the compiled policy */
		std::optional<json::Value> owned; /* or these (an override's, merged) */
		const json::Value *at; /* into the document, alive until load() returns */
	};
	mutable std::vector<Pending> pending_;
	mutable std::string inputs_; /* "PATH\nSHA256\n" of each file a parameter named */
};

Policy Loader::load()
{
	const std::string textSha = sha256Hex(text_);
	json::Value doc;
	try {
		doc = parseTrusted(text_, name_, textSha);
	} catch (const Error &e) {
		throw Error(ErrorKind::Policy, e.what());
	}
	std::optional<Policy> base;
	if (const json::Value *ext = doc.isObject() ? doc.find("extends") : nullptr) {
		if (!ext->isString() || ext->asString().empty() ||
		    ext->asString().find('\0') != std::string::npos)
			fail(*ext, "extends must name a shipped policy (\"restricted\") or a file");
		if (depth_ >= kMaxExtends)
			fail(*ext, strprintf("extends: more than %d policies deep (a loop?)",
			                     kMaxExtends));
		const std::string &want = ext->asString();
		std::string found;
		if (want.find('/') != std::string::npos || want.ends_with(".json")) {
			found = want[0] == '/' ? want : baseDir_ + "/" + want;
		} else {
			if (!validPolicyName(want) || want.find("..") != std::string::npos)
				fail(*ext, "extends \"" + printable(want) +
				                   "\": not a policy name (A-Z a-z 0-9 . _ -) nor "
				                   "a path");
			auto shipped = findShipped(want, name_);
			if (!shipped)
				fail(*ext, "extends \"" + want + "\": no " + want +
				                   ".json beside " + name_ +
				                   " nor in " BULKHEAD_DATADIR "/policies");
			found = *shipped;
		}
		const std::string &path = found;
		std::string text;
		try {
			text = readTrusted(path, checkOwner_);
		} catch (const Error &e) {
			fail(*ext, "extends \"" + want + "\": " + e.what());
		}
		base = Loader(text, path, dirOf(path), checkOwner_, depth_ + 1, only_).load();
	}
	Policy p;
	p.compiled_ =
	        std::make_shared<const CompiledPolicy>(compile(doc, base ? &*base : nullptr, p));
	p.sha256_ = base ? sha256Hex(std::string(text_) + "\n" + base->sha256()) : textSha;
	if (!pending_.empty()) {
		const std::string self = selfIdentity();
		const std::string key =
		        self.empty() ? std::string()
		                     : sha256Hex(self + "\n" + scopeKey() + "\n" + name_ + "\n" +
		                                 p.sha256_ + "\n" + inputs_);
		if (key.empty() || !probedBefore(key)) {
			for (const auto &q : pending_)
				runProbe(*q.def, q.owned ? *q.owned : *q.params, *q.at);
			if (!key.empty())
				rememberProbed(key);
		}
	}
	return p;
}

Policy Policy::load(const std::string &path, bool checkOwner)
{
	std::string text = readTrusted(path, checkOwner);
	return Loader(text, path, dirOf(path), checkOwner, 0).load();
}

Policy Policy::loadFor(const std::string &path, bool checkOwner, Scope scope)
{
	std::string text = readTrusted(path, checkOwner);
	return Loader(text, path, dirOf(path), checkOwner, 0, scope).load();
}

Policy Policy::fromText(std::string_view text, std::string_view name)
{
	return Loader(text, std::string(name), dirOf(name), false, 0).load();
}

} // namespace bulkhead::policy
