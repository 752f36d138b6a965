/* bulkhead doctor: is this node ready for the next container an engine starts
 * through bulkhead? `--version` only shows that the runtime runs; a missing
 * policy or an audit directory that cannot be written shows up only when the
 * first create is refused. doctor checks each of them, then starts a canary
 * container through the whole path. */
#include "../policy_compiled.h"
#include "../sys/fd.h"
#include "../sys/io.h"
#include "bulkhead_build.h"
#include "engines.h"
#include "ops_util.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bulkhead/config.h"
#include "bulkhead/error.h"
#include "bulkhead/ops.h"
#include "bulkhead/policy.h"
#include "bulkhead/policy_report.h"

namespace bulkhead::ops {

namespace {

constexpr unsigned long long kMiB = 1024ull * 1024;
constexpr unsigned long long kAuditFailBytes = 16 * kMiB;
constexpr unsigned long long kAuditWarnBytes = 256 * kMiB;

const char kUsage[] =
        "usage: bulkhead doctor [--format text|json] [--root DIR] [--no-canary]\n"
        "\n"
        "Checks that the next container an engine starts through bulkhead will start:\n"
        "the bulkhead binary, the machine configuration (owner, mode), the runtime and its\n"
        "version, the policy (loads, validates; its warnings), the audit log's directory\n"
        "(writable, free space), each engine installed (Docker, containerd, CRI-O,\n"
        "Podman: an entry that runs bulkhead, Docker's userns-remap), /etc/subuid and\n"
        "/etc/subgid for the engines' remap users, the cgroup controllers, and last a\n"
        "canary: a busybox-static container created through bulkhead and the runtime,\n"
        "run, checked and deleted (root; private runtime state in a scratch directory).\n"
        "One line per check: ok, warn, fail (with the fix) or skip.\n"
        "\n"
        "  --format FMT   text (default) or json\n"
        "  --root DIR     read every file below DIR instead of / (a staging tree)\n"
        "  --no-canary    do not start the canary container\n"
        "\n"
        "Exit status: 0 nothing failed, 1 a check failed, 2 usage error.\n";

Check line(const std::string &name, Status s, std::string message, std::string fix = {})
{
	return Check{name, s, std::move(message), std::move(fix)};
}

std::string selfPath()
{
	char buf[4096];
	ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
	return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("/proc/self/exe");
}

std::string modeText(const std::string &path)
{
	struct stat st
	{
	};
	if (::stat(path.c_str(), &st) != 0)
		return "";
	return strprintf("mode %04o", static_cast<unsigned>(st.st_mode & 07777));
}

void checkSelf(const DoctorContext &c, std::vector<Check> &out)
{
	const std::string problem = trustProblem(c.self, true);
	if (!problem.empty())
		out.push_back(line("bulkhead", Status::Fail,
		                   c.self + ": " + problem + ": engines run it as root",
		                   trustFix(c.self, problem)));
	else
		out.push_back(line("bulkhead", Status::Ok,
		                   c.self + ": version " BULKHEAD_VERSION ", " + modeText(c.self)));
}

/* The machine configuration as bulkhead reads it, or nullopt when it cannot. */
std::optional<Config> checkConfig(const DoctorContext &c, std::vector<Check> &out)
{
	std::string path = defaultConfigPath(), real = under(c.root, path);
	if (const char *env = std::getenv("BULKHEAD_CONFIG"); env != nullptr && isLive(c.root)) {
		path = real = env;
		out.push_back(line("config", Status::Warn,
		                   "BULKHEAD_CONFIG names " + path + ": checked instead of " +
		                           defaultConfigPath() +
		                           ", which Podman and engines "
		                           "that pass no environment read",
		                   "unset BULKHEAD_CONFIG to check what every engine reads"));
	}
	struct stat st
	{
	};
	if (::lstat(real.c_str(), &st) != 0 && errno == ENOENT) {
		Config cfg;
		for (const char *dir : kRuntimeSearchDirs) {
			const std::string p = std::string(dir) + "/runc";
			if (exists(under(c.root, p)) && !sameFile(under(c.root, p), c.self)) {
				cfg.runtime = p;
				break;
			}
		}
		cfg.policy = defaultPolicyPath();
		if (cfg.runtime.empty()) {
			out.push_back(line("config", Status::Fail,
			                   "no " + path +
			                           " and no runc in /usr/bin, /usr/sbin, "
			                           "/usr/local/bin or /usr/local/sbin",
			                   "apt-get install runc, or name the runtime in " + path +
			                           " (bulkhead-config(5))"));
			return std::nullopt;
		}
		out.push_back(line("config", Status::Ok,
		                   "no " + path + ": built-in defaults (runtime " + cfg.runtime +
		                           ", policy " + cfg.policy + ")"));
		return cfg;
	}
	try {
		Config cfg = Config::loadFile(real, true);
		out.push_back(line("config", Status::Ok, path + ": root's, " + modeText(real)));
		return cfg;
	} catch (const Error &e) {
		const std::string msg = singleLine(e.what());
		const std::string problem = trustProblem(real, false);
		out.push_back(line("config", Status::Fail, msg,
		                   !problem.empty() && problem.find("regular") == std::string::npos
		                           ? trustFix(path, problem)
		                           : "correct " + path + " (bulkhead-config(5))"));
		return std::nullopt;
	}
}

bool checkRuntime(const DoctorContext &c, const Config &cfg, std::vector<Check> &out)
{
	const std::string real = under(c.root, cfg.runtime);
	const std::string problem = trustProblem(real, true);
	if (!problem.empty()) {
		const std::string fix = trustFix(cfg.runtime, problem);
		out.push_back(line("runtime", Status::Fail,
		                   cfg.runtime + ": " + problem +
		                           ": every container call fails, pass-through included",
		                   !fix.empty()
		                           ? fix
		                           : "apt-get install runc, or correct \"runtime\" in " +
		                                     defaultConfigPath()));
		return false;
	}
	RunResult r = run({real, "--version"}, {}, 10000);
	if (!r.started || r.status != 0 || r.timedOut) {
		out.push_back(line("runtime", Status::Fail,
		                   cfg.runtime + " --version: " +
		                           (r.timedOut      ? std::string("no answer in 10 s")
		                            : r.out.empty() ? strprintf("exit status %d", r.status)
		                                            : firstLine(r.out)),
		                   "reinstall the runtime, or correct \"runtime\" in " +
		                           defaultConfigPath()));
		return false;
	}
	out.push_back(line("runtime", Status::Ok, cfg.runtime + ": " + firstLine(r.out)));
	return true;
}

bool checkPolicy(const DoctorContext &c, const Config &cfg, const std::string &today,
                 std::vector<Check> &out)
{
	const std::string real = under(c.root, cfg.policy);
	const std::string validate = "bulkhead policy validate " + cfg.policy;
	try {
		const policy::Policy p = policy::Policy::load(real, true);
		std::optional<policy::Policy> ref;
		auto refPath = policy::findShipped("restricted", real);
		if (!refPath && baseName(real) == "restricted.json")
			refPath = real;
		if (refPath) {
			try {
				ref = policy::Policy::load(*refPath, true);
			} catch (const Error &) {
			}
		}
		size_t warnings = 0;
		bool failed = false;
		for (const auto &n : policy::review(p, ref ? &*ref : nullptr, today)) {
			if (n.level == policy::Notice::Level::Note)
				continue;
			const bool error = n.level == policy::Notice::Level::Error;
			out.push_back(line("policy", error ? Status::Fail : Status::Warn,
			                   singleLine(n.text), error ? validate : ""));
			warnings += error ? 0 : 1;
			failed = failed || error;
		}
		out.push_back(line("policy", Status::Ok,
		                   cfg.policy + ": " + p.name() + " version " + p.version() +
		                           ", mode " +
		                           (p.mode() == policy::Mode::Audit ? "audit" : "enforce") +
		                           ", sha256:" + p.sha256().substr(0, 16) +
		                           (warnings ? strprintf(", %zu warning%s", warnings,
		                                                 warnings == 1 ? "" : "s")
		                                     : std::string())));
		return !failed;
	} catch (const Error &e) {
		const std::string msg = singleLine(e.what());
		/* "FILE: group- or world-writable (mode 0666): refusing it ..." */
		std::string fix = validate;
		if (msg.find("refusing") != std::string::npos &&
		    (msg.find("writable") != std::string::npos ||
		     msg.find("owned by") != std::string::npos)) {
			const std::string file = msg.substr(0, msg.find(": "));
			fix = "chown root:root " + file + " && chmod go-w " + file;
		} else if (!exists(real)) {
			fix = "install the policy, or correct \"policy\" in " + defaultConfigPath();
		}
		out.push_back(
		        line("policy", Status::Fail, msg + ": every container is refused", fix));
		return false;
	}
}

void checkAudit(const DoctorContext &c, const Config &cfg, std::vector<Check> &out)
{
	const std::string dir = dirName(cfg.audit.log);
	std::string existing = dir;
	while (existing != "/" && !exists(under(c.root, existing)))
		existing = dirName(existing);
	const std::string fixDir = "make " + existing +
	                           " writable by root (remount it read-write, free it), or point "
	                           "\"audit\": {\"log\"} elsewhere in " +
	                           defaultConfigPath();
	const std::string realDir = under(c.root, existing);
	const char *consequence = cfg.audit.failOpen
	                                  ? ": records go to syslog only (onError continue)"
	                                  : ": every create, run, exec and update is refused";
	if (!isDir(realDir)) {
		out.push_back(line("audit", Status::Fail,
		                   existing + " is not a directory" + consequence, fixDir));
		return;
	}
	std::string tmpl = realDir + "/.bulkhead-doctor.XXXXXX";
	int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
	if (fd < 0) {
		out.push_back(line("audit", Status::Fail,
		                   existing + ": cannot create a file (" + std::strerror(errno) +
		                           ")" + consequence,
		                   fixDir));
		return;
	}
	::close(fd);
	::unlink(tmpl.c_str());
	const std::string realLog = under(c.root, cfg.audit.log);
	struct stat st
	{
	};
	if (::lstat(realLog.c_str(), &st) == 0) {
		sys::Fd log(::open(realLog.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
		                                            O_NONBLOCK | O_NOCTTY));
		if (log.get() < 0 || !S_ISREG(st.st_mode)) {
			out.push_back(
			        line("audit", Status::Fail,
			             cfg.audit.log + ": cannot be appended to (" +
			                     (S_ISREG(st.st_mode) ? std::strerror(errno)
			                                          : "not a regular file") +
			                     ")" + consequence,
			             "rm " + cfg.audit.log + " (bulkhead creates it again, 0640)"));
			return;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || st.st_uid != 0)
			out.push_back(line("audit", Status::Fail,
			                   cfg.audit.log + ": " +
			                           (st.st_uid != 0 ? "not owned by root"
			                                           : "writable by others") +
			                           ": records can be forged",
			                   "chown root:root " + cfg.audit.log + " && chmod 0640 " +
			                           cfg.audit.log));
	}
	struct statvfs vfs
	{
	};
	if (::statvfs(realDir.c_str(), &vfs) == 0) {
		const unsigned long long avail =
		        static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
		const bool noInodes = vfs.f_files != 0 && vfs.f_favail == 0;
		const std::string where =
		        (existing == dir ? dir : dir + " (to be created, 0750)") +
		        strprintf(": writable, %.1f GiB free",
		                  static_cast<double>(avail) / static_cast<double>(1024 * kMiB));
		if (avail < kAuditFailBytes || noInodes)
			out.push_back(line("audit", Status::Fail,
			                   noInodes ? existing + ": no free inodes" + consequence
			                            : where + consequence,
			                   "free space there, rotate the log (contrib/logrotate)"));
		else if (avail < kAuditWarnBytes)
			out.push_back(line("audit", Status::Warn, where + ", under 256 MiB",
			                   "free space there, rotate the log (contrib/logrotate)"));
		else
			out.push_back(line("audit", Status::Ok, where));
	}
	if (cfg.audit.failOpen)
		out.push_back(line("audit", Status::Warn,
		                   "onError is continue: a record that cannot be written does not "
		                   "stop the call (it goes to syslog)",
		                   "\"onError\": \"refuse\" in " + defaultConfigPath()));
}

void checkCgroups(std::vector<Check> &out)
{
	struct statfs fs
	{
	};
	if (::statfs("/sys/fs/cgroup", &fs) != 0) {
		out.push_back(line("cgroup", Status::Fail,
		                   std::string("/sys/fs/cgroup: ") + std::strerror(errno),
		                   "mount the cgroup file system"));
		return;
	}
	std::vector<std::string> missing;
	std::string version;
	if (static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC) {
		version = "v2 (unified)";
		std::string controllers;
		try {
			controllers = readText("/sys/fs/cgroup/cgroup.controllers").value_or("");
		} catch (const Error &) {
		}
		for (const char *c : {"memory", "pids"})
			if ((" " + controllers + " ").find(std::string(" ") + c) ==
			    std::string::npos)
				missing.emplace_back(c);
	} else {
		version = exists("/sys/fs/cgroup/unified") ? "v1 (hybrid)" : "v1";
		for (const char *c : {"memory", "pids"}) {
			struct statfs sub
			{
			};
			const std::string p = std::string("/sys/fs/cgroup/") + c;
			if (::statfs(p.c_str(), &sub) != 0 ||
			    static_cast<unsigned long>(sub.f_type) != CGROUP_SUPER_MAGIC)
				missing.emplace_back(c);
		}
	}
	if (!missing.empty())
		out.push_back(
		        line("cgroup", Status::Fail,
		             "cgroup " + version + " without the " + missing[0] +
		                     " controller: the limits restricted requires (P6) cannot "
		                     "be set",
		             "enable the memory and pids controllers (kernel command line "
		             "cgroup_enable=memory)"));
	else
		out.push_back(
		        line("cgroup", Status::Ok, "cgroup " + version + ", memory and pids"));
}

} // namespace

std::vector<Check> doctor(const DoctorOptions &o)
{
	DoctorContext c{isLive(o.root) ? std::string() : o.root,
	                o.self.empty() ? selfPath() : o.self};
	const std::string today = o.today.empty() ? policy::today() : o.today;
	std::vector<Check> out;
	checkSelf(c, out);
	std::optional<Config> cfg = checkConfig(c, out);
	bool ready = cfg.has_value();
	if (cfg) {
		ready = checkRuntime(c, *cfg, out) && ready;
		ready = checkPolicy(c, *cfg, today, out) && ready;
		checkAudit(c, *cfg, out);
	}
	checkCgroups(out);
	checkDocker(c, out);
	checkContainerd(c, out);
	checkCrio(c, out);
	checkPodman(c, out);
	if (!o.canary)
		out.push_back(line("canary", Status::Skip, "not run (--no-canary)"));
	else if (!ready)
		out.push_back(line("canary", Status::Skip,
		                   "not run: the configuration, runtime or policy failed above"));
	else if (::geteuid() != 0)
		out.push_back(line("canary", Status::Skip, "not run: it needs root"));
	else {
		Config resolved = *cfg;
		resolved.runtime = under(c.root, cfg->runtime);
		resolved.policy = under(c.root, cfg->policy);
		resolved.audit.log = under(c.root, cfg->audit.log);
		checkCanary(c, resolved, out);
	}
	return out;
}

std::string formatText(const std::vector<Check> &checks)
{
	std::string out;
	size_t counts[4] = {};
	for (const auto &c : checks) {
		counts[static_cast<size_t>(c.status)]++;
		out += strprintf("%-5s %s: ", statusName(c.status), c.name.c_str()) +
		       singleLine(c.message);
		if (!c.fix.empty())
			out += "; fix: " + singleLine(c.fix);
		out += "\n";
	}
	out += strprintf("doctor: %zu ok, %zu warn, %zu fail, %zu skipped\n", counts[0], counts[1],
	                 counts[2], counts[3]);
	return out;
}

json::Value toJson(const std::vector<Check> &checks)
{
	json::Value list = json::Value::array();
	uint64_t counts[4] = {};
	for (const auto &c : checks) {
		counts[static_cast<size_t>(c.status)]++;
		json::Value v = json::Value::object();
		v.set("name", json::Value::string(c.name));
		v.set("status", json::Value::string(statusName(c.status)));
		v.set("message", json::Value::string(c.message));
		if (!c.fix.empty())
			v.set("fix", json::Value::string(c.fix));
		list.push(std::move(v));
	}
	json::Value doc = json::Value::object();
	doc.set("version", json::Value::string(BULKHEAD_VERSION));
	doc.set("checks", std::move(list));
	const char *names[] = {"ok", "warn", "fail", "skip"};
	for (size_t i = 0; i < 4; i++)
		doc.set(names[i], json::Value::number(counts[i]));
	return doc;
}

int doctorMain(const std::vector<std::string> &args, std::string &out, std::string &err)
{
	try {
		DoctorOptions o;
		std::string format = "text";
		for (size_t i = 0; i < args.size(); i++) {
			const std::string &a = args[i];
			auto value = [&](const char *name) {
				return optionValue(args, i, name, "doctor");
			};
			if (a == "--help" || a == "-h" || a == "help") {
				out += kUsage;
				return 0;
			}
			if (isOption(a, "--format"))
				format = value("--format");
			else if (isOption(a, "--root"))
				o.root = value("--root");
			else if (a == "--no-canary")
				o.canary = false;
			else
				throw Error(ErrorKind::Usage,
				            "doctor: unknown argument \"" + a + "\"");
		}
		if (format != "text" && format != "json")
			throw Error(ErrorKind::Usage,
			            "doctor: --format must be text or json, not \"" + format +
			                    "\"");
		if (!o.root.empty() && (o.root[0] != '/' || !isDir(o.root)))
			throw Error(ErrorKind::Usage,
			            "doctor: --root " + o.root +
			                    ": not an absolute path to a directory");
		const auto checks = doctor(o);
		out += format == "json" ? json::write(toJson(checks), true) : formatText(checks);
		for (const auto &c : checks)
			if (c.status == Status::Fail)
				return 1;
		return 0;
	} catch (const Error &e) {
		err += "bulkhead: " + singleLine(e.what()) +
		       (e.kind() == ErrorKind::Usage ? " (see bulkhead doctor --help)" : "") + "\n";
		return 2;
	}
}

int doctorMain(const std::vector<std::string> &args)
{
	std::string out, err;
	const int rc = doctorMain(args, out, err);
	sys::writeAllNoThrow(STDOUT_FILENO, out);
	sys::writeAllNoThrow(STDERR_FILENO, err);
	return rc;
}

} // namespace bulkhead::ops
