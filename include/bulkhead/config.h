#pragma once

#include <string>

#include "bulkhead/engine.h"

/* The machine configuration: /etc/bulkhead/config.json, or the file named by
 * BULKHEAD_CONFIG. JSON with comments:
 *   {"runtime": "/usr/bin/runc",
 *    "policy": "/etc/bulkhead/policies/site.json",
 *    "audit": {"log": "/var/log/bulkhead/audit.jsonl", "onError": "refuse"},
 *    "engine": "containerd-cri"} */
namespace bulkhead {

struct AuditConfig
{
	std::string log = "/var/log/bulkhead/audit.jsonl";
	bool failOpen = false; /* "onError": "refuse" (default) | "continue" */
	std::string
	        keepDenied; /* directory for content-addressed copies of refused specs, "" = off */
};

struct Config
{
	std::string path;    /* the file it came from, "" for the built-in default */
	std::string runtime; /* absolute path of the real runtime */
	std::string policy;  /* absolute path of the policy file */
	AuditConfig audit;
	/* The engine that calls bulkhead on this machine: per-pod facts are read
	 * only from its own keys (see engine.h); Unknown proves none. */
	engine::Kind engine = engine::Kind::Unknown;

	/* BULKHEAD_CONFIG, else /etc/bulkhead/config.json, else the built-in
	 * default (runc from /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin;
	 * the shipped restricted policy, DATADIR/bulkhead/policies/restricted.json). Throws
	 * Error{Config, "FILE[:LINE:COL]: problem"}. Running as root, a file not owned by root or
	 * group/world-writable is refused. */
	static Config load();
	static Config loadFile(const std::string &path, bool checkOwner);
	static Config builtin();
};

/* /etc/bulkhead/config.json: the configuration engines' calls read. The
 * directory is /etc/bulkhead whatever the install prefix (Podman passes no
 * environment: the path must be one every engine reaches). */
std::string defaultConfigPath();
/* The shipped restricted policy, DATADIR/bulkhead/policies/restricted.json
 * (/usr/share/bulkhead/... for a package, /usr/local/share/... for a
 * /usr/local build): the policy when the configuration names none. */
std::string defaultPolicyPath();
/* Where runc is looked for when the configuration names no runtime, in order. */
extern const char *const kRuntimeSearchDirs[4];

/* Refuse a file that root must not trust: not owned by root, group/world
 * writable, or not a regular file. Throws Error{kind, "PATH: ..."}. */
void checkTrusted(const std::string &path, int kindAsInt);

} // namespace bulkhead
