#pragma once

#include <string>
#include <vector>

#include "bulkhead/json.h"

/* What an operator runs on a node, as root, outside any engine's call:
 *   bulkhead doctor [--format text|json] [--root DIR] [--no-canary]
 *   bulkhead setup --engine docker|containerd|crio|podman [--dry-run] [--root DIR]
 *                  [--path FILE]
 * doctor checks that the next container an engine starts through bulkhead will
 * start, and be hardened: it exits 1 when a check fails. setup edits an
 * engine's configuration to run bulkhead, as `nvidia-ctk runtime configure`
 * does: a backup first, a unified diff with --dry-run, nothing changed on a
 * second run. --root DIR reads and writes every file below DIR instead of /
 * (tests, packagers' staging trees). */
namespace bulkhead::ops {

enum class Status { Ok, Warn, Fail, Skip };

const char *statusName(Status s) noexcept; /* "ok", "warn", "fail", "skip" */

/* One line of doctor's report. */
struct Check
{
	std::string name; /* what was checked: "config", "policy", "docker", "canary", ... */
	Status status = Status::Ok;
	std::string message; /* one line, what was found */
	std::string fix;     /* one line, what to do about it; "" when nothing */
};

struct DoctorOptions
{
	std::string root;   /* "" or "/": the live system; else every path is read below it */
	bool canary = true; /* run a container through bulkhead -> runtime at the end */
	std::string self;   /* the bulkhead binary to check and run; "" = this program */
	std::string today;  /* "YYYY-MM-DD" for expiry dates; "" = today (UTC) */
};

/* Every check, in order; never throws for what it finds (a check that cannot
 * be made is a fail line saying why). */
std::vector<Check> doctor(const DoctorOptions &o);

/* "STATUS NAME: MESSAGE[; fix: FIX]" per check, then "doctor: N ok, N warn, N fail". */
std::string formatText(const std::vector<Check> &checks);
/* {"checks": [{"name", "status", "message", "fix"}...], "ok": N, "warn": N, "fail": N, "skip": N}
 */
json::Value toJson(const std::vector<Check> &checks);

/* args: what follows the verb. Exit 0 when nothing failed, 1 when a check
 * failed, 2 on a usage error. The first form writes to stdout/stderr. */
int doctorMain(const std::vector<std::string> &args);
int doctorMain(const std::vector<std::string> &args, std::string &out, std::string &err);

/* Exit 0 (changed, or nothing to change, or --dry-run), 2 on a usage error or
 * a configuration setup cannot edit safely (nothing is written then). */
int setupMain(const std::vector<std::string> &args);
int setupMain(const std::vector<std::string> &args, std::string &out, std::string &err);

/* A unified diff (3 lines of context) from A to B, labelled with NAME ("/dev/null"
 * on the side where the file does not exist); "" when they are equal. */
std::string unifiedDiff(const std::string &a, const std::string &b, const std::string &name,
                        bool aExists, bool bExists);

} // namespace bulkhead::ops
