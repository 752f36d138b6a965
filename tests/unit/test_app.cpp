#include "bulkhead_build.h"
#include "fixtures.h"

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "bulkhead/app.h"
#include "bulkhead/cli.h"
#include "bulkhead/error.h"
#include "bulkhead/logger.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using test::slurp;

namespace {

/* A scratch directory that can also hold a machine configuration. */
struct TempDir : test::TempDir
{
	/* A machine configuration naming RUNTIME. */
	std::string config(const std::string &runtime) const
	{
		return write("config.json", "{\"runtime\": \"" + runtime + "\"}");
	}
};

struct Outcome
{
	int status = -1; /* exit status of the child */
	std::string out; /* its stdout */
	std::string err; /* its stderr */
};

/* What main() does, in a child: BULKHEAD_CONFIG=config, only fds 0-2 open,
 * stdout and stderr captured. */
Outcome runChild(const std::string &dir, const std::string &config,
                 const std::vector<std::string> &argv)
{
	const std::string outFile = dir + "/stdout", errFile = dir + "/stderr";
	pid_t pid = fork();
	if (pid == 0) { /* no Catch2 here: its reporter would write for the child too */
		int o = open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(120);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0)
			_exit(121);
		syscall(SYS_close_range, 3, ~0u, 0); /* musl 1.2.3 has no close_range() */
		setenv("BULKHEAD_CONFIG", config.c_str(), 1);
		Logger log = Logger::fromArgv(argv);
		int rc;
		try {
			rc = run(log, argv);
		} catch (const Error &ex) {
			log.error(ex.what());
			rc = exitCodeFor(argv);
		} catch (...) {
			_exit(122);
		}
		_exit(rc);
	}
	REQUIRE(pid > 0);
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	REQUIRE(WIFEXITED(status));
	return {WEXITSTATUS(status), slurp(outFile), slurp(errFile)};
}

} // namespace

TEST_CASE("exit codes: 2 for the offline verbs, 1 in runtime mode", "[app]")
{
	CHECK(exitCodeFor({"bulkhead", "policy", "check"}) == 2);
	CHECK(exitCodeFor({"bulkhead", "--debug", "policy", "harden", "-"}) == 2);
	CHECK(exitCodeFor({"bulkhead", "audit"}) == 2);
	CHECK(exitCodeFor({"bulkhead", "doctor", "--bogus"}) == 2);
	CHECK(exitCodeFor({"bulkhead", "setup"}) == 2);
	CHECK(exitCodeFor({"runc", "create", "--foo", "c1"}) == 1);
	CHECK(exitCodeFor({"runc", "--root", "/r", "state", "c1"}) == 1);
	CHECK(exitCodeFor({"runc", "--weird", "create"}) == 1);
	CHECK(exitCodeFor({}) == 1);
}

TEST_CASE("pass-through: argv reaches the runtime exactly, argv[0] included", "[app]")
{
	TempDir d;
	/* The runtime prints its argv (argv[0] too) one per line. */
	const std::string rt = d.write("rt",
	                               "#!/usr/bin/python3\n"
	                               "import sys\n"
	                               "print('\\n'.join(sys.orig_argv[2:]))\n",
	                               0755);
	if (access("/usr/bin/python3", X_OK) != 0) {
		WARN("no python3: skipped");
		return;
	}
	const std::vector<std::string> argv{"/usr/bin/runc",     "--root", "/r",
	                                    "--log-format=json", "state",  "c1",
	                                    "--weird",           "x y"};
	Outcome o = runChild(d.path, d.config(rt), argv);
	CHECK(o.status == 0);
	CHECK(o.err.empty());
	CHECK(o.out == "--root\n/r\n--log-format=json\nstate\nc1\n--weird\nx y\n");
}

TEST_CASE("pass-through: no descriptor of bulkhead's reaches the runtime", "[app]")
{
	TempDir d;
	const std::string rt = d.write("rt", "#!/bin/sh\nexec ls /proc/self/fd\n", 0755);
	Outcome o = runChild(
	        d.path, d.config(rt),
	        {"runc", "--log", d.path + "/log.json", "--log-format", "json", "state", "c1"});
	CHECK(o.status == 0);
	/* 0, 1, 2 and the directory ls itself reads. */
	CHECK(o.out == "0\n1\n2\n3\n");
	CHECK(slurp(d.path + "/log.json").empty());
}

TEST_CASE("a runtime that cannot be executed is a refusal naming it", "[app]")
{
	TempDir d;
	const std::string missing = d.path + "/no-such-runc";
	Outcome o = runChild(
	        d.path, d.config(missing),
	        {"runc", "--log", d.path + "/log.json", "--log-format", "json", "state", "c1"});
	CHECK(o.status == 1);
	CHECK(o.err == "bulkhead: " + missing + ": No such file or directory\n");
	CHECK_THAT(slurp(d.path + "/log.json"),
	           Catch::StartsWith("{\"level\":\"error\",\"msg\":\"bulkhead: " + missing +
	                             ": No such file or directory\",\"time\":\""));
}

TEST_CASE("an untrusted or broken configuration refuses every call", "[app]")
{
	TempDir d;
	const std::string bad = d.write("bad.json", "{\"runtime\": \"runc\"}");
	Outcome o = runChild(d.path, bad, {"runc", "state", "c1"});
	CHECK(o.status == 1);
	CHECK_THAT(o.err, Catch::StartsWith("bulkhead: " + bad + ":1:13: "));
	CHECK(o.out.empty());
	if (geteuid() == 0) {
		const std::string world = d.write("world.json", "{}", 0666);
		Outcome w = runChild(d.path, world, {"runc", "list"});
		CHECK(w.status == 1);
		CHECK_THAT(w.err, Catch::Contains("writable by everyone"));
	}
}

TEST_CASE("a hardened command with an unknown option runs nothing", "[app]")
{
	TempDir d;
	const std::string marker = d.path + "/ran";
	const std::string rt = d.write("rt", "#!/bin/sh\ntouch '" + marker + "'\n", 0755);
	const std::string log = d.path + "/log.json";
	Outcome o = runChild(d.path, d.config(rt),
	                     {"runc", "--log", log, "--log-format", "json", "create", "--bundle",
	                      "/b", "--frobnicate", "c1"});
	CHECK(o.status == 1);
	CHECK(o.out.empty());
	CHECK_THAT(o.err, Catch::Contains("-frobnicate"));
	CHECK(access(marker.c_str(), F_OK) != 0);
	const std::string line = slurp(log);
	CHECK(std::count(line.begin(), line.end(), '\n') == 1);
	CHECK_THAT(line, Catch::Contains("\"msg\":\"bulkhead: create: flag provided but not "
	                                 "defined: -frobnicate"));
}

TEST_CASE("--version: the runtime's lines first, then bulkhead's", "[app]")
{
	TempDir d;
	const std::string rt = d.write("rt",
	                               "#!/bin/sh\n"
	                               "[ \"$1\" = --version ] || exit 9\n"
	                               "echo 'runc version 1.1.5'\necho 'spec: 1.0.2-dev'\n",
	                               0755);
	Outcome o = runChild(d.path, d.config(rt), {"runc", "--version"});
	CHECK(o.status == 0);
	CHECK(o.out == "runc version 1.1.5\nspec: 1.0.2-dev\nbulkhead version " BULKHEAD_VERSION
	               "\n");
	CHECK(runChild(d.path, d.config(rt), {"runc", "-v"}).out == o.out);
	/* runc prints its version and runs no command. */
	CHECK(runChild(d.path, d.config(rt), {"runc", "--version", "create", "--x", "c1"}).out ==
	      o.out);

	const std::string failing = d.write("fail", "#!/bin/sh\nexit 3\n", 0755);
	Outcome f = runChild(d.path, d.config(failing), {"runc", "--version"});
	CHECK(f.status == 1);
	CHECK_THAT(f.err, Catch::Contains("--version failed (exit status 3)"));
}

TEST_CASE("help, --help and no command print bulkhead's usage on stdout", "[app]")
{
	TempDir d;
	const std::string rt = d.write("rt", "#!/bin/sh\necho ran\n", 0755);
	for (auto argv :
	     {std::vector<std::string>{"bulkhead"}, std::vector<std::string>{"bulkhead", "--help"},
	      std::vector<std::string>{"bulkhead", "-h"},
	      std::vector<std::string>{"bulkhead", "help"}}) {
		Outcome o = runChild(d.path, d.config(rt), argv);
		CHECK(o.status == 0);
		CHECK_THAT(o.out, Catch::StartsWith("bulkhead - a runc-compatible OCI runtime"));
		CHECK_THAT(o.out, Catch::Contains("policy check"));
		CHECK(o.err.empty());
	}
	/* A command's own --help, and help about a runtime command, are the
	 * runtime's to answer; help about bulkhead's policy verbs is bulkhead's. */
	CHECK(runChild(d.path, d.config(rt), {"runc", "create", "--help"}).out == "ran\n");
	CHECK(runChild(d.path, d.config(rt), {"runc", "help", "create"}).out == "ran\n");
	Outcome hp = runChild(d.path, d.config(rt), {"bulkhead", "help", "policy"});
	CHECK(hp.status == 0);
	CHECK_THAT(hp.out, Catch::StartsWith("usage: bulkhead policy harden"));
	CHECK_THAT(runChild(d.path, d.config(rt), {"bulkhead", "help", "doctor"}).out,
	           Catch::StartsWith("usage: bulkhead doctor"));
	CHECK_THAT(runChild(d.path, d.config(rt), {"bulkhead", "setup", "--help"}).out,
	           Catch::StartsWith("usage: bulkhead setup --engine"));
	/* a usage error of the node verbs: one line, exit 2, nothing on stdout */
	Outcome bad = runChild(d.path, d.config(rt), {"bulkhead", "setup", "--engine", "lxc"});
	CHECK(bad.status == 2);
	CHECK(bad.out.empty());
	CHECK_THAT(bad.err, Catch::StartsWith("bulkhead: setup: --engine must be docker, "
	                                      "containerd, crio or podman, not \"lxc\""));
}

TEST_CASE("the man page lists every option of the command-line tables", "[app][man]")
{
	const char *root = getenv("BULKHEAD_SOURCE_ROOT");
	const std::string page = slurp(std::string(root != nullptr ? root : BULKHEAD_SOURCE_ROOT) +
	                               "/man/bulkhead.8");
	REQUIRE(!page.empty());
	auto roff = [](std::string s) {
		std::string out;
		for (char c : s) {
			if (c == '-')
				out += "\\-";
			else
				out += c;
		}
		return out;
	};
	for (const auto &f : cli::globalFlags())
		CHECK_THAT(page, Catch::Contains(roff(std::string("--") + f.name)));
	for (const auto &c : cli::commands()) {
		CHECK_THAT(page, Catch::Contains(std::string(".B ") + c.name));
		for (const auto &f : c.flags) {
			INFO(c.name << " --" << f.name);
			CHECK_THAT(page, Catch::Contains(roff(std::string("--") + f.name)));
		}
	}
}
