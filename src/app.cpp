/* main()'s body: decide what this call is and hand it to the real runtime
 * with execv(). Pass-through reads nothing but the machine configuration. */
#include "bulkhead/app.h"

#include "bulkhead_build.h"
#include "sys/io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/cli.h"
#include "bulkhead/config.h"
#include "bulkhead/error.h"
#include "bulkhead/learn.h"
#include "bulkhead/offline.h"
#include "bulkhead/ops.h"
#include "bulkhead/report.h"
#include "bulkhead/runtime.h"

namespace bulkhead {

namespace {

const char kUsage[] =
        "bulkhead - a runc-compatible OCI runtime that enforces least privilege\n"
        "\n"
        "USAGE:\n"
        "   bulkhead [global options] command [command options] [arguments...]\n"
        "   bulkhead policy harden --policy FILE [--kind KIND] [--id ID] [CONFIG|-]\n"
        "   bulkhead policy check --policy FILE [--format text|json|sarif]\n"
        "                         [--kind KIND] [--id ID] [--at DATE] CONFIG...\n"
        "   bulkhead policy validate [--strict] FILE\n"
        "   bulkhead policy show [--effective] FILE\n"
        "   bulkhead policy diff A B\n"
        "   bulkhead audit [--since T] [--until T]\n"
        "                  [--format text|json|html|sarif|policyreport] [LOG...]\n"
        "   bulkhead doctor [--format text|json] [--root DIR] [--no-canary]\n"
        "   bulkhead setup --engine docker|containerd|crio|podman [--dry-run]\n"
        "                  [--root DIR] [--path FILE]\n"
        "   bulkhead learn --image REF [--policy FILE] [--seconds N] [--format text|json]\n"
        "                  BUNDLE\n"
        "\n"
        "Container engines call bulkhead exactly as they call runc. create, run,\n"
        "restore, exec and update are checked against the policy first (the spec,\n"
        "the process or the resources are hardened, or the call is refused); every\n"
        "other command goes straight to the real runtime named in the machine\n"
        "configuration, with its arguments untouched.\n"
        "\n"
        "RUNTIME COMMANDS (runc's, handed to the real runtime):\n"
        "   create, run, restore   checked: the bundle's config.json is hardened\n"
        "   exec                   checked: the process (--process FILE or options)\n"
        "   update                 checked: the resources (-r FILE, -r -, options)\n"
        "   start, state, kill, delete, list, ps, events, pause, resume,\n"
        "   checkpoint, spec, features\n"
        "                          passed through unchanged\n"
        "\n"
        "BULKHEAD'S OWN COMMANDS (offline: no runtime, no root needed):\n"
        "   policy harden          print the hardened spec (exit 0, 3 denied, 2 bad input)\n"
        "   policy check           verdict, findings and patch for each spec\n"
        "   policy validate        check a policy file (--strict: warnings are errors)\n"
        "   policy show            the policy with what it extends merged in\n"
        "   policy diff            what policy B lets through that policy A refuses\n"
        "   audit                  report on the audit log: decisions by verdict, rule,\n"
        "                          engine, namespace, pod, image and container over\n"
        "                          time; denials, fixes, exemptions (help audit)\n"
        "\n"
        "NODE COMMANDS (root):\n"
        "   doctor                 check this node: configuration, runtime, policy, audit\n"
        "                          log, each engine's entry, subuid/subgid, cgroups, and\n"
        "                          a canary container (exit 1 when a check fails)\n"
        "   setup                  add bulkhead to an engine's configuration (a backup\n"
        "                          first; --dry-run prints the diff)\n"
        "   learn                  run a bundle under strace with the policy's hardening,\n"
        "                          again after each refusal, and print the override\n"
        "                          (state directories, user) that lets it run (root)\n"
        "   help                   this text; help policy: the policy verbs;\n"
        "                          help CMD: the runtime's help for CMD\n"
        "\n"
        "GLOBAL OPTIONS (runc's):\n"
        "   --debug, --log FILE, --log-format text|json, --root DIR, --criu PATH,\n"
        "   --systemd-cgroup, --rootless true|false|auto\n"
        "   --version, -v          the real runtime's version, then bulkhead's\n"
        "   --help, -h             this text\n"
        "\n"
        "ENVIRONMENT:\n"
        "   BULKHEAD_CONFIG        machine configuration (default /etc/bulkhead/config.json)\n"
        "\n"
        "See bulkhead(8), bulkhead-config(5), bulkhead-policy(5),\n"
        "bulkhead-audit(5).\n";

[[noreturn]] void execRuntime(const std::string &runtime, const std::vector<std::string> &argv)
{
	std::vector<char *> args;
	args.reserve(argv.size() + 1);
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);
	::execv(runtime.c_str(), args.data());
	throw Error(ErrorKind::Runtime, runtime + ": " + std::strerror(errno));
}

void writeStdout(const std::string &s)
{
	sys::writeAll(STDOUT_FILENO, s, "stdout");
}

/* The real runtime's "--version" lines first (go-runc wants the first line to
 * start with "runc version "), then bulkhead's. */
int version(const std::string &argv0)
{
	const Config cfg = Config::load();
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		throwErrno("pipe");
	const pid_t pid = fork();
	if (pid < 0) {
		::close(fds[0]);
		::close(fds[1]);
		throwErrno("fork");
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		const char *args[] = {argv0.c_str(), "--version", nullptr};
		::execv(cfg.runtime.c_str(), const_cast<char *const *>(args));
		const std::string msg =
		        "bulkhead: " + cfg.runtime + ": " + std::strerror(errno) + "\n";
		ssize_t n = ::write(STDERR_FILENO, msg.data(), msg.size());
		(void)n;
		_exit(127);
	}
	::close(fds[1]);
	std::string out;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out.size() < (1u << 20))
			out.append(buf, static_cast<size_t>(n));
	}
	::close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		throw Error(ErrorKind::Runtime,
		            strprintf("%s --version failed (%s %d)", cfg.runtime.c_str(),
		                      WIFEXITED(status) ? "exit status" : "signal",
		                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)));
	if (!out.empty() && out.back() != '\n')
		out += '\n';
	writeStdout(out + "bulkhead version " BULKHEAD_VERSION "\n");
	return 0;
}

} // namespace

int run(const Logger &, const std::vector<std::string> &argv)
{
	const cli::Invocation inv = cli::parse(argv);
	if (inv.help) {
		const std::string topic =
		        inv.command == cli::Command::Help && inv.commandIndex + 1 < argv.size()
		                ? argv[inv.commandIndex + 1]
		                : std::string();
		if (topic == "policy")
			return offline::policyMain({"--help"});
		if (inv.command == cli::Command::Help && inv.commandIndex + 1 < argv.size() &&
		    argv[inv.commandIndex + 1] == "audit")
			return report::auditMain({"--help"});
		if (topic == "doctor")
			return ops::doctorMain({"--help"});
		if (topic == "setup")
			return ops::setupMain({"--help"});
		writeStdout(kUsage);
		return 0;
	}
	if (inv.version)
		return version(argv.empty() ? std::string("runc") : argv[0]);

	const std::vector<std::string> rest(
	        argv.begin() +
	                static_cast<std::ptrdiff_t>(std::min(inv.commandIndex + 1, argv.size())),
	        argv.end());
	switch (inv.command) {
	case cli::Command::Policy:
		return offline::policyMain(rest);
	case cli::Command::Doctor:
		return ops::doctorMain(rest);
	case cli::Command::Setup:
		return ops::setupMain(rest);
	case cli::Command::Audit:
		return report::auditMain(std::vector<std::string>(
		        argv.begin() + static_cast<std::ptrdiff_t>(inv.commandIndex) + 1,
		        argv.end()));
	case cli::Command::Learn:
		return learn::main(std::vector<std::string>(
		        argv.begin() + static_cast<std::ptrdiff_t>(inv.commandIndex) + 1,
		        argv.end()));
	default:
		break;
	}

	const Config cfg = Config::load();
	if (cli::isHardened(inv.command) && !inv.commandHelp)
		execRuntime(cfg.runtime, runtime::prepare(inv, cfg));
	execRuntime(cfg.runtime, argv);
}

int exitCodeFor(const std::vector<std::string> &argv) noexcept
{
	try {
		/* Only the command matters here; a refused parse is runtime mode. */
		const cli::Invocation inv = cli::parse(argv);
		if (cli::isOwnVerb(inv.command))
			return 2;
	} catch (...) {
	}
	return 1;
}

} // namespace bulkhead
