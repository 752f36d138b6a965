#pragma once

#include <string>
#include <string_view>

#include "bulkhead/config.h"
#include "bulkhead/json.h"
#include "bulkhead/policy.h"

/* The audit trail: one JSON line per runtime decision (create, run, restore,
 * exec, update), appended to the configured file with a single write(2) so that
 * hundreds of concurrent calls never interleave. The record format is described
 * in bulkhead-audit(5). */
namespace bulkhead::audit {

struct Record
{
	std::string command;     /* "create", "run", "restore", "exec", "update" */
	std::string containerId; /* "" when the call names none */
	std::string bundle;      /* absolute bundle directory, "" for exec/update */
	std::string subject;     /* what was evaluated: "BUNDLE/config.json", "--process FILE",
	                          * "--resources -", "flags" */
	json::Value engine =
	        json::Value::object(); /* engine hints (annotations), see engineHints() */
	const policy::Decision *decision = nullptr; /* nullptr for an error record */
	std::string error; /* set for an error record: the call failed before a decision */
	std::string kept;  /* path of the refused spec kept for auditors, "" when none */
	/* sha256 of the text bulkhead read and judged (config.json, the --process
	 * or --resources document, or the JSON built from inline flags); "" when
	 * nothing was read */
	std::string inputSha256;
};

/* The annotations that tell an auditor which engine object a container belongs
 * to: io.kubernetes. prefixes, io.container.manager, io.podman. and nerdctl/ prefixes. At most 32
 * of them, values cut at 256 bytes. Always an object (empty for a spec without
 * annotations or with a malformed annotations member). */
json::Value engineHints(const json::Value &spec);

/* Current time, RFC 3339 in UTC with milliseconds: "2026-11-29T02:31:07.123Z". */
std::string rfc3339Now();

/* The record as one JSON line, '\n' included. Strings from outside that are not
 * valid UTF-8 have their bad bytes replaced by '?'. */
std::string format(const Record &r, std::string_view time, std::string_view host);

/* Append one complete line to the file at path: the directory is created (0750)
 * when missing, the file (0640) opened O_RDWR|O_APPEND|O_CLOEXEC|O_NOFOLLOW, a
 * non-regular file refused. Under flock(2), a torn last line (no newline: a
 * writer killed inside its write) is cut off first, then the line is written;
 * a write that fails part-way is cut back too. Throws Error{Io, "audit log
 * PATH: ..."}. */
void append(const std::string &path, std::string_view line);

/* format() + append() to cfg.log. When the record cannot be written: throws
 * (fail closed) unless cfg.failOpen, in which case the failure goes to syslog
 * (LOG_AUTHPRIV|LOG_WARNING) and false is returned. stderr stays silent. */
bool write(const AuditConfig &cfg, const Record &r);

/* Store a refused spec for auditors as DIR/<sha256 of text>.json (0640, the
 * directory created 0750), atomically; an existing copy is kept. Returns the
 * path. Throws Error{Io}. */
std::string keepDenied(const std::string &dir, std::string_view text);

/* Create missing directories of path (like mkdir -p) with the given mode.
 * Throws Error{Io}. */
void makeDirs(const std::string &path, unsigned mode);

} // namespace bulkhead::audit
