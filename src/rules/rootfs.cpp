#include "spec_util.h"

#include <optional>

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P2.readonly-rootfs: the root filesystem is read-only; bounded tmpfs where
 * applications expect to write, unless the spec already mounts something there. */
namespace bulkhead::policy {

namespace {

const char *const kRemedy = "docker run --read-only --tmpfs /tmp; k8s "
                            "securityContext.readOnlyRootFilesystem: true with emptyDir volumes";

bool validSize(const std::string &s)
{
	if (s.empty())
		return false;
	size_t digits = 0;
	while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
		++digits;
	if (digits == 0 || digits > 15)
		return false;
	if (digits == s.size())
		return true;
	if (digits + 1 != s.size())
		return false;
	char u = s.back();
	return u == 'k' || u == 'm' || u == 'g' || u == 'K' || u == 'M' || u == 'G';
}

/* The process's uid or gid when it is a plain non-root id (P1 runs first). */
std::optional<int64_t> processId(const json::Value &doc, std::string_view key)
{
	const json::Value *p = doc.find("process");
	const json::Value *u = p && p->isObject() ? p->find("user") : nullptr;
	const json::Value *v = u && u->isObject() ? u->find(key) : nullptr;
	auto n = v && v->isNumber() ? v->asInt64() : std::nullopt;
	if (n && *n > 0 && *n <= 4294967294)
		return n;
	return std::nullopt;
}

void checkRootfs(RuleRun &run)
{
	const std::vector<std::string> dirs = run.paramList("tmpfs", {"/tmp", "/run", "/var/tmp"});
	const std::string size = run.paramString("tmpfsSize", "64m");
	if (!validSize(size))
		throw Error(ErrorKind::Policy,
		            "rule P2.readonly-rootfs: parameter \"tmpfsSize\" must be a size "
		            "like \"64m\", got \"" +
		                    size + "\"");
	std::vector<std::string> want;
	for (const auto &d : dirs) {
		std::string c = util::cleanPath(d);
		if (c.empty() || c.front() != '/' || c == "/" || d.find('\0') != std::string::npos)
			throw Error(ErrorKind::Policy,
			            "rule P2.readonly-rootfs: parameter \"tmpfs\" "
			            "needs absolute directories other than /, got \"" +
			                    d + "\"");
		want.push_back(c);
	}

	const json::Pointer rp = json::Pointer() / "root";
	json::Value *root = util::object(&run.doc, "root", rp);
	if (!root) {
		run.deny(rp, "spec has no root", util::kFixWriter);
		return;
	}
	json::Value *ro = util::child(root, "readonly");
	if (ro && !ro->isBool())
		util::malformed(rp / "readonly", "boolean expected at /root/readonly");

	/* Destinations already mounted, cleaned. */
	const json::Pointer mp = json::Pointer() / "mounts";
	json::Value *mounts = util::array(&run.doc, "mounts", mp);
	std::vector<std::string> dests;
	if (mounts) {
		for (size_t i = 0; i < mounts->items().size(); ++i) {
			json::Value &m = mounts->items()[i];
			if (!m.isObject())
				util::malformed(mp / i, "object expected at " + (mp / i).str());
			json::Value *d = util::child(&m, "destination");
			if (!d)
				util::malformed(mp / i / "destination",
				                "mount without destination at " + (mp / i).str());
			dests.push_back(util::cleanPath(util::text(*d, mp / i / "destination")));
		}
	}

	if (!ro || !ro->asBool()) {
		util::fix(run, rp / "readonly", "root filesystem is writable", "made read-only",
		          kRemedy, [&] {
			          util::child(&run.doc, "root")
			                  ->set("readonly", json::Value::boolean(true));
		          });
	}

	const auto uid = processId(run.doc, "uid");
	const auto gid = processId(run.doc, "gid");
	for (const auto &dir : want) {
		/* Something mounted there, or on a parent of it (other than /), wins. */
		bool covered = false;
		for (const auto &d : dests)
			if (d != "/" && util::isUnder(dir, d))
				covered = true;
		if (covered)
			continue;
		util::fix(run, mp, "no writable tmpfs on " + dir + " with a read-only rootfs",
		          "added (" + size + ", nosuid, nodev)", kRemedy, [&] {
			          json::Value m = json::Value::object();
			          m.set("destination", json::Value::string(dir));
			          m.set("type", json::Value::string("tmpfs"));
			          m.set("source", json::Value::string("tmpfs"));
			          json::Value opts = json::Value::array();
			          for (const char *o : {"nosuid", "nodev", "mode=1777"})
				          opts.push(json::Value::string(o));
			          opts.push(json::Value::string("size=" + size));
			          /* runc keeps the mode of the image's directory (/run is
			           * usually 0755): owning the tmpfs is what lets a non-root
			           * process write there. */
			          if (uid)
				          opts.push(json::Value::string("uid=" +
				                                        std::to_string(*uid)));
			          if (gid)
				          opts.push(json::Value::string("gid=" +
				                                        std::to_string(*gid)));
			          m.set("options", std::move(opts));
			          json::Value *ms = util::child(&run.doc, "mounts");
			          if (!ms)
				          ms = &run.doc.set("mounts", json::Value::array());
			          /* Before any mount below it, so the tmpfs never hides one. */
			          auto &items = ms->items();
			          size_t pos = items.size();
			          for (size_t i = 0; i < items.size(); ++i) {
				          const json::Value *d =
				                  util::child(&items[i], "destination");
				          if (d && d->isString() &&
				              util::isUnder(util::cleanPath(d->asString()), dir)) {
					          pos = i;
					          break;
				          }
			          }
			          items.insert(items.begin() + static_cast<std::ptrdiff_t>(pos),
			                       std::move(m));
		          });
		dests.push_back(dir);
	}
}

} // namespace

std::vector<RuleDef> rootfsRules()
{
	return {
	        {"P2.readonly-rootfs",
	         "read-only root filesystem, with nosuid,nodev tmpfs on /tmp, /run, /var/tmp "
	         "unless "
	         "the spec mounts something there",
	         {Scope::Spec},
	         {{"tmpfs", ParamKind::StringList,
	           "directories given a tmpfs when nothing is mounted there ([/tmp, /run, "
	           "/var/tmp])"},
	          {"tmpfsSize", ParamKind::String, "size of each added tmpfs (\"64m\")"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkRootfs(run); }); }},
	};
}

} // namespace bulkhead::policy
