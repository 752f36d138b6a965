/* What the spec and process fuzz targets share: the shipped restricted policy
 * (from the source tree), a fake host, and the check that a document bulkhead
 * lets through keeps the guarantees (guarantees.h, not the rules) and is a
 * fixed point of hardening. A violation aborts with the document. */
#pragma once

#include "../unit/fake_host.h"
#include "bulkhead_build.h"
#include "guarantees.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bulkhead/error.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"
#include "bulkhead/spec.h"

namespace bulkhead::test {

inline const policy::Policy &restricted()
{
	static const policy::Policy p =
	        policy::Policy::load(BULKHEAD_SOURCE_ROOT "/policies/restricted.json", false);
	return p;
}

/* typicalHost, a bundle whose rootfs a mapped root can traverse, dockerd (for
 * Docker's hook), an engine socket and /var/run -> /run. */
inline const FakeHost &fuzzHost()
{
	static const FakeHost h = [] {
		FakeHost f = typicalHost();
		ino_t ino = 100;
		/* runc's default mount points exist in the image */
		for (const char *d : {"proc", "dev/pts", "dev/shm", "dev/mqueue", "sys/fs/cgroup",
		                      "tmp", "run", "var/tmp", "etc", "data"})
			rootDirs(f, std::string("/bundles/ctr1/rootfs/") + d + "/x", ino);
		withDockerd(f);
		rootDirs(f, "/run/docker.sock", ino);
		f.file("/run/docker.sock", 8, 900, S_IFSOCK | 0660);
		f.link("/var/run", "/run");
		f.link("/var/run/docker.sock", "/run/docker.sock");
		rootDirs(f, "/etc/x", ino);
		rootDirs(f, "/srv/data/x", ino);
		return f;
	}();
	return h;
}

[[noreturn]] inline void violation(const char *what, const json::Value &doc,
                                   const std::vector<std::string> &why)
{
	std::fprintf(stderr, "%s:\n%s\n", what, json::write(doc, true).c_str());
	for (const auto &w : why)
		std::fprintf(stderr, "  %s\n", w.c_str());
	std::abort();
}

/* Read TEXT as SCOPE, judge it; when let through, check the result. */
inline void hardenAndCheck(std::string_view text, policy::Scope scope)
{
	json::Value doc;
	try {
		doc = spec::read(text, "fuzz", scope);
	} catch (const Error &e) {
		if (e.kind() != ErrorKind::Json) {
			std::fprintf(stderr, "the reader threw a non-JSON error: %s\n", e.what());
			std::abort();
		}
		return;
	}
	const policy::CallContext call{"ctr1", "/bundles/ctr1", "create"};
	const policy::Decision d = restricted().evaluate(doc, scope, call, fuzzHost());
	(void)policy::toJson(d);
	if (d.verdict == policy::Verdict::Deny)
		return;
	guarantees::Checker c(fuzzHost(), "/bundles/ctr1", "ctr1");
	const auto why = scope == policy::Scope::Spec      ? c.spec(d.result)
	                 : scope == policy::Scope::Process ? c.processDoc(d.result)
	                                                   : c.resourcesDoc(d.result);
	if (!why.empty())
		violation("let through without the guarantees", d.result, why);
	/* what runc is handed reads back the same */
	const std::string out = json::write(d.result, true);
	std::string_view again = out;
	json::Value reread;
	std::string bare;
	if (scope == policy::Scope::Spec) {
		reread = spec::read(again, "hardened", scope);
	} else {
		const json::Value *inner = scope == policy::Scope::Process
		                                   ? d.result.find("process")
		                                   : d.result.find("linux")->find("resources");
		bare = json::write(*inner, true);
		reread = spec::read(bare, "hardened", scope);
	}
	const policy::Decision d2 = restricted().evaluate(reread, scope, call, fuzzHost());
	if (d2.verdict != policy::Verdict::Allow || json::write(d2.result) != json::write(d.result))
		violation("hardening again changed the document", d2.result,
		          {json::write(policy::toJson(d2))});
}

} // namespace bulkhead::test
