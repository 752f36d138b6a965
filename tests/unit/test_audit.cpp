#include "fixtures.h"
#include "src/sys/utc.h"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/audit.h"
#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/sha256.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using test::lines;
using test::slurp;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

mode_t modeOf(const std::string &path)
{
	struct stat st
	{
	};
	REQUIRE(::lstat(path.c_str(), &st) == 0);
	return st.st_mode & 07777;
}

policy::Decision sampleDecision()
{
	policy::Decision d;
	d.verdict = policy::Verdict::Deny;
	d.mode = policy::Mode::Enforce;
	d.policyName = "restricted";
	d.policySha256 = std::string(64, 'a');
	d.patch = json::Value::array();
	d.findings.push_back({"P10.engine-socket", "/mounts/7/source",
	                      "bind mount of engine socket /var/run/docker.sock",
	                      policy::Action::Deny, policy::Action::Deny, "do not mount it"});
	d.findings.push_back({"P1.user", "/process/user/uid", "runs as root",
	                      policy::Action::Mutate, policy::Action::Mutate, ""});
	d.exemptions.push_back({"dns", "kube-dns needs it", "2027-01-31", {"P1.user"}});
	return d;
}

} // namespace

TEST_CASE("rfc3339Now is RFC 3339 UTC with milliseconds", "[audit]")
{
	/* no std::regex: it trips -Wmaybe-uninitialized inside libstdc++ under
	 * sanitizers. Shape: DDDD-DD-DDTDD:DD:DD.DDDZ */
	std::string t = audit::rfc3339Now();
	const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
	REQUIRE(t.size() == shape.size());
	for (size_t k = 0; k < shape.size(); ++k) {
		INFO(t << " at " << k);
		if (shape[k] == 'd')
			CHECK((t[k] >= '0' && t[k] <= '9'));
		else
			CHECK(t[k] == shape[k]);
	}
}

TEST_CASE("append creates the directory 0750 and the file 0640", "[audit]")
{
	TempDir tmp;
	const std::string log = tmp.path + "/a/b/audit.jsonl";
	mode_t old = ::umask(077);
	audit::append(log, "{\"n\":1}\n");
	::umask(old);
	audit::append(log, "{\"n\":2}\n");
	CHECK(modeOf(tmp.path + "/a") == 0750);
	CHECK(modeOf(tmp.path + "/a/b") == 0750);
	CHECK(modeOf(log) == 0640);
	CHECK(slurp(log) == "{\"n\":1}\n{\"n\":2}\n");
}

TEST_CASE("append refuses a symlink, a FIFO, a relative path", "[audit]")
{
	TempDir tmp;
	const std::string target = tmp.path + "/target";
	{
		std::ofstream(target) << "";
	}
	REQUIRE(::symlink(target.c_str(), (tmp.path + "/link").c_str()) == 0);
	CHECK_THROWS_AS(audit::append(tmp.path + "/link", "x\n"), Error);
	CHECK(slurp(target).empty());

	REQUIRE(::mkfifo((tmp.path + "/fifo").c_str(), 0600) == 0);
	CHECK_THROWS_AS(audit::append(tmp.path + "/fifo", "x\n"), Error);

	CHECK_THROWS_AS(audit::append("relative/audit.jsonl", "x\n"), Error);

	/* a file where the directory should be */
	CHECK_THROWS_AS(audit::append(target + "/audit.jsonl", "x\n"), Error);
}

TEST_CASE("append from many processes at once keeps every line whole", "[audit]")
{
	TempDir tmp;
	const std::string log = tmp.path + "/audit.jsonl";
	const int procs = 24, each = 25;
	std::vector<pid_t> kids;
	for (int p = 0; p < procs; p++) {
		std::cout.flush(); /* a child must not repeat the reporter's buffered output */
		pid_t pid = ::fork();
		if (pid == 0) { /* no Catch assertions in the child: they would be reported twice */
			int rc = 0;
			for (int i = 0; i < each; i++) {
				/* alternate records below and above PIPE_BUF */
				size_t len = (i % 2) != 0 ? 9000 : 300;
				std::string line =
				        strprintf("{\"p\":%d,\"i\":%d,\"pad\":\"", p, i) +
				        std::string(len, static_cast<char>('a' + p % 26)) + "\"}\n";
				try {
					audit::append(log, line);
				} catch (...) {
					rc = 1;
				}
			}
			::_exit(rc);
		}
		REQUIRE(pid > 0);
		kids.push_back(pid);
	}
	for (pid_t k : kids) {
		int st = 0;
		REQUIRE(::waitpid(k, &st, 0) == k);
		CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
	}
	auto ls = lines(slurp(log));
	REQUIRE(ls.size() == static_cast<size_t>(procs * each));
	for (const auto &l : ls) {
		/* each line is one whole record: {"p":N,"i":N,"pad":"..."} */
		json::Value v = json::parse(l, "audit line");
		REQUIRE(v.isObject());
		REQUIRE(v.members().size() == 3);
		REQUIRE(v.find("p") != nullptr);
		REQUIRE(v.find("i") != nullptr);
		REQUIRE(v.find("pad") != nullptr);
		int p = static_cast<int>(v.find("p")->asInt64().value_or(-1));
		int i = static_cast<int>(v.find("i")->asInt64().value_or(-1));
		size_t len = (i % 2) != 0 ? 9000 : 300;
		CHECK(l.find(std::string(len, static_cast<char>('a' + p % 26))) !=
		      std::string::npos);
	}
}

TEST_CASE("append cuts the torn last line a killed writer left", "[audit]")
{
	TempDir tmp;
	const std::string log = tmp.path + "/audit.jsonl";
	audit::append(log, "{\"n\":1}\n");
	{
		/* a writer killed inside its write(2): part of a record, no newline */
		std::ofstream f(log, std::ios::app);
		f << "{\"n\":2,\"pad\":\"" << std::string(5000, 'x');
	}
	audit::append(log, "{\"n\":3}\n");
	CHECK(slurp(log) == "{\"n\":1}\n{\"n\":3}\n");

	/* a whole file of one torn line */
	{
		std::ofstream f(log, std::ios::trunc);
		f << std::string(9000, 'y');
	}
	audit::append(log, "{\"n\":4}\n");
	CHECK(slurp(log) == "{\"n\":4}\n");

	/* the last newline more than one read back (4096 bytes) from the end */
	{
		std::ofstream f(log, std::ios::app);
		f << std::string(10000, 'z');
	}
	audit::append(log, "{\"n\":5}\n");
	CHECK(slurp(log) == "{\"n\":4}\n{\"n\":5}\n");
}

TEST_CASE("append killed at random never leaves a torn line before a whole one", "[audit]")
{
	TempDir tmp;
	const std::string log = tmp.path + "/audit.jsonl";
	/* records of 1 to 3 pages: a SIGKILL inside write(2) can tear them */
	for (int round = 0; round < 40; round++) {
		std::cout.flush();
		pid_t pid = ::fork();
		if (pid == 0) {
			for (int i = 0;; i++) {
				std::string line =
				        strprintf("{\"r\":%d,\"i\":%d,\"pad\":\"", round, i) +
				        std::string(static_cast<size_t>(3000 + (i * 1237) % 9000),
				                    'p') +
				        "\"}\n";
				try {
					audit::append(log, line);
				} catch (...) {
					::_exit(1);
				}
			}
		}
		REQUIRE(pid > 0);
		::usleep(static_cast<useconds_t>(200 + (round * 997) % 3000));
		::kill(pid, SIGKILL);
		int st = 0;
		REQUIRE(::waitpid(pid, &st, 0) == pid);
		audit::append(log, strprintf("{\"after\":%d}\n", round));
	}
	const std::string text = slurp(log);
	REQUIRE(!text.empty());
	CHECK(text.back() == '\n');
	size_t n = 0;
	for (const auto &l : lines(text)) {
		json::Value v = json::parse(l, "audit line"); /* throws on a torn one */
		CHECK(v.isObject());
		n++;
	}
	CHECK(n >= 40);
}

TEST_CASE("format: one JSON line with the decision", "[audit]")
{
	auto d = sampleDecision();
	audit::Record r;
	r.command = "create";
	r.containerId = std::string("web\xff", 4);
	r.bundle = "/run/b/web";
	r.subject = "/run/b/web/config.json";
	r.decision = &d;
	std::string line = audit::format(r, "2026-11-29T02:31:07.123Z", "node1");
	REQUIRE(line.back() == '\n');
	CHECK(line.find('\n') == line.size() - 1);
	json::Value v = json::parse(line, "record");
	CHECK(v.find("time")->asString() == "2026-11-29T02:31:07.123Z");
	CHECK(v.find("host")->asString() == "node1");
	CHECK(v.find("command")->asString() == "create");
	CHECK(v.find("containerId")->asString() == "web?");
	CHECK(v.find("verdict")->asString() == "deny");
	CHECK(v.find("mode")->asString() == "enforce");
	CHECK(v.find("policy")->find("name")->asString() == "restricted");
	CHECK(v.find("policy")->find("sha256")->asString() == std::string(64, 'a'));
	const auto &f = v.find("findings")->items();
	REQUIRE(f.size() == 2);
	CHECK(f[0].find("rule")->asString() == "P10.engine-socket");
	CHECK(f[0].find("pointer")->asString() == "/mounts/7/source");
	CHECK(f[0].find("action")->asString() == "deny");
	CHECK(f[0].find("remedy")->asString() == "do not mount it");
	CHECK(f[1].find("action")->asString() == "mutate");
	CHECK(f[1].find("remedy") == nullptr);
	CHECK(v.find("patch")->isArray());
	const auto &ex = v.find("exemptions")->items();
	REQUIRE(ex.size() == 1);
	CHECK(ex[0].find("name")->asString() == "dns");
	CHECK(ex[0].find("expires")->asString() == "2027-01-31");
}

TEST_CASE("format: policy version, input hash, null expiry, expired list", "[audit]")
{
	auto d = sampleDecision();
	d.policyVersion = "2026.11";
	d.exemptions.push_back({"forever", "no end date", "", {"P6.memory"}});
	d.overrides.push_back({"big", "batch jobs", "", {"P6.memory"}});
	d.expired.push_back({"exemption", "old", "2026-01-01", {"P3.capabilities"}});
	audit::Record r;
	r.command = "create";
	r.decision = &d;
	r.inputSha256 = sha256Hex("{}");
	json::Value v = json::parse(audit::format(r, "t", "h"), "record");
	CHECK(v.find("policy")->find("version")->asString() == "2026.11");
	/* the members that were there before keep their order; new ones follow */
	std::vector<std::string> keys;
	for (const auto &[k, _] : v.members())
		keys.push_back(k);
	const std::vector<std::string> expected = {
	        "time",        "host",      "pid",     "bulkhead", "command",
	        "containerId", "bundle",    "subject", "engine",   "policy",
	        "mode",        "verdict",   "wouldBe", "findings", "patch",
	        "exemptions",  "overrides", "expired", "facts",    "input"};
	CHECK(keys == expected);
	const auto &ex = v.find("exemptions")->items();
	REQUIRE(ex.size() == 2);
	CHECK(ex[0].find("expires")->asString() == "2027-01-31");
	CHECK(ex[1].find("expires")->isNull());
	CHECK(v.find("overrides")->items().at(0).find("expires")->isNull());
	const auto &exp = v.find("expired")->items();
	REQUIRE(exp.size() == 1);
	CHECK(exp[0].find("kind")->asString() == "exemption");
	CHECK(exp[0].find("name")->asString() == "old");
	CHECK(exp[0].find("expires")->asString() == "2026-01-01");
	CHECK(exp[0].find("rules")->items().at(0).asString() == "P3.capabilities");
	CHECK(v.find("input")->find("sha256")->asString() == sha256Hex("{}"));

	/* nothing read: no input member; nothing expired: an empty list */
	auto plain = sampleDecision();
	audit::Record r2;
	r2.command = "create";
	r2.decision = &plain;
	json::Value v2 = json::parse(audit::format(r2, "t", "h"), "record");
	CHECK(v2.find("input") == nullptr);
	CHECK(v2.find("expired")->items().empty());
}

TEST_CASE("format: an error record", "[audit]")
{
	audit::Record r;
	r.command = "create";
	r.error = "config.json: not a regular file";
	json::Value v = json::parse(audit::format(r, "t", "h"), "record");
	CHECK(v.find("verdict")->asString() == "error");
	CHECK(v.find("error")->asString() == "config.json: not a regular file");
	CHECK(v.find("findings") == nullptr);
}

TEST_CASE("engineHints keeps the engines' identifying annotations only", "[audit]")
{
	json::Value spec = json::parse(R"({"annotations": {
		"io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.name": "web-1",
		"io.container.manager": "libpod", "run.oci.seccomp_bpf_data": "xyz",
		"io.kubernetes.cri.container-type": "container", "other": "x"}})",
	                               "spec");
	json::Value h = audit::engineHints(spec);
	REQUIRE(h.isObject());
	CHECK(h.members().size() == 4);
	CHECK(h.find("io.kubernetes.pod.namespace")->asString() == "shop");
	CHECK(h.find("io.container.manager")->asString() == "libpod");
	CHECK(h.find("run.oci.seccomp_bpf_data") == nullptr);
	CHECK(audit::engineHints(json::parse(R"({"annotations": 5})", "s")).members().empty());
	CHECK(audit::engineHints(json::parse("{}", "s")).members().empty());
}

TEST_CASE("write: onError refuse throws, continue goes on", "[audit]")
{
	TempDir tmp;
	{
		std::ofstream(tmp.path + "/file") << "";
	}
	auto d = sampleDecision();
	audit::Record r;
	r.command = "create";
	r.decision = &d;
	AuditConfig cfg;
	cfg.log = tmp.path + "/file/audit.jsonl"; /* below a regular file: cannot work */
	cfg.failOpen = false;
	CHECK_THROWS_AS(audit::write(cfg, r), Error);
	cfg.failOpen = true;
	CHECK_FALSE(audit::write(cfg, r));
	cfg.log = tmp.path + "/ok/audit.jsonl";
	CHECK(audit::write(cfg, r));
	auto ls = lines(slurp(cfg.log));
	REQUIRE(ls.size() == 1);
	CHECK(json::parse(ls[0], "line").find("verdict")->asString() == "deny");
}

TEST_CASE("keepDenied stores the refused spec by its sha256", "[audit]")
{
	TempDir tmp;
	const std::string dir = tmp.path + "/kept";
	const std::string text = "{\"privileged\": true}\n";
	std::string p = audit::keepDenied(dir, text);
	CHECK(p == dir + "/" + sha256Hex(text) + ".json");
	CHECK(slurp(p) == text);
	CHECK(modeOf(p) == 0640);
	CHECK(modeOf(dir) == 0750);
	CHECK(audit::keepDenied(dir, text) == p);
	size_t n = 0;
	for ([[maybe_unused]] const auto &e : fs::directory_iterator(dir))
		n++;
	CHECK(n == 1); /* no temporary left behind */
	CHECK_THROWS_AS(audit::keepDenied("relative", text), Error);
}

TEST_CASE("utc::fields agrees with gmtime_r from 1900 to 2400", "[audit][time]")
{
	/* a week and some seconds at a time, so every weekday, hour and leap day
	 * of four centuries is met (1900 and 2100 are no leap years, 2000 is) */
	size_t checked = 0, wrong = 0;
	for (int64_t t = -2208988800LL; t < 13569465600LL; t += 7 * 86400 + 3671) {
		const std::time_t tt = static_cast<std::time_t>(t);
		std::tm tm{};
		REQUIRE(::gmtime_r(&tt, &tm) != nullptr);
		const utc::Fields f = utc::fields(tt);
		checked++;
		if (f.year != tm.tm_year + 1900 || f.month != tm.tm_mon + 1 ||
		    f.day != tm.tm_mday || f.hour != tm.tm_hour || f.minute != tm.tm_min ||
		    f.second != tm.tm_sec)
			wrong++;
	}
	CHECK(checked > 20000);
	CHECK(wrong == 0);
	for (const int64_t leap : {951782400LL, 4107542400LL}) { /* 2000-02-29, 2100-03-01 */
		const utc::Fields f = utc::fields(static_cast<std::time_t>(leap));
		CHECK((f.month == 2 ? f.day == 29 : (f.month == 3 && f.day == 1)));
	}
}
