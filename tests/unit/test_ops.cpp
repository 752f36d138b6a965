/* bulkhead setup and doctor against files in a scratch root (--root): setup
 * edits each engine's configuration and a second run changes nothing; doctor
 * then passes, and each broken piece gives a fail line that names its fix.
 * The canary container is the integration test's (tests/integration/ops.sh). */
#include "../../src/ops/toml.h"
#include "fixtures.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/ops.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using test::env;
using test::slurp;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Run
{
	int rc;
	std::string out, err;
};

Run setup(const std::vector<std::string> &args)
{
	Run r{0, {}, {}};
	r.rc = ops::setupMain(args, r.out, r.err);
	return r;
}

/* A node below a scratch directory: runc and bulkhead (links to the real
 * ones), the shipped policies, a machine configuration. */
struct Node
{
	TempDir dir;
	std::string root = dir.path;
	std::string bin = env("BULKHEAD_BIN");

	Node()
	{
		for (const char *d :
		     {"/usr/sbin", "/usr/share/bulkhead/policies", "/etc/bulkhead", "/var/log"})
			fs::create_directories(root + d);
		const std::string runc =
		        fs::exists("/usr/sbin/runc") ? "/usr/sbin/runc" : "/usr/bin/runc";
		fs::create_symlink(runc, root + "/usr/sbin/runc");
		fs::create_symlink(bin, root + "/usr/sbin/bulkhead");
		for (const char *p : {"restricted.json", "audit.json", "seccomp-default.json"})
			fs::copy_file(env("BULKHEAD_SOURCE_ROOT") + "/policies/" + p,
			              root + "/usr/share/bulkhead/policies/" + p);
		config(R"({"runtime": "/usr/sbin/runc",
 "policy": "/usr/share/bulkhead/policies/restricted.json",
 "audit": {"log": "/var/log/bulkhead/audit.jsonl"}})");
	}
	void config(const std::string &text, mode_t mode = 0644) const
	{
		write("/etc/bulkhead/config.json", text, mode);
	}
	void write(const std::string &path, const std::string &text, mode_t mode = 0644) const
	{
		fs::create_directories(fs::path(root + path).parent_path());
		std::FILE *f = std::fopen((root + path).c_str(), "w");
		REQUIRE(f != nullptr);
		std::fputs(text.c_str(), f);
		std::fclose(f);
		REQUIRE(::chmod((root + path).c_str(), mode) == 0);
	}
	[[nodiscard]] std::string read(const std::string &path) const { return slurp(root + path); }
	[[nodiscard]] Run setup(const std::string &engine, bool dryRun = false) const
	{
		std::vector<std::string> args{"--engine", engine,   "--root",
		                              root,       "--path", "/usr/sbin/bulkhead"};
		if (dryRun)
			args.emplace_back("--dry-run");
		return ::setup(args);
	}
	[[nodiscard]] std::vector<ops::Check> doctor() const
	{
		ops::DoctorOptions o;
		o.root = root;
		o.canary = false;
		o.self = bin;
		o.today = "2026-01-01";
		return ops::doctor(o);
	}
};

/* TEXT on one line: the TAP reporter shows each assertion's values on one. */
std::string esc(std::string text)
{
	for (size_t i = 0; (i = text.find('\n', i)) != std::string::npos; i += 2)
		text.replace(i, 1, "\\n");
	return text;
}

std::string report(const std::vector<ops::Check> &checks)
{
	return esc(ops::formatText(checks));
}

/* The fail lines of a report, as text. */
std::vector<const ops::Check *> fails(const std::vector<ops::Check> &checks)
{
	std::vector<const ops::Check *> out;
	for (const auto &c : checks)
		if (c.status == ops::Status::Fail)
			out.push_back(&c);
	return out;
}

const ops::Check *find(const std::vector<ops::Check> &checks, const std::string &name,
                       ops::Status status)
{
	for (const auto &c : checks)
		if (c.name == name && c.status == status)
			return &c;
	return nullptr;
}

ino_t inode(const std::string &path)
{
	struct stat st
	{
	};
	return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

bool asRoot()
{
	if (::geteuid() == 0)
		return true;
	WARN("not root: the trust checks need root-owned files");
	return false;
}

} // namespace

TEST_CASE("the TOML reader: tables, keys, arrays, lines", "[ops][toml]")
{
	const std::string text = R"(version = 2
imports = [
  "/a.toml", # one
  '/b/*.toml',
]
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"   # Debian's
  conf_dir = 'C:\x'
[engine]
runtimes.bulkhead = ["/usr/sbin/bulkhead", "/x"]
n = 3
inline = { a = "}" }
[[array]]
x = 1
)";
	const auto d = ops::toml::parse(text, "t.toml");
	const auto *imports = d.find({"imports"});
	REQUIRE(imports != nullptr);
	CHECK(imports->isStringArray);
	CHECK(imports->strings == std::vector<std::string>{"/a.toml", "/b/*.toml"});
	CHECK(imports->line == 1);
	CHECK(imports->lastLine == 4);
	const auto *bin = d.find({"plugins", "io.containerd.grpc.v1.cri", "cni", "bin_dir"});
	REQUIRE(bin != nullptr);
	CHECK(bin->isString);
	CHECK(bin->text == "/usr/lib/cni");
	CHECK(d.find({"plugins", "io.containerd.grpc.v1.cri", "cni", "conf_dir"})->text == "C:\\x");
	const auto *rt = d.find({"engine", "runtimes", "bulkhead"});
	REQUIRE(rt != nullptr);
	CHECK(rt->key == ops::toml::Path{"runtimes", "bulkhead"});
	CHECK(rt->strings.at(1) == "/x");
	CHECK(d.find({"engine", "n"})->text == "3");
	CHECK(d.find({"engine", "inline"})->text == "{ a = \"}\" }");
	const auto *engine = d.table({"engine"});
	REQUIRE(engine != nullptr);
	CHECK(d.endOf(*engine) == 12);
	CHECK(d.firstTableLine() == 5);
	CHECK(ops::toml::keyText({"plugins", "io.containerd.grpc.v1.cri", "x"}) ==
	      "plugins.\"io.containerd.grpc.v1.cri\".x");

	CHECK_THROWS_WITH(ops::toml::parse("a = [1,\n2\n", "t.toml"),
	                  Catch::StartsWith("t.toml:3: unterminated array"));
	CHECK_THROWS_WITH(ops::toml::parse("ok = 1\n[a\n", "t.toml"),
	                  Catch::StartsWith("t.toml:2: ']' expected"));
	CHECK_THROWS_WITH(ops::toml::parse("a = \"x\" y\n", "t.toml"),
	                  Catch::StartsWith("t.toml:1: unexpected text"));
}

TEST_CASE("the unified diff is diff -u's", "[ops][diff]")
{
	TempDir d;
	const std::vector<std::pair<std::string, std::string>> cases = {
	        {"a\nb\nc\n", "a\nB\nc\n"},
	        {"", "x\ny\n"},
	        {"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n",
	         "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"},
	        {"1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n"},
	        {"a\nb", "a\nb\n"},
	        {"version = 2\n\n[plugins]\n", "version = 2\nimports = [\"x\"]\n\n[plugins]\n"},
	};
	for (const auto &[a, b] : cases) {
		const std::string pa = d.write("a", a), pb = d.write("b", b);
		std::string want;
		std::FILE *p = ::popen(("diff -u " + pa + " " + pb + " | tail -n +3").c_str(), "r");
		REQUIRE(p != nullptr);
		char buf[4096];
		size_t n;
		while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
			want.append(buf, n);
		::pclose(p);
		const std::string got = ops::unifiedDiff(a, b, "/f", true, true);
		INFO(esc(a) << " -> " << esc(b));
		CHECK(esc(got.substr(got.find("@@"))) == esc(want));
	}
	CHECK(ops::unifiedDiff("same\n", "same\n", "/f", true, true).empty());
	CHECK_THAT(ops::unifiedDiff("", "new\n", "/f", false, true),
	           Catch::StartsWith("--- /dev/null\n+++ /f\n@@ -0,0 +1 @@\n+new\n"));
}

TEST_CASE("setup docker keeps every other key, adds userns-remap, then changes nothing",
          "[ops][setup]")
{
	Node n;
	n.write("/etc/docker/daemon.json",
	        R"({"log-level": "warn", "runtimes": {"bulkhead": {"path": "/old", "runtimeArgs": ["--debug"]}, "other": {"path": "/o"}}})");
	const std::string before = n.read("/etc/docker/daemon.json");

	Run dry = n.setup("docker", true);
	CHECK(dry.rc == 0);
	CHECK_THAT(esc(dry.out), Catch::Contains("-{\"log-level\""));
	CHECK_THAT(esc(dry.out), Catch::Contains("+  \"userns-remap\": \"default\""));
	CHECK_THAT(esc(dry.out), Catch::Contains("dry run: nothing written"));
	CHECK(esc(n.read("/etc/docker/daemon.json")) == esc(before));
	CHECK(!fs::exists(n.root + "/var/backups"));

	Run first = n.setup("docker");
	REQUIRE(first.rc == 0);
	CHECK_THAT(esc(first.out), Catch::Contains("restart docker"));
	const json::Value doc = json::parse(n.read("/etc/docker/daemon.json"), "daemon.json");
	CHECK(doc.find("log-level")->asString() == "warn");
	CHECK(doc.find("userns-remap")->asString() == "default");
	const json::Value *bh = doc.find("runtimes")->find("bulkhead");
	CHECK(bh->find("path")->asString() == "/usr/sbin/bulkhead");
	CHECK(bh->find("runtimeArgs")->items().at(0).asString() == "--debug");
	CHECK(doc.find("runtimes")->find("other")->find("path")->asString() == "/o");
	/* the backup is the file as it was */
	std::vector<std::string> backups;
	for (const auto &e : fs::directory_iterator(n.root + "/var/backups/bulkhead/etc/docker"))
		backups.push_back(e.path());
	REQUIRE(backups.size() == 1);
	CHECK(esc(slurp(backups[0])) == esc(before));

	const ino_t ino = inode(n.root + "/etc/docker/daemon.json");
	Run second = n.setup("docker");
	CHECK(second.rc == 0);
	CHECK_THAT(esc(second.out), Catch::StartsWith("docker: nothing to change"));
	CHECK(inode(n.root + "/etc/docker/daemon.json") == ino);
	CHECK(n.setup("docker", true).out.find("@@") == std::string::npos);

	/* a userns-remap the admin chose is kept */
	n.write("/etc/docker/daemon.json", R"({"userns-remap": "alice:alice"})");
	REQUIRE(n.setup("docker").rc == 0);
	CHECK(json::parse(n.read("/etc/docker/daemon.json"), "d")
	              .find("userns-remap")
	              ->asString() == "alice:alice");

	/* a daemon.json that is a link (configuration management) stays one */
	n.write("/etc/docker/managed.json", "{}");
	fs::remove(n.root + "/etc/docker/daemon.json");
	fs::create_symlink("managed.json", n.root + "/etc/docker/daemon.json");
	REQUIRE(n.setup("docker").rc == 0);
	CHECK(fs::is_symlink(n.root + "/etc/docker/daemon.json"));
	CHECK_THAT(esc(n.read("/etc/docker/managed.json")), Catch::Contains("userns-remap"));

	/* dockerd reads no comments: setup refuses to guess, writes nothing */
	n.write("/etc/docker/daemon.json", "{/* x */}");
	Run bad = n.setup("docker");
	CHECK(bad.rc == 2);
	CHECK_THAT(esc(bad.err), Catch::Contains("nothing written"));
	CHECK(esc(n.read("/etc/docker/daemon.json")) == esc("{/* x */}"));
}

TEST_CASE("setup containerd imports the contrib drop-in from config.toml", "[ops][setup]")
{
	Node n;
	const std::string debian =
	        "version = 2\n\n[plugins]\n  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
	        "    sandbox_image = \"k8s.gcr.io/pause:3.6\"\n"
	        "    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
	        "      bin_dir = \"/usr/lib/cni\"\n";
	n.write("/etc/containerd/config.toml", debian);
	Run r = n.setup("containerd");
	REQUIRE(r.rc == 0);
	CHECK(esc(n.read("/etc/containerd/config.toml")) ==
	      esc("version = 2\nimports = [\"/etc/containerd/conf.d/bulkhead.toml\"]\n" +
	          debian.substr(12)));
	const auto drop = ops::toml::parse(n.read("/etc/containerd/conf.d/bulkhead.toml"), "d");
	CHECK(drop.find({"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes",
	                 "bulkhead", "options", "BinaryName"})
	              ->text == "/usr/sbin/bulkhead");
	/* the drop-in is contrib's, only BinaryName changed */
	std::string contrib =
	        slurp(env("BULKHEAD_SOURCE_ROOT") + "/contrib/containerd/bulkhead.toml");
	contrib.replace(contrib.find("/usr/local/sbin/bulkhead"), 24, "/usr/sbin/bulkhead");
	CHECK(esc(n.read("/etc/containerd/conf.d/bulkhead.toml")) == esc(contrib));
	/* the CRI settings the imported table hides are named */
	CHECK_THAT(esc(r.out),
	           Catch::Contains("warning: /etc/containerd/config.toml sets "
	                           "plugins.\"io.containerd.grpc.v1.cri\".sandbox_image"));
	CHECK_THAT(esc(n.setup("containerd").out),
	           Catch::StartsWith("containerd: nothing to change"));

	/* an imports array gets one more entry; a glob that covers the drop-in is enough */
	n.write("/etc/containerd/config.toml", "version = 2\nimports = [\"/etc/x.toml\"]\n");
	REQUIRE(n.setup("containerd").rc == 0);
	CHECK(esc(n.read("/etc/containerd/config.toml")) ==
	      esc("version = 2\nimports = [\"/etc/x.toml\", "
	          "\"/etc/containerd/conf.d/bulkhead.toml\"]\n"));
	n.write("/etc/containerd/config.toml", "version = 2\nimports = [\n  \"/etc/x.toml\",\n]\n");
	REQUIRE(n.setup("containerd").rc == 0);
	CHECK(esc(n.read("/etc/containerd/config.toml")) ==
	      esc("version = 2\nimports = [\n  \"/etc/containerd/conf.d/bulkhead.toml\",\n  "
	          "\"/etc/x.toml\",\n]\n"));
	CHECK(ops::toml::parse(n.read("/etc/containerd/config.toml"), "c")
	              .find({"imports"})
	              ->strings.size() == 2);
	n.write("/etc/containerd/config.toml",
	        "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n");
	CHECK_THAT(esc(n.setup("containerd").out),
	           Catch::StartsWith("containerd: nothing to change"));

	/* a version 1 configuration is not edited */
	n.write("/etc/containerd/config.toml", "[plugins.cri]\n");
	Run v1 = n.setup("containerd");
	CHECK(v1.rc == 2);
	CHECK_THAT(esc(v1.err), Catch::Contains("not a version 2 configuration"));
	CHECK(esc(n.read("/etc/containerd/config.toml")) == esc("[plugins.cri]\n"));
}

TEST_CASE("setup podman edits containers.conf in place; crio drops a file", "[ops][setup]")
{
	Node n;
	const std::string conf = "# mine\n[engine]\ncgroup_manager = \"cgroupfs\"\n\n"
	                         "[engine.runtimes]\ncrun = [\"/usr/bin/crun\"]\n\n[network]\n"
	                         "network_backend = \"netavark\"\n";
	n.write("/etc/containers/containers.conf", conf);
	REQUIRE(n.setup("podman").rc == 0);
	const std::string after = n.read("/etc/containers/containers.conf");
	CHECK(esc(after) ==
	      esc("# mine\n[engine]\ncgroup_manager = \"cgroupfs\"\n"
	          "runtime_supports_json = [\"crun\", \"runc\", \"kata\", \"runsc\", \"krun\", "
	          "\"bulkhead\"]\n\n[engine.runtimes]\ncrun = [\"/usr/bin/crun\"]\n"
	          "bulkhead = [\"/usr/sbin/bulkhead\"]\n\n[network]\n"
	          "network_backend = \"netavark\"\n"));
	CHECK_THAT(esc(n.setup("podman").out), Catch::StartsWith("podman: nothing to change"));
	/* an entry that names another binary is corrected in place */
	n.write("/etc/containers/containers.conf",
	        "[engine]\nruntime_supports_json = [\"runc\"]\n[engine.runtimes]\n"
	        "bulkhead = [\"/old/bulkhead\"]\n");
	REQUIRE(n.setup("podman").rc == 0);
	CHECK(esc(n.read("/etc/containers/containers.conf")) ==
	      esc("[engine]\nruntime_supports_json = [\"runc\", \"bulkhead\"]\n[engine.runtimes]\n"
	          "bulkhead = [\"/usr/sbin/bulkhead\"]\n"));

	REQUIRE(n.setup("crio").rc == 0);
	const auto crio = ops::toml::parse(n.read("/etc/crio/crio.conf.d/50-bulkhead.conf"), "c");
	CHECK(crio.find({"crio", "runtime", "runtimes", "bulkhead", "runtime_path"})->text ==
	      "/usr/sbin/bulkhead");
	CHECK_THAT(esc(n.setup("crio").out), Catch::StartsWith("crio: nothing to change"));

	CHECK(setup({"--engine", "rkt"}).rc == 2);
	CHECK(setup({"--engine", "docker", "--root", "relative"}).rc == 2);
}

TEST_CASE("doctor passes on a node that setup configured for every engine", "[ops][doctor]")
{
	if (!asRoot())
		return;
	Node n;
	n.write("/etc/containerd/config.toml", "version = 2\n");
	for (const char *e : {"docker", "containerd", "crio", "podman"})
		REQUIRE(n.setup(e).rc == 0);
	n.write("/usr/bin/conmon", "", 0755);
	const auto checks = n.doctor();
	INFO(report(checks));
	CHECK(fails(checks).empty());
	for (const char *e : {"docker", "containerd", "crio", "podman"}) {
		const ops::Check *ok = find(checks, e, ops::Status::Ok);
		REQUIRE(ok != nullptr);
		CHECK_THAT(ok->message, Catch::Contains("runs /usr/sbin/bulkhead"));
	}
	CHECK(find(checks, "config", ops::Status::Ok) != nullptr);
	CHECK_THAT(find(checks, "runtime", ops::Status::Ok)->message,
	           Catch::Contains("runc version"));
	CHECK_THAT(find(checks, "policy", ops::Status::Ok)->message,
	           Catch::Contains("restricted version"));
	CHECK(find(checks, "audit", ops::Status::Ok) != nullptr);
	CHECK(find(checks, "canary", ops::Status::Skip) != nullptr);

	/* the same through the command line, as JSON */
	std::string out, err;
	CHECK(ops::doctorMain({"--root", n.root, "--no-canary", "--format", "json"}, out, err) ==
	      0);
	const json::Value doc = json::parse(out, "doctor");
	CHECK(doc.find("fail")->numberText() == "0");
	CHECK(doc.find("checks")->items().size() == checks.size());
	CHECK(ops::doctorMain({"--format", "yaml"}, out, err) == 2);
}

TEST_CASE("doctor: each broken piece is a fail line that names its fix", "[ops][doctor]")
{
	if (!asRoot())
		return;
	auto failing = [](const Node &n, const std::string &name) -> ops::Check {
		const auto checks = n.doctor();
		INFO(report(checks));
		const ops::Check *c = find(checks, name, ops::Status::Fail);
		REQUIRE(c != nullptr);
		CHECK(!c->fix.empty());
		return *c;
	};
	SECTION("missing runtime")
	{
		Node n;
		n.config(
		        R"({"runtime": "/usr/sbin/runc-gone", "policy": "/usr/share/bulkhead/policies/restricted.json"})");
		const auto c = failing(n, "runtime");
		CHECK_THAT(c.message, Catch::Contains("/usr/sbin/runc-gone: No such file"));
		CHECK_THAT(c.fix, Catch::Contains("apt-get install runc"));
	}
	SECTION("a policy anyone can write")
	{
		Node n;
		REQUIRE(::chmod((n.root + "/usr/share/bulkhead/policies/restricted.json").c_str(),
		                0666) == 0);
		const auto c = failing(n, "policy");
		CHECK_THAT(c.message, Catch::Contains("world-writable (mode 0666)"));
		CHECK_THAT(c.fix, Catch::Contains("chmod go-w"));
		CHECK_THAT(c.fix, Catch::Contains("restricted.json"));
	}
	SECTION("a configuration anyone can write")
	{
		Node n;
		n.config("{}", 0666);
		CHECK_THAT(failing(n, "config").fix, Catch::Contains("chmod go-w"));
	}
	SECTION("an audit directory that cannot be written")
	{
		Node n;
		n.write("/var/log/bulkhead", "a file where the directory should be");
		const auto c = failing(n, "audit");
		CHECK_THAT(c.message, Catch::Contains("/var/log/bulkhead is not a directory"));
		CHECK_THAT(c.message,
		           Catch::Contains("every create, run, exec and update is refused"));
	}
	SECTION("Docker without userns-remap, or naming a missing bulkhead")
	{
		Node n;
		n.write("/etc/docker/daemon.json",
		        R"({"runtimes": {"bulkhead": {"path": "/usr/sbin/bulkhead"}}})");
		auto c = failing(n, "docker");
		CHECK_THAT(c.message, Catch::Contains("no userns-remap"));
		CHECK_THAT(c.fix, Catch::Contains("\"userns-remap\": \"default\""));
		n.write("/etc/docker/daemon.json",
		        R"({"runtimes": {"bulkhead": {"path": "/opt/bulkhead"}}, "userns-remap": "default"})");
		c = failing(n, "docker");
		CHECK_THAT(c.message, Catch::Contains("/opt/bulkhead: No such file"));
		CHECK_THAT(c.fix, Catch::Contains("bulkhead setup --engine docker"));
	}
	SECTION("a containerd handler named bulkhead that runs plain runc")
	{
		Node n;
		n.write("/etc/containerd/config.toml",
		        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes."
		        "bulkhead]\n  runtime_type = \"io.containerd.runc.v2\"\n");
		CHECK_THAT(failing(n, "containerd").message,
		           Catch::Contains("no options.BinaryName"));
	}
}
