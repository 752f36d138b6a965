#include "../../src/rules/sysctl_util.h"
#include "fake_host.h"
#include "rule_harness.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/rule.h"

#include <catch2/catch.hpp>

/* Rules of the process, resources, seccomp, sysctl and paths families: for
 * each, specs that pass, that get mutated, that get denied, the bypasses of
 * DESIGN section 4, convergence and untouched parts. */

using namespace bulkhead;
using bulkhead::policy::Action;
using bulkhead::policy::Finding;
using bulkhead::policy::Scope;
using bulkhead::test::RuleResult;
using bulkhead::test::runRule;

namespace {

std::string env(const char *name, const char *fallback)
{
	const char *v = std::getenv(name);
	return v && *v ? v : fallback;
}

json::Value spec(const std::string &name)
{
	return json::parseFile(env("BULKHEAD_TEST_DATA", "tests/data") + "/" + name + ".json");
}

json::Value j(std::string_view text)
{
	return json::parse(text, "test");
}

const json::Value &profile()
{
	static const json::Value p = json::parseFile(env("BULKHEAD_SOURCE_ROOT", ".") +
	                                             "/policies/seccomp-default.json");
	return p;
}

json::Value seccompParams()
{
	json::Value p = json::Value::object();
	p.set("profile", profile());
	return p;
}

json::Value at(const json::Value &doc, std::string_view pointer)
{
	const json::Value *v = json::get(doc, json::Pointer::parse(pointer));
	return v ? *v : json::Value();
}

bool has(const json::Value &doc, std::string_view pointer)
{
	return json::get(doc, json::Pointer::parse(pointer)) != nullptr;
}

/* {"process": P} as the engine hands an exec process to the rules. */
json::Value processDoc(const json::Value &p)
{
	json::Value d = json::Value::object();
	d.set("process", p);
	return d;
}

json::Value resourcesDoc(const json::Value &r)
{
	json::Value res = json::Value::object();
	res.set("resources", r);
	json::Value d = json::Value::object();
	d.set("linux", std::move(res));
	return d;
}

size_t count(const std::vector<Finding> &fs, Action a)
{
	size_t n = 0;
	for (const auto &f : fs)
		n += f.action == a;
	return n;
}

bool anyMessage(const std::vector<Finding> &fs, std::string_view needle)
{
	for (const auto &f : fs)
		if (f.message.find(needle) != std::string::npos)
			return true;
	return false;
}

bool prefixOf(std::string_view a, std::string_view b)
{
	return b.substr(0, a.size()) == a && (b.size() == a.size() || b[a.size()] == '/');
}

/* Every finding names its rule, a pointer, a message and a remedy; messages are one line. */
void checkShape(const RuleResult &r, std::string_view rule)
{
	for (const auto &f : r.findings) {
		CHECK(f.rule == rule);
		CHECK(!f.message.empty());
		CHECK(f.message.find('\n') == std::string::npos);
		CHECK(!f.remedy.empty());
		CHECK((f.pointer.empty() || f.pointer.front() == '/'));
	}
}

/* Run a rule; when it mutated, run it again on its output: no finding, same
 * bytes. And only what the findings point at (or above, when a parent was
 * created; extra allowed prefixes for whole-object replacements) changed. */
RuleResult harden(std::string_view rule, const json::Value &doc,
                  const json::Value &params = json::Value::object(), Scope scope = Scope::Spec,
                  const HostFacts &host = test::typicalHost(),
                  std::vector<std::string> extraPrefixes = {})
{
	RuleResult r = runRule(rule, doc, params, Action::Mutate, scope, host);
	checkShape(r, rule);
	if (count(r.findings, Action::Deny) == 0) {
		RuleResult again = runRule(rule, r.doc, params, Action::Mutate, scope, host);
		INFO(rule << " second pass: "
		          << (again.findings.empty() ? "" : again.findings[0].message));
		CHECK(again.findings.empty());
		CHECK(json::write(again.doc) == json::write(r.doc));
	} else {
		CHECK(json::write(r.doc) == json::write(doc)); /* deny never half-mutates */
	}
	json::Value patch = json::diff(doc, r.doc);
	for (const auto &op : patch.items()) {
		const std::string &path = op.find("path")->asString();
		bool ok = false;
		for (const auto &f : r.findings)
			ok = ok || prefixOf(f.pointer, path) || prefixOf(path, f.pointer);
		for (const auto &p : extraPrefixes)
			ok = ok || prefixOf(p, path);
		INFO(rule << " changed " << path);
		CHECK(ok);
	}
	return r;
}

const char *const kSpecs[] = {
        "docker-20.10-default",       "docker-20.10-hardened",      "docker-20.10-privileged",
        "docker-20.10-hostns-socket", "runc-spec-default",          "runc-spec-rootless",
        "podman-4.3-default",         "containerd-1.6-ctr-default",
};

const char *const kRules[] = {
        "P0.privileged",
        "P1.user",
        "P2.readonly-rootfs",
        "P3.capabilities",
        "P4.no-new-privileges",
        "P6.memory",
        "P6.pids",
        "P7.seccomp",
        "process.apparmor",
        "process.selinux",
        "process.rlimits",
        "process.cwd",
        "process.oom-score-adj",
        "sysctl.safe",
        "P9.masked-paths",
        "P9.readonly-paths",
};

json::Value paramsFor(std::string_view rule)
{
	return rule == "P7.seccomp" ? seccompParams() : json::Value::object();
}

} // namespace

TEST_CASE("every rule of this family is registered with a summary", "[rules]")
{
	for (const char *name : kRules) {
		const auto *def = policy::findRule(name);
		INFO(name);
		REQUIRE(def != nullptr);
		CHECK(std::string(def->summary).size() > 10);
		CHECK(!def->scopes.empty());
	}
}

TEST_CASE("every rule converges on every real spec and leaves the rest alone", "[rules]")
{
	for (const char *s : kSpecs) {
		const json::Value doc = spec(s);
		for (const char *rule : kRules) {
			INFO(s << " " << rule);
			std::vector<std::string> extra;
			if (std::string_view(rule) == "P7.seccomp")
				extra.emplace_back("/linux/seccomp");
			harden(rule, doc, paramsFor(rule), Scope::Spec, test::typicalHost(), extra);
		}
	}
}

TEST_CASE("malformed specs are denied, never thrown", "[rules]")
{
	const char *docs[] = {
	        R"({"process": 5, "linux": "x", "root": [], "mounts": {}})",
	        R"({"process": {"user": "root", "capabilities": "all", "noNewPrivileges": "yes",
		    "apparmorProfile": 1, "selinuxLabel": [], "rlimits": {}, "cwd": 7,
		    "oomScoreAdj": "low"},
		   "linux": {"resources": [], "seccomp": "none", "sysctl": [], "maskedPaths": "x",
		    "readonlyPaths": [1], "namespaces": {}}})",
	        R"({"process": {"user": {"uid": -1, "gid": 1.5, "additionalGids": ["0"]},
		    "capabilities": {"bounding": [21]}, "rlimits": [{"type": 3}], "cwd": "/a\u0000b"},
		   "root": {"path": "rootfs", "readonly": "true"},
		   "mounts": [{"destination": 5}],
		   "linux": {"resources": {"memory": {"limit": "1g", "swap": true}, "pids": 7,
		     "unified": {"memory.max": 1}},
		    "seccomp": {"defaultAction": 5, "syscalls": [{"names": "ptrace"}]},
		    "sysctl": {"net.ipv4.tcp_syncookies": 1}, "maskedPaths": [null]}})",
	        R"({"process": {"user": {"uid": 18446744073709551616}, "rlimits": [{"type":
		    "RLIMIT_BOGUS", "hard": 1, "soft": 1}], "oomScoreAdj": 1e3},
		   "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names":
		    ["ptrace"], "action": "SCMP_ACT_ALLOW", "args": [{"index": "0", "op":
		    "SCMP_CMP_EQ", "value": 1}]}]}, "namespaces": [{"type": "network", "path": 4}],
		    "sysctl": {"net.ipv4.tcp_syncookies": "1"}}})",
	};
	for (const char *text : docs) {
		const json::Value doc = j(text);
		for (const char *rule : kRules) {
			INFO(rule << " on " << text);
			for (Scope scope : {Scope::Spec, Scope::Process, Scope::Resources}) {
				RuleResult r;
				CHECK_NOTHROW(r = runRule(rule, doc, paramsFor(rule),
				                          Action::Mutate, scope));
				for (const auto &f : r.findings)
					if (f.message.rfind("malformed", 0) == 0)
						CHECK(f.action == Action::Deny);
			}
		}
	}
	/* Not even an object. */
	for (const char *text : {"[]", "5", "null", "\"spec\"", "{}"}) {
		const json::Value doc = j(text);
		for (const char *rule : kRules) {
			INFO(rule << " on " << text);
			for (Scope scope : {Scope::Spec, Scope::Process, Scope::Resources}) {
				RuleResult r;
				CHECK_NOTHROW(r = runRule(rule, doc, paramsFor(rule),
				                          Action::Mutate, scope));
				if (scope != Scope::Spec)
					continue;
				CHECK((count(r.findings, Action::Deny) > 0 ||
				       (std::string_view(text) == "{}" && r.doc.isObject())));
			}
		}
	}
	/* Each family notices its own malformed field. */
	const json::Value bad = j(docs[2]);
	for (const char *rule :
	     {"P1.user", "P2.readonly-rootfs", "P3.capabilities", "process.rlimits", "process.cwd",
	      "P6.memory", "P6.pids", "P7.seccomp", "sysctl.safe", "P9.masked-paths"}) {
		INFO(rule);
		auto r = runRule(rule, bad, paramsFor(rule));
		CHECK(count(r.findings, Action::Deny) >= 1);
		CHECK(json::write(r.doc) == json::write(bad));
	}
}

/* ---- P0.privileged ---- */

TEST_CASE("P0.privileged: docker run --privileged is refused and named", "[rules][P0]")
{
	auto r = harden("P0.privileged", spec("docker-20.10-privileged"));
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Deny);
	CHECK(r.findings[0].pointer.empty());
	CHECK(r.findings[0].message.find("privileged") != std::string::npos);
	CHECK(r.findings[0].remedy.find("--privileged") != std::string::npos);

	auto audit = runRule("P0.privileged", spec("docker-20.10-privileged"),
	                     json::Value::object(), Action::Audit);
	REQUIRE(audit.findings.size() == 1);
	CHECK(audit.findings[0].action == Action::Audit);
	CHECK(audit.findings[0].wouldBe == Action::Deny);
}

TEST_CASE("P0.privileged: everyday specs pass", "[rules][P0]")
{
	for (const char *s :
	     {"docker-20.10-default", "docker-20.10-hardened", "runc-spec-default",
	      "podman-4.3-default", "containerd-1.6-ctr-default", "docker-20.10-hostns-socket"}) {
		INFO(s);
		CHECK(runRule("P0.privileged", spec(s)).findings.empty());
	}
}

TEST_CASE("P0.privileged: shapes", "[rules][P0]")
{
	/* No capabilities object = every capability; no seccomp and no masked paths. */
	auto r = runRule("P0.privileged", j(R"({"process": {"args": ["sh"]}, "linux": {}})"));
	CHECK(count(r.findings, Action::Deny) == 1);
	/* Every capability, an allow-all device rule and AppArmor unconfined, even
	 * with seccomp and masked paths back in place. */
	json::Value d = spec("docker-20.10-privileged");
	const json::Value def = spec("docker-20.10-default");
	json::set(d, json::Pointer::parse("/linux/seccomp"), at(def, "/linux/seccomp"));
	json::set(d, json::Pointer::parse("/linux/maskedPaths"), at(def, "/linux/maskedPaths"));
	CHECK(runRule("P0.privileged", d).findings.empty());
	json::set(d, json::Pointer::parse("/process/apparmorProfile"),
	          json::Value::string("unconfined"));
	CHECK(count(runRule("P0.privileged", d).findings, Action::Deny) == 1);
	/* Every capability alone is P3's business, not "privileged". */
	json::Value caps = spec("docker-20.10-default");
	json::set(caps, json::Pointer::parse("/process/capabilities"),
	          at(spec("docker-20.10-privileged"), "/process/capabilities"));
	CHECK(runRule("P0.privileged", caps).findings.empty());
	/* containerd's privileged container where the engine itself lacks a
	 * capability (this sandbox has no CAP_SYS_RESOURCE): still privileged. */
	json::Value lacking = spec("docker-20.10-privileged");
	for (const char *set : {"bounding", "effective", "permitted"}) {
		json::Value list = json::Value::array();
		const json::Value had = at(lacking, std::string("/process/capabilities/") + set);
		for (const auto &c : had.items())
			if (c.asString() != "CAP_SYS_RESOURCE")
				list.push(c);
		json::set(lacking,
		          json::Pointer::parse(std::string("/process/capabilities/") + set),
		          std::move(list));
	}
	CHECK(count(runRule("P0.privileged", lacking).findings, Action::Deny) == 1);
	/* Few capabilities, everything else open: not privileged either. */
	json::Value open = spec("docker-20.10-privileged");
	json::set(open, json::Pointer::parse("/process/capabilities"),
	          at(spec("docker-20.10-default"), "/process/capabilities"));
	CHECK(runRule("P0.privileged", open).findings.empty());
}

/* ---- P1.user ---- */

TEST_CASE("P1.user: an engine's tmpfs made for root is the new user's", "[rules][P1]")
{
	/* docker run --tmpfs /cache: Docker's options, no uid= or gid=. /dev stays
	 * root's, a tmpfs with an owner keeps it. */
	const json::Value doc = j(R"({"process": {"user": {"uid": 0, "gid": 0}}, "mounts": [
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid",
		"strictatime", "mode=755", "size=65536k"]}, {"destination": "/cache", "type":
		"tmpfs", "source": "tmpfs", "options": ["rw", "noexec", "nosuid", "size=65536k"]},
		{"destination": "/owned", "type": "tmpfs", "source": "tmpfs", "options": ["uid=5"]},
		{"destination": "/none", "type": "tmpfs", "source": "tmpfs"}]})");
	auto r = harden("P1.user", doc);
	CHECK(count(r.findings, Action::Mutate) == 4);
	CHECK(at(r.doc, "/mounts/0") == at(doc, "/mounts/0"));
	CHECK(at(r.doc, "/mounts/1/options") ==
	      j(R"(["rw", "noexec", "nosuid", "size=65536k", "uid=65534", "gid=65534"])"));
	CHECK(at(r.doc, "/mounts/2") == at(doc, "/mounts/2"));
	CHECK(at(r.doc, "/mounts/3/options") == j(R"(["uid=65534", "gid=65534"])"));
	/* A user the engine chose keeps the engine's tmpfs as they are. */
	json::Value chosen = doc;
	chosen.find("process")->find("user")->set("uid", json::Value::number(int64_t{1000}));
	chosen.find("process")->find("user")->set("gid", json::Value::number(int64_t{1000}));
	CHECK(harden("P1.user", chosen).findings.empty());
}

TEST_CASE("P1.user: Docker's root user with additionalGids [0] is made nobody", "[rules][P1]")
{
	auto r = harden("P1.user", spec("docker-20.10-default"));
	CHECK(count(r.findings, Action::Mutate) == 3);
	CHECK(at(r.doc, "/process/user") ==
	      j(R"({"uid": 65534, "gid": 65534, "additionalGids": []})"));
}

TEST_CASE("P1.user: passes a non-root user", "[rules][P1]")
{
	CHECK(runRule("P1.user", spec("docker-20.10-hardened")).findings.empty());
	CHECK(runRule("P1.user", j(R"({"process": {"user": {"uid": 1, "gid": 2,
		"additionalGids": [3, 4]}}})"))
	              .findings.empty());
}

TEST_CASE("P1.user: variants", "[rules][P1]")
{
	/* No user at all is root. */
	auto r = harden("P1.user", j(R"({"process": {"args": ["id"]}})"));
	CHECK(at(r.doc, "/process/user/uid") == json::Value::number(int64_t{65534}));
	CHECK(at(r.doc, "/process/user/gid") == json::Value::number(int64_t{65534}));
	/* A non-root uid loses group root, as gid and in additionalGids. */
	r = harden("P1.user", j(R"({"process": {"user": {"uid": 1000, "gid": 0,
		"additionalGids": [0, 5, 0]}}})"));
	CHECK(at(r.doc, "/process/user") ==
	      j(R"({"uid": 1000, "gid": 65534, "additionalGids": [5]})"));
	CHECK(at(r.doc, "/process/user/uid").numberText() == "1000");
	/* allowRootGroup keeps gid 0 for a non-root uid (OpenShift-style images). */
	r = runRule("P1.user", j(R"({"process": {"user": {"uid": 1000, "gid": 0,
		"additionalGids": [0]}}})"),
	            j(R"({"allowRootGroup": true})"));
	CHECK(r.findings.empty());
	/* Parameters. */
	r = harden("P1.user", spec("runc-spec-default"), j(R"({"uid": 1234, "gid": 4321})"));
	CHECK(at(r.doc, "/process/user/uid").numberText() == "1234");
	CHECK(at(r.doc, "/process/user/gid").numberText() == "4321");
	CHECK_THROWS_AS(runRule("P1.user", spec("runc-spec-default"), j(R"({"uid": 0})")), Error);
	/* Deny action: reported, nothing changed. */
	r = runRule("P1.user", spec("docker-20.10-default"), json::Value::object(), Action::Deny);
	CHECK(count(r.findings, Action::Deny) == 3);
	CHECK(r.doc == spec("docker-20.10-default"));
	/* Malformed ids are refused, not guessed at. */
	for (const char *u :
	     {R"({"uid": "0"})", R"({"uid": -1})", R"({"uid": 1.5})", R"({"uid": 4294967296})",
	      R"({"uid": 5, "additionalGids": [true]})"}) {
		INFO(u);
		json::Value d = j(R"({"process": {}})");
		json::set(d, json::Pointer::parse("/process/user"), j(u));
		r = runRule("P1.user", d);
		CHECK(count(r.findings, Action::Deny) == 1);
		CHECK(r.doc == d);
	}
}

TEST_CASE("P1.user: the new ids must exist in the spec's own user namespace", "[rules][P1]")
{
	/* Rootless runc maps container id 0 only: nobody cannot be switched to. */
	auto r = harden("P1.user", spec("runc-spec-rootless"));
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Deny);
	CHECK(r.findings[0].pointer == "/process/user/uid");
	/* Podman --uidmap 0:300000:65536 and dockerd --userns-remap map it. */
	for (const char *s : {"podman-4.3-uidmap", "docker-20.10-userns-remap"}) {
		INFO(s);
		r = harden("P1.user", spec(s));
		CHECK(count(r.findings, Action::Deny) == 0);
		CHECK(at(r.doc, "/process/user/uid").numberText() == "65534");
	}
	/* A uid inside a second range; a gid outside every range. */
	json::Value d = j(R"({"process": {"user": {"uid": 0, "gid": 0}}, "linux": {
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1},
		                {"containerID": 1, "hostID": 100000, "size": 65536}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})");
	r = harden("P1.user", d);
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].pointer == "/process/user/gid");
	CHECK(count(r.findings, Action::Deny) == 1);
}

TEST_CASE("P1.user: docker exec -u 0 is hardened too", "[rules][P1]")
{
	auto r = harden("P1.user", processDoc(spec("docker-20.10-exec-u0-process")),
	                json::Value::object(), Scope::Process);
	CHECK(at(r.doc, "/process/user/uid").numberText() == "65534");
	CHECK(at(r.doc, "/process/user/additionalGids") == j("[]"));
	CHECK(at(r.doc, "/process/args") ==
	      at(processDoc(spec("docker-20.10-exec-u0-process")), "/process/args"));
	/* A spec must have a process; an exec document without one is left alone. */
	CHECK(count(runRule("P1.user", j("{}")).findings, Action::Deny) == 1);
	CHECK(runRule("P1.user", j("{}"), json::Value::object(), Action::Mutate, Scope::Process)
	              .findings.empty());
}

/* ---- P2.readonly-rootfs ---- */

TEST_CASE("P2.readonly-rootfs: Docker's default gets a read-only root and three tmpfs",
          "[rules][P2]")
{
	auto r = harden("P2.readonly-rootfs", spec("docker-20.10-default"));
	CHECK(count(r.findings, Action::Mutate) == 4);
	CHECK(at(r.doc, "/root/readonly") == json::Value::boolean(true));
	const auto &mounts = r.doc.find("mounts")->items();
	REQUIRE(mounts.size() == 13);
	CHECK(mounts[10] == j(R"({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "mode=1777", "size=64m", "tmpcopyup"]})"));
	CHECK(at(mounts[11], "/destination").asString() == "/run");
	CHECK(at(mounts[12], "/destination").asString() == "/var/tmp");
}

TEST_CASE("P2.readonly-rootfs: what is mounted already wins", "[rules][P2]")
{
	/* --read-only --tmpfs /tmp: only /run and /var/tmp added. */
	auto r = harden("P2.readonly-rootfs", spec("docker-20.10-hardened"));
	CHECK(count(r.findings, Action::Mutate) == 2);
	CHECK(!anyMessage(r.findings, "on /tmp "));
	/* The tmpfs belongs to the (non-root) process user: runc keeps the image's
	 * directory mode, often 0755. */
	CHECK(at(r.doc, "/mounts/11/destination").asString() == "/run");
	CHECK(at(r.doc, "/mounts/11/options") ==
	      j(R"(["nosuid", "nodev", "mode=1777", "size=64m", "uid=1000", "gid=1000",
		    "tmpcopyup"])"));
	/* containerd mounts /run. */
	r = harden("P2.readonly-rootfs", spec("containerd-1.6-ctr-default"));
	CHECK(!anyMessage(r.findings, "on /run "));
	/* A volume on /var covers /var/tmp; sizes from the policy. */
	r = harden(
	        "P2.readonly-rootfs",
	        j(R"({"root": {"path": "r", "readonly": true}, "mounts": [{"destination": "/var/",
		     "type": "bind", "source": "/srv/v", "options": ["rbind"]}]})"),
	        j(R"({"tmpfs": ["/tmp", "/var/tmp"], "tmpfsSize": "16m"})"));
	REQUIRE(r.findings.size() == 1);
	CHECK(at(r.doc, "/mounts/1/destination").asString() == "/tmp");
	CHECK(at(r.doc, "/mounts/1/options/3").asString() == "size=16m");
	CHECK_THROWS_AS(runRule("P2.readonly-rootfs", spec("runc-spec-default"),
	                        j(R"({"tmpfsSize": "lots"})")),
	                Error);
}

TEST_CASE("P2.readonly-rootfs: a tmpfs never hides a mount below it", "[rules][P2]")
{
	/* Podman bind-mounts /run/.containerenv: the /run tmpfs goes before it. */
	auto r = harden("P2.readonly-rootfs", spec("podman-4.3-default"));
	const auto &mounts = r.doc.find("mounts")->items();
	size_t run = 0, env = 0;
	for (size_t i = 0; i < mounts.size(); ++i) {
		const std::string &d = mounts[i].find("destination")->asString();
		if (d == "/run")
			run = i;
		if (d == "/run/.containerenv")
			env = i;
	}
	CHECK(run != 0);
	CHECK(run < env);
}

/* An image mounted at the bundle's rootfs: /tmp, /run (with a file, a
 * postgres socket directory and a link), /var/log/nginx with the log files a
 * package left (owned by www-data), an empty /var/lib/nginx; no /var/tmp. */
test::FakeHost imageHost()
{
	test::FakeHost h = test::typicalHost();
	ino_t ino = 100;
	const std::string r = "/bundles/ctr1/rootfs";
	test::rootDirs(h, r + "/x", ino);
	for (const char *d : {"/tmp", "/run", "/run/lock", "/run/postgresql", "/var", "/var/log",
	                      "/var/log/nginx", "/var/lib", "/var/lib/nginx"})
		h.file(r + d, 8, ino++, S_IFDIR | 0755);
	h.file(r + "/run/adduser", 8, ino++, S_IFREG | 0644);
	h.file(r + "/run/link", 8, ino++, S_IFLNK | 0777);
	h.file(r + "/var/log/nginx/error.log", 8, ino++, S_IFREG | 0640, 33, 4);
	h.file(r + "/var/log/nginx/access.log", 8, ino++, S_IFREG | 0640, 33, 4);
	return h;
}

std::vector<std::string> destinations(const json::Value &doc)
{
	std::vector<std::string> out;
	for (const auto &m : doc.find("mounts")->items())
		out.push_back(m.find("destination")->asString());
	return out;
}

TEST_CASE("P2.readonly-rootfs: what the image has decides where a tmpfs goes", "[rules][P2]")
{
	const auto host = imageHost();
	const json::Value doc = j(R"({"root": {"path": "rootfs"}, "process": {"user": {"uid":
		65534, "gid": 65534}}, "mounts": [{"destination": "/proc", "type": "proc",
		"source": "proc"}, {"destination": "/run/secrets", "type": "bind", "source":
		"/srv/s", "options": ["rbind", "ro"]}]})");
	const json::Value params = j(R"({"stateDirs": ["/var/lib/nginx", "/var/log/*", "/run/*",
		"/var/cache/nginx"]})");
	auto r = runRule("P2.readonly-rootfs", doc, params, Action::Mutate, Scope::Spec, host);
	checkShape(r, "P2.readonly-rootfs");
	CHECK(count(r.findings, Action::Deny) == 0);
	/* Each before the spec's mounts below it, parents before children;
	 * /var/tmp (absent), /run/adduser (a file), /run/link and /var/cache/nginx
	 * (absent) get none. */
	CHECK(destinations(r.doc) ==
	      std::vector<std::string>{"/proc", "/run", "/run/secrets", "/tmp", "/run/lock",
	                               "/run/postgresql", "/var/lib/nginx", "/var/log/nginx"});
	CHECK(at(r.doc, "/mounts/1/options") ==
	      j(R"(["nosuid", "nodev", "mode=1777", "size=64m", "uid=65534", "gid=65534",
		    "tmpcopyup"])"));
	/* A state directory is fresh: not copied up, owned by the process user. */
	CHECK(at(r.doc, "/mounts/7/options") ==
	      j(R"(["nosuid", "nodev", "mode=755", "size=64m", "uid=65534", "gid=65534"])"));
	/* Skipped and hidden are recorded, never refused. */
	CHECK(count(r.findings, Action::Audit) == 2);
	CHECK(anyMessage(r.findings, "no tmpfs on /var/tmp: the image has no such directory"));
	CHECK(anyMessage(r.findings, "hides the image's 2 entries there (access.log, error.log)"));
	CHECK(anyMessage(r.findings, "made read-only: writes outside the spec's mounts and the "
	                             "tmpfs on /tmp, /run,"));
	/* Again on the result: nothing more to add, the note on /var/tmp stays. */
	auto again =
	        runRule("P2.readonly-rootfs", r.doc, params, Action::Mutate, Scope::Spec, host);
	CHECK(json::write(again.doc) == json::write(r.doc));
	REQUIRE(again.findings.size() == 1);
	CHECK(again.findings[0].action == Action::Audit);

	/* tmpcopyup off; the state directories cannot be judged offline. */
	r = runRule("P2.readonly-rootfs", doc, j(R"({"tmpcopyup": false})"), Action::Mutate,
	            Scope::Spec, host);
	CHECK(at(r.doc, "/mounts/3/options") ==
	      j(R"(["nosuid", "nodev", "mode=1777", "size=64m", "uid=65534", "gid=65534"])"));
	r = runRule("P2.readonly-rootfs", doc, params);
	CHECK(destinations(r.doc) ==
	      std::vector<std::string>{"/proc", "/run", "/run/secrets", "/tmp", "/var/tmp"});
	CHECK(anyMessage(r.findings, "state directories not judged"));

	for (const char *bad : {R"({"stateDirs": ["/"]})", R"({"stateDirs": ["/*"]})",
	                        R"({"stateDirs": ["/var/*/x"]})", R"({"stateDirs": ["var/log"]})",
	                        R"({"tmpfs": ["/tmp/*"]})", R"({"tmpcopyup": "yes"})"}) {
		INFO(bad);
		CHECK_THROWS_AS(runRule("P2.readonly-rootfs", doc, j(bad)), Error);
	}
}

TEST_CASE("P2.readonly-rootfs: denied when it cannot be fixed", "[rules][P2]")
{
	CHECK(count(runRule("P2.readonly-rootfs", j(R"({"mounts": []})")).findings, Action::Deny) ==
	      1);
	auto r = runRule("P2.readonly-rootfs", spec("docker-20.10-default"), json::Value::object(),
	                 Action::Deny);
	CHECK(count(r.findings, Action::Deny) == 4);
	CHECK(r.doc == spec("docker-20.10-default"));
}

/* ---- P3.capabilities ---- */

TEST_CASE("P3.capabilities: Docker's 14 capabilities come down to the allowlist", "[rules][P3]")
{
	auto r = harden("P3.capabilities", spec("docker-20.10-default"));
	CHECK(count(r.findings, Action::Mutate) == 3);
	for (const char *set : {"bounding", "effective", "permitted"})
		CHECK(at(r.doc, std::string("/process/capabilities/") + set) ==
		      j(R"(["CAP_NET_BIND_SERVICE"])"));
	/* runc's default carries the ambient set too. */
	r = harden("P3.capabilities", spec("runc-spec-default"));
	CHECK(count(r.findings, Action::Mutate) == 4);
	CHECK(at(r.doc, "/process/capabilities/ambient") == j(R"(["CAP_NET_BIND_SERVICE"])"));
	/* An empty allowlist empties every set. */
	r = harden("P3.capabilities", spec("docker-20.10-default"), j(R"({"allowed": []})"));
	CHECK(at(r.doc, "/process/capabilities/bounding") == j("[]"));
}

TEST_CASE("P3.capabilities: a missing or null capabilities object means all", "[rules][P3]")
{
	for (const char *text : {R"({"process": {"args": ["sh"]}})",
	                         R"({"process": {"args": ["sh"], "capabilities": null}})"}) {
		auto r = harden("P3.capabilities", j(text));
		REQUIRE(r.findings.size() == 1);
		CHECK(r.findings[0].pointer == "/process/capabilities");
		CHECK(at(r.doc, "/process/capabilities") ==
		      j(R"({"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"],
			    "permitted": ["CAP_NET_BIND_SERVICE"]})"));
	}
	/* Also for an exec process. */
	auto r = harden("P3.capabilities", j(R"({"process": {"args": ["sh"]}})"),
	                json::Value::object(), Scope::Process);
	CHECK(r.findings.size() == 1);
}

TEST_CASE("P3.capabilities: odd spellings are refused, never passed on", "[rules][P3]")
{
	for (const char *name : {"cap_sys_admin", "21", "SYS_ADMIN", "CAP_BOGUS", "Cap_Chown",
	                         "CAP_NET_BIND_SERVICE "}) {
		INFO(name);
		json::Value d =
		        j(R"({"process": {"capabilities": {"bounding": ["CAP_NET_BIND_SERVICE"],
			"effective": []}}})");
		json::set(d, json::Pointer::parse("/process/capabilities/effective/-"),
		          json::Value::string(name));
		auto r = runRule("P3.capabilities", d);
		REQUIRE(r.findings.size() == 1);
		CHECK(r.findings[0].action == Action::Deny);
		CHECK(r.findings[0].pointer == "/process/capabilities/effective/0");
		CHECK(r.doc == d);
	}
	CHECK_THROWS_AS(runRule("P3.capabilities", spec("docker-20.10-default"),
	                        j(R"({"allowed": ["cap_chown"]})")),
	                Error);
}

TEST_CASE("P3.capabilities: docker exec --privileged is cut down", "[rules][P3]")
{
	auto r = harden("P3.capabilities",
	                processDoc(spec("docker-20.10-exec-u0-privileged-process")),
	                json::Value::object(), Scope::Process);
	CHECK(count(r.findings, Action::Mutate) >= 3);
	CHECK(at(r.doc, "/process/capabilities/bounding") == j(R"(["CAP_NET_BIND_SERVICE"])"));
	/* Ambient CAP_SYS_ADMIN alone is still caught. */
	r = harden("P3.capabilities",
	           j(R"({"process": {"capabilities": {"ambient": ["CAP_SYS_ADMIN"]}}})"));
	CHECK(at(r.doc, "/process/capabilities/ambient") == j("[]"));
	CHECK(runRule("P3.capabilities", r.doc).findings.empty());
}

/* ---- P4.no-new-privileges ---- */

TEST_CASE("P4.no-new-privileges", "[rules][P4]")
{
	auto r = harden("P4.no-new-privileges", spec("docker-20.10-default"));
	REQUIRE(r.findings.size() == 1);
	CHECK(at(r.doc, "/process/noNewPrivileges") == json::Value::boolean(true));
	CHECK(runRule("P4.no-new-privileges", spec("runc-spec-default")).findings.empty());
	r = harden("P4.no-new-privileges", j(R"({"process": {"noNewPrivileges": false}})"));
	CHECK(at(r.doc, "/process/noNewPrivileges") == json::Value::boolean(true));
	CHECK(count(runRule("P4.no-new-privileges",
	                    j(R"({"process": {"noNewPrivileges": "true"}})"))
	                    .findings,
	            Action::Deny) == 1);
	r = harden("P4.no-new-privileges", processDoc(j(R"({"args": ["sh"]})")),
	           json::Value::object(), Scope::Process);
	CHECK(at(r.doc, "/process/noNewPrivileges") == json::Value::boolean(true));
	CHECK(runRule("P4.no-new-privileges", processDoc(spec("docker-20.10-exec-u0-process")),
	              json::Value::object(), Action::Mutate, Scope::Process)
	              .findings.empty());
}

/* ---- P6.memory / P6.pids ---- */

TEST_CASE("P6.memory: a default limit, swap equal to it", "[rules][P6]")
{
	const json::Value d = spec("docker-20.10-default");
	auto r = harden("P6.memory", d);
	CHECK(count(r.findings, Action::Mutate) == 2);
	CHECK(at(r.doc, "/linux/resources/memory") ==
	      j(R"({"disableOOMKiller": false, "limit": 536870912, "swap": 536870912})"));
	/* --memory 256m --memory-swap 512m: swap brought to the limit. */
	r = harden("P6.memory", spec("docker-20.10-hardened"));
	REQUIRE(r.findings.size() == 1);
	CHECK(at(r.doc, "/linux/resources/memory/swap").numberText() == "268435456");
	/* No resources at all: created. */
	r = harden("P6.memory", j(R"({"linux": {}})"),
	           j(R"({"default": 1048576, "max": 2097152})"));
	CHECK(at(r.doc, "/linux/resources/memory") == j(R"({"limit": 1048576, "swap": 1048576})"));
	/* swap -1 (unlimited) is brought to the limit. */
	r = harden("P6.memory", j(R"({"linux": {"resources": {"memory": {"limit": 1048576,
		"swap": -1}}}})"));
	CHECK(at(r.doc, "/linux/resources/memory/swap").numberText() == "1048576");
	CHECK_THROWS_AS(runRule("P6.memory", d, j(R"({"default": 10, "max": 5})")), Error);
}

TEST_CASE("P6.memory: above the max or unlimited is denied", "[rules][P6]")
{
	for (const char *limit : {"4294967296", "-1"}) {
		json::Value d = j(R"({"linux": {"resources": {"memory": {}}}})");
		json::set(d, json::Pointer::parse("/linux/resources/memory/limit"),
		          json::Value::number(std::string(limit)));
		auto r = harden("P6.memory", d);
		INFO(limit);
		CHECK(count(r.findings, Action::Deny) == 1);
		CHECK(r.findings[0].pointer == "/linux/resources/memory/limit");
	}
}

TEST_CASE("P6.memory: cgroup v2 unified keys may not override the limit", "[rules][P6]")
{
	json::Value d = spec("docker-20.10-hardened");
	json::set(d, json::Pointer::parse("/linux/resources/unified"),
	          j(R"({"memory.max": "max", "memory.swap.max": "max", "cpu.weight": "100"})"));
	auto r = harden("P6.memory", d);
	CHECK(at(r.doc, "/linux/resources/unified") == j(R"({"cpu.weight": "100"})"));
	CHECK(anyMessage(r.findings, "memory.max"));
	/* 0268435456 is octal to the kernel (base 0): not the number it looks like. */
	for (const char *v : {"3G", "0x7fffffff", "4294967296", "", " 1048576", "0268435456"}) {
		json::set(d, json::Pointer::parse("/linux/resources/unified"), j("{}"));
		json::set(d, json::Pointer::parse("/linux/resources/unified/memory.max"),
		          json::Value::string(v));
		INFO(v);
		CHECK(!has(harden("P6.memory", d).doc, "/linux/resources/unified/memory.max"));
	}
	/* A plain byte count within the max stays. */
	json::set(d, json::Pointer::parse("/linux/resources/unified/memory.max"),
	          json::Value::string("268435456"));
	json::set(d, json::Pointer::parse("/linux/resources/unified/memory.swap.max"),
	          json::Value::string("0"));
	r = harden("P6.memory", d);
	CHECK(at(r.doc, "/linux/resources/unified/memory.max").asString() == "268435456");
	CHECK(at(r.doc, "/linux/resources/unified/memory.swap.max").asString() == "0");
}

TEST_CASE("P6.memory and P6.pids in update: checked, never defaulted", "[rules][P6]")
{
	/* docker update --memory 1g --pids-limit 5000, as runc update reads it from stdin. */
	const json::Value upd = resourcesDoc(spec("docker-20.10-update-resources-stdin"));
	auto r = runRule("P6.memory", upd, json::Value::object(), Action::Mutate, Scope::Resources);
	CHECK(r.findings.empty());
	r = runRule("P6.pids", upd, json::Value::object(), Action::Mutate, Scope::Resources);
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Deny);
	CHECK(r.findings[0].pointer == "/linux/resources/pids/limit");
	r = runRule("P6.pids", upd, j(R"({"max": 8192})"), Action::Mutate, Scope::Resources);
	CHECK(r.findings.empty());

	/* Nothing added to an update that does not mention memory or pids. */
	const json::Value cpu = resourcesDoc(j(R"({"cpu": {"shares": 512}})"));
	for (const char *rule : {"P6.memory", "P6.pids"}) {
		r = runRule(rule, cpu, json::Value::object(), Action::Mutate, Scope::Resources);
		CHECK(r.findings.empty());
		CHECK(r.doc == cpu);
	}
	/* -1 = unlimited, and unified overrides, are denied (not fixed) in an update. */
	for (const char *res :
	     {R"({"memory": {"limit": -1}})", R"({"memory": {"swap": -1}})",
	      R"({"memory": {"limit": 4294967296}})", R"({"unified": {"memory.max": "max"}})",
	      R"({"unified": {"memory.swap.max": "1G"}})"}) {
		INFO(res);
		const json::Value d = resourcesDoc(j(res));
		r = runRule("P6.memory", d, json::Value::object(), Action::Mutate,
		            Scope::Resources);
		CHECK(count(r.findings, Action::Deny) == 1);
		CHECK(r.doc == d);
	}
	for (const char *res :
	     {R"({"pids": {"limit": -1}})", R"({"pids": {"limit": 0}})",
	      R"({"unified": {"pids.max": "max"}})", R"({"unified": {"pids.max": "0100"}})"}) {
		INFO(res);
		const json::Value d = resourcesDoc(j(res));
		r = runRule("P6.pids", d, json::Value::object(), Action::Mutate, Scope::Resources);
		CHECK(count(r.findings, Action::Deny) == 1);
		CHECK(r.doc == d);
	}
}

TEST_CASE("P6.pids: default, max, -1, unified", "[rules][P6]")
{
	auto r = harden("P6.pids", spec("docker-20.10-default"));
	CHECK(at(r.doc, "/linux/resources/pids") == j(R"({"limit": 1024})"));
	CHECK(runRule("P6.pids", spec("podman-4.3-default")).findings.empty());
	CHECK(runRule("P6.pids", spec("docker-20.10-hardened")).findings.empty());
	json::Value d = spec("docker-20.10-hardened");
	json::set(d, json::Pointer::parse("/linux/resources/pids/limit"),
	          json::Value::number(int64_t{-1}));
	CHECK(count(harden("P6.pids", d).findings, Action::Deny) == 1);
	json::set(d, json::Pointer::parse("/linux/resources/pids/limit"),
	          json::Value::number(int64_t{0}));
	CHECK(at(harden("P6.pids", d).doc, "/linux/resources/pids/limit").numberText() == "1024");
	json::set(d, json::Pointer::parse("/linux/resources/pids/limit"),
	          json::Value::number(int64_t{100}));
	json::set(d, json::Pointer::parse("/linux/resources/unified"), j(R"({"pids.max": "max"})"));
	r = harden("P6.pids", d);
	CHECK(at(r.doc, "/linux/resources/unified") == j("{}"));
}

/* P7.seccomp: tests/unit/test_seccomp.cpp. */

/* ---- process.apparmor / process.selinux ---- */

TEST_CASE("process.apparmor: unconfined is refused", "[rules][process]")
{
	for (const char *p : {"unconfined", " unconfined\n"}) {
		json::Value d = spec("docker-20.10-default");
		json::set(d, json::Pointer::parse("/process/apparmorProfile"),
		          json::Value::string(p));
		auto r = harden("process.apparmor", d);
		REQUIRE(r.findings.size() == 1);
		CHECK(r.findings[0].action == Action::Deny);
		CHECK(r.findings[0].pointer == "/process/apparmorProfile");
		r = runRule("process.apparmor", processDoc(*d.find("process")),
		            json::Value::object(), Action::Mutate, Scope::Process);
		CHECK(count(r.findings, Action::Deny) == 1);
	}
	CHECK(runRule("process.apparmor",
	              j(R"({"process": {"apparmorProfile": "docker-default"}})"))
	              .findings.empty());
	CHECK(runRule("process.apparmor", spec("docker-20.10-default")).findings.empty());
}

TEST_CASE("process.selinux: label types", "[rules][process]")
{
	auto label = [](const char *l) {
		json::Value d = j(R"({"process": {}})");
		json::set(d, json::Pointer::parse("/process/selinuxLabel"), json::Value::string(l));
		return d;
	};
	CHECK(runRule("process.selinux", label("system_u:system_r:container_t:s0:c1,c2"))
	              .findings.empty());
	CHECK(runRule("process.selinux", label("")).findings.empty());
	for (const char *l : {"system_u:system_r:spc_t:s0",
	                      "unconfined_u:unconfined_r:unconfined_t:s0", "garbage", "a:b"}) {
		INFO(l);
		CHECK(count(harden("process.selinux", label(l)).findings, Action::Deny) == 1);
	}
	CHECK(runRule("process.selinux", label("system_u:system_r:spc_t:s0"),
	              j(R"({"allowedTypes": ["container_t", "spc_t"]})"))
	              .findings.empty());
}

/* ---- process.rlimits ---- */

TEST_CASE("process.rlimits", "[rules][process]")
{
	CHECK(runRule("process.rlimits", spec("podman-4.3-default")).findings.empty());
	CHECK(runRule("process.rlimits", spec("runc-spec-default")).findings.empty());
	auto rl = [](const char *list) {
		json::Value d = j(R"({"process": {}})");
		json::set(d, json::Pointer::parse("/process/rlimits"), j(list));
		return d;
	};
	auto r = harden("process.rlimits",
	                rl(R"([{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
			       {"type": "RLIMIT_RTPRIO", "hard": 99, "soft": 0}])"));
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].pointer == "/process/rlimits/1");
	r = harden("process.rlimits",
	           rl(R"([{"type": "RLIMIT_NICE", "hard": 18446744073709551615, "soft": 0}])"));
	CHECK(anyMessage(r.findings, "unlimited"));
	CHECK(count(harden("process.rlimits",
	                   rl(R"([{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}])"))
	                    .findings,
	            Action::Deny) == 1);
	const json::Value params = j(R"({"max": {"RLIMIT_NOFILE": 4096}})");
	CHECK(runRule("process.rlimits",
	              rl(R"([{"type": "RLIMIT_RTPRIO", "hard": 99, "soft": 99}])"), params)
	              .findings.empty());
	CHECK(runRule("process.rlimits", rl(R"([{"type": "RLIMIT_NOFILE", "hard": 1048576,
		"soft": 1024}])"),
	              params)
	              .findings.size() == 1);
	CHECK_THROWS_AS(runRule("process.rlimits", rl("[]"), j(R"({"max": {"NOFILE": 1}})")),
	                Error);
}

/* ---- process.cwd ---- */

TEST_CASE("process.cwd: under /proc, or relative, is refused", "[rules][process]")
{
	auto cwd = [](const char *c) {
		json::Value d = j(R"({"process": {}})");
		json::set(d, json::Pointer::parse("/process/cwd"), json::Value::string(c));
		return d;
	};
	for (const char *c : {"/proc/self/fd/7", "/proc", "//proc/1/cwd", "/a/../proc/self/cwd",
	                      "/./proc/", "/dev/fd/5", "/dev/stdin", "relative/dir", ""}) {
		INFO(c);
		auto r = harden("process.cwd", cwd(c));
		CHECK(count(r.findings, Action::Deny) == 1);
		r = runRule("process.cwd", cwd(c), json::Value::object(), Action::Mutate,
		            Scope::Process);
		CHECK(count(r.findings, Action::Deny) == 1);
	}
	for (const char *c : {"/", "/procfoo", "/srv/proc", "/home/app"}) {
		INFO(c);
		CHECK(runRule("process.cwd", cwd(c)).findings.empty());
	}
}

/* ---- process.oom-score-adj ---- */

TEST_CASE("process.oom-score-adj: below the minimum is raised to it", "[rules][process]")
{
	auto oom = [](int64_t v) {
		json::Value d = j(R"({"process": {}})");
		json::set(d, json::Pointer::parse("/process/oomScoreAdj"), json::Value::number(v));
		return d;
	};
	auto adj = [](const json::Value &d) {
		return json::get(d, json::Pointer::parse("/process/oomScoreAdj"))->asInt64();
	};
	auto r = harden("process.oom-score-adj", oom(-500));
	CHECK(count(r.findings, Action::Mutate) == 1);
	CHECK(adj(r.doc) == 0);
	/* Kubernetes' sandbox score: the pod runs, not above the host */
	CHECK(adj(harden("process.oom-score-adj", oom(-998)).doc) == 0);
	CHECK(runRule("process.oom-score-adj", oom(0)).findings.empty());
	CHECK(runRule("process.oom-score-adj", oom(1000)).findings.empty());
	CHECK(runRule("process.oom-score-adj", oom(-997), j(R"({"min": -997})")).findings.empty());
	CHECK(adj(runRule("process.oom-score-adj", oom(-1000), j(R"({"min": -997})")).doc) == -997);
	CHECK(runRule("process.oom-score-adj", spec("docker-20.10-default")).findings.empty());
	/* exec processes too; under deny, refused */
	r = runRule("process.oom-score-adj", processDoc(j(R"({"oomScoreAdj": -1000})")),
	            json::Value::object(), Action::Mutate, Scope::Process);
	CHECK(count(r.findings, Action::Mutate) == 1);
	r = runRule("process.oom-score-adj", oom(-1), json::Value::object(), Action::Deny);
	CHECK(count(r.findings, Action::Deny) == 1);
	CHECK(adj(r.doc) == -1);
}

/* ---- sysctl.safe ---- */

TEST_CASE("sysctl.safe: Docker's sysctls pass; a private netns gets unprivileged ports",
          "[rules][sysctl]")
{
	CHECK(runRule("sysctl.safe", spec("docker-20.10-default")).findings.empty());
	auto r = harden("sysctl.safe", spec("runc-spec-default"));
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Mutate);
	CHECK(at(r.doc, "/linux/sysctl") == j(R"({"net.ipv4.ip_unprivileged_port_start": "0"})"));
	/* Not in a namespace the container does not own, and not when switched off. */
	CHECK(runRule("sysctl.safe", spec("runc-spec-rootless")).findings.empty());
	CHECK(runRule("sysctl.safe", spec("runc-spec-default"),
	              j(R"({"unprivilegedPorts": false})"))
	              .findings.empty());
	/* Podman sets ping_group_range and gets the port setting added. */
	r = harden("sysctl.safe", spec("podman-4.3-default"));
	CHECK(at(r.doc, "/linux/sysctl/net.ipv4.ping_group_range").asString() == "0 0");
}

TEST_CASE("ping_group_range fits the groups a user namespace maps", "[rules][sysctl]")
{
	using policy::sysctl::fitPingGroupRange;
	using Kind = policy::sysctl::PingFit::Kind;
	const std::vector<policy::sysctl::IdMapping> m = {{0, 100000, 65536}};
	auto fit = fitPingGroupRange("0 2147483647", m); /* Docker's default */
	CHECK(fit.kind == Kind::Set);
	CHECK(fit.value == "0 65535");
	for (const char *keep : {"0 0", "0 65535", "1 0", "100 200", " 0\t65535\n"}) {
		INFO(keep);
		CHECK(fitPingGroupRange(keep, m).kind == Kind::Keep);
	}
	CHECK(fitPingGroupRange("1000 70000", m).value == "1000 65535");
	CHECK(fitPingGroupRange("70000 80000", m).kind == Kind::Drop); /* no mapped group */
	CHECK(fitPingGroupRange("70000 0", m).kind == Kind::Drop);     /* empty, unmapped end */
	for (const char *bad : {"", "0", "0 1 2", "a b", "0 4294967295", "-1 5", "0,5", "0x0 5"}) {
		INFO(bad);
		CHECK(fitPingGroupRange(bad, m).kind == Kind::Unreadable);
	}
	/* Two extents: the one keeping most of the range. */
	const std::vector<policy::sysctl::IdMapping> two = {{0, 100000, 10}, {10, 200000, 1000}};
	CHECK(fitPingGroupRange("0 2147483647", two).value == "10 1009");
	CHECK(fitPingGroupRange("0 5", two).kind == Kind::Keep);
	CHECK(fitPingGroupRange("5 15", two).value == "10 15");
	CHECK(fitPingGroupRange("0 5", {}).kind == Kind::Drop);
}

TEST_CASE("sysctl.safe: ping_group_range clamped to the spec's user namespace", "[rules][sysctl]")
{
	auto withUserns = [](json::Value d, const char *gidMappings) {
		d.find("linux")->find("namespaces")->push(j(R"({"type": "user"})"));
		json::set(d, json::Pointer::parse("/linux/uidMappings"),
		          j(R"([{"containerID": 0, "hostID": 100000, "size": 65536}])"));
		json::set(d, json::Pointer::parse("/linux/gidMappings"), j(gidMappings));
		return d;
	};
	const char *m65536 = R"([{"containerID": 0, "hostID": 100000, "size": 65536}])";
	/* Docker's default spec as P5 leaves it (P5 runs last; this is the other order). */
	auto r = harden("sysctl.safe", withUserns(spec("docker-20.10-default"), m65536));
	INFO(r.findings.size());
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Mutate);
	CHECK(r.findings[0].pointer == "/linux/sysctl/net.ipv4.ping_group_range");
	CHECK(r.findings[0].message.find("clamped to \"0 65535\"") != std::string::npos);
	CHECK(at(r.doc, "/linux/sysctl/net.ipv4.ping_group_range").asString() == "0 65535");
	CHECK(runRule("sysctl.safe", r.doc).findings.empty());
	/* Without a user namespace the host's range is valid: untouched. */
	CHECK(runRule("sysctl.safe", spec("docker-20.10-default")).findings.empty());
	/* The engine's own mappings (Podman --uidmap keeps "0 0"), a slash spelling, a
	 * range no mapped group is in, one that cannot be read. */
	r = harden("sysctl.safe", spec("podman-4.3-uidmap"));
	for (const auto &f : r.findings)
		CHECK(f.pointer != "/linux/sysctl/net.ipv4.ping_group_range");
	CHECK(at(r.doc, "/linux/sysctl/net.ipv4.ping_group_range").asString() == "0 0");
	json::Value d = withUserns(spec("docker-20.10-default"),
	                           R"([{"containerID": 0, "hostID": 100000, "size": 1000}])");
	json::set(d, json::Pointer::parse("/linux/sysctl"),
	          j(R"({"net/ipv4/ping_group_range": "5000 6000",
		"net.ipv4.ip_unprivileged_port_start": "0"})"));
	r = harden("sysctl.safe", d);
	REQUIRE(r.findings.size() == 1);
	CHECK(!has(r.doc, "/linux/sysctl/net~1ipv4~1ping_group_range"));
	CHECK(has(r.doc, "/linux/sysctl/net.ipv4.ip_unprivileged_port_start"));
	json::set(d, json::Pointer::parse("/linux/sysctl/net~1ipv4~1ping_group_range"),
	          json::Value::string("zero 1"));
	CHECK(count(harden("sysctl.safe", d).findings, Action::Deny) == 1);
	/* Under deny the problem is refused, not fixed. */
	r = runRule("sysctl.safe", withUserns(spec("docker-20.10-default"), m65536),
	            json::Value::object(), Action::Deny);
	REQUIRE(count(r.findings, Action::Deny) == 1);
	CHECK(at(r.doc, "/linux/sysctl/net.ipv4.ping_group_range").asString() == "0 2147483647");
	/* A joined user namespace's mappings are not in the spec: left alone. */
	json::Value joined = spec("docker-20.10-default");
	joined.find("linux")
	        ->find("namespaces")
	        ->push(j(R"({"type": "user", "path": "/proc/42/ns/user"})"));
	CHECK(runRule("sysctl.safe", joined).findings.empty());
}

TEST_CASE("deny and audit actions: problems reported, no fix claimed or made", "[rules]")
{
	/* The unprivileged-port setting is a convenience, not a violation. */
	for (Action act : {Action::Deny, Action::Audit})
		CHECK(runRule("sysctl.safe", spec("runc-spec-default"), json::Value::object(), act)
		              .findings.empty());
	auto r = runRule("P3.capabilities", spec("docker-20.10-default"), json::Value::object(),
	                 Action::Deny);
	REQUIRE(r.findings.size() == 3);
	CHECK(r.findings[0].message.find("dropped") == std::string::npos);
	CHECK(r.doc == spec("docker-20.10-default"));
	r = runRule("P7.seccomp", spec("docker-20.10-default"), seccompParams(), Action::Audit);
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Audit);
	CHECK(r.findings[0].message.find("replaced") == std::string::npos);
	CHECK(r.doc == spec("docker-20.10-default"));
}

TEST_CASE("sysctl.safe: unsafe names and values are refused", "[rules][sysctl]")
{
	auto sys = [](const char *obj) {
		json::Value d = spec("docker-20.10-default");
		json::set(d, json::Pointer::parse("/linux/sysctl"), j(obj));
		return d;
	};
	for (const char *s :
	     {R"({"kernel.core_pattern": "|/tmp/x"})", R"({"net.ipv4.ip_forward": "1"})",
	      R"({"kernel.shm_rmid_forced": "1+kernel.core_pattern=|/x"})",
	      R"({"net.ipv4.tcp_syncookies": "1=1"})",
	      R"({"net.ipv4.tcp_syncookies": "1\nkernel.x=1"})",
	      R"({"net/ipv4/conf/all/forwarding": "1"})"}) {
		INFO(s);
		auto r = harden("sysctl.safe", sys(s));
		CHECK(count(r.findings, Action::Deny) == 1);
	}
	/* Slash-separated names are the same sysctl. */
	auto r = harden("sysctl.safe", sys(R"({"net/ipv4/tcp_syncookies": "1",
		"net.ipv4.ip_unprivileged_port_start": "0"})"));
	CHECK(r.findings.empty());
	/* A prefix pattern in the policy. */
	r = harden("sysctl.safe", sys(R"({"net.ipv4.conf.all.forwarding": "1",
		"net.ipv4.ip_unprivileged_port_start": "0"})"),
	           j(R"({"allowed": ["net.ipv4.conf.*", "net.ipv4.ip_unprivileged_port_start"]})"));
	CHECK(r.findings.empty());
}

TEST_CASE("sysctl.safe: net.* only in a private network namespace", "[rules][sysctl]")
{
	/* --net=host: Docker's path to the host netns, same inode as /proc/self/ns/net. */
	json::Value d = spec("docker-20.10-hostns-socket");
	json::set(d, json::Pointer::parse("/linux/sysctl"),
	          j(R"({"net.ipv4.ping_group_range": "0 0"})"));
	test::FakeHost host = test::typicalHost();
	host.file("/var/run/docker/netns/default", host.selfNs["net"].dev, host.selfNs["net"].ino,
	          S_IFREG | 0444);
	auto r = harden("sysctl.safe", d, json::Value::object(), Scope::Spec, host);
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Deny);
	CHECK(r.findings[0].message.find("host") != std::string::npos);
	/* Unreadable: the path cannot be judged. */
	r = harden("sysctl.safe", d);
	CHECK(count(r.findings, Action::Deny) == 1);
	/* A pod's netns (another inode) is fine, and gets no port setting added. */
	host.file("/var/run/docker/netns/default", 4, 4026532999, S_IFREG | 0444);
	r = harden("sysctl.safe", d, json::Value::object(), Scope::Spec, host);
	CHECK(r.findings.empty());
	/* No network namespace entry at all = the host's. */
	json::Value none = j(R"({"linux": {"namespaces": [{"type": "pid"}],
		"sysctl": {"net.ipv4.tcp_syncookies": "1"}}})");
	CHECK(count(harden("sysctl.safe", none).findings, Action::Deny) == 1);
	/* IPC sysctls need a private IPC namespace. */
	json::Value ipc = j(R"({"linux": {"namespaces": [{"type": "network"}],
		"sysctl": {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_unprivileged_port_start": "0"}}})");
	CHECK(count(harden("sysctl.safe", ipc).findings, Action::Deny) == 1);
	json::set(ipc, json::Pointer::parse("/linux/namespaces/-"), j(R"({"type": "ipc"})"));
	CHECK(harden("sysctl.safe", ipc).findings.empty());
}

/* ---- P9 ---- */

TEST_CASE("P9.masked-paths and P9.readonly-paths: standard sets", "[rules][P9]")
{
	auto r = harden("P9.masked-paths", spec("docker-20.10-default"));
	REQUIRE(r.findings.size() == 1);
	CHECK(at(r.doc, "/linux/maskedPaths/10").asString() == "/sys/devices/virtual/powercap");
	CHECK(runRule("P9.readonly-paths", spec("docker-20.10-default")).findings.empty());
	/* Podman keeps /proc/asound read-only, not masked. */
	r = harden("P9.masked-paths", spec("podman-4.3-default"));
	CHECK(anyMessage(r.findings, "/proc/asound"));
	/* --privileged drops both lists. */
	const json::Value priv = spec("docker-20.10-privileged");
	r = harden("P9.masked-paths", priv);
	CHECK(at(r.doc, "/linux/maskedPaths").items().size() == 11);
	r = harden("P9.readonly-paths", priv);
	CHECK(at(r.doc, "/linux/readonlyPaths") ==
	      j(R"(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])"));
	/* Spelling variants count as present. */
	json::Value d = j(R"({"linux": {"readonlyPaths": ["/proc//bus", "/proc/fs/", "/proc/./irq",
		"/proc/sys", "/proc/sysrq-trigger"]}})");
	CHECK(runRule("P9.readonly-paths", d).findings.empty());
	/* Policy parameters. */
	r = harden("P9.masked-paths", j(R"({"linux": {}})"), j(R"({"paths": ["/proc/kcore"]})"));
	CHECK(at(r.doc, "/linux/maskedPaths") == j(R"(["/proc/kcore"])"));
	CHECK_THROWS_AS(runRule("P9.masked-paths", d, j(R"({"paths": ["proc/kcore"]})")), Error);
}

/* ---- all of this family together ---- */

namespace {

struct Pipeline
{
	json::Value doc;
	std::vector<Finding> findings;
};

/* The family's rules in registry order, each on the previous one's output. */
Pipeline runAll(const json::Value &doc, Scope scope = Scope::Spec)
{
	Pipeline p{doc, {}};
	for (const auto &def : policy::allRules()) {
		if (std::find(std::begin(kRules), std::end(kRules), std::string_view(def.name)) ==
		    std::end(kRules))
			continue;
		if (std::find(def.scopes.begin(), def.scopes.end(), scope) == def.scopes.end())
			continue;
		auto r = runRule(def.name, p.doc, paramsFor(def.name), Action::Mutate, scope);
		p.doc = std::move(r.doc);
		p.findings.insert(p.findings.end(), r.findings.begin(), r.findings.end());
	}
	return p;
}

} // namespace

TEST_CASE("the family together: fixed point, and the guarantees hold", "[rules]")
{
	const char *specs[] = {"docker-20.10-default",      "docker-20.10-hardened",
	                       "docker-20.10-userns-remap", "runc-spec-default",
	                       "podman-4.3-default",        "podman-4.3-uidmap",
	                       "containerd-1.6-ctr-default"};
	for (const char *s : specs) {
		INFO(s);
		auto once = runAll(spec(s));
		REQUIRE(count(once.findings, Action::Deny) == 0);
		auto twice = runAll(once.doc);
		CHECK(twice.findings.empty());
		CHECK(json::write(twice.doc, true) == json::write(once.doc, true));
		const json::Value &d = once.doc;
		CHECK(at(d, "/process/user/uid").numberText() != "0");
		CHECK(at(d, "/process/user/gid").numberText() != "0");
		for (const auto &g : at(d, "/process/user/additionalGids").isArray()
		                             ? at(d, "/process/user/additionalGids").items()
		                             : std::vector<json::Value>{})
			CHECK(g.numberText() != "0");
		CHECK(at(d, "/root/readonly") == json::Value::boolean(true));
		for (const char *set :
		     {"bounding", "effective", "permitted", "inheritable", "ambient"})
			for (const auto &c :
			     at(d, std::string("/process/capabilities/") + set).isArray()
			             ? at(d, std::string("/process/capabilities/") + set).items()
			             : std::vector<json::Value>{})
				CHECK(c.asString() == "CAP_NET_BIND_SERVICE");
		CHECK(at(d, "/process/noNewPrivileges") == json::Value::boolean(true));
		CHECK(at(d, "/linux/resources/memory/limit").asInt64().value_or(0) > 0);
		CHECK(at(d, "/linux/resources/memory/swap") ==
		      at(d, "/linux/resources/memory/limit"));
		CHECK(at(d, "/linux/resources/pids/limit").asInt64().value_or(0) > 0);
		CHECK(at(d, "/linux/seccomp/defaultAction").asString() != "SCMP_ACT_ALLOW");
		CHECK(at(d, "/linux/maskedPaths").items().size() >= 11);
		CHECK(at(d, "/linux/readonlyPaths").items().size() >= 5);
	}
	/* Rootless runc is refused by P1 alone: nobody is not mapped there. */
	auto rootless = runAll(spec("runc-spec-rootless"));
	REQUIRE(count(rootless.findings, Action::Deny) == 1);
	for (const auto &f : rootless.findings)
		if (f.action == Action::Deny)
			CHECK(f.rule == "P1.user");
	/* The privileged spec is refused, and only by P0 for being privileged. */
	auto priv = runAll(spec("docker-20.10-privileged"));
	CHECK(count(priv.findings, Action::Deny) == 1);
	/* An exec process: the Process-scope rules only, also a fixed point. */
	auto exec =
	        runAll(processDoc(spec("docker-20.10-exec-u0-privileged-process")), Scope::Process);
	CHECK(count(exec.findings, Action::Deny) == 0);
	CHECK(runAll(exec.doc, Scope::Process).findings.empty());
	CHECK(!has(exec.doc, "/linux"));
}
