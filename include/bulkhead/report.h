#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/json.h"
#include "bulkhead/output.h"

/* `bulkhead audit`: what the audit log says, for auditors. The log (see
 * bulkhead-audit(5)) is read one record at a time into an Aggregate whose size
 * depends on how many distinct rules, pods, images, ... there are, never on
 * how many records; the formats are written from the Aggregate. */
namespace bulkhead::report {

/* The engine object a record is about; "" when the record does not say. */
struct Subject
{
	std::string engine; /* "containerd-cri", "crio", "podman", "nerdctl", "docker", ... */
	std::string k8sNamespace;
	std::string k8sPod;
	std::string k8sContainer;
	std::string image;
};

/* THE one place a record's engine facts are read. A "k8s" object
 * ({"namespace", "pod", "container"}), an "image" string and an "engine"
 * string (or an "engine" object's "kind") are used first when a record has
 * them; otherwise the engine hints of today's records, the "engine" object of
 * annotations: io.kubernetes.cri.sandbox-namespace / io.kubernetes.pod.namespace,
 * io.kubernetes.cri.sandbox-name / io.kubernetes.pod.name,
 * io.kubernetes.cri.container-name / io.kubernetes.container.name,
 * io.kubernetes.cri.image-name / io.kubernetes.cri-o.ImageName; the engine
 * from the keys only that engine writes, else from the bundle's directory. */
Subject subjectOf(const json::Value &record);

/* Milliseconds since the epoch of an RFC 3339 time ("2026-11-29T02:31:07.123Z",
 * "+01:00" offsets too); nullopt when it is not one. */
std::optional<int64_t> parseRfc3339(std::string_view text) noexcept;
/* --since/--until: RFC 3339, a date (YYYY-MM-DD, midnight UTC), or an age
 * before NOW ("90m", "24h", "7d", "2w"). */
std::optional<int64_t> parseWhen(std::string_view text, int64_t nowMs) noexcept;
/* "2026-11-29T02:31:07Z" (seconds precision, UTC). */
std::string formatTime(int64_t ms);

struct Counts
{
	uint64_t allow = 0, mutate = 0, deny = 0, error = 0;
	uint64_t wouldDeny = 0; /* audit mode: allowed, but enforce mode would deny */
	[[nodiscard]] uint64_t total() const noexcept { return allow + mutate + deny + error; }
	void add(std::string_view verdict) noexcept;
};

struct RuleCounts
{
	uint64_t deny = 0, mutate = 0, audit = 0;
	[[nodiscard]] uint64_t total() const noexcept { return deny + mutate + audit; }
};

/* Findings grouped by (rule, action, message): the denied and mutated
 * requests with what was found and how to avoid it. */
struct FindingGroup
{
	std::string rule, action, wouldBe, message, remedy, pointer;
	uint64_t count = 0;
	int64_t firstMs = 0, lastMs = 0;
	std::string example; /* the last request: "containerId (namespace/pod)" or its subject */
	std::string exampleSubject;
};

struct RequestFinding
{
	std::string rule, action, message, remedy;
};

/* One denied or mutated request, kept in detail (the latest --limit). */
struct Request
{
	int64_t ms = 0;
	std::string verdict, command, containerId, subject;
	Subject who;
	std::vector<RequestFinding> findings;
};

/* An exemption or override that applied, or one that matched after it expired. */
struct Use
{
	std::string kind; /* "exemption", "override" */
	std::string name, reason;
	std::optional<std::string> expires; /* nullopt: no expiry */
	std::vector<std::string> rules;
	uint64_t count = 0;
	int64_t lastMs = 0;
};

struct BadLine
{
	std::string file;
	uint64_t line = 0;
	std::string why;
};

/* PolicyReport material: per namespace, per pod. */
struct PodStats
{
	Counts verdicts;
	std::map<std::pair<std::string, std::string>, uint64_t> findings; /* (rule, action) */
	std::string lastMessage;
	int64_t lastMs = 0;
};

struct Options
{
	std::optional<int64_t> sinceMs, untilMs;
	int64_t nowMs = 0;       /* "expiring soon" is judged from here */
	int64_t soonDays = 30;   /* expiring within this many days */
	size_t limit = 50;       /* denied/mutated requests kept in detail */
	size_t maxKeys = 10000;  /* distinct names per table; the rest count as "(other)" */
	size_t maxBadShown = 20; /* bad lines listed (all are counted) */
};

struct Aggregate
{
	uint64_t records = 0;  /* in the window */
	uint64_t outside = 0;  /* well-formed, outside --since/--until */
	uint64_t badLines = 0; /* torn, not JSON, not a record */
	int64_t firstMs = 0, lastMs = 0;
	std::vector<std::string> files;
	std::vector<BadLine> bad; /* the first maxBadShown */
	Counts verdicts;
	std::map<std::string, Counts> policies; /* "name version sha256[:12]" */
	std::map<std::string, RuleCounts> rules;
	std::map<std::string, Counts> engines, namespaces, pods, images, containers, commands;
	std::map<int64_t, Counts> hours; /* hour start (ms) -> decisions */
	std::map<std::string, FindingGroup> groups;
	std::deque<Request> requests;                               /* newest last */
	std::map<std::string, Use> uses;                            /* kind + name */
	std::map<std::string, Use> expired;                         /* kind + name */
	std::map<std::string, std::map<std::string, PodStats>> k8s; /* namespace -> pod */
};

class Aggregator
{
public:
	explicit Aggregator(Options o) : opts_(std::move(o)) {}
	/* One line of a log; a bad one is counted, never thrown. */
	void line(std::string_view text, std::string_view file, uint64_t lineNo);
	/* One parsed record (tests). Returns false when it is not a record. */
	bool add(const json::Value &record, std::string *why = nullptr);
	/* A line that could not be read as a record (too long, a cut gzip stream). */
	void bad(std::string_view file, uint64_t lineNo, std::string why);
	void file(std::string name) { agg_.files.push_back(std::move(name)); }
	[[nodiscard]] const Aggregate &result() const noexcept { return agg_; }
	[[nodiscard]] const Options &options() const noexcept { return opts_; }

private:
	Options opts_;
	Aggregate agg_;
};

/* The configured log and its rotations, oldest first: LOG.N.gz ... LOG.2.gz,
 * LOG.1 (or LOG.1.gz), LOG; only those that exist (LOG always). */
std::vector<std::string> rotatedLogs(const std::string &log);
/* Feed every line of PATH ("-": standard input; gzip'ed when it starts with
 * gzip's magic) to AGG, one line at a time; a line over 1 MiB is a bad line.
 * Throws Error{Io} when the file cannot be opened or read. */
void readLog(const std::string &path, Aggregator &agg);

/* Time buckets for the charts: an hour while the span is two days or less, a
 * day up to 90 days, a week beyond. */
struct Bucket
{
	int64_t startMs;
	Counts counts;
};
std::vector<Bucket> buckets(const Aggregate &a, int64_t *widthMs);
const char *bucketName(int64_t widthMs) noexcept; /* "hour", "day", "week" */

/* Uses whose expiry lies between now and now + soonDays (days left in *days). */
bool expiringSoon(const Use &u, const Options &o, int64_t *daysLeft) noexcept;

void writeText(const Aggregate &a, const Options &o, Output &out, bool colour);
void writeJson(const Aggregate &a, const Options &o, Output &out);
void writeHtml(const Aggregate &a, const Options &o, Output &out);
void writeSarif(const Aggregate &a, const Options &o, Output &out);
void writePolicyReport(const Aggregate &a, const Options &o, Output &out);

/* `bulkhead audit ARGS` (ARGS: what follows "audit"). Exit 0, 2 on bad
 * usage or an unreadable log. */
int auditMain(const std::vector<std::string> &args);
/* The same into strings (tests); the configuration's log is not read when
 * ARGS name logs. */
int auditMain(const std::vector<std::string> &args, std::string &out, std::string &err,
              bool colour);

} // namespace bulkhead::report
