#include "../../src/policy_compiled.h"
#include "fake_host.h"
#include "fixtures.h"
#include "rule_harness.h"

#include <algorithm>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"
#include "bulkhead/rule.h"
#include "bulkhead/seccomp.h"

#include <catch2/catch.hpp>

/* P7.seccomp: a dangerous syscall is never allowed, in any form. Every attack
 * spelling is a weak profile (replaced under mutate); the engines' own default
 * profiles and the policy's profile are judged the way runc 1.1.5 and the
 * kernel act on them. */

using namespace bulkhead;
using bulkhead::policy::Action;
using bulkhead::policy::Finding;
using bulkhead::policy::Scope;
using bulkhead::test::env;
using bulkhead::test::RuleResult;
using bulkhead::test::runRule;

namespace {

json::Value spec(const std::string &name)
{
	return json::parseFile(env("BULKHEAD_TEST_DATA") + "/" + name + ".json");
}

json::Value j(std::string_view text)
{
	return json::parse(text, "test");
}

const json::Value &profile()
{
	static const json::Value p =
	        json::parseFile(env("BULKHEAD_SOURCE_ROOT") + "/policies/seccomp-default.json");
	return p;
}

policy::Policy shipped(const std::string &name)
{
	return policy::Policy::load(env("BULKHEAD_SOURCE_ROOT") + "/policies/" + name + ".json",
	                            false);
}

/* restricted.json's P7.seccomp parameters, with the profile parsed (what the rule sees). */
json::Value restrictedParams()
{
	static const policy::Policy restricted = shipped("restricted");
	const auto &rules = restricted.compiled().rules;
	const auto *def = policy::findRule("P7.seccomp");
	REQUIRE(def != nullptr);
	const auto &rule = rules.at(static_cast<size_t>(def - policy::allRules().data()));
	REQUIRE(rule.has_value());
	/* the loader has already parsed the profile the policy names */
	return rule->params;
}

/* restricted's parameters with NAME left off the dangerous list. */
json::Value restrictedWithout(std::string_view name)
{
	json::Value p = restrictedParams();
	json::Value list = json::Value::array();
	for (const auto &n : p.find("dangerous")->items())
		if (n.asString() != name)
			list.push(n);
	p.set("dangerous", list);
	return p;
}

/* Parameters: the policy's profile plus EXTRA's members. */
json::Value params(std::string_view extra = "{}")
{
	json::Value p = j(extra);
	p.set("profile", profile());
	return p;
}

json::Value at(const json::Value &doc, std::string_view pointer)
{
	const json::Value *v = json::get(doc, json::Pointer::parse(pointer));
	return v ? *v : json::Value();
}

/* {"linux": {"seccomp": SC}} */
json::Value withProfile(const json::Value &sc)
{
	json::Value d = j(R"({"linux": {}})");
	json::set(d, json::Pointer::parse("/linux/seccomp"), sc);
	return d;
}

/* A profile that denies by default and has these rules. */
json::Value rules(std::string_view syscalls, std::string_view extra = "")
{
	return j(R"({"defaultAction": "SCMP_ACT_ERRNO", )" + std::string(extra) +
	         R"("syscalls": )" + std::string(syscalls) + "}");
}

/* The profile is weak: one mutate finding, the policy's profile in its place,
 * and a second pass finds nothing. Returns the finding. */
Finding replaced(const json::Value &sc, const json::Value &p = params(),
                 const HostFacts &host = test::typicalHost())
{
	RuleResult r = runRule("P7.seccomp", withProfile(sc), p, Action::Mutate, Scope::Spec, host);
	REQUIRE(r.findings.size() == 1);
	const Finding f = r.findings[0];
	CHECK(f.rule == "P7.seccomp");
	CHECK(f.action == Action::Mutate);
	CHECK(f.message.find('\n') == std::string::npos);
	CHECK(!f.remedy.empty());
	CHECK(at(r.doc, "/linux/seccomp") == profile());
	RuleResult again = runRule("P7.seccomp", r.doc, p, Action::Mutate, Scope::Spec, host);
	CHECK(again.findings.empty());
	return f;
}

std::vector<Finding> judge(const json::Value &sc, const json::Value &p = params(),
                           const HostFacts &host = test::typicalHost(),
                           Action action = Action::Mutate)
{
	return runRule("P7.seccomp", withProfile(sc), p, action, Scope::Spec, host).findings;
}

bool contains(const std::string &s, std::string_view needle)
{
	return s.find(needle) != std::string::npos;
}

/* Docker's clone rule: MASKED_EQ on argument 0, mask over every CLONE_NEW*
 * flag clone(2) can carry, value 0. */
const char *const kDockerClone = R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args":
	[{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]})";

bool nativeX86_64()
{
	return seccomp::nativeArch().oci == "SCMP_ARCH_X86_64";
}

} // namespace

/* ---- libseccomp, as runc uses it ---- */

TEST_CASE("seccomp: names resolve per architecture, like runc's libseccomp", "[seccomp]")
{
	auto x86 = seccomp::archFromOci("SCMP_ARCH_X86");
	auto x64 = seccomp::archFromOci("SCMP_ARCH_X86_64");
	auto s390x = seccomp::archFromOci("SCMP_ARCH_S390X");
	REQUIRE(x86);
	REQUIRE(x64);
	REQUIRE(s390x);
	CHECK_FALSE(seccomp::archFromOci("x86"));
	CHECK_FALSE(seccomp::archFromOci("scmp_arch_x86"));
	CHECK(seccomp::resolve(*x86, "umount") == 22);
	CHECK(seccomp::resolve(*x86, "umount2") == 52);
	CHECK_FALSE(seccomp::resolve(*x64, "umount")); /* x86_64 has only umount2 */
	CHECK(seccomp::resolve(*x64, "umount2") == 166);
	CHECK(seccomp::resolve(*x64, "unshare") == 272);
	CHECK(seccomp::resolve(*x86, "socketcall") == 102);
	CHECK_FALSE(seccomp::resolve(*x64, "socketcall"));
	CHECK_FALSE(seccomp::resolve(*x64, "MOUNT"));
	CHECK_FALSE(seccomp::resolve(*x64, std::string_view("mount\0x", 7)));
	CHECK(seccomp::resolve(*x64, "fsopen") == 430);
	CHECK(seccomp::cloneFlagsIndex(*x64) == 0);
	CHECK(seccomp::cloneFlagsIndex(*x86) == 0);
	CHECK(seccomp::cloneFlagsIndex(*s390x) == 1);
	CHECK(seccomp::isKnown("socketcall"));
	CHECK_FALSE(seccomp::isKnown("MOUNT"));
}

/* ---- the policy's own profile ---- */

TEST_CASE("P7.seccomp: the shipped profile passes the strict check and runs glibc", "[rules][P7]")
{
	const json::Value &p = profile();
	CHECK(at(p, "/defaultAction").asString() == "SCMP_ACT_ERRNO");
	CHECK(at(p, "/defaultErrnoRet").numberText() == "1");
	CHECK(p.find("flags") == nullptr);
	CHECK(p.find("listenerPath") == nullptr);
	std::vector<std::string> arches;
	for (const auto &a : p.find("architectures")->items()) {
		arches.push_back(a.asString());
		CHECK(seccomp::archFromOci(a.asString()));
	}
	for (const char *a :
	     {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"})
		CHECK(std::find(arches.begin(), arches.end(), a) != arches.end());
	size_t names = 0;
	bool clone = false, clone3 = false;
	for (const auto &rule : p.find("syscalls")->items()) {
		const std::string &act = rule.find("action")->asString();
		CHECK((act == "SCMP_ACT_ALLOW" || act == "SCMP_ACT_ERRNO"));
		for (const auto &n : rule.find("names")->items()) {
			INFO(n.asString());
			++names;
			CHECK(seccomp::isKnown(n.asString()));
			if (n.asString() == "clone") {
				clone = true;
				CHECK(rule == j(kDockerClone));
			}
			if (n.asString() == "clone3") {
				clone3 = true;
				CHECK(act == "SCMP_ACT_ERRNO");
				CHECK(at(rule, "/errnoRet").numberText() == "38"); /* ENOSYS */
			}
		}
	}
	CHECK(clone);
	CHECK(clone3);
	CHECK(names > 250);
	/* It passes its own rule, with restricted's parameters and the built-in ones. */
	CHECK(judge(p, restrictedParams()).empty());
	CHECK(judge(p).empty());
	/* restricted.json lists the new mount API and kexec_file_load. */
	std::vector<std::string> listed;
	const json::Value restricted = restrictedParams();
	for (const auto &n : restricted.find("dangerous")->items())
		listed.push_back(n.asString());
	for (const char *n : {"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	                      "mount_setattr", "kexec_file_load", "unshare", "umount2", "ptrace"})
		CHECK(std::find(listed.begin(), listed.end(), n) != listed.end());
}

TEST_CASE("P7.seccomp: the policy's own profile must pass the same check", "[rules][P7]")
{
	const auto spec0 = spec("runc-spec-default");
	CHECK_THROWS_AS(runRule("P7.seccomp", spec0,
	                        j(R"({"profile": {"defaultAction": "SCMP_ACT_ALLOW"}})")),
	                Error);
	CHECK_THROWS_AS(runRule("P7.seccomp", spec0, j(R"({"dangerous": ["MOUNT"]})")), Error);
	CHECK_THROWS_AS(runRule("P7.seccomp", spec0,
	                        j(R"({"profile": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls":
	                             [{"names": ["clone3"], "action": "SCMP_ACT_ALLOW"}]}})")),
	                Error);
	CHECK_THROWS_AS(runRule("P7.seccomp", spec0,
	                        j(R"({"allowedFlags": ["SECCOMP_FILTER_FLAG_BOGUS"]})")),
	                Error);
	for (const char *l : {"relative.sock", "/run/../x.sock", "/a//b.sock", "@", ""}) {
		INFO(l);
		json::Value p = j("{}");
		json::Value list = json::Value::array();
		list.push(json::Value::string(l));
		p.set("allowedListeners", list);
		CHECK_THROWS_AS(runRule("P7.seccomp", spec0, p), Error);
	}
	/* The same, caught when the policy is loaded (policy validate). */
	std::string text = R"({"name": "t", "version": "1", "rules": {"P7.seccomp":
	        {"action": "mutate", "profile": "seccomp-default.json",
	         "allowedFlags": ["SECCOMP_FILTER_FLAG_BOGUS"]}}})";
	CHECK_THROWS_AS(
	        policy::Policy::fromText(text, env("BULKHEAD_SOURCE_ROOT") + "/policies/test.json"),
	        Error);
}

/* ---- engine defaults ---- */

TEST_CASE("P7.seccomp: engine defaults under restricted and baseline", "[rules][P7]")
{
	/* Docker's default allows ptrace: replaced, as before. */
	for (const char *s : {"docker-20.10-default", "docker-20.10-hardened"}) {
		INFO(s);
		auto d = spec(s);
		const Finding f = replaced(*d.find("linux")->find("seccomp"), restrictedParams());
		CHECK(f.pointer == "/linux/seccomp/syscalls/1");
		CHECK(contains(f.message, "dangerous syscall ptrace"));
	}
	/* Podman's allows mount, unshare, clone without a mask, clone3. */
	auto pod = spec("podman-4.3-default");
	CHECK(contains(replaced(*pod.find("linux")->find("seccomp"), restrictedParams()).message,
	               "clone"));
	/* No profile at all. */
	for (const char *s : {"runc-spec-default", "containerd-1.6-ctr-default"}) {
		INFO(s);
		auto r = runRule("P7.seccomp", spec(s), restrictedParams());
		REQUIRE(r.findings.size() == 1);
		CHECK(r.findings[0].action == Action::Mutate);
		CHECK(at(r.doc, "/linux/seccomp") == profile());
	}
	/* Without ptrace on the list, Docker's profile is strong: its clone mask and
	 * clone3 -> ENOSYS are the safe shapes. */
	const json::Value noPtrace = restrictedWithout("ptrace");
	for (const char *s : {"docker-20.10-default", "docker-20.10-hardened",
	                      "docker-20.10-userns-remap", "docker-20.10-hostns-socket"}) {
		INFO(s);
		CHECK(judge(*spec(s).find("linux")->find("seccomp"), noPtrace).empty());
	}
	/* baseline does not list unshare or mount: Podman's and Docker's defaults pass. */
	const auto baseline = shipped("baseline");
	const test::FakeHost host = test::typicalHost();
	for (const char *s : {"podman-4.3-default", "podman-4.3-uidmap", "docker-20.10-default"}) {
		INFO(s);
		auto d = baseline.evaluate(spec(s), Scope::Spec,
		                           {"ctr1", "/bundles/ctr1", "create"}, host);
		for (const auto &f : d.findings)
			CHECK(f.rule != "P7.seccomp");
	}
	/* restricted as a whole: Docker's profile is replaced by the policy's. */
	auto d = shipped("restricted")
	                 .evaluate(spec("docker-20.10-default"), Scope::Spec,
	                           {"ctr1", "/bundles/ctr1", "create"}, host);
	CHECK(at(d.result, "/linux/seccomp") == profile());
}

TEST_CASE("P7.seccomp: a verdict is reused only for an equal profile under equal parameters",
          "[rules][P7]")
{
	/* policy check reuses the verdict on the last profile judged: judged in
	 * turns, each profile and parameter set keeps its own verdict */
	const json::Value docker = *spec("docker-20.10-default").find("linux")->find("seccomp");
	const json::Value noPtrace = restrictedWithout("ptrace");
	json::Value withMount = docker;
	json::Value rule = j(R"({"names": ["mount"], "action": "SCMP_ACT_ALLOW"})");
	withMount.find("syscalls")->push(rule);
	for (int round = 0; round < 3; round++) {
		INFO(round);
		CHECK(judge(docker, noPtrace).empty());
		CHECK(judge(docker, noPtrace).empty());
		CHECK(contains(judge(docker, restrictedParams()).at(0).message, "ptrace"));
		CHECK(contains(judge(withMount, noPtrace).at(0).message, "mount"));
		CHECK(judge(docker, noPtrace).empty());
		CHECK(contains(judge(withMount, noPtrace).at(0).message, "mount"));
	}
}

/* ---- a dangerous syscall, in any form ---- */

TEST_CASE("P7.seccomp: argument conditions never make a dangerous syscall safe", "[rules][P7]")
{
	const char *weak[] = {
	        /* pinned to the dangerous value itself: unshare(CLONE_NEWUSER|CLONE_NEWNS) */
	        R"([{"names": ["unshare"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 0, "value": 268566528, "op": "SCMP_CMP_EQ"}]}])",
	        /* an argument unshare does not have: a register the caller sets */
	        R"([{"names": ["unshare"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 3, "value": 0, "op": "SCMP_CMP_EQ"}]}])",
	        R"([{"names": ["unshare"], "action": "SCMP_ACT_LOG", "args": [{"index": 0,
		    "value": 18446744073709551615, "valueTwo": 268566528, "op": "SCMP_CMP_MASKED_EQ"}]}])",
	        R"([{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}])",
	        R"([{"names": ["mount"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 3, "value": 4096, "op": "SCMP_CMP_EQ"}]}])",
	        R"([{"names": ["setns"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 0,
		    "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}])",
	        R"([{"names": ["bpf"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_GE"}]}])",
	        R"([{"names": ["keyctl"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 5, "value": 1, "op": "SCMP_CMP_EQ"}]}])",
	        R"([{"names": ["unshare"], "action": "SCMP_ACT_ALLOW", "args": []}])",
	        R"([{"names": ["read", "mount"], "action": "SCMP_ACT_LOG"}])",
	        R"([{"names": ["init_module"], "action": "SCMP_ACT_TRACE"}])",
	        R"([{"names": ["setns"], "action": "SCMP_ACT_NOTIFY",
		    "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}])",
	        R"([{"names": ["reboot"], "action": "SCMP_ACT_BOGUS"}])",
	        /* an ERRNO rule does not cancel a later ALLOW */
	        R"([{"names": ["pivot_root"], "action": "SCMP_ACT_ERRNO"},
		    {"names": ["pivot_root"], "action": "SCMP_ACT_ALLOW"}])",
	};
	for (const char *w : weak) {
		INFO(w);
		const Finding f = replaced(rules(w), restrictedParams());
		CHECK(contains(f.pointer, "/linux/seccomp/syscalls/"));
	}
	/* The message says so when conditions were there. */
	CHECK(contains(replaced(rules(weak[0])).message, "whatever its argument conditions"));
	CHECK(contains(replaced(rules(weak[11])).message, "user-space agent"));
	CHECK(contains(replaced(rules(weak[12])).message, "unknown seccomp action"));
}

TEST_CASE("P7.seccomp: the new mount API, kexec_file_load and aliases", "[rules][P7]")
{
	for (const char *n : {"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	                      "mount_setattr", "kexec_file_load"}) {
		INFO(n);
		const std::string r =
		        std::string(R"([{"names": [")") + n + R"("], "action": "SCMP_ACT_ALLOW"}])";
		replaced(rules(r), restrictedParams());
		/* The built-in list has them too. */
		replaced(rules(r));
		/* A policy that lists only mount (or kexec_load) gets them as aliases. */
		replaced(rules(r), params(R"({"dangerous": ["mount", "kexec_load"]})"));
	}
	/* umount is umount2(path, 0): i386 (listed by Docker and the policy) runs it. */
	const Finding f = replaced(rules(R"([{"names": ["umount"], "action": "SCMP_ACT_ALLOW"}])",
	                                 R"("architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
	                                     "SCMP_ARCH_X32"], )"),
	                           restrictedParams());
	CHECK(contains(f.message, "umount (SCMP_ARCH_X86 syscall 22)"));
	CHECK(contains(f.message, "umount2"));
	/* The other way round: a policy that lists umount refuses umount2. */
	replaced(rules(R"([{"names": ["umount2"], "action": "SCMP_ACT_ALLOW"}])"),
	         params(R"({"dangerous": ["umount"]})"));
	/* finit_module for init_module. */
	replaced(rules(R"([{"names": ["finit_module"], "action": "SCMP_ACT_ALLOW"}])"),
	         params(R"({"dangerous": ["init_module"]})"));
	/* A multiplexer: socketcall(SYS_SOCKET, ...) on i386 runs socket(2). */
	auto fs = judge(rules(R"([{"names": ["socketcall"], "action": "SCMP_ACT_ALLOW"}])",
	                      R"("architectures": ["SCMP_ARCH_X86"], )"),
	                j(R"({"dangerous": ["socket"]})"));
	REQUIRE(fs.size() == 1);
	CHECK(contains(fs[0].message, "socketcall (SCMP_ARCH_X86 syscall 102), which does what "
	                              "the dangerous syscall socket does"));
	if (nativeX86_64()) {
		/* Judged by what the kernel runs: a filter without i386 kills every
		 * i386 syscall (libseccomp's bad-arch action), and x86_64 has no
		 * umount or socketcall. */
		CHECK(judge(rules(R"([{"names": ["umount", "socketcall"], "action": "SCMP_ACT_ALLOW"}])",
		                  R"("architectures": ["SCMP_ARCH_X86_64"], )"),
		            j(R"({"dangerous": ["umount2", "socket"]})"))
		              .empty());
	}
	/* runc ignores a name libseccomp does not know: case matters. */
	CHECK(judge(rules(R"([{"names": ["PTRACE", "Mount"], "action": "SCMP_ACT_ALLOW"}])"),
	            restrictedParams())
	              .empty());
	/* Denying rules for dangerous syscalls are fine. */
	CHECK(judge(j(R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
	                 {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
	                 {"names": ["mount", "umount", "fsopen", "clone3"], "action": "SCMP_ACT_ERRNO"},
	                 {"names": ["unshare"], "action": "SCMP_ACT_KILL_THREAD"},
	                 {"names": ["ptrace"], "action": "SCMP_ACT_TRAP"}]})"),
	            restrictedParams())
	              .empty());
}

TEST_CASE("P7.seccomp: clone needs a filter that refuses every CLONE_NEW* flag", "[rules][P7]")
{
	const char *weak[] = {
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW"}])",
	        /* CLONE_NEWUSER (0x10000000) missing from the mask */
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0,
		    "value": 1845624832, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}])",
	        /* the mask is right, the value asks for CLONE_NEWUSER */
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0,
		    "value": 2114060288, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}])",
	        /* the wrong argument (the stack on x86_64) */
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1,
		    "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}])",
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 0, "value": 268435456, "op": "SCMP_CMP_NE"}]}])",
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 0, "value": 268566528, "op": "SCMP_CMP_EQ"}]}])",
	        /* two conditions on argument 0: runc installs each as a rule of its own (OR) */
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [
		    {"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"},
		    {"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}])",
	        /* Docker's filter, and an unfiltered rule next to it */
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0,
		    "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
		    {"names": ["clone"], "action": "SCMP_ACT_LOG"}])",
	        /* an index runc refuses is no filter */
	        R"([{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 9, "value": 0, "op": "SCMP_CMP_EQ"}]}])",
	};
	for (const char *w : weak) {
		INFO(w);
		const Finding f = replaced(rules(w), restrictedParams());
		CHECK(contains(f.message, "clone"));
	}
	/* On s390x the flags are argument 1: Docker's x86 filter filters the stack there. */
	CHECK(contains(replaced(rules("[" + std::string(kDockerClone) + "]",
	                              R"("architectures": ["SCMP_ARCH_S390X"], )"))
	                       .message,
	               "argument 1"));
	const char *strong[] = {
	        kDockerClone,
	        /* a wider mask with a value free of CLONE_NEW*: SIGCHLD | CLONE_VM */
	        R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0,
		    "value": 4294967295, "valueTwo": 273, "op": "SCMP_CMP_MASKED_EQ"}]})",
	        R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}]})",
	        /* ANDed with another argument's condition */
	        R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [
		    {"index": 1, "value": 0, "op": "SCMP_CMP_NE"},
		    {"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]})",
	        /* an agent only sees the calls the filter lets through */
	        R"({"names": ["clone"], "action": "SCMP_ACT_NOTIFY", "args": [{"index": 0,
		    "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]})",
	        /* ORed, and each one sufficient */
	        R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [
		    {"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"},
		    {"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}]})",
	};
	for (const char *s : strong) {
		INFO(s);
		CHECK(judge(rules("[" + std::string(s) + "]",
		                  R"("architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
		                      "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], )"),
		            restrictedParams())
		              .empty());
	}
	/* A policy that allows unshare (baseline) does not judge clone. */
	CHECK(judge(rules(weak[0]), params(R"({"dangerous": ["bpf"]})")).empty());
}

TEST_CASE("P7.seccomp: clone3 must be refused (its flags are out of a filter's reach)",
          "[rules][P7]")
{
	const char *weak[] = {
	        R"([{"names": ["clone3"], "action": "SCMP_ACT_ALLOW"}])",
	        R"([{"names": ["clone3"], "action": "SCMP_ACT_LOG"}])",
	        R"([{"names": ["clone3"], "action": "SCMP_ACT_TRACE"}])",
	        R"([{"names": ["clone3"], "action": "SCMP_ACT_ALLOW",
		    "args": [{"index": 1, "value": 88, "op": "SCMP_CMP_EQ"}]}])",
	};
	for (const char *w : weak) {
		INFO(w);
		CHECK(contains(replaced(rules(w), restrictedParams()).message, "ENOSYS"));
	}
	CHECK(judge(rules(R"([{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}])"),
	            restrictedParams())
	              .empty());
	/* Not listed at all: the default action (ERRNO) refuses it. */
	CHECK(judge(rules(R"([{"names": ["read"], "action": "SCMP_ACT_ALLOW"}])"),
	            restrictedParams())
	              .empty());
}

TEST_CASE("P7.seccomp: default action, architectures and flags", "[rules][P7]")
{
	for (const char *w :
	     {R"({"defaultAction": "SCMP_ACT_ALLOW"})", R"({"defaultAction": "SCMP_ACT_LOG"})",
	      R"({"defaultAction": "SCMP_ACT_TRACE"})", R"({"defaultAction": "SCMP_ACT_NOTIFY"})",
	      R"({"defaultAction": "SCMP_ACT_BOGUS"})", R"({"defaultAction": ""})",
	      R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})",
	      R"({"architectures": ["SCMP_ARCH_X86_64"]})"}) {
		INFO(w);
		replaced(j(w), restrictedParams());
	}
	/* An architecture libseccomp does not know cannot be judged. */
	CHECK(replaced(rules("[]", R"("architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"], )"))
	              .pointer == "/linux/seccomp/architectures/1");
	/* Flags: none by default (Docker, containerd and Podman send none; runc 1.1.5
	 * refuses any). */
	const json::Value spec = rules(R"([{"names": ["read"], "action": "SCMP_ACT_ALLOW"}])",
	                               R"("flags": ["SECCOMP_FILTER_FLAG_LOG",
	                                   "SECCOMP_FILTER_FLAG_SPEC_ALLOW"], )");
	Finding f = replaced(spec, restrictedParams());
	CHECK(f.pointer == "/linux/seccomp/flags/0");
	CHECK(contains(f.message, "allowedFlags"));
	f = replaced(spec, params(R"({"allowedFlags": ["SECCOMP_FILTER_FLAG_LOG"]})"));
	CHECK(f.pointer == "/linux/seccomp/flags/1");
	CHECK(judge(spec, params(R"({"allowedFlags": ["SECCOMP_FILTER_FLAG_LOG",
	                             "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]})"))
	              .empty());
	CHECK(judge(rules("[]", R"("flags": [], )"), restrictedParams()).empty());
	/* Under deny the weak profile is refused, under audit recorded; neither changes it. */
	auto r = runRule("P7.seccomp", withProfile(spec), restrictedParams(), Action::Deny);
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Deny);
	CHECK(r.doc == withProfile(spec));
	r = runRule("P7.seccomp", withProfile(spec), restrictedParams(), Action::Audit);
	REQUIRE(r.findings.size() == 1);
	CHECK(r.findings[0].action == Action::Audit);
	CHECK(r.doc == withProfile(spec));
}

TEST_CASE("P7.seccomp: malformed profiles are refused, never passed", "[rules][P7]")
{
	for (const char *m : {
	             R"({"defaultAction": 5})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "flags": "SECCOMP_FILTER_FLAG_LOG"})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": [1]})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "listenerPath": 1})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]}]})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read",
		         "action": "SCMP_ACT_ALLOW"}]})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
		         "action": "SCMP_ACT_ERRNO", "args": [{"index": -1, "op": "SCMP_CMP_EQ"}]}]})",
	             R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"],
		         "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_MASKED_EQ",
		         "value": 2114060288, "valueTwo": "0"}]}]})",
	             R"("seccomp")",
	     }) {
		INFO(m);
		auto fs = judge(j(m), restrictedParams());
		REQUIRE(fs.size() == 1);
		CHECK(fs[0].action == Action::Deny);
		CHECK(fs[0].message.rfind("malformed", 0) == 0);
	}
}

/* ---- listenerPath ---- */

TEST_CASE("P7.seccomp: listenerPath only from the allowlist, never an engine socket", "[rules][P7]")
{
	test::FakeHost host = test::typicalHost();
	host.file("/var/lib/agent/agent.sock", 8, 100, S_IFSOCK | 0600)
	        .file("/var/run/docker.sock", 9, 7, S_IFSOCK | 0660)
	        .file("/srv/hard.sock", 9, 7, S_IFSOCK | 0660) /* a hard link to docker.sock */
	        .file("/run/containerd/containerd.sock", 9, 8, S_IFSOCK | 0660)
	        .link("/tmp/sym.sock", "/run/containerd/containerd.sock")
	        .file("/run", 9, 2, S_IFDIR | 0755)
	        .file("/srv/runalias", 9, 2, S_IFDIR | 0755) /* /run, bind-mounted */
	        .file("/run/agent.sock", 9, 50, S_IFSOCK | 0600);
	auto withListener = [](const std::string &path) {
		json::Value sc = rules(R"([{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}])");
		sc.set("listenerPath", json::Value::string(path));
		return sc;
	};
	auto allowing = [](std::initializer_list<const char *> paths) {
		json::Value p = params();
		json::Value list = json::Value::array();
		for (const char *l : paths)
			list.push(json::Value::string(l));
		p.set("allowedListeners", list);
		return p;
	};
	const json::Value agent =
	        allowing({"/var/lib/agent/agent.sock", "/srv/hard.sock", "/run/agent.sock",
	                  "/srv/runalias/agent.sock", "@agent"});

	/* The agent's own socket, listed: strong. listenerMetadata may stay. */
	json::Value ok = withListener("/var/lib/agent/agent.sock");
	ok.set("listenerMetadata", json::Value::string("x"));
	CHECK(judge(ok, agent, host).empty());
	CHECK(judge(withListener("@agent"), agent, host).empty());
	CHECK(judge(withListener(""), params(), host).empty());

	/* Not listed: weak, replaced. */
	for (const char *l :
	     {"/var/lib/agent/agent.sock", "@agent", "/var/lib/agent//agent.sock"}) {
		INFO(l);
		CHECK(replaced(withListener(l), restrictedParams(), host).pointer ==
		      "/linux/seccomp/listenerPath");
	}

	/* An engine socket, by any name: refused outright, listed or not. */
	const struct
	{
		const char *path;
		const char *why;
	} engines[] = {
	        {"/var/run/docker.sock", "is /var/run/docker.sock"},
	        {"/srv/hard.sock", "same file (device+inode) as /var/run/docker.sock"},
	        {"/tmp/sym.sock", "is /run/containerd/containerd.sock"},
	        {"/proc/1/root/var/run/docker.sock", "is /var/run/docker.sock"},
	        {"../../var/run/docker.sock", "is /var/run/docker.sock"}, /* bundle-relative */
	        {"/run/docker.sock", "is /run/docker.sock"},
	};
	for (const auto &e : engines) {
		INFO(e.path);
		for (const json::Value &p : {agent, restrictedParams()}) {
			auto fs = judge(withListener(e.path), p, host);
			REQUIRE(fs.size() == 1);
			CHECK(fs[0].action == Action::Deny);
			CHECK(fs[0].pointer == "/linux/seccomp/listenerPath");
			CHECK(contains(fs[0].message, e.why));
			CHECK(contains(fs[0].message, "engine socket"));
		}
		auto fs = judge(withListener(e.path), agent, host, Action::Audit);
		REQUIRE(fs.size() == 1);
		CHECK(fs[0].action == Action::Audit);
	}
	/* The engine list is a parameter (P10.engine-socket's by default). */
	json::Value own = agent;
	own.set("sockets", j(R"(["/var/lib/agent/agent.sock"])"));
	CHECK(judge(withListener("/var/lib/agent/agent.sock"), own, host)[0].action ==
	      Action::Deny);

	/* Listed, but in a sensitive host tree (by name or by device+inode): weak. */
	CHECK(contains(replaced(withListener("/run/agent.sock"), agent, host).message,
	               "sensitive host tree /run"));
	CHECK(contains(replaced(withListener("/srv/runalias/agent.sock"), agent, host).message,
	               "same directory (device+inode) as sensitive host tree /run"));
}
