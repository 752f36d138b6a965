#include "fixtures.h"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/offline.h"
#include "bulkhead/policy.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
namespace fs = std::filesystem;

namespace {

using test::env;

std::string data()
{
	return env("BULKHEAD_TEST_DATA");
}

std::string golden()
{
	return data() + "/golden";
}

std::string policyFile(const std::string &name)
{
	return env("BULKHEAD_SOURCE_ROOT") + "/policies/" + name + ".json";
}

struct Run
{
	int rc;
	std::string out, err;
};

Run run(const std::vector<std::string> &args, bool colour = false)
{
	Run r{0, {}, {}};
	r.rc = offline::policyMain(args, r.out, r.err, colour);
	return r;
}

size_t lines(const std::string &s)
{
	size_t n = 0;
	for (char c : s)
		n += c == '\n' ? 1 : 0;
	return n;
}

std::string readAll(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const std::string &path, const std::string &content)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out << content;
	REQUIRE(out.good());
}

/* Make output independent of where the tree is: the data directory becomes DATA. */
std::string portable(std::string s)
{
	const std::string dir = golden();
	for (size_t at; (at = s.find(dir)) != std::string::npos;)
		s.replace(at, dir.size(), "DATA");
	return s;
}

/* Compare with a golden file; BULKHEAD_UPDATE_GOLDEN=1 rewrites it instead. */
void compareGolden(const std::string &name, const std::string &actual)
{
	const std::string path = golden() + "/" + name;
	const char *update = std::getenv("BULKHEAD_UPDATE_GOLDEN");
	if (update && std::string(update) == "1") {
		writeFile(path, actual);
		WARN("rewrote " + path);
		return;
	}
	INFO("golden file " << path << " (BULKHEAD_UPDATE_GOLDEN=1 rewrites it)");
	CHECK(actual == readAll(path));
}

/* Run with fd 0 reading the given file. */
Run runWithStdin(const std::vector<std::string> &args, const std::string &stdinFile)
{
	int saved = ::dup(STDIN_FILENO);
	int fd = ::open(stdinFile.c_str(), O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	REQUIRE(::dup2(fd, STDIN_FILENO) == STDIN_FILENO);
	::close(fd);
	Run r = run(args);
	::dup2(saved, STDIN_FILENO);
	::close(saved);
	return r;
}

} // namespace

TEST_CASE("check: text output (golden)", "[offline][golden]")
{
	Run r = run({"check", "--policy", golden() + "/policy.json", "--engine", "crio", "--id",
	             "golden-ctr", golden() + "/allow.json", golden() + "/mutate.json",
	             golden() + "/exempt.json", golden() + "/deny.json"});
	CHECK(r.rc == 3);
	CHECK(r.err.empty());
	CHECK(r.out.find('\033') == std::string::npos);
	compareGolden("check.txt", portable(r.out));
}

TEST_CASE("check: JSON output (golden)", "[offline][golden]")
{
	Run r = run({"check", "--format", "json", "--policy", golden() + "/policy.json", "--engine",
	             "crio", "--id", "golden-ctr", golden() + "/allow.json",
	             golden() + "/mutate.json", golden() + "/exempt.json",
	             golden() + "/deny.json"});
	CHECK(r.rc == 3);
	json::Value doc = json::parse(r.out, "check output");
	REQUIRE(doc.find("results"));
	REQUIRE(doc.find("results")->items().size() == 4);
	const auto &res = doc.find("results")->items();
	CHECK(res[0].find("verdict")->asString() == "allow");
	CHECK(res[1].find("verdict")->asString() == "mutate");
	CHECK(res[2].find("exemptions")->items().size() == 1);
	CHECK(res[2].find("overrides")->items().size() == 1);
	CHECK(res[3].find("verdict")->asString() == "deny");
	CHECK(doc.find("policy")->find("name")->asString() == "golden");
	compareGolden("check.json", portable(r.out));
}

TEST_CASE("check: colour only when asked", "[offline]")
{
	Run r = run({"check", "--policy", golden() + "/policy.json", golden() + "/mutate.json"},
	            true);
	CHECK(r.rc == 0);
	CHECK(r.out.find("\033[") != std::string::npos);
}

TEST_CASE("check: exit status is the worst of the files", "[offline]")
{
	const std::string p = golden() + "/policy.json";
	CHECK(run({"check", "--policy", p, golden() + "/allow.json"}).rc == 0);
	CHECK(run({"check", "--policy", p, golden() + "/mutate.json"}).rc == 0);
	CHECK(run({"check", "--policy", p, golden() + "/allow.json", golden() + "/deny.json"}).rc ==
	      3);
	Run r = run({"check", "--policy", p, golden() + "/deny.json", golden() + "/missing.json"});
	CHECK(r.rc == 2);
	CHECK(lines(r.err) == 1);
	CHECK(r.err.find("missing.json") != std::string::npos);
	CHECK(r.out.find("deny") != std::string::npos);
	r = run({"check", "--format", "json", "--policy", p, golden() + "/missing.json"});
	CHECK(r.rc == 2);
	json::Value doc = json::parse(r.out, "out");
	CHECK(doc.find("results")->items()[0].find("error"));
}

TEST_CASE("check: the same bytes and status on any number of threads", "[offline]")
{
	/* files that allow, mutate, exempt and deny, one that is missing and one
	 * that is not JSON, over and over: each thread takes whichever file is
	 * next, and the results must still come out in the files' order */
	const std::string g = golden();
	const test::TempDir tmp;
	const std::string bad = tmp.path + "/bad.json";
	writeFile(bad, "{\"ociVersion\": ");
	std::vector<std::string> files;
	for (int i = 0; i < 12; i++)
		for (const char *f : {"allow", "mutate", "exempt", "deny"})
			files.push_back(g + "/" + f + ".json");
	files.insert(files.begin() + 5, g + "/missing.json");
	files.insert(files.begin() + 30, bad);
	for (const char *format : {"text", "json", "sarif"}) {
		auto check = [&](const std::string &jobs) {
			std::vector<std::string> args{
			        "check",    "--format", format, "--policy",   g + "/policy.json",
			        "--engine", "crio",     "--id", "golden-ctr", "--jobs",
			        jobs};
			args.insert(args.end(), files.begin(), files.end());
			return run(args);
		};
		const Run one = check("1");
		CHECK(one.rc == 2);
		CHECK(lines(one.err) == 2);
		for (const char *jobs : {"2", "3", "8", "64"}) {
			INFO(format << " with --jobs " << jobs);
			const Run many = check(jobs);
			CHECK(many.rc == one.rc);
			CHECK(many.err == one.err);
			CHECK(many.out == one.out);
		}
	}
	/* standard input read by whichever thread takes it */
	Run serial = runWithStdin({"check", "--policy", g + "/policy.json", "--jobs", "1",
	                           g + "/deny.json", "-", g + "/allow.json"},
	                          g + "/mutate.json");
	Run threaded = runWithStdin({"check", "--policy", g + "/policy.json", "--jobs", "3",
	                             g + "/deny.json", "-", g + "/allow.json"},
	                            g + "/mutate.json");
	CHECK(serial.rc == 3);
	CHECK(serial.out.find("<stdin>: mutate") != std::string::npos);
	CHECK(threaded.out == serial.out);
}

TEST_CASE("harden: the hardened spec on stdout", "[offline]")
{
	const std::string p = golden() + "/policy.json";
	Run r = run({"harden", "--policy", p, golden() + "/mutate.json"});
	CHECK(r.rc == 0);
	CHECK(r.err.empty());
	json::Value out = json::parse(r.out, "out");
	CHECK(out.find("process")->find("user")->find("uid")->asInt64() == 65534);
	CHECK(out.find("annotations")
	              ->find("io.bulkhead.policy")
	              ->asString()
	              .rfind("golden sha256:", 0) == 0);
	CHECK(r.out == json::write(out, true));

	/* twice == once, byte for byte */
	const test::TempDir tmp;
	std::string once = tmp.path + "/config.json";
	writeFile(once, r.out);
	Run again = run({"harden", "--policy", p, once});
	CHECK(again.rc == 0);
	CHECK(again.out == r.out);

	/* standard input; relative sources resolve against the current directory */
	Run in = runWithStdin({"harden", "--policy", p, "-"}, golden() + "/mutate.json");
	CHECK(in.rc == 0);
	CHECK(in.out == r.out);
	Run dflt = runWithStdin({"harden", "--policy=" + p}, golden() + "/mutate.json");
	CHECK(dflt.rc == 0);
	CHECK(dflt.out == r.out);
}

TEST_CASE("harden: a refusal names its rules on stderr, exit 3", "[offline]")
{
	Run r = run({"harden", "--policy", golden() + "/policy.json", golden() + "/deny.json"});
	CHECK(r.rc == 3);
	CHECK(r.out.empty());
	CHECK(lines(r.err) >= 3);
	CHECK(r.err.find("process.apparmor") != std::string::npos);
	CHECK(r.err.find("process.cwd") != std::string::npos);
	CHECK(r.err.find("sysctl.safe") != std::string::npos);
}

TEST_CASE("harden: bad input or policy is one line, exit 2", "[offline]")
{
	const test::TempDir tmp;
	const std::string dir = tmp.path;
	writeFile(dir + "/bad.json", "{\n \"ociVersion\": \"1.0.2\",\n \"process\": }\n");
	writeFile(dir + "/dup.json", R"({"process": {"user": {"uid": 1000, "uid": 0}}})");
	writeFile(dir + "/policy.json", "{\"name\": \"x\", \"version\": \"1\",\n\"rules\": "
	                                "{\"P1.user\": {\"action\": \"yes\"}}}");
	const std::string p = golden() + "/policy.json";
	for (const auto &args : std::vector<std::vector<std::string>>{
	             {"harden", "--policy", p, dir + "/bad.json"},
	             {"harden", "--policy", p, dir + "/dup.json"},
	             {"harden", "--policy", p, dir + "/none.json"},
	             {"harden", "--policy", p, "/dev/zero"},
	             {"harden", "--policy", dir + "/policy.json", golden() + "/mutate.json"},
	             {"harden", "--policy", dir + "/none.json", golden() + "/mutate.json"},
	     }) {
		Run r = run(args);
		INFO(args.back() << ": " << r.err);
		CHECK(r.rc == 2);
		CHECK(r.out.empty());
		CHECK(lines(r.err) == 1);
	}
	Run r = run({"harden", "--policy", p, dir + "/bad.json"});
	CHECK(r.err.find(dir + "/bad.json:3:") != std::string::npos);
	r = run({"harden", "--policy", dir + "/policy.json", golden() + "/mutate.json"});
	CHECK(r.err.find(dir + "/policy.json:2:") != std::string::npos);
	fs::remove_all(dir);
}

TEST_CASE("validate: 0, or 2 with FILE:LINE:COL", "[offline]")
{
	for (const char *name : {"restricted", "baseline", "audit"}) {
		Run r = run({"validate", policyFile(name)});
		INFO(r.err);
		CHECK(r.rc == 0);
		CHECK(r.out.find(std::string("policy ") + name) != std::string::npos);
	}
	char tmpl[] = "/tmp/bulkhead-test-offline-XXXXXX";
	REQUIRE(::mkdtemp(tmpl));
	std::string bad = std::string(tmpl) + "/p.json";
	writeFile(bad, "{\"name\": \"x\", \"version\": \"1\", \"rules\": {\n  \"P3.capabilities\": "
	               "{\"action\": \"mutate\", \"allowed\": [\"cap_sys_admin\"]}}}\n");
	Run r = run({"validate", bad});
	CHECK(r.rc == 2);
	CHECK(r.out.empty());
	CHECK(lines(r.err) == 1);
	CHECK(r.err.rfind(bad + ":2:", 0) == 0);
	CHECK(r.err.find("cap_sys_admin") != std::string::npos);
	fs::remove_all(tmpl);
}

TEST_CASE("arguments are parsed strictly", "[offline][args]")
{
	const std::string p = golden() + "/policy.json";
	for (const auto &args : std::vector<std::vector<std::string>>{
	             {},
	             {"frobnicate"},
	             {"harden"},
	             {"harden", "--policy"},
	             {"harden", "--policy", p, "--bogus", "x"},
	             {"harden", "--policy", p, "a.json", "b.json"},
	             {"harden", "--policy", p, "--policy", p, "a.json"},
	             {"harden", "--policy", p, "--format", "json", "a.json"},
	             {"check", "--policy", p},
	             {"check", "--policy", p, "--format", "yaml", "a.json"},
	             {"check", "--policy", p, "-", "-"},
	             {"check", "--policy", p, "--jobs", "0", "a.json"},
	             {"check", "--policy", p, "--jobs", "65", "a.json"},
	             {"check", "--policy", p, "--jobs", "two", "a.json"},
	             {"check", "--policy", p, "--jobs=-1", "a.json"},
	             {"check", "--policy", p, "--jobs", "1", "--jobs", "2", "a.json"},
	             {"check", "--policy", p, "a.json", "--jobs"},
	             {"harden", "--policy", p, "--jobs", "2", "a.json"},
	             {"validate"},
	             {"validate", "--policy", p},
	     }) {
		Run r = run(args);
		INFO(r.err);
		CHECK(r.rc == 2);
		CHECK(lines(r.err) == 1);
		CHECK(r.out.empty());
	}
	CHECK(run({"harden", "--policy", p, "--bogus"}).err.find("unknown option --bogus") !=
	      std::string::npos);
	for (const auto &args : std::vector<std::vector<std::string>>{
	             {"--help"}, {"harden", "--help"}, {"check", "-h"}, {"validate", "--help"}}) {
		Run r = run(args);
		CHECK(r.rc == 0);
		CHECK(r.out.find("usage: bulkhead policy harden") != std::string::npos);
	}
}

TEST_CASE("check and harden agree with the engine on the shipped policies", "[offline]")
{
	Run r = run({"check", "--format", "json", "--policy", policyFile("audit"),
	             data() + "/runc-spec-default.json", data() + "/docker-20.10-privileged.json"});
	CHECK(r.rc == 0);
	json::Value doc = json::parse(r.out, "out");
	for (const auto &res : doc.find("results")->items()) {
		CHECK(res.find("verdict")->asString() == "allow");
		CHECK(res.find("patch")->items().empty());
	}
	Run priv = run({"harden", "--policy", policyFile("restricted"),
	                data() + "/docker-20.10-privileged.json"});
	CHECK(priv.rc == 3);
	CHECK(priv.err.find("P0.privileged") != std::string::npos);
}
