/* The machine configuration. Read on every call, pass-through included, so it
 * stays one small file: the real runtime, the policy, the audit settings, the
 * engine. */
#include "bulkhead/config.h"

#include "bulkhead_build.h"
#include "sys/fd.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/json.h"

namespace bulkhead {

namespace {

constexpr const char *kDefaultPath = BULKHEAD_CONFDIR "/config.json";
constexpr size_t kMaxConfigBytes = 1u << 20;

using sys::Fd;

void checkStat(const struct stat &st, const std::string &path, ErrorKind kind, bool checkOwner)
{
	if (!S_ISREG(st.st_mode))
		throw Error(kind, path + ": not a regular file");
	if (!checkOwner)
		return;
	if (st.st_uid != 0)
		throw Error(kind, strprintf("%s: owned by uid %u, not root: refusing to trust it",
		                            path.c_str(), static_cast<unsigned>(st.st_uid)));
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		throw Error(kind, strprintf("%s: writable by %s (mode %04o): refusing to trust it",
		                            path.c_str(),
		                            (st.st_mode & S_IWOTH) != 0 ? "everyone" : "its group",
		                            static_cast<unsigned>(st.st_mode & 07777)));
}

/* Is PATH this very program? A runtime that is bulkhead itself would exec
 * itself forever. */
bool isSelf(const std::string &path) noexcept
{
	struct stat self
	{
	}, other{};
	if (stat("/proc/self/exe", &self) != 0 || stat(path.c_str(), &other) != 0)
		return false;
	return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

std::string findRuntime()
{
	for (const char *dir : kRuntimeSearchDirs) {
		std::string p = std::string(dir) + "/runc";
		struct stat st
		{
		};
		if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
		    access(p.c_str(), X_OK) == 0 && !isSelf(p))
			return p;
	}
	throw Error(
	        ErrorKind::Config,
	        strprintf("no configuration file (%s, or BULKHEAD_CONFIG) and no runc in "
	                  "/usr/bin, /usr/sbin, /usr/local/bin or /usr/local/sbin: set \"runtime\"",
	                  kDefaultPath));
}

class Reader
{
public:
	Reader(const std::string &path, const std::string &text) : path_(path), text_(text) {}

	[[noreturn]] void fail(const json::Value &at, const std::string &what) const
	{
		throw Error(ErrorKind::Config,
		            path_ + ":" + json::lineCol(text_, at.offset()) + ": " + what);
	}

	std::string string(const json::Value &v, const std::string &key) const
	{
		if (!v.isString())
			fail(v, strprintf("\"%s\" must be a string, not %s", key.c_str(),
			                  json::typeName(v.type())));
		const std::string &s = v.asString();
		if (s.find('\0') != std::string::npos)
			fail(v, strprintf("\"%s\" contains a NUL byte", key.c_str()));
		return s;
	}

	std::string absolutePath(const json::Value &v, const std::string &key) const
	{
		std::string s = string(v, key);
		if (s.empty() || s[0] != '/')
			fail(v, strprintf("\"%s\" must be an absolute path, not \"%s\"",
			                  key.c_str(), s.c_str()));
		return s;
	}

	void unknown(const json::Value &v, const std::string &key, const char *known) const
	{
		fail(v, strprintf("unknown key \"%s\" (known: %s)", key.c_str(), known));
	}

private:
	const std::string &path_;
	const std::string &text_;
};

void readAudit(const Reader &r, const json::Value &v, AuditConfig &audit)
{
	if (!v.isObject())
		r.fail(v,
		       strprintf("\"audit\" must be an object, not %s", json::typeName(v.type())));
	for (const auto &[key, value] : v.members()) {
		if (key == "log") {
			audit.log = r.absolutePath(value, "audit.log");
		} else if (key == "onError") {
			std::string s = r.string(value, "audit.onError");
			if (s == "refuse")
				audit.failOpen = false;
			else if (s == "continue")
				audit.failOpen = true;
			else
				r.fail(value, "\"audit.onError\" must be \"refuse\" or "
				              "\"continue\", not \"" +
				                      s + "\"");
		} else if (key == "keepDenied") {
			const std::string s = r.string(value, "audit.keepDenied");
			audit.keepDenied =
			        s.empty() ? s : r.absolutePath(value, "audit.keepDenied");
		} else {
			r.unknown(value, "audit." + key, "log, onError, keepDenied");
		}
	}
}

} // namespace

const char *const kRuntimeSearchDirs[4] = {"/usr/bin", "/usr/sbin", "/usr/local/bin",
                                           "/usr/local/sbin"};

std::string defaultConfigPath()
{
	return kDefaultPath;
}

std::string defaultPolicyPath()
{
	return BULKHEAD_DATADIR "/policies/restricted.json";
}

void checkTrusted(const std::string &path, int kindAsInt)
{
	const auto kind = static_cast<ErrorKind>(kindAsInt);
	struct stat st
	{
	};
	if (stat(path.c_str(), &st) != 0)
		throw Error(kind, path + ": " + std::strerror(errno));
	checkStat(st, path, kind, true);
}

Config Config::builtin()
{
	Config c;
	c.runtime = findRuntime();
	c.policy = defaultPolicyPath();
	return c;
}

Config Config::loadFile(const std::string &path, bool checkOwner)
{
	/* One open: the checks and the read see the same file. O_NONBLOCK so
	 * a FIFO cannot hang us before fstat() refuses it. */
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
	if (fd.get() < 0)
		throw Error(ErrorKind::Config, path + ": " + std::strerror(errno));
	struct stat st
	{
	};
	if (fstat(fd.get(), &st) != 0)
		throw Error(ErrorKind::Config, path + ": " + std::strerror(errno));
	checkStat(st, path, ErrorKind::Config, checkOwner);

	std::string text;
	json::Value root;
	try {
		text = json::readFd(fd.get(), path, kMaxConfigBytes);
		root = json::parse(text, path);
	} catch (const Error &e) {
		throw Error(ErrorKind::Config, e.what());
	}
	Reader r(path, text);
	if (!root.isObject())
		r.fail(root, strprintf("the configuration must be a JSON object, not %s",
		                       json::typeName(root.type())));

	Config c;
	c.path = path;
	for (const auto &[key, value] : root.members()) {
		if (key == "runtime") {
			c.runtime = r.absolutePath(value, "runtime");
			if (isSelf(c.runtime))
				r.fail(value, "\"runtime\" " + c.runtime +
				                      " is bulkhead itself: name the real runtime");
		} else if (key == "policy") {
			c.policy = r.absolutePath(value, "policy");
		} else if (key == "audit") {
			readAudit(r, value, c.audit);
		} else if (key == "engine") {
			const std::string s = r.string(value, "engine");
			auto k = engine::kindFromName(s);
			if (!k)
				r.fail(value, strprintf("\"engine\" must be one of %s, not \"%s\"",
				                        engine::kindNames(), s.c_str()));
			c.engine = *k;
		} else {
			r.unknown(value, key, "runtime, policy, audit, engine");
		}
	}
	if (c.runtime.empty()) {
		try {
			c.runtime = findRuntime();
		} catch (const Error &) {
			throw Error(ErrorKind::Config,
			            path + ": no \"runtime\", and no runc in /usr/bin, /usr/sbin, "
			                   "/usr/local/bin or /usr/local/sbin");
		}
	}
	if (c.policy.empty())
		c.policy = defaultPolicyPath();
	return c;
}

Config Config::load()
{
	const bool root = geteuid() == 0;
	if (const char *env = getenv("BULKHEAD_CONFIG"); env != nullptr) {
		if (*env == '\0')
			throw Error(ErrorKind::Config, "BULKHEAD_CONFIG is set but empty");
		return loadFile(env, root);
	}
	struct stat st
	{
	};
	if (lstat(kDefaultPath, &st) == 0 || errno != ENOENT)
		return loadFile(kDefaultPath, root);
	return builtin();
}

} // namespace bulkhead
