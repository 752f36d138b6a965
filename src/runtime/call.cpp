/* The runtime path: what bulkhead does before it execs the real runtime for a
 * command that can start a process or widen a container's limits. Every path
 * records one audit line and fails closed: an error before the runtime runs
 * leaves the spec untouched and throws. */
#include "call.h"

#include "../sys/fd.h"
#include "../sys/io.h"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/error.h"
#include "bulkhead/runtime.h"
#include "bulkhead/sha256.h"

namespace bulkhead::runtime {

namespace {

using json::Value;
using policy::Action;
using policy::Decision;
using policy::Verdict;
using sys::Fd;

constexpr size_t kMessageMax = 4000; /* a refusal stays well under 8 KiB */

/* "<rule>: <message> (<remedy>); ..." for the denied findings, one line. */
std::string denyMessage(const Decision &d)
{
	std::string out;
	for (const auto &f : d.findings) {
		if (f.action != Action::Deny)
			continue;
		std::string one = f.rule + ": " + f.message;
		if (!f.remedy.empty())
			one += " (" + f.remedy + ")";
		if (!out.empty())
			out += "; ";
		out += one;
	}
	if (out.empty())
		out = "policy " + d.policyName + " refused the call";
	out = singleLine(std::move(out));
	if (out.size() > kMessageMax) {
		out.resize(kMessageMax);
		out += "; ...";
	}
	return out;
}

/* A sealed memfd holding CONTENT at a descriptor number >= minFd, inherited
 * across execv (no close-on-exec). */
Fd makeMemfd(std::string_view content, const char *name, int minFd)
{
	Fd fd(::memfd_create(name, MFD_ALLOW_SEALING));
	if (fd.get() < 0)
		throwErrno(std::string("memfd_create ") + name);
	sys::writeAll(fd.get(), content, std::string("memfd ") + name);
	if (::lseek(fd.get(), 0, SEEK_SET) != 0)
		throwErrno(std::string("memfd ") + name);
	if (::fcntl(fd.get(), F_ADD_SEALS,
	            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		throwErrno(std::string("memfd ") + name + ": seal");
	if (fd.get() >= minFd)
		return fd;
	/* above the descriptors the engine asked runc to pass on (--preserve-fds) */
	Fd moved(::fcntl(fd.get(), F_DUPFD, minFd));
	if (moved.get() < 0)
		throwErrno(std::string("memfd ") + name + ": dup");
	return moved;
}

int minInheritFd(const cli::Invocation &inv)
{
	const cli::FlagUse *p = inv.flag("preserve-fds");
	int64_t n = 0;
	if (p != nullptr && p->value) {
		auto v = cli::parseGoInt(*p->value, true);
		if (!v || *v < 0 || *v > 65536)
			throw Error(ErrorKind::Usage, "exec: --preserve-fds \"" + *p->value +
			                                      "\": not a count of descriptors");
		n = *v;
	}
	return static_cast<int>(3 + n);
}

} // namespace

std::string runtimeRoot(const cli::Invocation &inv)
{
	const cli::FlagUse *root = inv.global("root");
	if (root == nullptr || !root->value || root->value->empty())
		return {};
	const std::string &r = *root->value;
	if (r[0] == '/')
		return r;
	char cwd[PATH_MAX];
	if (::getcwd(cwd, sizeof cwd) == nullptr)
		throwErrno("getcwd");
	return std::string(cwd) + "/" + r;
}

policy::CallContext callContext(const Call &c, const std::string &bundle)
{
	return policy::CallContext{c.id, bundle, c.inv.commandName, c.cfg.engine,
	                           runtimeRoot(c.inv)};
}

std::string record(Call &c, const Decision &d, bool refused)
{
	c.rec.decision = &d;
	try {
		audit::write(c.cfg.audit, c.rec);
		c.recorded = true;
		return "";
	} catch (const Error &e) {
		c.recorded = true; /* no error record on top */
		if (refused)
			return e.what();
		throw;
	}
}

void refuse(Call &c, const Decision &d, std::string_view text)
{
	if (!c.cfg.audit.keepDenied.empty() && !text.empty()) {
		try {
			c.rec.kept = audit::keepDenied(c.cfg.audit.keepDenied, text);
		} catch (const Error &e) {
			c.rec.error = e.what();
		}
	}
	std::string msg = denyMessage(d);
	std::string auditErr = record(c, d, true);
	if (!auditErr.empty())
		msg += " [audit record not written: " + singleLine(auditErr).substr(0, 300) + "]";
	throw Error(ErrorKind::Denied, msg);
}

Container container(const cli::Invocation &inv, const std::string &id)
{
	Container out;
	if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..") {
		out.stateError = "the container ID \"" + id + "\" names no state directory";
		return out;
	}
	std::string root = "/run/runc";
	if (const cli::FlagUse *r = inv.global("root");
	    r != nullptr && r->value && !r->value->empty()) {
		root = *r->value;
	} else if (::geteuid() != 0) {
		/* rootless runc keeps its state under XDG_RUNTIME_DIR: not trusted here */
		out.stateError = "not root and no --root: runc's state is not trusted";
		return out;
	}
	/* runc stores each annotation as a "key=value" label, and the bundle as
	 * "bundle=DIR" */
	const std::string path = root + "/" + id + "/state.json";
	struct stat st
	{
	};
	if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
		out.missing = true;
		out.stateError = path + ": no such container";
		return out;
	}
	try {
		const Value state = json::parse(json::readFile(path, kSpecMax, true), path);
		const Value *config = state.find("config");
		const Value *labels = config != nullptr ? config->find("labels") : nullptr;
		if (labels == nullptr || !labels->isArray())
			throw Error(ErrorKind::Json, path + ": no config.labels");
		for (const auto &l : labels->items()) {
			if (!l.isString())
				continue;
			const std::string &kv = l.asString();
			auto eq = kv.find('=');
			if (eq == std::string::npos || eq == 0)
				continue;
			const std::string key = kv.substr(0, eq);
			if (key == "bundle") {
				if (out.bundle.empty())
					out.bundle = kv.substr(eq + 1);
			} else if (out.annotations.find(key) == nullptr) {
				out.annotations.set(key, Value::string(kv.substr(eq + 1)));
			}
		}
	} catch (const Error &e) {
		out.annotations = Value::object(); /* nothing is exempted then */
		out.bundle.clear();
		out.stateError = e.what();
	}
	return out;
}

Decision judge(Call &c, Value doc, policy::Scope scope, std::string_view text)
{
	if (c.rec.inputSha256.empty()) /* built from inline flags */
		c.rec.inputSha256 = sha256Hex(text);
	if (!c.annotations.members().empty())
		doc.set("annotations", c.annotations);
	Decision d = c.pol.evaluate(doc, scope, callContext(c, c.bundle), c.host);
	if (d.verdict == Verdict::Deny)
		refuse(c, d, text);
	return d;
}

namespace {

/* OUT in a sealed memfd, named in argv in place of FLAG's value, or as
 * "--NAME=/proc/self/fd/N" right after the command; D recorded (when given)
 * once the memfd exists. */
std::vector<std::string> memfdArgv(Call &c, const Decision *d, std::string_view out,
                                   const cli::FlagUse *flag, std::string_view name)
{
	const std::string memfdName = "bulkhead-" + std::string(name);
	Fd mfd = makeMemfd(out, memfdName.c_str(), minInheritFd(c.inv));
	if (d != nullptr)
		record(c, *d, false);
	const std::string path = strprintf("/proc/self/fd/%d", mfd.get());
	std::vector<std::string> argv = c.inv.argv;
	if (flag == nullptr) {
		argv.insert(argv.begin() + static_cast<std::ptrdiff_t>(c.inv.commandIndex + 1),
		            "--" + std::string(name) + "=" + path);
	} else if (flag->valueIndex == flag->index) {
		std::string &arg = argv.at(flag->index);
		auto eq = arg.find('=');
		if (eq == std::string::npos)
			throw Error(ErrorKind::Internal, "flag --" + flag->name + " has no value");
		arg = arg.substr(0, eq + 1) + path;
	} else {
		argv.at(flag->valueIndex) = path;
	}
	mfd.release(); /* inherited by the runtime */
	return argv;
}

} // namespace

std::vector<std::string> handOver(Call &c, const Decision &d, std::string_view out,
                                  const cli::FlagUse *flag, std::string_view name)
{
	return memfdArgv(c, &d, out, flag, name);
}

std::vector<std::string> handOverUnjudged(Call &c, std::string_view out, std::string_view name)
{
	return memfdArgv(c, nullptr, out, nullptr, name);
}

std::vector<std::string> handOverStdin(Call &c, const Decision &d, std::string_view out)
{
	Fd mfd = makeMemfd(out, "bulkhead-resources", 0);
	record(c, d, false);
	if (::dup2(mfd.get(), 0) < 0)
		throwErrno(c.inv.commandName + ": stdin");
	return c.inv.argv;
}

std::vector<std::string> prepare(const cli::Invocation &inv, const Config &cfg)
{
	/* A runtime that cannot run must be found before the spec is replaced. */
	struct stat rt
	{
	};
	if (cfg.runtime.empty() || ::stat(cfg.runtime.c_str(), &rt) != 0 || !S_ISREG(rt.st_mode) ||
	    ::access(cfg.runtime.c_str(), X_OK) != 0)
		throw Error(
		        ErrorKind::Runtime,
		        "runtime \"" + cfg.runtime + "\": not an executable file" +
		                (cfg.path.empty() ? "" : " (set \"runtime\" in " + cfg.path + ")"));
	const policy::Policy pol = [&] {
		try {
			/* exec and update judge a process or resources only: the
			 * rules of the other scopes are not loaded (no seccomp profile
			 * on the kubelet's exec-probe path) */
			if (inv.command == cli::Command::Exec)
				return policy::Policy::loadFor(cfg.policy, ::geteuid() == 0,
				                               policy::Scope::Process);
			if (inv.command == cli::Command::Update)
				return policy::Policy::loadFor(cfg.policy, ::geteuid() == 0,
				                               policy::Scope::Resources);
			return policy::Policy::load(cfg.policy, ::geteuid() == 0);
		} catch (const Error &e) {
			/* no policy, no decision: an error record, best effort */
			audit::Record r;
			r.command = inv.commandName;
			r.containerId = inv.containerId.value_or("");
			r.subject = "policy " + cfg.policy;
			r.error = e.what();
			try {
				audit::write(cfg.audit, r);
			} catch (const Error &) {
			}
			throw;
		}
	}();
	const RealHost real;
	const MemoHost host(real);
	Call c{inv, cfg, pol, host, inv.containerId.value_or(""), {}, false, Value::object(), {}};
	c.rec.command = inv.commandName;
	c.rec.containerId = c.id;
	try {
		switch (inv.command) {
		case cli::Command::Create:
		case cli::Command::Run:
		case cli::Command::Restore:
			return hardenBundle(c);
		case cli::Command::Exec:
			return hardenExec(c);
		case cli::Command::Update:
			return checkUpdate(c);
		default:
			throw Error(ErrorKind::Internal,
			            "runtime::prepare called for \"" + inv.commandName + "\"");
		}
	} catch (const Error &e) {
		if (e.kind() != ErrorKind::Denied && !c.recorded) {
			/* a failed call leaves a trace too, best effort */
			c.rec.decision = nullptr;
			c.rec.error = e.what();
			try {
				audit::write(cfg.audit, c.rec);
			} catch (const Error &) {
			}
		}
		throw;
	} catch (const std::exception &e) {
		throw Error(ErrorKind::Internal, std::string(inv.commandName) + ": " + e.what());
	}
}

} // namespace bulkhead::runtime
