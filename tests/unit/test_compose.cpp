/* Policies that compose and never fail open: extends, explicit off, the
 * review of `policy validate`, show, diff, expiry and --at. */
#include "../../src/policy_compiled.h"
#include "fake_host.h"
#include "fixtures.h"

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/offline.h"
#include "bulkhead/policy.h"
#include "bulkhead/policy_report.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using namespace bulkhead::policy;
using test::env;
using test::slurp;
namespace fs = std::filesystem;

namespace {

struct Run
{
	int rc;
	std::string out, err;
};

Run run(const std::vector<std::string> &args)
{
	Run r{0, {}, {}};
	r.rc = offline::policyMain(args, r.out, r.err, false);
	return r;
}

/* A directory holding copies of the shipped policies, where site policies
 * are written next to them (as in /etc/bulkhead/policies). */
struct PolicyDir : test::TempDir
{
	PolicyDir()
	{
		for (const char *f :
		     {"restricted.json", "baseline.json", "audit.json", "seccomp-default.json"})
			fs::copy_file(env("BULKHEAD_SOURCE_ROOT") + "/policies/" + f,
			              path + "/" + f);
	}
	std::string site(const std::string &name, const std::string &text)
	{
		return write(name, text);
	}
};

const CallContext kCall{"c1", "/bundles/c1", "create"};

json::Value spec(const std::string &name)
{
	const std::string path = env("BULKHEAD_TEST_DATA") + "/" + name;
	return json::parse(slurp(path), path);
}

bool denies(const Policy &p, const std::string &specName, const std::string &rule)
{
	Decision d = p.evaluate(spec(specName), Scope::Spec, kCall, test::typicalHost());
	for (const auto &f : d.findings)
		if (f.rule == rule && f.action == Action::Deny)
			return true;
	return false;
}

size_t count(const std::string &haystack, const std::string &needle)
{
	size_t n = 0;
	for (size_t at = haystack.find(needle); at != std::string::npos;
	     at = haystack.find(needle, at + 1))
		n++;
	return n;
}

} // namespace

TEST_CASE("extends: a site policy states only its differences", "[compose]")
{
	PolicyDir dir;
	const std::string site = dir.site("site.json", R"({
		"extends": "restricted", "name": "site", "version": "3",
		"rules": {"P6.memory": {"max": 8589934592}}})");
	Policy p = Policy::load(site, false);
	CHECK(p.name() == "site");
	CHECK(p.mode() == Mode::Enforce);
	REQUIRE(p.compiled().files.size() == 2);
	CHECK(p.compiled().files[1] == dir.path + "/restricted.json");
	/* every rule restricted has is still there: privileged and host
	 * namespaces + docker.sock stay refused */
	CHECK(denies(p, "docker-20.10-privileged.json", "P0.privileged"));
	CHECK(denies(p, "docker-20.10-hostns-socket.json", "P10.engine-socket"));
	/* the parameter given replaced the base's; the others stayed */
	const auto *def = findRule("P6.memory");
	const auto &rule = p.compiled().rules.at(static_cast<size_t>(def - allRules().data()));
	REQUIRE(rule);
	CHECK(rule->action == Action::Mutate);
	CHECK(rule->params.find("max")->numberText() == "8589934592");
	CHECK(rule->params.find("default")->numberText() == "536870912");
	CHECK(rule->source == site);
	/* the hash covers the chain: it changes when the base does */
	const std::string before = p.sha256();
	dir.write("restricted.json", slurp(dir.path + "/restricted.json") + "\n");
	const std::string edited = Policy::load(site, false).sha256();
	CHECK(edited != before);
	/* and when a file a parameter names does (restricted's profile) */
	dir.write("seccomp-default.json", slurp(dir.path + "/seccomp-default.json") + "\n");
	CHECK(Policy::load(site, false).sha256() != edited);
}

TEST_CASE("extends: names, paths, loops and missing bases", "[compose]")
{
	PolicyDir dir;
	auto loadError = [](const std::string &path) {
		try {
			(void)Policy::load(path, false);
			return std::string();
		} catch (const Error &e) {
			CHECK(e.kind() == ErrorKind::Policy);
			return std::string(e.what());
		}
	};
	fs::create_directory(dir.path + "/sub");
	const std::string byPath = dir.site("sub/p.json", R"({"extends": "../restricted.json",
		"name": "p", "version": "1"})");
	CHECK(loadError(byPath).empty());
	/* a chain: site -> baseline -> restricted */
	const std::string chained =
	        dir.site("c.json", R"({"extends": "baseline", "name": "c", "version": "1"})");
	CHECK(Policy::load(chained, false).compiled().files.size() == 3);
	/* a loop is refused, naming the place */
	dir.site("a.json", R"({"extends": "b.json", "name": "a", "version": "1"})");
	dir.site("b.json", R"({"extends": "a.json", "name": "b", "version": "1"})");
	CHECK(loadError(dir.path + "/a.json").find("policies deep") != std::string::npos);
	/* a base that does not exist: FILE:LINE:COL of the extends */
	const std::string missing = dir.site(
	        "m.json", "{\"name\": \"m\", \"version\": \"1\",\n \"extends\": \"nosuch\"}");
	const std::string e = loadError(missing);
	CHECK(e.rfind(missing + ":2:", 0) == 0);
	CHECK(e.find("nosuch") != std::string::npos);
	/* a name with a path in it is not a name */
	CHECK(!loadError(dir.site("n.json", R"({"extends": "..", "name": "n", "version": "1"})"))
	               .empty());
	/* a policy that names itself finds the shipped one instead: restricted.json
	 * extending "restricted" beside itself is a loop onto itself, refused */
	CHECK(!loadError(dir.site("restricted2.json",
	                          R"({"extends": "restricted2", "name": "r", "version": "1"})"))
	               .empty());
	/* a rule the base does not configure needs an action */
	const std::string noAction = dir.site("x.json", R"({"extends": "baseline", "name": "x",
		"version": "1", "rules": {"P1.user": {"uid": 1000}}})");
	CHECK(loadError(noAction).empty()); /* baseline turns P1.user off: it is configured */
	const std::string standalone = dir.site(
	        "y.json", R"({"name": "y", "version": "1", "rules": {"P1.user": {"uid": 1000}}})");
	CHECK(loadError(standalone).find("missing \"action\"") != std::string::npos);
}

TEST_CASE("off is explicit and needs a reason", "[compose]")
{
	PolicyDir dir;
	const std::string bad = dir.site("bad.json", R"({"extends": "restricted", "name": "s",
		"version": "1", "rules": {"P5.userns": {"action": "off"}}})");
	try {
		(void)Policy::load(bad, false);
		FAIL("loaded");
	} catch (const Error &e) {
		CHECK(std::string(e.what()).find("needs a \"reason\"") != std::string::npos);
	}
	const std::string good = dir.site("good.json", R"({"extends": "restricted", "name": "s",
		"version": "1", "rules": {"P5.userns": {"action": "off", "reason": "kata VMs"}}})");
	Policy p = Policy::load(good, false);
	Run r = run({"validate", good});
	CHECK(r.rc == 0);
	CHECK(r.err.find("warning: rule P5.userns is off: kata VMs") != std::string::npos);
	CHECK(count(r.err, "warning:") == 1);
	/* --strict makes it an error */
	r = run({"validate", "--strict", good});
	CHECK(r.rc == 2);
	CHECK(r.err.find("error: rule P5.userns is off") != std::string::npos);
}

TEST_CASE("validate warns about every rule a policy leaves off or weakens", "[compose]")
{
	PolicyDir dir;
	/* {"rules": {}}: everything off, loudly */
	const std::string empty =
	        dir.site("empty.json", R"({"name": "e", "version": "1", "rules": {}})");
	Run r = run({"validate", empty});
	CHECK(r.rc == 0);
	CHECK(count(r.err, "is not in the policy, so it is off") == allRules().size());
	CHECK(run({"validate", "--strict", empty}).rc == 2);
	/* the old man page example: a standalone policy of two rules lets
	 * --privileged through; validate says so for each rule it leaves out */
	const std::string old = dir.site("old.json", R"({
		"name": "site", "version": "3", "mode": "enforce",
		"rules": {
		  "P3.capabilities": {"action": "mutate", "allowed": ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]},
		  "P6.memory": {"action": "mutate", "default": 536870912, "max": 4294967296}}})");
	r = run({"validate", old});
	CHECK(r.err.find("rule P0.privileged is not in the policy") != std::string::npos);
	CHECK(r.err.find("rule P3.capabilities: allowed:") != std::string::npos);
	CHECK(run({"validate", "--strict", old}).rc == 2);
	/* restricted itself: nothing to say */
	r = run({"validate", "--strict", dir.path + "/restricted.json"});
	CHECK(r.rc == 0);
	CHECK(r.err.empty());
	/* audit mode is a warning */
	r = run({"validate", dir.path + "/audit.json"});
	CHECK(r.rc == 0);
	CHECK(r.err.find("mode audit") != std::string::npos);
}

TEST_CASE("expiry: validate refuses what has expired, lists what expires soon", "[compose]")
{
	PolicyDir dir;
	auto withOverride = [&](const std::string &expires) {
		return dir.site("o.json", R"({"extends": "restricted", "name": "o", "version": "1",
			"rules": {"P5.userns": {"action": "off", "reason": "the test's rootfs is not there"}},
			"overrides": [{"name": "big", "reason": "batch", "expires": ")" +
		                                  expires + R"(",
			  "match": {"containerId": "c1"}, "rules": {"P6.memory": {"max": 17179869184}}}]})");
	};
	Run r = run({"validate", withOverride("2020-01-01")});
	CHECK(r.rc == 2);
	CHECK(r.err.find("override big expired on 2020-01-01") != std::string::npos);
	r = run({"validate", withOverride("2999-01-01")});
	CHECK(r.rc == 0);
	CHECK(r.err.find("override big sets P6.memory") != std::string::npos);
	CHECK(r.err.find("expires on") == std::string::npos);
	/* within 30 days */
	const std::string soon = [] {
		std::time_t t = std::time(nullptr) + 10 * 86400;
		std::tm tm{};
		gmtime_r(&t, &tm);
		char buf[16];
		std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
		return std::string(buf);
	}();
	r = run({"validate", withOverride(soon)});
	CHECK(r.rc == 0);
	CHECK(r.err.find("expires on " + soon + ", in 10 days") != std::string::npos);

	/* an expired override is not applied, and the decision says so */
	Policy p = Policy::load(withOverride("2020-01-01"), false);
	json::Value s = spec("runc-spec-default.json");
	json::set(s, json::Pointer::parse("/linux/resources/memory/limit"),
	          json::Value::number(int64_t{8589934592}));
	Decision d = p.evaluate(s, Scope::Spec, kCall, test::typicalHost());
	CHECK(d.verdict == Verdict::Deny);
	REQUIRE(d.expired.size() == 1);
	CHECK(d.expired[0].name == "big");
	CHECK(d.expired[0].kind == "override");
	CHECK(d.overrides.empty());
	/* judged as of a date before the expiry, it applies */
	Decision then = p.evaluate(s, Scope::Spec, CallContext{"c1", "/b", "policy", "2019-12-31"},
	                           test::typicalHost());
	CHECK(then.verdict != Verdict::Deny);
	CHECK(then.overrides.size() == 1);
	CHECK(then.expired.empty());
	/* policy check --at */
	const std::string specFile = dir.write("spec.json", json::write(s));
	CHECK(run({"check", "--policy", dir.path + "/o.json", "--id", "c1", specFile}).rc == 3);
	CHECK(run({"check", "--policy", dir.path + "/o.json", "--id", "c1", "--at", "2019-12-31",
	           specFile})
	              .rc == 0);
	CHECK(run({"check", "--policy", dir.path + "/o.json", "--at", "2019-13-01", specFile}).rc ==
	      2);
}

TEST_CASE("show: the merged policy loads on its own and judges alike", "[compose]")
{
	PolicyDir dir;
	const std::string site = dir.site("site.json", R"({"extends": "baseline", "name": "site",
		"version": "1", "rules": {"P6.pids": {"action": "mutate", "max": 100}}})");
	Run r = run({"show", site});
	REQUIRE(r.rc == 0);
	const std::string flat = dir.write("flat.json", r.out);
	Policy a = Policy::load(site, false);
	Policy b = Policy::load(flat, false);
	for (const char *f : {"docker-20.10-default.json", "docker-20.10-privileged.json",
	                      "podman-4.3-default.json", "runc-spec-default.json"}) {
		INFO(f);
		Decision da = a.evaluate(spec(f), Scope::Spec, kCall, test::typicalHost());
		Decision db = b.evaluate(spec(f), Scope::Spec, kCall, test::typicalHost());
		CHECK(da.verdict == db.verdict);
		CHECK(da.findings.size() == db.findings.size());
	}
	/* --effective: every rule, where it was set */
	r = run({"show", "--effective", site});
	REQUIRE(r.rc == 0);
	json::Value eff = json::parse(r.out, "effective");
	CHECK(eff.find("rules")->members().size() == allRules().size());
	CHECK(eff.find("files")->items().size() == 3);
	const json::Value *pids = eff.find("rules")->find("P6.pids");
	CHECK(pids->find("action")->asString() == "mutate");
	CHECK(pids->find("from")->asString() == site);
	CHECK(eff.find("rules")->find("P1.user")->find("action")->asString() == "off");
	CHECK(eff.find("rules")->find("P1.user")->find("reason") != nullptr);
}

TEST_CASE("diff: what B lets through that A refuses", "[compose]")
{
	PolicyDir dir;
	const std::string r = dir.path + "/restricted.json";
	Run same = run({"diff", r, r});
	CHECK(same.rc == 0);
	CHECK(same.out.find("B lets through nothing that A refuses") != std::string::npos);
	/* a profile is compared by the document it names, not by its path: two
	 * copies of the shipped policies in two directories are the same policy,
	 * and one whose profile says something else differs there */
	PolicyDir other;
	Run copies = run({"diff", r, other.path + "/restricted.json"});
	INFO(copies.out);
	CHECK(copies.rc == 0);
	CHECK(copies.out.find("B lets through nothing that A refuses") != std::string::npos);
	CHECK(run({"validate", "--strict", other.path + "/restricted.json"}).rc == 0);
	{
		std::string profile = test::slurp(other.path + "/seccomp-default.json");
		const size_t at = profile.find("\"readv\",");
		REQUIRE(at != std::string::npos);
		profile.erase(at, 8);
		other.write("seccomp-default.json", profile);
	}
	Run edited = run({"diff", r, other.path + "/restricted.json"});
	INFO(edited.out);
	CHECK(edited.rc == 1);
	CHECK(edited.out.find("B changes profile: \"" + dir.path + "/seccomp-default.json\" -> \"" +
	                      other.path + "/seccomp-default.json\" (the documents differ)") !=
	      std::string::npos);
	Run weaker = run({"diff", r, dir.path + "/baseline.json"});
	CHECK(weaker.rc == 1);
	CHECK(weaker.out.find("P1.user") != std::string::npos);
	CHECK(weaker.out.find("B lets through what this rule refuses or fixes") !=
	      std::string::npos);
	CHECK(weaker.out.find("P3.capabilities") != std::string::npos);
	/* the other way round, restricted takes back what baseline gives up */
	Run back = run({"diff", dir.path + "/baseline.json", r});
	CHECK(back.out.find("P3.capabilities") > back.out.find("Other differences"));
	CHECK(back.out.find("B narrows allowed") != std::string::npos);
	/* a policy that only tightens weakens nothing; one that widens does */
	const std::string tight = dir.site("tight.json", R"({"extends": "restricted",
		"name": "t", "version": "1", "rules": {"P6.memory": {"max": 1073741824},
		"P7.seccomp": {"dangerous": ["mount", "umount2", "ptrace", "kexec_load",
		"kexec_file_load", "init_module", "finit_module", "delete_module", "bpf", "keyctl",
		"add_key", "request_key", "open_by_handle_at", "userfaultfd", "perf_event_open",
		"pivot_root", "swapon", "swapoff", "reboot", "setns", "unshare", "fsopen", "fsconfig",
		"fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "acct"]}}})");
	Run stricter = run({"diff", r, tight});
	INFO(stricter.out);
	CHECK(stricter.rc == 0);
	CHECK(stricter.out.find("B narrows dangerous") != std::string::npos);
	const std::string wide = dir.site("wide.json", R"({"extends": "restricted",
		"name": "w", "version": "1", "rules": {"P3.capabilities": {"allowed":
		["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]}}})");
	Run wider = run({"diff", r, wide});
	CHECK(wider.rc == 1);
	CHECK(wider.out.find("B widens allowed: [\"CAP_NET_BIND_SERVICE\"] -> "
	                     "[\"CAP_NET_BIND_SERVICE\",\"CAP_CHOWN\"]") != std::string::npos);
	/* an exemption is a weakening an auditor must sign */
	const std::string ex = dir.site("ex.json", R"({"extends": "restricted", "name": "ex",
		"version": "1", "exemptions": [{"name": "dns", "reason": "CoreDNS binds :53",
		"expires": "2999-01-01", "match": {"containerId": "coredns-*"}, "rules": ["P1.user"]}]})");
	Run e = run({"diff", r, ex});
	CHECK(e.rc == 1);
	CHECK(e.out.find("exemption dns: B turns off P1.user where {\"containerId\":\"coredns-*\"} "
	                 "(CoreDNS binds :53, until 2999-01-01)") != std::string::npos);
	/* audit mode */
	Run a = run({"diff", r, dir.path + "/audit.json"});
	CHECK(a.rc == 1);
	CHECK(a.out.find("B is in audit mode") != std::string::npos);
	CHECK(run({"diff", r}).rc == 2);
}

TEST_CASE("the shipped baseline and audit are small files over restricted", "[compose]")
{
	const std::string dir = env("BULKHEAD_SOURCE_ROOT") + "/policies";
	Policy audit = Policy::load(dir + "/audit.json", false);
	Policy baseline = Policy::load(dir + "/baseline.json", false);
	CHECK(audit.compiled().files.size() == 2);
	CHECK(baseline.compiled().files.size() == 2);
	CHECK(audit.mode() == Mode::Audit);
	/* baseline still lets the engines' default containers through */
	struct Case
	{
		const char *file;
		const char *id; /* the container the engine made the spec for */
	};
	for (Case c : {Case{"docker-20.10-default.json",
	                    "d4576fcf2e8a8f52dedb1610bfcb3a74d194cfc484b137381a2a378d07f88760"},
	               Case{"podman-4.3-default.json",
	                    "d4c271bba487dd1e829cd0a2da92f0dd0963b153431ca2dde78748652d484814"}}) {
		INFO(c.file);
		test::FakeHost host = test::typicalHost();
		test::withDockerd(host); /* Docker's hook runs dockerd as pid 2879 */
		Decision d = baseline.evaluate(spec(c.file), Scope::Spec,
		                               CallContext{c.id, "/bundles/x", "create"}, host);
		for (const auto &x : d.findings)
			if (x.action == Action::Deny)
				UNSCOPED_INFO(x.rule + " " + x.pointer + " " + x.message);
		CHECK(d.verdict != Verdict::Deny);
	}
	CHECK(denies(baseline, "docker-20.10-privileged.json", "P0.privileged"));
}

namespace {

/* The .nf/.fi blocks of a man page, roff escapes undone. */
std::vector<std::string> manBlocks(const std::string &page)
{
	std::vector<std::string> out;
	std::string block;
	bool in = false;
	for (const auto &line : test::lines(slurp(page))) {
		if (line == ".nf") {
			in = true;
			block.clear();
		} else if (line == ".fi") {
			in = false;
			out.push_back(block);
		} else if (in) {
			std::string l = line;
			for (size_t at; (at = l.find("\\-")) != std::string::npos;)
				l.replace(at, 2, "-");
			for (size_t at; (at = l.find("\\e")) != std::string::npos;)
				l.replace(at, 2, "\\");
			block += l + "\n";
		}
	}
	return out;
}

} // namespace

TEST_CASE("every policy example in bulkhead-policy(5) loads, validates and holds", "[compose][man]")
{
	PolicyDir dir;
	size_t policies = 0, fragments = 0;
	for (const auto &block :
	     manBlocks(env("BULKHEAD_SOURCE_ROOT") + "/man/bulkhead-policy.5")) {
		const size_t first = block.find_first_not_of(" \n");
		if (first == std::string::npos || block.find("...") != std::string::npos)
			continue; /* shell sessions and the annotated outline */
		std::string text;
		if (block[first] == '{') {
			text = block;
			policies++;
		} else if (block.compare(first, 13, "\"exemptions\":") == 0 ||
		           block.compare(first, 12, "\"overrides\":") == 0) {
			text = R"({"extends": "restricted", "name": "example", "version": "1", )" +
			       block + "}";
			fragments++;
		} else {
			continue;
		}
		INFO(text);
		const std::string file = dir.write("example.json", text);
		Run r = run({"validate", file});
		CHECK(r.rc == 0);
		CHECK(r.err.find("error") == std::string::npos);
		Policy p = Policy::load(file, false);
		/* whatever an example changes, it never lets a privileged container or a
		 * docker.sock mount through (an audit-mode example would refuse them) */
		for (const char *f :
		     {"docker-20.10-privileged.json", "docker-20.10-hostns-socket.json"}) {
			Decision d = p.evaluate(spec(f), Scope::Spec, kCall, test::typicalHost());
			CHECK(d.wouldBe == Verdict::Deny);
		}
	}
	CHECK(policies >= 3);
	CHECK(fragments >= 2);
}
