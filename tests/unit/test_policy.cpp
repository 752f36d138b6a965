#include "../../src/policy_compiled.h"
#include "fake_host.h"
#include "fixtures.h"

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"
#include "bulkhead/rule.h"
#include "bulkhead/sha256.h"

#include <catch2/catch.hpp>

using namespace bulkhead;
using namespace bulkhead::policy;
namespace fs = std::filesystem;

namespace {

using test::env;

std::string dataDir()
{
	return env("BULKHEAD_TEST_DATA");
}

std::string policiesDir()
{
	return env("BULKHEAD_SOURCE_ROOT") + "/policies";
}

json::Value spec(const std::string &name)
{
	return json::parseFile(dataDir() + "/" + name);
}

Policy shipped(const std::string &name)
{
	return Policy::load(policiesDir() + "/" + name + ".json", false);
}

/* A policy from text, named as if it sat next to the shipped ones (so
 * "seccomp-default.json" resolves). */
Policy text(const std::string &body)
{
	return Policy::fromText(body, policiesDir() + "/test.json");
}

/* The message of the Error{Policy} that f throws ("" when it does not throw). */
std::string policyError(const std::function<void()> &f)
{
	try {
		f();
	} catch (const Error &e) {
		CHECK(e.kind() == ErrorKind::Policy);
		return e.what();
	}
	return "";
}

std::string loadError(const std::string &body, const std::string &name = "p.json")
{
	return policyError([&] { (void)Policy::fromText(body, name); });
}

std::string withRules(const std::string &rules, const std::string &extra = "")
{
	return R"({"name": "t", "version": "1", "rules": {)" + rules + "}" + extra + "}";
}

const CallContext kCall{"ctr1", "/run/bundles/ctr1", "create"};

bool hasFinding(const Decision &d, const std::string &rule)
{
	for (const auto &f : d.findings)
		if (f.rule == rule)
			return true;
	return false;
}

/* A host on which every rootfs is reachable: all ancestors of the path 0755 root. */
test::FakeHost hostFor(const json::Value &doc, const std::string &bundle)
{
	test::FakeHost h = test::typicalHost();
	/* the engines' users own subordinate ranges (dockremap: Docker's remap,
	 * containers: Podman's --uidmap 0:300000:65536) */
	for (const char *f : {"/etc/subuid", "/etc/subgid"})
		h.rootText(f, "dockremap:100000:65536\ncontainers:300000:65536\n");
	/* hooks run /proc/<dockerd pid>/exe */
	ino_t ino = 1000;
	auto dirs = [&](fs::path a) {
		for (; !a.empty(); a = a.parent_path()) {
			if (h.files.count(a.string()) == 0)
				h.file(a.string(), 8, ino++, S_IFDIR | 0755);
			if (a == a.parent_path())
				break;
		}
	};
	/* hooks run /proc/<dockerd pid>/exe: root-owned all the way */
	h.file("/usr/bin/dockerd", 8, 900, S_IFREG | 0755);
	dirs("/usr/bin");
	if (const json::Value *hooks = doc.find("hooks"); hooks && hooks->isObject())
		for (const auto &[stage, list] : hooks->members())
			if (list.isArray())
				for (const auto &hook : list.items())
					if (const json::Value *p = hook.find("path");
					    p && p->isString() &&
					    p->asString().rfind("/proc/", 0) == 0) {
						h.link(p->asString(), "/usr/bin/dockerd");
						h.file(p->asString(), 3, ino++, S_IFLNK | 0777);
						dirs(fs::path(p->asString()).parent_path());
					}
	const json::Value *root = doc.find("root");
	const json::Value *path = root && root->isObject() ? root->find("path") : nullptr;
	if (path && path->isString()) {
		std::string p = path->asString();
		if (p.empty() || p[0] != '/')
			p = bundle + "/" + p;
		dirs(p);
		/* mount points exist in the image, and so do the engines' own files */
		std::vector<std::string> points = {"/tmp", "/run", "/var/tmp"};
		if (const json::Value *mounts = doc.find("mounts"); mounts && mounts->isArray())
			for (const auto &m : mounts->items()) {
				if (const json::Value *d = m.find("destination");
				    d && d->isString())
					points.push_back(d->asString());
				const json::Value *src = m.find("source");
				if (src && src->isString() && !src->asString().empty() &&
				    src->asString()[0] == '/') {
					dirs(fs::path(src->asString()).parent_path());
					if (h.files.count(src->asString()) == 0)
						h.file(src->asString(), 8, ino++, S_IFREG | 0644);
				}
			}
		for (const auto &pt : points)
			dirs(fs::path(p + pt));
	}
	return h;
}

/* The engine that wrote a spec, as the machine config would name it. */
engine::Kind engineOf(const json::Value &doc)
{
	const json::Value *a = doc.find("annotations");
	const json::Value *m = a && a->isObject() ? a->find("io.container.manager") : nullptr;
	if (m && m->isString() && m->asString() == "libpod")
		return engine::Kind::Podman;
	const json::Value *root = doc.find("root");
	const json::Value *path = root && root->isObject() ? root->find("path") : nullptr;
	if (path && path->isString() && path->asString().rfind("/var/lib/docker/", 0) == 0)
		return engine::Kind::Docker;
	return engine::Kind::Unknown;
}

/* The ID of the container a spec was written for: the engines' per-container
 * files name it ("ctr1" when none does). */
std::string containerIdOf(const json::Value &doc)
{
	std::string id = "ctr1";
	if (const json::Value *mounts = doc.find("mounts"); mounts && mounts->isArray())
		for (const auto &m : mounts->items()) {
			const json::Value *src = m.find("source");
			if (!src || !src->isString())
				continue;
			for (const auto &part : fs::path(src->asString()))
				if (part.string().size() == 64 &&
				    part.string().find_first_not_of("0123456789abcdef") ==
				            std::string::npos)
					id = part.string();
		}
	return id;
}

/* A new directory, removed when the test program ends. */
std::string tempDir()
{
	static std::vector<std::unique_ptr<test::TempDir>> made;
	made.push_back(std::make_unique<test::TempDir>());
	return made.back()->path;
}

/* The names of the entries of a cache directory, sorted. */
std::vector<std::string> cacheEntries(const char *dir)
{
	std::vector<std::string> out;
	std::error_code ec;
	for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it)
		out.push_back(it->path().string());
	std::sort(out.begin(), out.end());
	return out;
}

/* What AFTER holds that BEFORE did not (both sorted). */
std::vector<std::string> added(const std::vector<std::string> &after,
                               const std::vector<std::string> &before)
{
	std::vector<std::string> out;
	std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
	                    std::back_inserter(out));
	return out;
}

void writeFile(const std::string &path, const std::string &content)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out << content;
	REQUIRE(out.good());
}

std::string readAll(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

} // namespace

TEST_CASE("the shipped policies load and validate", "[policy]")
{
	for (const char *name : {"restricted", "baseline", "audit"}) {
		INFO(name);
		Policy p = shipped(name);
		CHECK(p.name() == name);
		/* restricted's text and the profile it names; a policy that
		 * extends it covers its own text and restricted's sha256 */
		const std::string text = readAll(policiesDir() + "/" + name + ".json");
		const std::string profile =
		        sha256Hex(readAll(policiesDir() + "/seccomp-default.json"));
		CHECK(p.sha256() ==
		      (std::string(name) == "restricted"
		               ? sha256Hex(text + "\n" + profile)
		               : sha256Hex(text + "\n" + shipped("restricted").sha256())));
	}
	CHECK(shipped("audit").mode() == Mode::Audit);
	CHECK(shipped("restricted").mode() == Mode::Enforce);
}

TEST_CASE("audit.json carries restricted's rules", "[policy]")
{
	Policy restricted = shipped("restricted");
	Policy audit = shipped("audit");
	const auto &r = restricted.compiled().rules;
	const auto &a = audit.compiled().rules;
	REQUIRE(r.size() == a.size());
	for (size_t i = 0; i < r.size(); i++) {
		REQUIRE(r[i].has_value() == a[i].has_value());
		if (!r[i])
			continue;
		INFO(r[i]->def->name);
		CHECK(r[i]->action == a[i]->action);
		CHECK(r[i]->params == a[i]->params);
	}
}

TEST_CASE("every rule is configured in restricted", "[policy]")
{
	Policy restricted = shipped("restricted");
	const auto &rules = restricted.compiled().rules;
	REQUIRE(rules.size() == allRules().size());
	for (const auto &r : rules) {
		REQUIRE(r);
		INFO(r->def->name);
		CHECK(r->action != Action::Off);
	}
}

TEST_CASE("syntax errors carry FILE:LINE:COL", "[policy][errors]")
{
	std::string e = loadError("{\n  \"name\": \"x\",\n  oops\n}", "p.json");
	CHECK(e.rfind("p.json:3:", 0) == 0);
	e = loadError(R"({"name": "a", "name": "b", "version": "1", "rules": {}})");
	CHECK(e.rfind("p.json:1:", 0) == 0);
	CHECK(!loadError("").empty());
	CHECK(!loadError("[]").empty());
}

TEST_CASE("top-level keys are checked", "[policy][errors]")
{
	CHECK(loadError(withRules("")).empty());
	CHECK(loadError(R"({"version": "1", "rules": {}})").find("missing \"name\"") !=
	      std::string::npos);
	CHECK(loadError(R"({"name": "a b", "version": "1", "rules": {}})").find("policy name") !=
	      std::string::npos);
	CHECK(loadError(R"({"name": "a", "rules": {}})").find("\"version\"") != std::string::npos);
	CHECK(loadError(R"({"name": "a", "version": 1, "rules": {}})").find("must be a string") !=
	      std::string::npos);
	CHECK(loadError(R"({"name": "a", "version": "1"})").find("\"rules\"") != std::string::npos);
	CHECK(loadError(withRules("", R"(, "mode": "strict")")).find("mode must be") !=
	      std::string::npos);
	CHECK(loadError(withRules("", R"(, "rule": {})")).find("unknown key \"rule\"") !=
	      std::string::npos);
	CHECK(text(withRules("", R"(, "mode": "audit")")).mode() == Mode::Audit);
}

TEST_CASE("rules, actions and parameters are checked", "[policy][errors]")
{
	std::string body = "{\"name\": \"t\", \"version\": \"1\",\n \"rules\": {\n  \"P99.nope\": "
	                   "{\"action\": \"mutate\"}}}";
	std::string e = loadError(body);
	CHECK(e.rfind("p.json:3:", 0) == 0);
	CHECK(e.find("unknown rule \"P99.nope\"") != std::string::npos);

	e = loadError(withRules(R"("P1.user": {"action": "enforce"})"));
	CHECK(e.find("action must be") != std::string::npos);
	CHECK(loadError(withRules(R"("P1.user": {})")).find("missing \"action\"") !=
	      std::string::npos);
	CHECK(loadError(withRules(R"("P1.user": "mutate")")).find("settings must be an object") !=
	      std::string::npos);
	e = loadError(withRules(R"("P1.user": {"action": "mutate", "uid": "0"})"));
	CHECK(e.find("parameter \"uid\" must be an integer") != std::string::npos);
	CHECK(!loadError(withRules(R"("P1.user": {"action": "mutate", "uid": 1.5})")).empty());
	e = loadError(withRules(R"("P1.user": {"action": "mutate", "uidd": 1})"));
	CHECK(e.find("unknown parameter \"uidd\"") != std::string::npos);
	CHECK(e.find("uid") != std::string::npos);
	CHECK(loadError(withRules(R"("P1.user": {"action": "mutate", "uid": 1000})")).empty());
}

TEST_CASE("capability names must be canonical", "[policy][errors]")
{
	auto caps = [](const std::string &list) {
		return loadError(withRules(
		        R"("P3.capabilities": {"action": "mutate", "allowed": [)" + list + "]}"));
	};
	CHECK(caps(R"("CAP_NET_BIND_SERVICE", "CAP_CHOWN")").empty());
	std::string e = caps(R"("CAP_CHOWN", "cap_sys_admin")");
	CHECK(e.find("unknown capability \"cap_sys_admin\"") != std::string::npos);
	CHECK(e.find("CAP_SYS_ADMIN") != std::string::npos);
	e = caps(R"("21")");
	CHECK(e.find("unknown capability \"21\"") != std::string::npos);
	CHECK(e.find("CAP_SYS_ADMIN") != std::string::npos);
	CHECK(caps(R"("SYS_ADMIN")").find("unknown capability") != std::string::npos);
	CHECK(caps(R"("CAP_BOGUS")").find("unknown capability") != std::string::npos);
	CHECK(caps(R"(21)").find("capability names") != std::string::npos);
}

TEST_CASE("structured parameters are checked by their rule at load time", "[policy][errors]")
{
	std::string e = loadError(withRules(
	        R"("P12.hooks": {"action": "mutate", "allowedHooks": [{"path": "/usr/bin/dockerd", "arg0": "x"}]})"));
	CHECK(e.rfind("p.json:1:", 0) == 0);
	CHECK(e.find("arg0") != std::string::npos);
	CHECK(loadError(
	              withRules(
	                      R"("P12.hooks": {"action": "mutate", "allowedHooks": [{"path": "/usr/bin/dockerd", "args": ["x", "{id}"]}]})"))
	              .empty());
	/* args0 kept every argument after args[0] unseen: replaced by args. */
	e = loadError(withRules(
	        R"("P12.hooks": {"action": "mutate", "allowedHooks": [{"path": "/usr/bin/dockerd", "args0": "x"}]})"));
	CHECK(e.find("\"args0\" is replaced by \"args\"") != std::string::npos);
	e = loadError(withRules(
	        R"("P12.hooks": {"action": "mutate", "allowedHooks": [{"path": "/usr/bin/dockerd", "args": ["{any}"]}]})"));
	CHECK(e.find("unknown placeholder {any}") != std::string::npos);
	e = loadError(withRules(
	        R"("process.rlimits": {"action": "mutate", "max": {"RLIMIT_BOGUS": 1}})"));
	CHECK(e.find("RLIMIT_BOGUS") != std::string::npos);
	/* the same through an override */
	e = loadError(withRules(
	        R"("process.rlimits": {"action": "mutate"})",
	        R"(, "overrides": [{"name": "o", "match": {"containerId": "x"}, "rules": {"process.rlimits": {"max": {"RLIMIT_NICE": -1}}}}])"));
	CHECK(e.find("RLIMIT_NICE") != std::string::npos);
}

TEST_CASE("bulkhead-policy(5) documents every rule and parameter", "[policy][man]")
{
	std::string man = readAll(env("BULKHEAD_SOURCE_ROOT") + "/man/bulkhead-policy.5");
	REQUIRE(!man.empty());
	for (const auto &def : allRules()) {
		INFO(def.name);
		CHECK(man.find(std::string(".B ") + def.name) != std::string::npos);
		for (const auto &p : def.params) {
			INFO(p.name);
			CHECK(man.find(p.name) != std::string::npos);
		}
	}
}

TEST_CASE("syscall names must be known to libseccomp", "[policy][errors]")
{
	auto sys = [](const std::string &list) {
		return loadError(withRules(R"("P7.seccomp": {"action": "mutate", "dangerous": [)" +
		                           list + "]}"));
	};
	CHECK(sys(R"("mount", "socketcall")").empty());
	CHECK(sys(R"("MOUNT")").find("unknown syscall \"MOUNT\"") != std::string::npos);
	CHECK(sys(R"("no_such_call")").find("unknown syscall") != std::string::npos);
}

TEST_CASE("JSON file parameters are read next to the policy", "[policy][errors]")
{
	std::string dir = tempDir();
	writeFile(dir + "/good.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []})");
	writeFile(dir + "/bad.json", "{\n\"defaultAction\": }");
	auto load = [&](const std::string &file) {
		return policyError([&] {
			(void)Policy::fromText(
			        withRules(R"("P7.seccomp": {"action": "mutate", "profile": ")" +
			                  file + "\"}"),
			        dir + "/p.json");
		});
	};
	CHECK(load("good.json").empty());
	CHECK(load(dir + "/good.json").empty());
	std::string e = load("missing.json");
	CHECK(e.find("missing.json") != std::string::npos);
	e = load("bad.json");
	CHECK(e.find("bad.json:2:") != std::string::npos);
	CHECK(load("/dev/zero").find("not a regular file") != std::string::npos);
	fs::remove_all(dir);
}

TEST_CASE("exemptions and overrides are checked", "[policy][errors]")
{
	const std::string rules =
	        R"("P1.user": {"action": "mutate"}, "P6.memory": {"action": "mutate"})";
	auto ex = [&](const std::string &e) {
		return loadError(withRules(rules, R"(, "exemptions": [)" + e + "]"));
	};
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {"containerId": "x*"}, "rules": ["P1.user"]})")
	              .empty());
	CHECK(ex(R"({"name": "a", "match": {"containerId": "x*"}, "rules": ["P1.user"]})")
	              .find("reason") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "", "match": {"containerId": "x"}, "rules": ["P1.user"]})")
	              .find("reason") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "expires": "2027-02-30", "match": {"containerId": "x"}, "rules": ["P1.user"]})")
	              .find("YYYY-MM-DD") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "expires": "2028-02-29", "match": {"containerId": "x"}, "rules": ["P1.user"]})")
	              .empty());
	CHECK(ex(R"({"name": "a", "reason": "r", "rules": ["P1.user"]})").find("match") !=
	      std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {}, "rules": ["P1.user"]})")
	              .find("apply everywhere") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {"annotations": {"io.kubernetes.pod.namespace": "x"}}, "rules": ["P1.user"]})")
	              .find("no longer read") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {"namespace": "x"}, "rules": ["P1.user"]})")
	              .find("unknown match key") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {"engine": "cri-o"}, "rules": ["P1.user"]})")
	              .find("is not an engine") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {"image": "docker.io/library/nginx:*", "k8s.namespace": "web", "engine": "crio"}, "rules": ["P1.user"]})")
	              .empty());
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {"containerId": "x"}, "rules": ["P9.nope"]})")
	              .find("unknown rule") != std::string::npos);
	CHECK(ex(R"({"name": "a", "reason": "r", "match": {"containerId": "x"}, "rules": []})")
	              .find("non-empty") != std::string::npos);

	auto ov = [&](const std::string &o) {
		return loadError(withRules(rules, R"(, "overrides": [)" + o + "]"));
	};
	CHECK(ov(R"({"name": "o", "match": {"containerId": "x"}, "rules": {"P6.memory": {"max": 8589934592}}})")
	              .empty());
	CHECK(ov(R"({"name": "o", "match": {"containerId": "x"}, "rules": {"P6.memory": {"max": "8G"}}})")
	              .find("must be an integer") != std::string::npos);
	CHECK(ov(R"({"name": "o", "match": {"containerId": "x"}, "rules": {"P6.memory": {"action": "off"}}})")
	              .find("not the action") != std::string::npos);
	CHECK(ov(R"({"name": "o", "match": {"containerId": "x"}, "rules": {"P4.no-new-privileges": {}}})")
	              .find("is off in this policy") != std::string::npos);
}

TEST_CASE("a policy root did not write is refused when running as root", "[policy][owner]")
{
	if (::geteuid() != 0) {
		WARN("not root: ownership check not exercised");
		return;
	}
	std::string dir = tempDir();
	std::string path = dir + "/p.json";
	writeFile(path, withRules(""));
	REQUIRE(::chmod(path.c_str(), 0644) == 0);
	CHECK_NOTHROW(Policy::load(path, true));
	REQUIRE(::chown(path.c_str(), 1000, 1000) == 0);
	CHECK(policyError([&] { (void)Policy::load(path, true); }).find("not root") !=
	      std::string::npos);
	CHECK_NOTHROW(Policy::load(path, false));
	REQUIRE(::chown(path.c_str(), 0, 0) == 0);
	REQUIRE(::chmod(path.c_str(), 0664) == 0);
	CHECK(policyError([&] { (void)Policy::load(path, true); }).find("writable") !=
	      std::string::npos);
	REQUIRE(::chmod(path.c_str(), 0646) == 0);
	CHECK(policyError([&] { (void)Policy::load(path, true); }).find("writable") !=
	      std::string::npos);
	fs::remove_all(dir);
}

TEST_CASE("a FIFO or a missing file is refused without blocking", "[policy][owner]")
{
	std::string dir = tempDir();
	std::string fifo = dir + "/fifo.json";
	REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
	CHECK(policyError([&] { (void)Policy::load(fifo, false); }).find("not a regular file") !=
	      std::string::npos);
	CHECK(policyError([&] {
		      (void)Policy::load(dir + "/none.json", false);
	      }).find("none.json") != std::string::npos);
	fs::remove_all(dir);
}

TEST_CASE("a call that asks for no patch gets the same decision without one", "[policy]")
{
	const Policy p = text(withRules(R"("P1.user": {"action": "mutate"},
	        "P4.no-new-privileges": {"action": "mutate"})"));
	json::Value doc = spec("runc-spec-default.json");
	test::FakeHost host = test::typicalHost();
	const Decision with = p.evaluate(doc, Scope::Spec, kCall, host);
	CallContext call = kCall;
	call.patch = false;
	const Decision without = p.evaluate(doc, Scope::Spec, call, host);
	REQUIRE(with.verdict == Verdict::Mutate);
	CHECK(with.patch.items().size() >= 2);
	CHECK(without.verdict == with.verdict);
	CHECK(without.findings.size() == with.findings.size());
	CHECK(without.result == with.result);
	CHECK(without.patch.isArray());
	CHECK(without.patch.items().empty());
}

TEST_CASE("exemptions turn rules off where they match, until they expire", "[policy][exemptions]")
{
	auto policyWith = [](const std::string &expires, const std::string &match) {
		return text(withRules(R"("P1.user": {"action": "mutate"})",
		                      R"(, "exemptions": [{"name": "dbg", "reason": "debugging",)" +
		                              expires + R"( "match": )" + match +
		                              R"(, "rules": ["P1.user"]}])"));
	};
	json::Value doc = spec("runc-spec-default.json");
	test::FakeHost host = test::typicalHost();

	Decision plain = text(withRules(R"("P1.user": {"action": "mutate"})"))
	                         .evaluate(doc, Scope::Spec, kCall, host);
	REQUIRE(hasFinding(plain, "P1.user"));

	Decision d = policyWith("", R"({"containerId": "ctr*"})")
	                     .evaluate(doc, Scope::Spec, kCall, host);
	CHECK(!hasFinding(d, "P1.user"));
	REQUIRE(d.exemptions.size() == 1);
	CHECK(d.exemptions[0].name == "dbg");
	CHECK(d.exemptions[0].reason == "debugging");
	CHECK(d.exemptions[0].rules == std::vector<std::string>{"P1.user"});
	CHECK(d.verdict == Verdict::Allow);
	CHECK(d.result == doc);

	d = policyWith(R"("expires": "2999-12-31",)", R"({"containerId": "ctr1"})")
	            .evaluate(doc, Scope::Spec, kCall, host);
	CHECK(!hasFinding(d, "P1.user"));
	CHECK(d.exemptions.at(0).expires == "2999-12-31");

	d = policyWith(R"("expires": "2020-01-31",)", R"({"containerId": "ctr1"})")
	            .evaluate(doc, Scope::Spec, kCall, host);
	CHECK(hasFinding(d, "P1.user"));
	CHECK(d.exemptions.empty());

	d = policyWith("", R"({"containerId": "other*"})").evaluate(doc, Scope::Spec, kCall, host);
	CHECK(hasFinding(d, "P1.user"));

	/* bundle: '*' does not cross '/' */
	d = policyWith("", R"({"bundle": "/run/bundles/*"})")
	            .evaluate(doc, Scope::Spec, kCall, host);
	CHECK(!hasFinding(d, "P1.user"));
	d = policyWith("", R"({"bundle": "/run/*"})").evaluate(doc, Scope::Spec, kCall, host);
	CHECK(hasFinding(d, "P1.user"));

	/* k8s.namespace and the like: what the configured engine proves, from its
	 * own keys (offline: read as written), never an annotation of anyone's */
	Policy byNs = policyWith("", R"({"k8s.namespace": "kube-*", "k8s.container": "dns"})");
	json::Value annotated = doc;
	json::Value ann = json::Value::object();
	for (const auto &[k, v] : std::vector<std::pair<const char *, const char *>>{
	             {"io.kubernetes.cri-o.ContainerID", "ctr1"},
	             {"io.kubernetes.cri-o.ContainerType", "container"},
	             {"io.kubernetes.cri-o.SandboxID", "sb1"},
	             {"io.kubernetes.pod.uid", "0c5f3a3e-6a57-4f3e-9b43-7f0d3c1e2a11"},
	             {"io.kubernetes.pod.namespace", "kube-system"},
	             {"io.kubernetes.pod.name", "coredns-1"},
	             {"io.kubernetes.container.name", "dns"}})
		ann.set(k, json::Value::string(v));
	annotated.set("annotations", ann);
	CallContext crio{"ctr1", "/bundles/ctr1", "policy", engine::Kind::Crio};
	crio.offline = true;
	/* the engine unknown: nothing is known, nothing matches */
	CHECK(hasFinding(byNs.evaluate(annotated, Scope::Spec, kCall, host), "P1.user"));
	d = byNs.evaluate(annotated, Scope::Spec, crio, host);
	CHECK(!hasFinding(d, "P1.user"));
	CHECK(d.exemptions.size() == 1);
	CHECK(d.facts.k8sNamespace == "kube-system");
	/* every key must match */
	ann.set("io.kubernetes.container.name", json::Value::string("sidecar"));
	annotated.set("annotations", ann);
	CHECK(hasFinding(byNs.evaluate(annotated, Scope::Spec, crio, host), "P1.user"));
	/* on containerd's CRI the namespace is containerd's own key: CRI-O's (which a
	 * pod's annotations reach on containerd) proves nothing there */
	CallContext cri{"ctr1", "/bundles/ctr1", "policy", engine::Kind::ContainerdCri};
	cri.offline = true;
	ann.set("io.kubernetes.container.name", json::Value::string("dns"));
	annotated.set("annotations", ann);
	CHECK(hasFinding(byNs.evaluate(annotated, Scope::Spec, cri, host), "P1.user"));
	/* an unknown fact matches nothing, not even "*" */
	Policy any = policyWith("", R"({"k8s.namespace": "*"})");
	CHECK(hasFinding(any.evaluate(doc, Scope::Spec, crio, host), "P1.user"));

	/* exec: the caller supplies the container's annotations next to the process */
	json::Value exec = json::Value::object();
	exec.set("process", *doc.find("process"));
	CHECK(hasFinding(byNs.evaluate(exec, Scope::Process, crio, host), "P1.user"));
	exec.set("annotations", ann);
	CHECK(!hasFinding(byNs.evaluate(exec, Scope::Process, crio, host), "P1.user"));
}

TEST_CASE("overrides merge parameters where they match", "[policy][overrides]")
{
	std::string body = withRules(
	        R"("P6.memory": {"action": "mutate", "default": 536870912, "max": 1073741824})",
	        R"(, "overrides": [{"name": "big", "reason": "batch jobs", "match": {"containerId": "big-*"},
		    "rules": {"P6.memory": {"default": 2147483648, "max": 4294967296}}}])");
	Policy p = text(body);
	json::Value doc = spec("runc-spec-default.json");
	test::FakeHost host = test::typicalHost();
	const auto limit = json::Pointer::parse("/linux/resources/memory/limit");

	Decision d = p.evaluate(doc, Scope::Spec, kCall, host);
	REQUIRE(json::get(d.result, limit));
	CHECK(json::get(d.result, limit)->asInt64() == 536870912);
	CHECK(d.overrides.empty());

	d = p.evaluate(doc, Scope::Spec, CallContext{"big-1", "/b", "create"}, host);
	REQUIRE(json::get(d.result, limit));
	CHECK(json::get(d.result, limit)->asInt64() == 2147483648);
	REQUIRE(d.overrides.size() == 1);
	CHECK(d.overrides[0].name == "big");
	CHECK(d.overrides[0].reason == "batch jobs");
	CHECK(d.overrides[0].rules == std::vector<std::string>{"P6.memory"});

	/* above the policy's max, within the override's */
	json::Value big = doc;
	json::set(big, limit, json::Value::number(int64_t{3221225472}));
	CHECK(p.evaluate(big, Scope::Spec, kCall, host).verdict == Verdict::Deny);
	CHECK(p.evaluate(big, Scope::Spec, CallContext{"big-1", "/b", "create"}, host).verdict !=
	      Verdict::Deny);
}

TEST_CASE("overrides matched on the image the engine proves", "[policy][overrides]")
{
	std::string body = withRules(
	        R"("P6.memory": {"action": "mutate", "default": 536870912, "max": 1073741824})",
	        R"(, "overrides": [{"name": "pg", "match": {"image": "postgres:*"},
		    "rules": {"P6.memory": {"default": 2147483648, "max": 4294967296}}}])");
	Policy p = text(body);
	const std::string id(64, 'a');
	const std::string dir = "/var/lib/docker/containers/" + id;
	json::Value doc = spec("runc-spec-default.json");
	json::Value m = json::Value::object();
	m.set("destination", json::Value::string("/etc/hosts"));
	m.set("type", json::Value::string("bind"));
	m.set("source", json::Value::string(dir + "/hosts"));
	doc.find("mounts")->push(std::move(m));
	test::FakeHost host = test::typicalHost();
	host.rootText(dir + "/config.v2.json",
	              R"({"ID": ")" + id + R"(", "Config": {"Image": "postgres:15"}})");
	const auto limit = json::Pointer::parse("/linux/resources/memory/limit");
	auto limitOf = [&](engine::Kind kind) {
		CallContext call(id, "/run/containerd/io.containerd.runtime.v2.task/moby/" + id,
		                 "create", kind);
		Decision d = p.evaluate(doc, Scope::Spec, call, host);
		const json::Value *v = json::get(d.result, limit);
		return v ? v->asInt64().value_or(0) : 0;
	};
	CHECK(limitOf(engine::Kind::Docker) == 2147483648);
	/* Not proven (the engine is not Docker): the override does not apply. */
	CHECK(limitOf(engine::Kind::Unknown) == 536870912);
	host.rootText(dir + "/config.v2.json",
	              R"({"ID": ")" + id + R"(", "Config": {"Image": "nginx"}})");
	CHECK(limitOf(engine::Kind::Docker) == 536870912);
	CHECK_THROWS_AS(text(withRules(R"("P6.memory": {"action": "mutate"})",
	                               R"(, "overrides": [{"name": "x", "match": {"image": ""},
		    "rules": {"P6.memory": {"default": 1}}}])")),
	                Error);
}

TEST_CASE("audit mode records and changes nothing", "[policy][audit]")
{
	test::FakeHost host = test::typicalHost();
	for (const char *name :
	     {"runc-spec-default.json", "docker-20.10-default.json", "docker-20.10-privileged.json",
	      "docker-20.10-hostns-socket.json"}) {
		INFO(name);
		json::Value doc = spec(name);
		Decision d = shipped("audit").evaluate(doc, Scope::Spec, kCall, host);
		CHECK(d.verdict == Verdict::Allow);
		CHECK(d.mode == Mode::Audit);
		CHECK(json::write(d.result) == json::write(doc));
		CHECK(d.patch.isArray());
		CHECK(d.patch.items().empty());
		REQUIRE(!d.findings.empty());
		for (const auto &f : d.findings) {
			CHECK(f.action == Action::Audit);
			CHECK(f.wouldBe != Action::Audit);
		}
		CHECK(d.wouldBe != Verdict::Allow);
	}
	Decision priv = shipped("audit").evaluate(spec("docker-20.10-privileged.json"), Scope::Spec,
	                                          kCall, host);
	CHECK(priv.wouldBe == Verdict::Deny);
}

TEST_CASE("a rule set to audit in enforce mode records only", "[policy][audit]")
{
	Policy p = text(withRules(
	        R"("P1.user": {"action": "audit"}, "P4.no-new-privileges": {"action": "mutate"})"));
	json::Value doc = spec("runc-spec-default.json");
	Decision d = p.evaluate(doc, Scope::Spec, kCall, test::typicalHost());
	REQUIRE(hasFinding(d, "P1.user"));
	for (const auto &f : d.findings)
		if (f.rule == "P1.user")
			CHECK(f.action == Action::Audit);
	const auto uid = json::Pointer::parse("/process/user/uid");
	CHECK(json::get(d.result, uid)->asInt64() == 0);
}

TEST_CASE("a document runc would read differently is not judged: one Json error", "[policy][shape]")
{
	Policy p = shipped("restricted");
	test::FakeHost host = test::typicalHost();
	auto refused = [&](const char *doc, Scope scope) {
		INFO(doc);
		try {
			(void)p.evaluate(json::parse(doc, "x"), scope, kCall, host);
			FAIL("evaluated");
		} catch (const Error &e) {
			CHECK(e.kind() == ErrorKind::Json);
		}
	};
	for (const char *bad : {"[]", "5", "\"x\"", "null"})
		refused(bad, Scope::Spec);
	refused(R"({"process": 5})", Scope::Process);
	refused(R"({"linux": {"resources": []}})", Scope::Resources);
	for (const char *bad : {
	             R"({"ociVersion": "1.0.2", "process": {"user": {"uid": "0"}, "args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}})",
	             R"({"ociVersion": "1.0.2", "process": [], "root": 7, "mounts": {}, "linux": "x"})",
	             R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/", "capabilities": {"bounding": [1]}}, "root": {"path": "rootfs"}, "mounts": [{"destination": 5}], "hooks": [], "annotations": []})",
	             R"({"ociVersion": "1.0.2", "Process": {"user": {"uid": 0}}, "root": {"path": "rootfs"}})",
	     })
		refused(bad, Scope::Spec);
	/* a NUL in a path is read by Go as it is: the rules refuse it */
	Decision d = p.evaluate(
	        json::parse(
	                R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}, "mounts": [{"destination": "/x", "type": "bind", "source": "/tmp\u0000/etc"}]})",
	                "x"),
	        Scope::Spec, kCall, host);
	CHECK(d.verdict == Verdict::Deny);
}

TEST_CASE("a mutated spec is stamped with the policy's name and hash", "[policy][stamp]")
{
	Policy p = text(withRules(R"("P1.user": {"action": "mutate"})"));
	json::Value doc = spec("runc-spec-default.json");
	Decision d = p.evaluate(doc, Scope::Spec, kCall, test::typicalHost());
	REQUIRE(d.verdict == Verdict::Mutate);
	const json::Value *ann = d.result.find("annotations");
	REQUIRE(ann);
	REQUIRE(ann->find("io.bulkhead.policy"));
	CHECK(ann->find("io.bulkhead.policy")->asString() == "t sha256:" + p.sha256());
	CHECK(d.policyName == "t");
	CHECK(d.policySha256 == p.sha256());
	/* the patch turns the input into the result */
	json::Value patched = doc;
	json::applyPatch(patched, d.patch);
	CHECK(patched == d.result);

	/* an unchanged spec is not stamped */
	Decision again = p.evaluate(d.result, Scope::Spec, kCall, test::typicalHost());
	CHECK(again.verdict == Verdict::Allow);
	CHECK(json::write(again.result) == json::write(d.result));
	CHECK(again.patch.items().empty());

	/* exec processes are never stamped */
	json::Value exec = json::Value::object();
	exec.set("process", *doc.find("process"));
	Decision e = p.evaluate(exec, Scope::Process, kCall, test::typicalHost());
	CHECK(e.verdict == Verdict::Mutate);
	CHECK(!e.result.find("annotations"));
}

TEST_CASE("toJson has the published shape", "[policy][json]")
{
	Decision d = shipped("restricted")
	                     .evaluate(spec("docker-20.10-privileged.json"), Scope::Spec, kCall,
	                               test::typicalHost());
	json::Value j = toJson(d);
	std::vector<std::string> keys;
	for (const auto &m : j.members())
		keys.push_back(m.first);
	CHECK(keys == std::vector<std::string>{"verdict", "wouldBe", "mode", "policy", "findings",
	                                       "exemptions", "overrides", "expired", "facts",
	                                       "patch"});
	CHECK(j.find("verdict")->asString() == "deny");
	CHECK(j.find("policy")->find("sha256")->asString() == d.policySha256);
	REQUIRE(!j.find("findings")->items().empty());
	const json::Value &f = j.find("findings")->items()[0];
	for (const char *k : {"rule", "pointer", "message", "action", "wouldBe", "remedy"})
		CHECK(f.find(k));
	bool privileged = false;
	for (const auto &x : d.findings)
		privileged = privileged || (x.rule == "P0.privileged" && x.action == Action::Deny);
	CHECK(privileged);
}

namespace {

/* Which scope a test data file is, and the document the engine sees. */
struct Sample
{
	std::string name;
	Scope scope;
	json::Value doc;
};

std::vector<Sample> samples()
{
	std::vector<Sample> out;
	std::vector<fs::path> files;
	for (const auto &e : fs::directory_iterator(dataDir()))
		if (e.is_regular_file() && e.path().extension() == ".json")
			files.push_back(e.path());
	std::sort(files.begin(), files.end());
	for (const auto &f : files) {
		json::Value v = json::parseFile(f.string());
		Sample s{f.filename().string(), Scope::Spec, v};
		if (!v.find("ociVersion")) {
			if (v.find("args") || v.find("cwd") || v.find("user")) {
				s.scope = Scope::Process;
				s.doc = json::Value::object();
				s.doc.set("process", v);
			} else {
				s.scope = Scope::Resources;
				json::Value linux = json::Value::object();
				linux.set("resources", v);
				s.doc = json::Value::object();
				s.doc.set("linux", linux);
			}
		}
		out.push_back(std::move(s));
	}
	REQUIRE(out.size() >= 10);
	return out;
}

bool anyCoversZero(const json::Value *maps)
{
	if (!maps || !maps->isArray())
		return false;
	for (const auto &m : maps->items()) {
		auto host = m.find("hostID") ? m.find("hostID")->asInt64() : std::nullopt;
		auto size = m.find("size") ? m.find("size")->asInt64() : std::nullopt;
		if (!host || !size || *host <= 0)
			return true;
	}
	return false;
}

/* The guarantees that can be read off a spec without the host. */
void checkGuarantees(const json::Value &s, Scope scope)
{
	const json::Value *proc = s.find("process");
	if (proc) {
		const json::Value *user = proc->find("user");
		REQUIRE(user);
		CHECK(user->find("uid")->asInt64() != 0); /* P1 */
		if (const json::Value *add = user->find("additionalGids"))
			for (const auto &g : add->items())
				CHECK(g.asInt64() != 0);
		const json::Value *nnp = proc->find("noNewPrivileges"); /* P4 */
		REQUIRE(nnp);
		CHECK(nnp->asBool());
		const json::Value *caps = proc->find("capabilities"); /* P3 */
		REQUIRE(caps);
		REQUIRE(caps->isObject());
		for (const auto &[set, list] : caps->members())
			for (const auto &c : list.items())
				CHECK(c.asString() == "CAP_NET_BIND_SERVICE");
	}
	if (scope != Scope::Spec)
		return;
	CHECK(s.find("root")->find("readonly")->asBool()); /* P2 */
	const json::Value *linux = s.find("linux");
	REQUIRE(linux);
	const json::Value *res = linux->find("resources");
	REQUIRE(res);
	CHECK(res->find("memory")); /* P6 */
	CHECK(res->find("pids"));
	const json::Value *sec = linux->find("seccomp"); /* P7 */
	REQUIRE(sec);
	std::string def = sec->find("defaultAction")->asString();
	CHECK(def != "SCMP_ACT_ALLOW");
	CHECK(def != "SCMP_ACT_LOG");
	bool userns = false; /* P5 */
	for (const auto &ns : linux->find("namespaces")->items())
		userns = userns || ns.find("type")->asString() == "user";
	CHECK(userns);
	CHECK(!anyCoversZero(linux->find("uidMappings")));
	CHECK(!anyCoversZero(linux->find("gidMappings")));
	CHECK(linux->find("maskedPaths")); /* P9 */
	CHECK(linux->find("readonlyPaths"));
}

} // namespace

TEST_CASE("restricted: every spec is denied or hardened to a fixed point", "[policy][property]")
{
	Policy p = shipped("restricted");
	size_t hardened = 0;
	for (auto &s : samples()) {
		INFO(s.name);
		test::FakeHost host = hostFor(s.doc, "/bundles/ctr1");
		CallContext call{containerIdOf(s.doc), "/bundles/ctr1", "create", engineOf(s.doc)};
		Decision d = p.evaluate(s.doc, s.scope, call, host);
		if (d.verdict == Verdict::Deny) {
			for (const auto &f : d.findings)
				if (f.action == Action::Deny)
					CHECK(!f.rule.empty());
			/* everyday specs whose engine maps a user namespace come through */
			for (const char *everyday :
			     {"runc-spec-default.json", "docker-20.10-userns-remap.json",
			      "podman-4.3-uidmap.json"})
				if (s.name == everyday)
					for (const auto &f : d.findings)
						if (f.action == Action::Deny)
							FAIL_CHECK(f.rule << " " << f.pointer
							                  << ": " << f.message);
			continue;
		}
		hardened++;
		checkGuarantees(d.result, s.scope);
		/* idempotence, byte for byte */
		Decision again = p.evaluate(d.result, s.scope, call, host);
		CHECK(again.verdict == Verdict::Allow);
		CHECK(again.findings.size() == 0);
		CHECK(json::write(again.result) == json::write(d.result));
		/* the patch is exact */
		json::Value patched = s.doc;
		json::applyPatch(patched, d.patch);
		CHECK(json::write(patched) == json::write(d.result));
	}
	CHECK(hardened >= 3);
}

TEST_CASE("restricted: Docker's ping_group_range fits the user namespace it adds",
          "[policy][property]")
{
	/* Docker's default spec on a rootfs the mapped root can reach (runc run
	 * with Docker's spec): P5.userns, which runs last, adds the namespace and
	 * the range "0 2147483647" must shrink with it or runc cannot start it. */
	Policy p = shipped("restricted");
	json::Value doc = spec("docker-20.10-default.json");
	test::FakeHost host = hostFor(doc, "/bundles/ctr1");
	CallContext call{containerIdOf(doc), "/bundles/ctr1", "create"};
	Decision d = p.evaluate(doc, Scope::Spec, call, host);
	for (const auto &f : d.findings)
		UNSCOPED_INFO(f.rule << " " << f.pointer << ": " << f.message);
	REQUIRE(d.verdict == Verdict::Mutate);
	const json::Value *range = json::get(
	        d.result, json::Pointer::parse("/linux/sysctl/net.ipv4.ping_group_range"));
	REQUIRE(range);
	CHECK(range->asString() == "0 65535");
	CHECK(p.evaluate(d.result, Scope::Spec, call, host).findings.empty());
}

TEST_CASE("restricted keeps what it does not touch", "[policy][property]")
{
	Policy p = shipped("restricted");
	for (auto &s : samples()) {
		if (s.scope != Scope::Spec)
			continue;
		INFO(s.name);
		json::Value doc = s.doc;
		json::Value vendor = json::parse(
		        R"({"n": 18446744073709551615, "f": 1.50, "e": 1E400, "s": "a\u0000b"})",
		        "v");
		doc.set("org.example.vendor", vendor);
		test::FakeHost host = hostFor(doc, "/bundles/ctr1");
		Decision d = p.evaluate(doc, Scope::Spec,
		                        CallContext{"ctr1", "/bundles/ctr1", "create"}, host);
		if (d.verdict == Verdict::Deny)
			continue;
		REQUIRE(d.result.find("org.example.vendor"));
		CHECK(json::write(*d.result.find("org.example.vendor")) == json::write(vendor));
		/* input keys keep their order */
		std::vector<std::string> in, out;
		for (const auto &m : doc.members())
			in.push_back(m.first);
		for (const auto &m : d.result.members())
			out.push_back(m.first);
		size_t j = 0;
		for (const auto &k : out)
			if (j < in.size() && k == in[j])
				j++;
		CHECK(j == in.size());
	}
}

TEST_CASE("audit.json changes no spec", "[policy][property]")
{
	Policy p = shipped("audit");
	for (auto &s : samples()) {
		INFO(s.name);
		test::FakeHost host = hostFor(s.doc, "/bundles/ctr1");
		Decision d = p.evaluate(s.doc, s.scope, kCall, host);
		CHECK(d.verdict == Verdict::Allow);
		CHECK(json::write(d.result) == json::write(s.doc));
	}
}

TEST_CASE("baseline lets the engines' default containers through", "[policy][property]")
{
	Policy p = shipped("baseline");
	for (const char *name : {"docker-20.10-default.json", "podman-4.3-default.json",
	                         "docker-20.10-hardened.json"}) {
		INFO(name);
		json::Value doc = spec(name);
		test::FakeHost host = hostFor(doc, "/bundles/ctr1");
		std::string id = containerIdOf(doc);
		Decision d = p.evaluate(doc, Scope::Spec,
		                        CallContext{id, "/bundles/ctr1", "create"}, host);
		for (const auto &f : d.findings)
			UNSCOPED_INFO(f.rule << " " << f.pointer << ": " << f.message);
		CHECK(d.verdict != Verdict::Deny);
	}
	for (const char *name :
	     {"docker-20.10-privileged.json", "docker-20.10-hostns-socket.json"}) {
		INFO(name);
		json::Value doc = spec(name);
		Decision d = p.evaluate(doc, Scope::Spec, kCall, hostFor(doc, "/bundles/ctr1"));
		CHECK(d.verdict == Verdict::Deny);
	}
}

TEST_CASE("as root, a policy that probed clean is remembered by the sha256 of its bytes",
          "[policy][probed]")
{
	if (::geteuid() != 0) {
		WARN("not root: the probe markers are not used");
		return;
	}
	/* the markers written since BEFORE (a write may prune old ones) */
	auto newMarkers = [](const std::vector<std::string> &before) {
		return added(cacheEntries("/run/bulkhead/probed"), before).size();
	};
	const std::string dir = tempDir();
	const std::string path = dir + "/p.json";
	const std::string hook =
	        R"("P12.hooks": {"action": "mutate", "allowedHooks": [{"path": "/usr/bin/dockerd",
	        "args": ["libnetwork-setkey"], "stages": ["prestart"], "env": []}]})";
	writeFile(path, withRules(hook));
	REQUIRE(::chmod(path.c_str(), 0644) == 0);
	const auto before = cacheEntries("/run/bulkhead/probed");
	CHECK_NOTHROW(Policy::load(path, true));
	CHECK(newMarkers(before) == 1);
	const auto marked = cacheEntries("/run/bulkhead/probed");
	CHECK_NOTHROW(Policy::load(path, true)); /* the marker, no probes */
	CHECK(newMarkers(marked) == 0);
	/* other bytes, another key: the probe runs and refuses the parameter */
	writeFile(path,
	          withRules(R"("P12.hooks": {"action": "mutate", "allowedHooks": [{"path": 5}]})"));
	CHECK(policyError([&] { (void)Policy::load(path, true); }).find("allowedHooks") !=
	      std::string::npos);
	CHECK(newMarkers(marked) == 0);
}

TEST_CASE("as root, a policy read back from the parsed-file cache is the same policy",
          "[policy][parsed]")
{
	if (::geteuid() != 0) {
		WARN("not root: the parsed-file cache is not used");
		return;
	}
	const std::string dir = tempDir();
	const std::string path = dir + "/p.json";
	/* a text of its own, so that its cache entry is new */
	writeFile(path, "// " + dir + "\n" + withRules(""));
	REQUIRE(::chmod(path.c_str(), 0644) == 0);
	const auto before = cacheEntries("/run/bulkhead/parsed");
	const Policy first = Policy::load(path, true);
	const std::vector<std::string> mine = added(cacheEntries("/run/bulkhead/parsed"), before);
	CHECK(mine.size() == 1);
	const Policy second = Policy::load(path, true); /* from the cache */
	auto same = [](const Policy &a, const Policy &b) {
		const auto &ra = a.compiled().rules, &rb = b.compiled().rules;
		if (a.sha256() != b.sha256() || a.name() != b.name() || ra.size() != rb.size())
			return false;
		for (size_t i = 0; i < ra.size(); i++)
			if (ra[i].has_value() != rb[i].has_value() ||
			    (ra[i] &&
			     (ra[i]->action != rb[i]->action || !(ra[i]->params == rb[i]->params))))
				return false;
		return true;
	};
	CHECK(same(first, second));
	/* a damaged entry is a full parse, and the same policy */
	for (const auto &f : mine)
		writeFile(f, "BHJ1{garbage");
	const Policy third = Policy::load(path, true);
	CHECK(same(first, third));
	/* a policy error still names its place: the cache keeps the offsets */
	writeFile(path, "// " + dir + "\n" + withRules(R"("P6.memory": {"max": "8G"})"));
	CHECK(policyError([&] { (void)Policy::load(path, true); }).find("p.json:") !=
	      std::string::npos);
	CHECK(policyError([&] { (void)Policy::load(path, true); }).find("p.json:") !=
	      std::string::npos);
}

TEST_CASE("as root, a write to the parsed-file cache leaves its newest entries, at most 128",
          "[policy][parsed]")
{
	if (::geteuid() != 0) {
		WARN("not root: the parsed-file cache is not used");
		return;
	}
	/* 300 entries of binaries long gone (as every build and upgrade leaves) */
	const std::string parsed = "/run/bulkhead/parsed";
	fs::create_directories(parsed);
	int made = 0;
	for (int i = 0; i < 300; i++) {
		const std::string stale = parsed + "/bulkhead-test-stale-" + std::to_string(i);
		std::ofstream(stale) << "BHJ1";
		const struct timespec old[2] = {{978307200, 0}, {978307200, 0}}; /* 2001 */
		made += ::utimensat(AT_FDCWD, stale.c_str(), old, 0) == 0 ? 1 : 0;
	}
	REQUIRE(made == 300);
	const std::string dir = tempDir();
	const std::string path = dir + "/p.json";
	writeFile(path, "// " + dir + " prune\n" + withRules(""));
	REQUIRE(::chmod(path.c_str(), 0644) == 0);
	const auto before = cacheEntries(parsed.c_str());
	REQUIRE(before.size() >= 300);
	const Policy first = Policy::load(path, true); /* a miss: written, then pruned */
	const auto after = cacheEntries(parsed.c_str());
	CHECK(after.size() <= 128);
	const auto mine = added(after, before);
	REQUIRE(mine.size() == 1);
	CHECK(std::none_of(after.begin(), after.end(), [](const std::string &e) {
		return e.find("bulkhead-test-stale-") != std::string::npos;
	}));
	/* the entry written is read back: no new entry, the same policy */
	const Policy second = Policy::load(path, true);
	CHECK(added(cacheEntries(parsed.c_str()), after).empty());
	CHECK(fs::exists(mine[0]));
	CHECK(second.sha256() == first.sha256());
}

TEST_CASE("as root, a parsed-file cache entry is used only when root's and writable by no one "
          "else",
          "[policy][parsed]")
{
	if (::geteuid() != 0) {
		WARN("not root: the parsed-file cache is not used");
		return;
	}
	namespace fs = std::filesystem;
	const std::string dir = tempDir();
	const std::string path = dir + "/p.json";
	writeFile(path, "// " + dir + " trust\n" + withRules(R"("P1.user": {"action": "mutate"})"));
	REQUIRE(::chmod(path.c_str(), 0644) == 0);
	const auto before = cacheEntries("/run/bulkhead/parsed");
	const Policy first = Policy::load(path, true);
	const auto mine = added(cacheEntries("/run/bulkhead/parsed"), before);
	REQUIRE(mine.size() == 1);
	const std::string entry = mine[0];
	/* the entry replaced by the tree of another policy: P1.user turned off */
	const std::string forged = json::detail::encode(json::parse(
	        withRules(R"("P1.user": {"action": "off", "reason": "forged"})"), "forged"));
	auto p1 = [&] {
		const Policy loaded = Policy::load(path, true);
		for (const auto &r : loaded.compiled().rules)
			if (r && std::string(r->def->name) == "P1.user")
				return r->action;
		return Action::Off;
	};
	/* an untrusted entry is parsed again and written back whole: forged
	 * again before each load */
	auto forge = [&](uid_t uid, mode_t mode) {
		fs::remove(entry);
		writeFile(entry, forged);
		REQUIRE(::chown(entry.c_str(), uid, uid) == 0);
		REQUIRE(::chmod(entry.c_str(), mode) == 0);
	};
	REQUIRE(p1() == Action::Mutate);
	forge(1000, 0600);
	CHECK(p1() == Action::Mutate); /* another user's file: a full parse */
	forge(0, 0666);
	CHECK(p1() == Action::Mutate); /* writable by everyone: a full parse */
	forge(0, 0620);
	CHECK(p1() == Action::Mutate); /* writable by its group: a full parse */
	/* root's and writable by no one else: the entry is what the load reads
	 * (so the checks above are what kept the forgery out) */
	forge(0, 0600);
	CHECK(p1() == Action::Off);
	fs::remove(entry);
	CHECK(p1() == Action::Mutate);
}

TEST_CASE("a weak seccomp profile is refused whether or not the load probed P7",
          "[policy][probed][P7]")
{
	const std::string dir = tempDir();
	writeFile(dir + "/weak.json", R"({"defaultAction": "SCMP_ACT_ALLOW"})");
	writeFile(dir + "/good.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]})");
	/* probed (a list parameter): the load refuses the weak profile */
	writeFile(dir + "/base.json",
	          withRules(R"("P7.seccomp": {"action": "mutate", "profile": "good.json",
	                    "allowedFlags": []})"));
	CHECK_NOTHROW(Policy::load(dir + "/base.json", false));
	writeFile(dir + "/child.json", R"({"name": "c", "version": "1", "extends": "base.json",
		"rules": {"P7.seccomp": {"profile": "weak.json"}}})");
	CHECK(policyError([&] { (void)Policy::load(dir + "/child.json", false); }).find("weak") !=
	      std::string::npos);
	/* not probed (no structured parameter): refused when judging, never used */
	writeFile(dir + "/plain.json",
	          withRules(R"("P7.seccomp": {"action": "mutate", "profile": "weak.json"})"));
	Policy p = Policy::load(dir + "/plain.json", false);
	REQUIRE(!p.compiled().rules.empty());
	const json::Value spec = json::parse(R"({"process": {"args": ["sh"]}, "linux": {}})", "s");
	const Decision d = p.evaluate(spec, Scope::Spec, kCall, test::typicalHost());
	CHECK(d.verdict == Verdict::Deny);
	CHECK(hasFinding(d, "P7.seccomp"));
	CHECK(d.result.find("linux")->find("seccomp") == nullptr);
}

TEST_CASE("loadFor a scope reads only the rules that judge it", "[policy][scope]")
{
	/* the shipped policy: a process and resources judged the same either way */
	const std::string restricted = policiesDir() + "/restricted.json";
	const Policy full = Policy::load(restricted, false);
	const Policy proc = Policy::loadFor(restricted, false, Scope::Process);
	const Policy res = Policy::loadFor(restricted, false, Scope::Resources);
	CHECK(proc.sha256() == full.sha256());
	for (const char *name :
	     {"docker-20.10-exec-process.json", "docker-20.10-exec-u0-process.json",
	      "docker-20.10-exec-u0-privileged-process.json"}) {
		INFO(name);
		const std::string text = test::slurp(dataDir() + "/" + name);
		json::Value doc = json::Value::object();
		doc.set("process", json::parse(text, name));
		const Decision a = full.evaluate(doc, Scope::Process, kCall, test::typicalHost());
		const Decision b = proc.evaluate(doc, Scope::Process, kCall, test::typicalHost());
		CHECK(a.verdict == b.verdict);
		CHECK(json::write(a.result) == json::write(b.result));
		CHECK(a.findings.size() == b.findings.size());
	}
	json::Value upd =
	        json::parse(R"({"linux": {"resources": {"memory": {"limit": -1}}}})", "u");
	CHECK(full.evaluate(upd, Scope::Resources, kCall, test::typicalHost()).verdict ==
	      res.evaluate(upd, Scope::Resources, kCall, test::typicalHost()).verdict);

	/* a profile that cannot be read stops a create's load, not an exec's */
	const std::string dir = tempDir();
	writeFile(dir + "/p.json",
	          withRules(R"("P7.seccomp": {"action": "mutate", "profile": "missing.json"},
	                    "P1.user": {"action": "mutate", "uid": 65534, "gid": 65534})"));
	CHECK(policyError([&] {
		      (void)Policy::load(dir + "/p.json", false);
	      }).find("missing.json") != std::string::npos);
	const Policy e = Policy::loadFor(dir + "/p.json", false, Scope::Process);
	json::Value root = json::parse(R"({"process": {"user": {"uid": 0, "gid": 0}, "args": ["id"],
		"cwd": "/"}})",
	                               "p");
	const Decision d = e.evaluate(root, Scope::Process, kCall, test::typicalHost());
	CHECK(d.verdict == Verdict::Mutate);
	CHECK(hasFinding(d, "P1.user"));
	CHECK_THROWS(Policy::loadFor(dir + "/p.json", false, Scope::Spec));
}
