/* `bulkhead audit [--since T] [--until T] [--format F] [LOG...]` */
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <new>
#include <unistd.h>

#include "bulkhead/config.h"
#include "bulkhead/error.h"
#include "bulkhead/report.h"

namespace bulkhead::report {

namespace {

constexpr const char *kUsage =
        "usage: bulkhead audit [--since T] [--until T]\n"
        "                      [--format text|json|html|sarif|policyreport]\n"
        "                      [--limit N] [--soon DAYS] [LOG...]\n"
        "\n"
        "What the audit log says: decisions by verdict, rule, engine, Kubernetes\n"
        "namespace and pod, image and container, over time; the denied and mutated\n"
        "requests with their findings and remedies; the exemptions and overrides\n"
        "used, those that expired and those expiring soon. The log is read a record\n"
        "at a time; bad lines (torn, not JSON) are counted and listed, never fatal.\n"
        "\n"
        "  LOG            audit logs to read, in order (- for standard input; gzip'ed\n"
        "                 files are read as such). Default: \"audit.log\" of the\n"
        "                 machine configuration and its rotations, oldest first\n"
        "                 (LOG.N.gz ... LOG.1, LOG)\n"
        "  --since T      only decisions at or after T: RFC 3339\n"
        "                 (2026-11-29T02:00:00Z), a date (2026-11-29, midnight UTC)\n"
        "                 or an age (90m, 24h, 7d, 2w)\n"
        "  --until T      only decisions before T (the same forms)\n"
        "  --format FMT   text (default), json, html (a self-contained page),\n"
        "                 sarif (SARIF 2.1.0) or policyreport (a Kubernetes\n"
        "                 PolicyReport per namespace, wgpolicyk8s.io/v1alpha2)\n"
        "  --limit N      denied and mutated requests listed in detail (default 50)\n"
        "  --soon DAYS    \"expiring soon\" means within DAYS days (default 30)\n"
        "\n"
        "Exit status: 0 the report was written; 2 bad usage, or a log that cannot be\n"
        "read.\n";

[[noreturn]] void usage(const std::string &msg)
{
	throw Error(ErrorKind::Usage, "audit: " + msg + " (see bulkhead audit --help)");
}

int64_t nowMs()
{
	struct timespec ts
	{
	};
	::clock_gettime(CLOCK_REALTIME, &ts);
	return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Args
{
	Options opts;
	std::string format = "text";
	std::vector<std::string> logs;
	bool help = false;
};

Args parse(const std::vector<std::string> &args)
{
	Args a;
	a.opts.nowMs = nowMs();
	bool done = false;
	std::vector<std::string> seen;
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &arg = args[i];
		if (done || arg == "-" || arg.empty() || arg[0] != '-') {
			a.logs.push_back(arg);
			continue;
		}
		if (arg == "--") {
			done = true;
			continue;
		}
		if (arg == "--help" || arg == "-h") {
			a.help = true;
			return a;
		}
		std::string name = arg, value;
		if (auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
			name = arg.substr(0, eq);
			value = arg.substr(eq + 1);
		} else if (i + 1 < args.size()) {
			value = args[++i];
		} else {
			usage(name + " needs a value");
		}
		if (std::find(seen.begin(), seen.end(), name) != seen.end())
			usage(name + " given twice");
		seen.push_back(name);
		if (value.empty())
			usage(name + " needs a value");
		auto count = [&](int64_t max) {
			char *end = nullptr;
			long long v = std::strtoll(value.c_str(), &end, 10);
			if (*end != '\0' || v < 0 || v > max)
				usage(name + " must be a number from 0 to " + std::to_string(max) +
				      ", not \"" + value + "\"");
			return static_cast<int64_t>(v);
		};
		if (name == "--since" || name == "--until") {
			auto t = parseWhen(value, a.opts.nowMs);
			if (!t)
				usage(name + " \"" + value +
				      "\": not a time (2026-11-29T02:00:00Z, 2026-11-29, 24h, 7d)");
			(name == "--since" ? a.opts.sinceMs : a.opts.untilMs) = *t;
		} else if (name == "--format") {
			if (value != "text" && value != "json" && value != "html" &&
			    value != "sarif" && value != "policyreport")
				usage("--format must be text, json, html, sarif or policyreport, "
				      "not \"" +
				      value + "\"");
			a.format = value;
		} else if (name == "--limit") {
			a.opts.limit = static_cast<size_t>(count(100000));
		} else if (name == "--soon") {
			a.opts.soonDays = count(3650);
		} else {
			usage("unknown option " + name);
		}
	}
	if (a.opts.sinceMs && a.opts.untilMs && *a.opts.sinceMs >= *a.opts.untilMs)
		usage("--since must come before --until");
	size_t stdinCount = 0;
	for (const auto &l : a.logs)
		stdinCount += l == "-" ? 1 : 0;
	if (stdinCount > 1)
		usage("standard input (-) can be read only once");
	return a;
}

int run(const std::vector<std::string> &args, Output &out, Output &err, bool colour)
{
	try {
		Args a = parse(args);
		if (a.help) {
			out << kUsage;
			return 0;
		}
		if (a.logs.empty()) {
			const Config cfg = Config::load();
			a.logs = rotatedLogs(cfg.audit.log);
		}
		Aggregator agg(a.opts);
		for (const auto &log : a.logs) {
			try {
				readLog(log, agg);
			} catch (const Error &e) {
				throw e.wrap("audit");
			}
		}
		const Aggregate &r = agg.result();
		if (a.format == "json")
			writeJson(r, a.opts, out);
		else if (a.format == "html")
			writeHtml(r, a.opts, out);
		else if (a.format == "sarif")
			writeSarif(r, a.opts, out);
		else if (a.format == "policyreport")
			writePolicyReport(r, a.opts, out);
		else
			writeText(r, a.opts, out, colour);
		if (r.badLines)
			err << strprintf("bulkhead: audit: %llu bad line%s left out (torn or not "
			                 "records)\n",
			                 static_cast<unsigned long long>(r.badLines),
			                 r.badLines == 1 ? "" : "s");
		return 0;
	} catch (const std::bad_alloc &) {
		err << "bulkhead: audit: out of memory\n";
	} catch (const std::exception &e) {
		err << "bulkhead: " << singleLine(e.what()) << "\n";
	}
	return 2;
}

} // namespace

int auditMain(const std::vector<std::string> &args, std::string &out, std::string &err, bool colour)
{
	Output o(out), e(err);
	return run(args, o, e, colour);
}

int auditMain(const std::vector<std::string> &args)
{
	const char *noColour = std::getenv("NO_COLOR");
	const bool colour = ::isatty(STDOUT_FILENO) == 1 && (!noColour || !*noColour);
	Output out(STDOUT_FILENO), err(STDERR_FILENO);
	int rc = run(args, out, err, colour);
	try {
		out.flush();
	} catch (const Error &e) {
		err << "bulkhead: " << singleLine(e.what()) << "\n";
		rc = 2;
	}
	return rc;
}

} // namespace bulkhead::report
