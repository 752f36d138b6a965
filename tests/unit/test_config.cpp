#include "bulkhead_build.h"
#include "fixtures.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/config.h"
#include "bulkhead/error.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using test::slurp;
using test::TempDir;

namespace {

std::string configError(const std::string &path, bool checkOwner = true)
{
	try {
		Config::loadFile(path, checkOwner);
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Config);
		return e.what();
	}
	FAIL("no error for " << path);
	return {};
}

/* setenv for the scope of one test. */
struct Env
{
	std::string name;
	std::optional<std::string> saved;
	Env(const char *n, const char *value) : name(n)
	{
		if (const char *v = getenv(n))
			saved = v;
		if (value != nullptr)
			setenv(n, value, 1);
		else
			unsetenv(n);
	}
	~Env()
	{
		if (saved)
			setenv(name.c_str(), saved->c_str(), 1);
		else
			unsetenv(name.c_str());
	}
};

/* The shipped restricted, below the prefix: the build installs it there. */
const std::string kDefaultPolicy = BULKHEAD_DATADIR "/policies/restricted.json";

} // namespace

TEST_CASE("every key, with comments", "[config]")
{
	TempDir d;
	auto p = d.write("config.json", R"({
	// the real runtime
	"runtime": "/usr/sbin/runc",
	"policy": "/etc/bulkhead/policies/baseline.json", /* not the default */
	"audit": {"log": "/var/log/x/audit.jsonl", "onError": "continue", "keepDenied": "/var/lib/bh/denied"}
})");
	Config c = Config::loadFile(p, true);
	CHECK(c.path == p);
	CHECK(c.runtime == "/usr/sbin/runc");
	CHECK(c.policy == "/etc/bulkhead/policies/baseline.json");
	CHECK(c.audit.log == "/var/log/x/audit.jsonl");
	CHECK(c.audit.failOpen);
	CHECK(c.audit.keepDenied == "/var/lib/bh/denied");
}

TEST_CASE("absent keys take their defaults", "[config]")
{
	TempDir d;
	Config c = Config::loadFile(d.write("c.json", "{}"), true);
	CHECK(c.runtime == Config::builtin().runtime);
	CHECK(c.policy == kDefaultPolicy);
	CHECK(c.audit.log == "/var/log/bulkhead/audit.jsonl");
	CHECK_FALSE(c.audit.failOpen);
	CHECK(c.audit.keepDenied.empty());
	Config r = Config::loadFile(d.write("r.json", R"({"audit": {"onError": "refuse"}})"), true);
	CHECK_FALSE(r.audit.failOpen);
}

TEST_CASE("the built-in default finds runc in the system directories", "[config]")
{
	Config c = Config::builtin();
	CHECK(c.path.empty());
	REQUIRE(c.runtime.size() > 6);
	CHECK(c.runtime[0] == '/');
	CHECK(c.runtime.substr(c.runtime.size() - 5) == "/runc");
	CHECK(access(c.runtime.c_str(), X_OK) == 0);
	CHECK(c.policy == kDefaultPolicy);
	CHECK(c.audit.log == "/var/log/bulkhead/audit.jsonl");
}

TEST_CASE("content problems name FILE:LINE:COL", "[config]")
{
	TempDir d;
	auto unknown =
	        d.write("u.json", "{\n  \"runtime\": \"/usr/sbin/runc\",\n  \"polcy\": \"/p\"\n}");
	CHECK(configError(unknown) ==
	      unknown + ":3:12: unknown key \"polcy\" (known: runtime, policy, audit, engine)");

	auto relative = d.write("rel.json", "{\"runtime\": \"runc\"}");
	CHECK(configError(relative) ==
	      relative + ":1:13: \"runtime\" must be an absolute path, not \"runc\"");

	auto type = d.write("type.json", "{\"policy\": 3}");
	CHECK_THAT(configError(type),
	           Catch::StartsWith(type + ":1:12: \"policy\" must be a string"));

	auto onError = d.write("oe.json", "{\"audit\": {\"onError\": \"ignore\"}}");
	CHECK_THAT(configError(onError), Catch::StartsWith(onError + ":1:") &&
	                                         Catch::Contains("\"refuse\" or \"continue\""));

	auto auditKey = d.write("ak.json", "{\"audit\": {\"file\": \"/x\"}}");
	CHECK_THAT(configError(auditKey), Catch::Contains("unknown key \"audit.file\""));

	auto auditType = d.write("at.json", "{\"audit\": \"/x\"}");
	CHECK_THAT(configError(auditType), Catch::Contains("\"audit\" must be an object"));

	auto notObject = d.write("arr.json", "[]");
	CHECK_THAT(configError(notObject), Catch::Contains("must be a JSON object"));

	auto keep = d.write("kd.json", "{\"audit\": {\"keepDenied\": \"denied\"}}");
	CHECK_THAT(configError(keep), Catch::Contains("must be an absolute path"));

	auto nul = d.write("nul.json", "{\"runtime\": \"/usr/sbin/runc\\u0000x\"}");
	CHECK_THAT(configError(nul), Catch::Contains("NUL"));
}

TEST_CASE("JSON errors are refused with their position", "[config]")
{
	TempDir d;
	auto syntax =
	        d.write("s.json", "{\n  \"runtime\": \"/usr/sbin/runc\"\n  \"policy\": \"/p\"\n}");
	CHECK_THAT(configError(syntax), Catch::StartsWith(syntax + ":3:"));
	auto dup = d.write("dup.json",
	                   "{\"runtime\": \"/usr/sbin/runc\", \"runtime\": \"/tmp/evil\"}");
	CHECK_THAT(configError(dup), Catch::StartsWith(dup + ":1:") && Catch::Contains("runtime"));
	auto empty = d.write("e.json", "");
	CHECK_THAT(configError(empty), Catch::StartsWith(empty));
	auto trailing = d.write("t.json", "{} x");
	CHECK_THAT(configError(trailing), Catch::StartsWith(trailing));
}

TEST_CASE("a runtime that is bulkhead itself is refused", "[config]")
{
	TempDir d;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	REQUIRE(n > 0);
	std::string exe(self, static_cast<size_t>(n));
	auto p = d.write("self.json", "{\"runtime\": \"" + exe + "\"}");
	CHECK_THAT(configError(p), Catch::Contains("is bulkhead itself"));
}

TEST_CASE("trust: owner, mode and file type", "[config][trust]")
{
	if (geteuid() != 0) {
		WARN("not root: ownership checks need chown");
		return;
	}
	TempDir d;
	const std::string good = R"({"runtime": "/usr/sbin/runc"})";

	auto owned = d.write("owned.json", good);
	REQUIRE(chown(owned.c_str(), 1000, 1000) == 0);
	CHECK(configError(owned) == owned + ": owned by uid 1000, not root: refusing to trust it");
	CHECK_NOTHROW(Config::loadFile(owned, false));
	CHECK_THROWS_AS(checkTrusted(owned, static_cast<int>(ErrorKind::Policy)), Error);

	auto group = d.write("group.json", good, 0664);
	CHECK(configError(group) ==
	      group + ": writable by its group (mode 0664): refusing to trust it");
	auto world = d.write("world.json", good, 0602);
	CHECK(configError(world) ==
	      world + ": writable by everyone (mode 0602): refusing to trust it");

	auto ok = d.write("ok.json", good, 0600);
	CHECK_NOTHROW(Config::loadFile(ok, true));
	CHECK_NOTHROW(checkTrusted(ok, static_cast<int>(ErrorKind::Config)));

	/* A FIFO is refused at once, never read (a read would block). */
	std::string fifo = d.path + "/fifo.json";
	REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
	CHECK(configError(fifo) == fifo + ": not a regular file");
	CHECK(configError(fifo, false) == fifo + ": not a regular file");

	CHECK(configError(d.path) == d.path + ": not a regular file");
	CHECK_THAT(configError("/dev/zero"), Catch::Contains("not a regular file"));

	/* A symlink is followed; its target is what is checked. */
	std::string link = d.path + "/link.json";
	REQUIRE(symlink(ok.c_str(), link.c_str()) == 0);
	CHECK(Config::loadFile(link, true).runtime == "/usr/sbin/runc");
	std::string badLink = d.path + "/badlink.json";
	REQUIRE(symlink(world.c_str(), badLink.c_str()) == 0);
	CHECK_THAT(configError(badLink), Catch::Contains("writable by everyone"));

	try {
		checkTrusted(world, static_cast<int>(ErrorKind::Policy));
		FAIL("trusted a world-writable file");
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Policy);
	}
	CHECK_THROWS_AS(checkTrusted(d.path + "/missing", static_cast<int>(ErrorKind::Config)),
	                Error);
}

TEST_CASE("load(): BULKHEAD_CONFIG first", "[config]")
{
	TempDir d;
	auto p = d.write("c.json", R"({"runtime": "/usr/sbin/runc", "policy": "/x/p.json"})", 0644);
	{
		Env env("BULKHEAD_CONFIG", p.c_str());
		Config c = Config::load();
		CHECK(c.path == p);
		CHECK(c.policy == "/x/p.json");
	}
	{
		Env env("BULKHEAD_CONFIG", (d.path + "/missing.json").c_str());
		try {
			Config::load();
			FAIL("loaded a missing file");
		} catch (const Error &e) {
			CHECK(std::string(e.what()) ==
			      d.path + "/missing.json: No such file or directory");
		}
	}
	{
		Env env("BULKHEAD_CONFIG", "");
		CHECK_THROWS_WITH(Config::load(), "BULKHEAD_CONFIG is set but empty");
	}
	{
		Env env("BULKHEAD_CONFIG", nullptr);
		struct stat st
		{
		};
		if (stat("/etc/bulkhead/config.json", &st) != 0) {
			Config c = Config::load();
			CHECK(c.path.empty());
			CHECK(c.runtime == Config::builtin().runtime);
		}
	}
}

TEST_CASE("\"engine\" names one of the five engines; absent is unknown", "[config]")
{
	TempDir d;
	CHECK(Config::loadFile(d.write("none.json", "{\"runtime\": \"/usr/sbin/runc\"}"), false)
	              .engine == engine::Kind::Unknown);
	for (auto [name, kind] :
	     {std::pair{"docker", engine::Kind::Docker},
	      std::pair{"containerd-cri", engine::Kind::ContainerdCri},
	      std::pair{"containerd", engine::Kind::Containerd},
	      std::pair{"crio", engine::Kind::Crio}, std::pair{"podman", engine::Kind::Podman}}) {
		INFO(name);
		auto p = d.write("e.json",
		                 std::string("{\"runtime\": \"/usr/sbin/runc\", \"engine\": \"") +
		                         name + "\"}");
		CHECK(Config::loadFile(p, false).engine == kind);
	}
	auto bad = d.write("bad.json", "{\"engine\": \"cri-o\"}");
	CHECK(configError(bad, false) ==
	      bad + ":1:12: \"engine\" must be one of docker, containerd-cri, containerd, crio, "
	            "podman, not \"cri-o\"");
	auto type = d.write("type.json", "{\"engine\": [\"docker\"]}");
	CHECK_THAT(configError(type, false), Catch::Contains("\"engine\" must be a string"));
}
