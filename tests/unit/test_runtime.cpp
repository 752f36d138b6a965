#include "fixtures.h"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/cli.h"
#include "bulkhead/config.h"
#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/runtime.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using test::lines;
using test::slurp;
namespace fs = std::filesystem;

namespace {

const char *kPolicy = R"({
  // a small policy for the runtime path's tests
  "name": "runtime-test", "version": "1", "mode": "enforce",
  "rules": {
    "P0.privileged": {"action": "deny"},
    "P1.user": {"action": "mutate", "uid": 65534, "gid": 65534},
    "P3.capabilities": {"action": "mutate", "allowed": ["CAP_NET_BIND_SERVICE"]},
    "P4.no-new-privileges": {"action": "mutate"},
    "P6.memory": {"action": "mutate", "default": 536870912, "max": 2147483648},
    "P6.pids": {"action": "mutate", "default": 1024, "max": 4096},
    "P10.engine-socket": {"action": "deny"},
    "process.apparmor": {"action": "deny"},
    "process.selinux": {"action": "deny", "allowedTypes": ["container_t"]},
    "process.cwd": {"action": "deny"}
  }
})";

std::string dataFile(const std::string &name)
{
	const char *d = std::getenv("BULKHEAD_TEST_DATA");
	return std::string(d != nullptr ? d : "tests/data") + "/" + name;
}

void spit(const std::string &path, const std::string &text)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out << text;
}

/* A temporary directory with a policy, a config and a bundle. */
struct Fixture
{
	std::string dir;
	std::string bundle;
	Config cfg;

	explicit Fixture(const std::string &spec = "runc-spec-default.json",
	                 const char *policyText = kPolicy)
	{
		char t[] = "/tmp/bulkhead-runtime-XXXXXX";
		REQUIRE(::mkdtemp(t) != nullptr);
		dir = t;
		bundle = dir + "/bundle";
		fs::create_directory(bundle);
		spit(dir + "/policy.json", policyText);
		::chmod((dir + "/policy.json").c_str(), 0644);
		if (!spec.empty())
			fs::copy_file(dataFile(spec), config());
		cfg.path = dir + "/config.json";
		cfg.runtime = "/bin/true";
		cfg.policy = dir + "/policy.json";
		cfg.audit.log = dir + "/log/audit.jsonl";
	}
	~Fixture() { fs::remove_all(dir); }

	[[nodiscard]] std::string config() const { return bundle + "/config.json"; }
	[[nodiscard]] std::vector<json::Value> records() const
	{
		std::vector<json::Value> out;
		if (!fs::exists(cfg.audit.log))
			return out;
		for (const auto &l : lines(slurp(cfg.audit.log)))
			out.push_back(json::parse(l, "audit line"));
		return out;
	}
	[[nodiscard]] size_t bundleEntries() const
	{
		size_t n = 0;
		for ([[maybe_unused]] const auto &e : fs::directory_iterator(bundle))
			n++;
		return n;
	}
};

cli::Invocation parse(std::vector<std::string> args)
{
	args.insert(args.begin(), "bulkhead");
	return cli::parse(args);
}

std::string verdictOf(const json::Value &rec)
{
	return rec.find("verdict")->asString();
}

int64_t uidIn(const json::Value &process)
{
	return process.find("user")->find("uid")->asInt64().value();
}

/* The fd number of a "/proc/self/fd/N" argument. */
int fdOf(const std::string &arg)
{
	REQUIRE(arg.rfind("/proc/self/fd/", 0) == 0);
	return std::stoi(arg.substr(14));
}

std::string readFdFromStart(int fd)
{
	std::string out;
	char buf[4096];
	::lseek(fd, 0, SEEK_SET);
	ssize_t n;
	while ((n = ::read(fd, buf, sizeof buf)) > 0)
		out.append(buf, static_cast<size_t>(n));
	return out;
}

} // namespace

TEST_CASE("runc's size syntax for update --memory", "[runtime]")
{
	CHECK(runtime::parseRamSize("1024") == 1024);
	CHECK(runtime::parseRamSize("512m") == 536870912);
	CHECK(runtime::parseRamSize("512M") == 536870912);
	CHECK(runtime::parseRamSize("1g") == 1073741824);
	CHECK(runtime::parseRamSize("1GiB") == 1073741824);
	CHECK(runtime::parseRamSize("1gb") == 1073741824);
	CHECK(runtime::parseRamSize("1.5g") == 1610612736);
	CHECK(runtime::parseRamSize("2 k") == 2048);
	CHECK(runtime::parseRamSize("4t") == 4398046511104);
	CHECK_FALSE(runtime::parseRamSize("-1"));
	CHECK_FALSE(runtime::parseRamSize(""));
	CHECK_FALSE(runtime::parseRamSize("g"));
	CHECK_FALSE(runtime::parseRamSize("1.2.3g"));
	CHECK_FALSE(runtime::parseRamSize("1x"));
	CHECK_FALSE(runtime::parseRamSize("99999999999p"));
}

TEST_CASE("create hardens config.json in place, atomically, keeping mode and owner", "[runtime]")
{
	Fixture fx;
	REQUIRE(::chmod(fx.config().c_str(), 0604) == 0);
	REQUIRE(::chown(fx.config().c_str(), 1234, 5678) == 0);
	struct stat before
	{
	};
	REQUIRE(::stat(fx.config().c_str(), &before) == 0);

	auto inv = parse({"--root", "/run/x", "create", "--bundle", fx.bundle, "c1"});
	auto argv = runtime::prepare(inv, fx.cfg);
	CHECK(argv == inv.argv);

	struct stat after
	{
	};
	REQUIRE(::stat(fx.config().c_str(), &after) == 0);
	CHECK(after.st_ino != before.st_ino); /* replaced, not rewritten */
	CHECK((after.st_mode & 07777) == 0604);
	CHECK(after.st_uid == 1234);
	CHECK(after.st_gid == 5678);
	CHECK(fx.bundleEntries() == 1); /* no temporary file left */

	json::Value spec = json::parseFile(fx.config());
	CHECK(uidIn(*spec.find("process")) != 0);

	auto recs = fx.records();
	REQUIRE(recs.size() == 1);
	CHECK(verdictOf(recs[0]) == "mutate");
	CHECK(recs[0].find("containerId")->asString() == "c1");
	CHECK(recs[0].find("command")->asString() == "create");
	CHECK(recs[0].find("bundle")->asString() == fx.bundle);
	CHECK(recs[0].find("policy")->find("name")->asString() == "runtime-test");
	CHECK_FALSE(recs[0].find("patch")->items().empty());

	SECTION("a second create changes nothing")
	{
		const std::string once = slurp(fx.config());
		runtime::prepare(parse({"create", "-b", fx.bundle, "c1"}), fx.cfg);
		CHECK(slurp(fx.config()) == once);
		CHECK(fx.records().size() == 2);
	}
}

TEST_CASE("create finds the bundle in the current directory and with --bundle=", "[runtime]")
{
	Fixture fx;
	const std::string oldCwd = fs::current_path();
	SECTION("current directory")
	{
		fs::current_path(fx.bundle);
		runtime::prepare(parse({"run", "c2"}), fx.cfg);
	}
	SECTION("relative --bundle=")
	{
		fs::current_path(fx.dir);
		runtime::prepare(parse({"create", "--bundle=bundle", "c2"}), fx.cfg);
	}
	fs::current_path(oldCwd);
	json::Value spec = json::parseFile(fx.config());
	CHECK(uidIn(*spec.find("process")) != 0);
	auto recs = fx.records();
	REQUIRE(recs.size() == 1);
	CHECK(recs[0].find("bundle")->asString() == fx.bundle);
}

TEST_CASE("a denied spec is refused, untouched, recorded and kept", "[runtime]")
{
	Fixture fx("docker-20.10-hostns-socket.json");
	fx.cfg.audit.keepDenied = fx.dir + "/kept";
	const std::string original = slurp(fx.config());
	try {
		runtime::prepare(parse({"create", "--bundle", fx.bundle, "c3"}), fx.cfg);
		FAIL("not refused");
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Denied);
		std::string msg = e.what();
		CHECK(msg.find("P10.engine-socket: ") != std::string::npos);
		CHECK(msg.find('\n') == std::string::npos);
		CHECK(msg.size() < 8192);
	}
	CHECK(slurp(fx.config()) == original);
	CHECK(fx.bundleEntries() == 1);
	auto recs = fx.records();
	REQUIRE(recs.size() == 1);
	CHECK(verdictOf(recs[0]) == "deny");
	const json::Value *kept = recs[0].find("kept");
	REQUIRE(kept != nullptr);
	CHECK(slurp(kept->asString()) == original);
}

TEST_CASE("config.json that is a symlink, a FIFO or a directory is refused", "[runtime]")
{
	Fixture fx("");
	const std::string real = fx.dir + "/real.json";
	fs::copy_file(dataFile("runc-spec-default.json"), real);
	const std::string original = slurp(real);
	SECTION("symlink")
	{
		REQUIRE(::symlink(real.c_str(), fx.config().c_str()) == 0);
		CHECK_THROWS_WITH(
		        runtime::prepare(parse({"create", "-b", fx.bundle, "c4"}), fx.cfg),
		        Catch::Contains("symbolic link"));
		CHECK(fs::is_symlink(fx.config()));
	}
	SECTION("FIFO, without blocking")
	{
		REQUIRE(::mkfifo(fx.config().c_str(), 0600) == 0);
		CHECK_THROWS_WITH(
		        runtime::prepare(parse({"create", "-b", fx.bundle, "c4"}), fx.cfg),
		        Catch::Contains("not a regular file"));
	}
	SECTION("directory")
	{
		fs::create_directory(fx.config());
		CHECK_THROWS_AS(runtime::prepare(parse({"create", "-b", fx.bundle, "c4"}), fx.cfg),
		                Error);
	}
	CHECK(slurp(real) == original);
	/* the failure is on record */
	auto recs = fx.records();
	REQUIRE(recs.size() == 1);
	CHECK(verdictOf(recs[0]) == "error");
}

TEST_CASE("malformed and duplicate-key specs fail closed", "[runtime]")
{
	Fixture fx("");
	SECTION("malformed")
	{
		spit(fx.config(), "{\"process\": ");
	}
	SECTION("duplicate key")
	{
		spit(fx.config(),
		     R"({"ociVersion":"1.0.2","process":{"user":{"uid":1000,"uid":0}}})");
	}
	const std::string original = slurp(fx.config());
	CHECK_THROWS_AS(runtime::prepare(parse({"create", "-b", fx.bundle, "c5"}), fx.cfg), Error);
	CHECK(slurp(fx.config()) == original);
}

TEST_CASE("crun's --config outside the bundle is refused", "[runtime]")
{
	Fixture fx;
	const std::string original = slurp(fx.config());
	cli::Invocation inv;
	try {
		inv = parse({"create", "-b", fx.bundle, "--config", fx.config(), "c6"});
	} catch (const Error &) {
		return; /* the parser refuses it already */
	}
	CHECK_THROWS_WITH(runtime::prepare(inv, fx.cfg), Catch::Contains("--config"));
	CHECK(slurp(fx.config()) == original);
}

TEST_CASE("an audit log that cannot be written refuses the call, unless onError continue",
          "[runtime]")
{
	Fixture fx;
	const std::string original = slurp(fx.config());
	spit(fx.dir + "/notadir", "");
	fx.cfg.audit.log = fx.dir + "/notadir/audit.jsonl";
	CHECK_THROWS_WITH(runtime::prepare(parse({"create", "-b", fx.bundle, "c7"}), fx.cfg),
	                  Catch::Contains("audit log"));
	CHECK(slurp(fx.config()) == original);
	CHECK(fx.bundleEntries() == 1);

	fx.cfg.audit.failOpen = true;
	runtime::prepare(parse({"create", "-b", fx.bundle, "c7"}), fx.cfg);
	CHECK(slurp(fx.config()) != original);
}

TEST_CASE("a read-only bundle fails closed when the spec needs hardening", "[runtime]")
{
	Fixture fx;
	const std::string original = slurp(fx.config());
	if (::geteuid() == 0)
		return; /* root writes anyway; the integration test mounts a read-only tmpfs */
	::chmod(fx.bundle.c_str(), 0555);
	CHECK_THROWS_AS(runtime::prepare(parse({"create", "-b", fx.bundle, "c8"}), fx.cfg), Error);
	::chmod(fx.bundle.c_str(), 0755);
	CHECK(slurp(fx.config()) == original);
}

namespace {

/* runc's state for container ID, naming BUNDLE, under ROOT. */
void writeState(const std::string &root, const std::string &id, const std::string &bundle,
                const std::string &labels = "")
{
	fs::create_directories(root + "/" + id);
	spit(root + "/" + id + "/state.json", R"({"id":")" + id + R"(","config":{"labels":[)" +
	                                              labels + R"("bundle=)" + bundle + R"("]}})");
}

/* The process handed to runc as --process=/proc/self/fd/N right after "exec". */
json::Value handedProcess(const cli::Invocation &inv, const std::vector<std::string> &argv)
{
	REQUIRE(argv.size() == inv.argv.size() + 1);
	const std::string &arg = argv.at(inv.commandIndex + 1);
	REQUIRE(arg.rfind("--process=", 0) == 0);
	const int fd = fdOf(arg.substr(10));
	json::Value p = json::parse(readFdFromStart(fd), "memfd");
	::close(fd);
	/* everything else as the engine sent it */
	std::vector<std::string> rest = argv;
	rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(inv.commandIndex + 1));
	CHECK(rest == inv.argv);
	return p;
}

bool hasString(const json::Value *list, const std::string &s)
{
	if (list == nullptr)
		return false;
	for (const auto &v : list->items())
		if (v.asString() == s)
			return true;
	return false;
}

} // namespace

TEST_CASE("exec flags build the process runc would run, judged like a --process file",
          "[runtime][exec]")
{
	Fixture fx;
	const std::string root = fx.dir + "/runc-root";
	writeState(root, "c9", fx.bundle);
	auto exec = [&](std::vector<std::string> flags, std::vector<std::string> cmd) {
		std::vector<std::string> args{"--root", root, "exec"};
		args.insert(args.end(), flags.begin(), flags.end());
		args.push_back("c9");
		args.insert(args.end(), cmd.begin(), cmd.end());
		auto inv = parse(args);
		return handedProcess(inv, runtime::prepare(inv, fx.cfg));
	};
	auto uidOf = [](const json::Value &p) {
		return p.find("user")->find("uid")->asInt64().value();
	};

	/* the container's process (uid 0, terminal) with the flags applied, hardened */
	json::Value p = exec({"-u", "0"}, {"id", "-u"});
	CHECK(uidOf(p) == 65534);
	CHECK(json::write(*p.find("args")) == R"(["id","-u"])");
	CHECK(p.find("terminal")->asBool() == false); /* runc: false unless -t */
	CHECK(p.find("noNewPrivileges")->asBool() == true);

	p = exec({"-u", "1000:1000", "-e", "A=1", "-e", "B=2", "--cap", "CAP_NET_BIND_SERVICE",
	          "-t", "--cwd", "/srv"},
	         {"ls", "-u", "0"});
	CHECK(uidOf(p) == 1000);
	CHECK(p.find("user")->find("gid")->asInt64() == 1000);
	CHECK(json::write(*p.find("args")) == R"(["ls","-u","0"])");
	CHECK(p.find("cwd")->asString() == "/srv");
	CHECK(p.find("terminal")->asBool() == true);
	CHECK(hasString(p.find("env"), "A=1"));
	CHECK(hasString(p.find("env"), "B=2"));
	CHECK(hasString(p.find("env"), "TERM=xterm")); /* the spec's own, kept before */
	for (const char *set : {"bounding", "effective", "permitted"})
		CHECK(hasString(p.find("capabilities")->find(set), "CAP_NET_BIND_SERVICE"));

	/* uint32(4294967296) is gid 0: removed like any additional group root */
	p = exec({"-u", "1000:1000", "-g", "4294967296", "-g", "7"}, {"true"});
	CHECK(json::write(*p.find("user")->find("additionalGids")) == "[7]");
	/* uint32(4294967296) as a uid is root too */
	CHECK(uidOf(exec({"-u", "4294967296"}, {"true"})) == 65534);
	/* a capability beyond the allowlist is removed from every set */
	p = exec({"--cap", "CAP_SYS_ADMIN"}, {"true"});
	CHECK(json::write(*p.find("capabilities")).find("CAP_SYS_ADMIN") == std::string::npos);
	/* --no-new-privs=false is the spec's field set false: hardened back */
	CHECK(exec({"--no-new-privs=false"}, {"true"}).find("noNewPrivileges")->asBool());

	auto refused = [&](std::vector<std::string> flags, const char *rule) {
		std::vector<std::string> args{"--root", root, "exec"};
		args.insert(args.end(), flags.begin(), flags.end());
		args.push_back("c9");
		args.push_back("true");
		INFO(flags.at(0) + " " + flags.at(1));
		try {
			(void)runtime::prepare(parse(args), fx.cfg);
			FAIL("allowed");
		} catch (const Error &e) {
			CHECK(e.kind() == ErrorKind::Denied);
			CHECK(std::string(e.what()).find(rule) != std::string::npos);
		}
	};
	refused({"--apparmor", "unconfined"}, "process.apparmor");
	refused({"--apparmor", " unconfined"}, "process.apparmor");
	refused({"--process-label", "system_u:system_r:spc_t:s0"}, "process.selinux");
	refused({"--cwd", "/proc/1/root"}, "process.cwd");
	refused({"--cwd", "/dev/fd/3"}, "process.cwd");

	/* --cgroup outside the container's own cgroup, whatever the process */
	for (const char *cg : {"memory:../abcd", "..", "cpu,memory:a/../../b", "../x"}) {
		INFO(cg);
		CHECK_THROWS_AS(runtime::prepare(parse({"--root", root, "exec", "--cgroup", cg,
		                                        "c9", "true"}),
		                                 fx.cfg),
		                Error);
	}
	CHECK_NOTHROW(handedProcess(
	        parse({"--root", root, "exec", "--cgroup", "memory:sub/..x", "c9", "true"}),
	        runtime::prepare(
	                parse({"--root", root, "exec", "--cgroup", "memory:sub/..x", "c9", "true"}),
	                fx.cfg)));
	/* what runc itself refuses to parse */
	for (auto bad : std::vector<std::vector<std::string>>{{"-u", "root"}, {"-u", "1000:adm"}}) {
		std::vector<std::string> args{"--root", root, "exec", bad[0], bad[1], "c9", "true"};
		CHECK_THROWS_AS(runtime::prepare(parse(args), fx.cfg), Error);
	}
	/* no such container: runc reports it itself, given a process it would refuse */
	auto none = parse({"--root", root, "exec", "-u", "0", "nostate", "true"});
	json::Value empty = handedProcess(none, runtime::prepare(none, fx.cfg));
	CHECK(json::write(empty) == "{}");
	CHECK(fx.records().back().find("error") != nullptr);
	/* a state that cannot be read is not a missing container: refused */
	fs::create_directories(root + "/broken");
	spit(root + "/broken/state.json", "{");
	try {
		(void)runtime::prepare(
		        parse({"--root", root, "exec", "-u", "1000", "broken", "true"}), fx.cfg);
		FAIL("allowed");
	} catch (const Error &e) {
		CHECK(std::string(e.what()).find("--process FILE") != std::string::npos);
	}
	auto recs = fx.records();
	REQUIRE(recs.size() >= 10);
	CHECK(verdictOf(recs[0]) == "mutate");
	CHECK(recs[0].find("subject")->asString() == "flags");
}

TEST_CASE("the flag and the file spelling of a setting get the same verdict", "[runtime][exec]")
{
	/* an override that lets one container keep CAP_NET_RAW and raises P6's max */
	std::string text = kPolicy;
	text.insert(text.rfind('}'), R"(, "overrides": [{"name": "netraw", "reason": "ping",
	    "match": {"containerId": "c20"},
	    "rules": {"P3.capabilities": {"allowed": ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]},
	              "P6.memory": {"max": 4294967296}}}])");
	Fixture fx("runc-spec-default.json", text.c_str());
	const std::string root = fx.dir + "/runc-root";
	for (const char *id : {"c20", "c21"})
		writeState(root, id, fx.bundle);

	struct Outcome
	{
		std::string verdict;
		std::string rules;
	};
	auto outcome = [&](std::vector<std::string> args) {
		auto inv = parse(args);
		Outcome o;
		try {
			auto argv = runtime::prepare(inv, fx.cfg);
			for (const auto &a : argv)
				if (a.rfind("/proc/self/fd/", 0) == 0 ||
				    a.find("=/proc/self/fd/") != std::string::npos)
					::close(fdOf(a.substr(a.find("/proc/self/fd/"))));
		} catch (const Error &) {
		}
		const auto recs = fx.records();
		const json::Value &r = recs.back();
		o.verdict = verdictOf(r);
		for (const auto &f : r.find("findings")->items())
			o.rules += f.find("rule")->asString() + " ";
		return o;
	};
	/* the file that runc would build from the flags */
	const std::string base = slurp(fx.config());
	json::Value process = *json::parse(base, "spec").find("process");
	process.set("args", json::parse(R"(["true"])", "a"));
	process.set("terminal", json::Value::boolean(false));

	for (const char *id : {"c20", "c21"}) {
		INFO(id);
		json::Value withCap = process;
		for (const char *set : {"bounding", "effective", "permitted", "ambient"})
			withCap.find("capabilities")
			        ->find(set)
			        ->push(json::Value::string("CAP_NET_RAW"));
		spit(fx.dir + "/p.json", json::write(withCap));
		Outcome file = outcome({"--root", root, "exec", "-p", fx.dir + "/p.json", id});
		Outcome flag =
		        outcome({"--root", root, "exec", "--cap", "CAP_NET_RAW", id, "true"});
		CHECK(file.verdict == flag.verdict);
		CHECK(file.rules == flag.rules);

		json::Value withUser = process;
		withUser.find("user")->set("uid", json::Value::number(int64_t{0}));
		spit(fx.dir + "/p.json", json::write(withUser));
		file = outcome({"--root", root, "exec", "-p", fx.dir + "/p.json", id});
		flag = outcome({"--root", root, "exec", "-u", "0", id, "true"});
		CHECK(file.verdict == flag.verdict);
		CHECK(file.rules == flag.rules);

		spit(fx.dir + "/r.json", R"({"memory": {"limit": 3221225472}})");
		file = outcome({"--root", root, "update", "-r", fx.dir + "/r.json", id});
		flag = outcome({"--root", root, "update", "--memory", "3g", id});
		CHECK(file.verdict == flag.verdict);
		CHECK(file.rules == flag.rules);
		CHECK(file.verdict == (std::string(id) == "c20" ? "allow" : "deny"));

		spit(fx.dir + "/r.json", R"({"pids": {"limit": -1}})");
		file = outcome({"--root", root, "update", "-r", fx.dir + "/r.json", id});
		flag = outcome({"--root", root, "update", "--pids-limit", "-1", id});
		CHECK(file.verdict == flag.verdict);
		CHECK(file.rules == flag.rules);
	}
}

TEST_CASE("exec --process: the hardened copy comes from a memfd", "[runtime]")
{
	Fixture fx;
	const std::string proc = fx.dir + "/process.json";
	fs::copy_file(dataFile("docker-20.10-exec-u0-process.json"), proc);
	const std::string original = slurp(proc);

	auto check = [&](std::vector<std::string> args, size_t at, const std::string &prefix) {
		auto inv = cli::parse(args);
		auto argv = runtime::prepare(inv, fx.cfg);
		REQUIRE(argv.size() == inv.argv.size());
		for (size_t i = 0; i < argv.size(); i++)
			if (i != at)
				CHECK(argv[i] == inv.argv[i]);
		REQUIRE(argv[at].rfind(prefix, 0) == 0);
		int fd = fdOf(argv[at].substr(prefix.size()));
		CHECK(fd >= 3);
		int flags = ::fcntl(fd, F_GETFD);
		CHECK(flags >= 0);
		CHECK((flags & FD_CLOEXEC) == 0); /* inherited across execv */
		json::Value p = json::parse(readFdFromStart(fd), "memfd");
		CHECK(uidIn(p) != 0);
		::close(fd);
	};
	check({"bulkhead", "exec", "--process", proc, "--detach", "c10"}, 3, "");
	check({"bulkhead", "--root", "/r", "exec", "--process=" + proc, "c10"}, 4, "--process=");
	check({"bulkhead", "exec", "-p", proc, "c10"}, 3, "");
	CHECK(slurp(proc) == original);
	{
		/* runc exec -p <(...): a pipe is read once, so runc gets the memfd */
		int fds[2];
		REQUIRE(::pipe(fds) == 0);
		REQUIRE(::write(fds[1], original.data(), original.size()) ==
		        static_cast<ssize_t>(original.size()));
		::close(fds[1]);
		check({"bulkhead", "exec", "-p", "/dev/fd/" + std::to_string(fds[0]), "c10"}, 3,
		      "");
		::close(fds[0]);
	}

	SECTION("the memfd lies above --preserve-fds")
	{
		auto inv =
		        cli::parse({"bulkhead", "exec", "--preserve-fds", "40", "-p", proc, "c10"});
		auto argv = runtime::prepare(inv, fx.cfg);
		int fd = fdOf(argv[5]);
		CHECK(fd >= 43);
		::close(fd);
	}
	SECTION("process flags beside --process: runc ignores them, the file is judged")
	{
		auto inv = parse({"exec", "-p", proc, "-u", "0", "--cap", "CAP_SYS_ADMIN", "c10"});
		auto argv = runtime::prepare(inv, fx.cfg);
		int fd = fdOf(argv[3]);
		json::Value p = json::parse(readFdFromStart(fd), "memfd");
		::close(fd);
		CHECK(uidIn(p) != 0);
		CHECK(argv[4] == "-u");
	}
	auto recs = fx.records();
	REQUIRE(recs.size() >= 4);
	CHECK(verdictOf(recs[0]) == "mutate");
	CHECK(recs[0].find("subject")->asString() == "--process " + proc);
}

TEST_CASE("update flags: the resources runc would apply, judged like -r", "[runtime][update]")
{
	Fixture fx;
	auto refused = [&](std::vector<std::string> flags) {
		std::vector<std::string> args{"update"};
		args.insert(args.end(), flags.begin(), flags.end());
		args.push_back("c11");
		INFO(flags.at(0));
		CHECK_THROWS_AS(runtime::prepare(parse(args), fx.cfg), Error);
	};
	refused({"--memory", "4g"});
	refused({"--memory=-1"});
	refused({"--memory-swap", "-1"});
	refused({"--memory", "3000000000"});
	refused({"--memory", "lots"}); /* runc refuses it too */
	refused({"--pids-limit", "-1"});
	refused({"--pids-limit", "100000"});
	refused({"--cpu-share", "-5"});
	/* within the policy: the flags go to runc as they came */
	auto ok = parse({"update", "--memory", "512m", "--pids-limit", "100", "c11"});
	CHECK(runtime::prepare(ok, fx.cfg) == ok.argv);
	auto recs = fx.records();
	REQUIRE(recs.size() == 9); /* 7 refusals, an error record (--cpu-share -5), the allow */
	CHECK(recs[7].find("error") != nullptr);
	CHECK(verdictOf(recs.back()) == "allow");
	CHECK(recs.back().find("subject")->asString() == "flags");
}

TEST_CASE("update -r FILE and -r -: the checked JSON goes to runc", "[runtime]")
{
	Fixture fx;
	const std::string res = fx.dir + "/res.json";
	spit(res, R"({"memory": {"limit": 536870912, "swap": 536870912}, "pids": {"limit": 100}})");

	SECTION("file")
	{
		auto inv = parse({"update", "--resources", res, "c12"});
		auto argv = runtime::prepare(inv, fx.cfg);
		int fd = fdOf(argv[3]);
		json::Value r = json::parse(readFdFromStart(fd), "memfd");
		CHECK(r.find("pids")->find("limit")->asInt64() == 100);
		::close(fd);
	}
	SECTION("stdin")
	{
		int saved = ::dup(0);
		int in = ::open(res.c_str(), O_RDONLY | O_CLOEXEC);
		REQUIRE(::dup2(in, 0) == 0);
		::close(in);
		auto inv = parse({"update", "--resources=-", "c12"});
		auto argv = runtime::prepare(inv, fx.cfg);
		CHECK(argv == inv.argv);
		std::string got = readFdFromStart(0);
		::dup2(saved, 0);
		::close(saved);
		json::Value r = json::parse(got, "stdin");
		CHECK(r.find("memory")->find("limit")->asInt64() == 536870912);
	}
	SECTION("beyond the max, refused")
	{
		spit(res, R"({"memory": {"limit": 8589934592}})");
		CHECK_THROWS_AS(runtime::prepare(parse({"update", "-r", res, "c12"}), fx.cfg),
		                Error);
	}
	CHECK(fx.records().size() == 1);
}

TEST_CASE("audit mode: widening flags are recorded, not refused", "[runtime]")
{
	std::string text = kPolicy;
	text.replace(text.find("\"enforce\""), 9, "\"audit\"");
	Fixture fx("runc-spec-default.json", text.c_str());
	const std::string original = slurp(fx.config());
	const std::string root = fx.dir + "/runc-root";
	writeState(root, "c13", fx.bundle);
	auto inv = parse({"--root", root, "exec", "-u", "0", "c13", "id"});
	/* audit mode: runc gets the process built from the flags, unchanged */
	json::Value p = handedProcess(inv, runtime::prepare(inv, fx.cfg));
	CHECK(uidIn(p) == 0);
	runtime::prepare(parse({"create", "-b", fx.bundle, "c13"}), fx.cfg);
	CHECK(slurp(fx.config()) == original); /* audit mode changes nothing */
	auto recs = fx.records();
	REQUIRE(recs.size() == 2);
	CHECK(verdictOf(recs[0]) == "allow");
	CHECK(recs[0].find("mode")->asString() == "audit");
	CHECK(recs[0].find("wouldBe")->asString() == "mutate");
	const auto &f = recs[0].find("findings")->items();
	REQUIRE(!f.empty());
	CHECK(f[0].find("rule")->asString() == "P1.user");
	CHECK(f[0].find("action")->asString() == "audit");
	CHECK(f[0].find("wouldBe")->asString() == "mutate");
	CHECK(verdictOf(recs[1]) == "allow");
}

TEST_CASE("exec and update records carry the container's annotations from runc's state",
          "[runtime]")
{
	Fixture fx;
	const std::string root = fx.dir + "/runc-root";
	writeState(root, "c14", fx.bundle, R"("io.kubernetes.pod.namespace=shop","x=y=z",)");
	auto inv = parse({"--root", root, "exec", "c14", "true"});
	(void)handedProcess(inv, runtime::prepare(inv, fx.cfg));
	/* an ID that would climb out of the root is not looked up: no process to judge */
	auto bad = parse({"--root", root, "exec", "..", "true"});
	CHECK_THROWS_AS(runtime::prepare(bad, fx.cfg), Error);
	auto recs = fx.records();
	REQUIRE(recs.size() == 2);
	const json::Value *eng = recs[0].find("engine");
	REQUIRE(eng != nullptr);
	REQUIRE(eng->find("io.kubernetes.pod.namespace") != nullptr);
	CHECK(eng->find("io.kubernetes.pod.namespace")->asString() == "shop");
	CHECK(eng->find("bundle") == nullptr);
	CHECK(recs[1].find("engine")->members().empty());
	CHECK(recs[1].find("error") != nullptr);
}
