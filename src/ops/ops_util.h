/* What doctor, setup and the canary share: paths below --root, small file
 * reads, the trust test an engine's runtime must pass, running a program
 * with a time limit. */
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bulkhead/ops.h"

namespace bulkhead::ops {

/* The value of the option at ARGS[I], NAME ("--root"): "NAME=VALUE", or
 * "NAME VALUE" (I then moves past the value). Throws Error{Usage} naming VERB
 * when the value is missing or empty. */
std::string optionValue(const std::vector<std::string> &args, size_t &i, const char *name,
                        const char *verb);
/* Whether A is the option NAME, alone or as "NAME=VALUE". */
bool isOption(const std::string &a, const char *name) noexcept;

/* PATH (absolute) as seen below ROOT ("" or "/" for the live system). */
std::string under(const std::string &root, const std::string &path);
/* Is ROOT the live system? */
bool isLive(const std::string &root) noexcept;

/* The text of a regular file, nullopt when it does not exist; at most 4 MiB.
 * Throws Error{Io, "PATH: ..."} for anything else. */
std::optional<std::string> readText(const std::string &path);
bool exists(const std::string &path) noexcept;
bool isDir(const std::string &path) noexcept;
/* Same device and inode, after following links. */
bool sameFile(const std::string &a, const std::string &b) noexcept;
/* Entries of DIR (names only, sorted), empty when it cannot be read. */
std::vector<std::string> listDir(const std::string &dir);
/* The last component of a path. */
std::string baseName(const std::string &path);
std::string dirName(const std::string &path);

/* Why root must not run PATH or trust what it says: "" when it is a regular
 * file owned by root and writable by no one else, else one phrase ("owned by
 * uid 1000", "writable by everyone (mode 0666)", "No such file or directory").
 * executable: it must also be executable. */
std::string trustProblem(const std::string &path, bool executable);
/* The command that fixes a trustProblem() of PATH. */
std::string trustFix(const std::string &path, const std::string &problem);

/* Does PATH hold a statically linked ELF executable (no PT_INTERP)? */
bool isStaticElf(const std::string &path) noexcept;

struct RunResult
{
	bool started = false;  /* exec succeeded */
	bool timedOut = false; /* killed after the time limit */
	int status = -1;       /* exit status, or 128 + signal */
	std::string out;       /* stdout and stderr, interleaved, at most 1 MiB */
};

/* Run ARGV[0] (an absolute path) with ARGV, stdin from /dev/null, ENV added to
 * the environment ("NAME=VALUE"), killed (its process group) after TIMEOUT_MS. */
RunResult run(const std::vector<std::string> &argv, const std::vector<std::string> &env,
              int timeoutMs);

/* The first line of TEXT, at most MAX bytes. */
std::string firstLine(const std::string &text, size_t max = 200);

} // namespace bulkhead::ops
