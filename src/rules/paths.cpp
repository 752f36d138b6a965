#include "spec_util.h"

#include <algorithm>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P9.masked-paths, P9.readonly-paths: the standard sets of /proc and /sys
 * paths are masked or read-only inside the container. */
namespace bulkhead::policy {

namespace {

const char *const kRemedy = "drop --security-opt systempaths=unconfined and --privileged "
                            "(docker); k8s securityContext.procMount: Default";

const std::vector<std::string> &maskedList()
{
	static const std::vector<std::string> v = {
	        "/proc/acpi",
	        "/proc/asound",
	        "/proc/kcore",
	        "/proc/keys",
	        "/proc/latency_stats",
	        "/proc/timer_list",
	        "/proc/timer_stats",
	        "/proc/sched_debug",
	        "/proc/scsi",
	        "/sys/firmware",
	        "/sys/devices/virtual/powercap",
	};
	return v;
}

const std::vector<std::string> &readonlyList()
{
	static const std::vector<std::string> v = {
	        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	return v;
}

void checkPaths(RuleRun &run, const char *key, const std::vector<std::string> &def,
                const char *what)
{
	std::vector<std::string> want;
	for (const auto &p : run.paramList("paths", def)) {
		if (p.empty() || p.front() != '/' || p.find('\0') != std::string::npos)
			throw Error(ErrorKind::Policy,
			            std::string("rule ") + std::string(run.rule()) +
			                    ": parameter \"paths\" needs absolute "
			                    "paths, got \"" +
			                    p + "\"");
		want.push_back(util::cleanPath(p));
	}
	const json::Pointer lp = json::Pointer() / "linux";
	const json::Pointer at = lp / key;
	json::Value *linux = util::object(&run.doc, "linux", lp);
	json::Value *list = util::array(linux, key, at);
	std::vector<std::string> have;
	if (list)
		for (size_t i = 0; i < list->items().size(); ++i)
			have.push_back(util::cleanPath(util::text(list->items()[i], at / i)));
	std::vector<std::string> missing;
	for (const auto &w : want)
		if (std::find(have.begin(), have.end(), w) == have.end() &&
		    std::find(missing.begin(), missing.end(), w) == missing.end())
			missing.push_back(w);
	if (missing.empty())
		return;
	util::fix(run, at, std::string(what) + " lack " + util::join(missing), "added", kRemedy,
	          [&] {
		          json::Value &l = util::ensureObject(run.doc, "linux");
		          json::Value *a = util::child(&l, key);
		          if (!a)
			          a = &l.set(key, json::Value::array());
		          for (const auto &m : missing)
			          a->push(json::Value::string(m));
	          });
}

} // namespace

std::vector<RuleDef> pathsRules()
{
	return {
	        {"P9.masked-paths",
	         "linux.maskedPaths include the standard set",
	         {Scope::Spec},
	         {{"paths", ParamKind::StringList,
	           "paths that must be masked (/proc/acpi, /proc/asound, /proc/kcore, /proc/keys, "
	           "/proc/latency_stats, /proc/timer_list, /proc/timer_stats, /proc/sched_debug, "
	           "/proc/scsi, /sys/firmware, /sys/devices/virtual/powercap)"}},
	         [](RuleRun &run) {
		         util::guarded(run, [&] {
			         checkPaths(run, "maskedPaths", maskedList(), "masked paths");
		         });
	         }},
	        {"P9.readonly-paths",
	         "linux.readonlyPaths include the standard set",
	         {Scope::Spec},
	         {{"paths", ParamKind::StringList,
	           "paths that must be read-only (/proc/bus, /proc/fs, /proc/irq, /proc/sys, "
	           "/proc/sysrq-trigger)"}},
	         [](RuleRun &run) {
		         util::guarded(run, [&] {
			         checkPaths(run, "readonlyPaths", readonlyList(),
			                    "read-only paths");
		         });
	         }},
	};
}

} // namespace bulkhead::policy
