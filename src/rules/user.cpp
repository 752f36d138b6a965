#include "spec_util.h"

#include "bulkhead/error.h"
#include "bulkhead/rule.h"

/* P1.user: the container process does not run as root. */
namespace bulkhead::policy {

namespace {

const char *const kRemedy =
        "docker run/exec --user UID:GID (not 0); k8s securityContext.runAsNonRoot: true, "
        "runAsUser/runAsGroup";

constexpr int64_t kMaxId = 4294967294; /* (uid_t)-1 is "no change" to the kernel */

int64_t idParam(const RuleRun &run, std::string_view name)
{
	int64_t v = run.paramInt(name, 65534);
	if (v <= 0 || v > kMaxId)
		throw Error(
		        ErrorKind::Policy,
		        strprintf(
		                "rule P1.user: parameter \"%.*s\" must be a non-root id (1..%lld)",
		                static_cast<int>(name.size()), name.data(),
		                static_cast<long long>(kMaxId)));
	return v;
}

/* An id field: nullopt when absent/null, Malformed when not a valid id. */
std::optional<int64_t> idField(json::Value *user, std::string_view key, const json::Pointer &at)
{
	json::Value *v = util::child(user, key);
	if (!v)
		return std::nullopt;
	int64_t n = util::integer(*v, at);
	if (n < 0 || n > 4294967295)
		util::malformed(at, "id out of range at " + at.str());
	return n;
}

/* Whether the spec's own user namespace maps `id` inside the container;
 * true when the spec has no mappings of this kind. */
bool mapped(RuleRun &run, const char *key, int64_t id)
{
	const json::Pointer mp = json::Pointer() / "linux" / key;
	json::Value *maps = util::array(util::child(&run.doc, "linux"), key, mp);
	if (!maps || maps->items().empty())
		return true;
	for (size_t i = 0; i < maps->items().size(); ++i) {
		json::Value &m = maps->items()[i];
		util::expect(&m, json::Type::Object, mp / i);
		json::Value *c = util::child(&m, "containerID");
		json::Value *n = util::child(&m, "size");
		if (!c || !n)
			util::malformed(mp / i, "id mapping without containerID or size at " +
			                                (mp / i).str());
		int64_t start = util::integer(*c, mp / i / "containerID");
		int64_t size = util::integer(*n, mp / i / "size");
		if (id >= start && id - start < size)
			return true;
	}
	return false;
}

/* A tmpfs the engine made for a root process (docker run --tmpfs, no uid= or
 * gid=) is the new user's when bulkhead changes the user: runc gives it the
 * mode of the image's directory, owned by container root, and the new user
 * could not write it. /dev and the kernel trees stay root's. */
void engineTmpfs(RuleRun &run, int64_t uid, std::optional<int64_t> gid)
{
	const json::Pointer mp = json::Pointer() / "mounts";
	json::Value *mounts = util::array(&run.doc, "mounts", mp);
	for (size_t i = 0; mounts && i < mounts->items().size(); ++i) {
		json::Value &m = mounts->items()[i];
		util::expect(&m, json::Type::Object, mp / i);
		json::Value *type = util::string(&m, "type", mp / i / "type");
		json::Value *dest = util::child(&m, "destination");
		if (!type || type->asString() != "tmpfs" || !dest)
			continue;
		const std::string d = util::cleanPath(util::text(*dest, mp / i / "destination"));
		if (util::isUnder(d, "/dev") || util::isUnder(d, "/proc") ||
		    util::isUnder(d, "/sys"))
			continue;
		json::Value *opts = util::array(&m, "options", mp / i / "options");
		bool owned = false;
		for (size_t k = 0; opts && k < opts->items().size(); ++k) {
			const std::string &o = util::text(opts->items()[k], mp / i / "options" / k);
			owned = owned || o.compare(0, 4, "uid=") == 0 ||
			        o.compare(0, 4, "gid=") == 0;
		}
		if (owned)
			continue;
		std::string ids = "uid=" + std::to_string(uid) +
		                  (gid ? ",gid=" + std::to_string(*gid) : std::string());
		util::fix(
		        run, mp / i / "options",
		        "tmpfs " + d + " was made for a root process (no uid= or gid=)",
		        "owned by the process user (" + ids + ")", kRemedy, [&run, i, uid, gid] {
			        json::Value &mm = util::child(&run.doc, "mounts")->items()[i];
			        json::Value *o = util::child(&mm, "options");
			        if (!o)
				        o = &mm.set("options", json::Value::array());
			        o->push(json::Value::string("uid=" + std::to_string(uid)));
			        if (gid)
				        o->push(json::Value::string("gid=" + std::to_string(*gid)));
		        });
	}
}

void checkUser(RuleRun &run)
{
	const int64_t uid = idParam(run, "uid");
	const int64_t gid = idParam(run, "gid");
	const bool rootGroup = run.paramBool("allowRootGroup", false);

	const json::Pointer pp = json::Pointer() / "process";
	json::Value *process = util::object(&run.doc, "process", pp);
	if (!process) {
		if (run.scope() == Scope::Spec)
			run.deny(pp, "spec has no process", util::kFixWriter);
		return;
	}
	const json::Pointer up = pp / "user";
	json::Value *user = util::object(process, "user", up);
	auto curUid = idField(user, "uid", up / "uid");
	auto curGid = idField(user, "gid", up / "gid");
	json::Value *extra = util::array(user, "additionalGids", up / "additionalGids");
	std::vector<size_t> rootGids;
	if (extra) {
		for (size_t i = 0; i < extra->items().size(); ++i) {
			const json::Pointer at = up / "additionalGids" / i;
			int64_t g = util::integer(extra->items()[i], at);
			if (g < 0 || g > 4294967295)
				util::malformed(at, "id out of range at " + at.str());
			if (g == 0)
				rootGids.push_back(i);
		}
	}

	/* The ids bulkhead would switch to must exist in the spec's own user
	 * namespace (rootless runc maps container id 0 only). */
	const bool needUid = curUid.value_or(0) == 0;
	const bool needGid = curGid.value_or(0) == 0 && (!rootGroup || needUid);
	const char *const unmapped = "map a range of ids (podman --userns=auto, /etc/subuid for "
	                             "rootless engines) or choose P1.user uid/gid inside it";
	if (needUid && !mapped(run, "uidMappings", uid)) {
		run.deny(
		        up / "uid",
		        strprintf("process runs as root (uid 0), and uid %lld is not mapped in the "
		                  "spec's user namespace",
		                  static_cast<long long>(uid)),
		        unmapped);
		return;
	}
	if (needGid && !mapped(run, "gidMappings", gid)) {
		run.deny(up / "gid",
		         strprintf(
		                 "process runs with group root (gid 0), and gid %lld is not mapped "
		                 "in the spec's user namespace",
		                 static_cast<long long>(gid)),
		         unmapped);
		return;
	}

	/* uid absent means 0 to runc. */
	if (needUid) {
		util::fix(run, up / "uid", "process runs as root (uid 0)",
		          strprintf("set to %lld", static_cast<long long>(uid)), kRemedy, [&] {
			          json::Value &u = util::ensureObject(
			                  util::ensureObject(run.doc, "process"), "user");
			          u.set("uid", json::Value::number(uid));
		          });
	}
	if (needGid) {
		util::fix(run, up / "gid", "process runs with group root (gid 0)",
		          strprintf("set to %lld", static_cast<long long>(gid)), kRemedy, [&] {
			          json::Value &u = util::ensureObject(
			                  util::ensureObject(run.doc, "process"), "user");
			          u.set("gid", json::Value::number(gid));
		          });
	}
	if (needUid && run.scope() == Scope::Spec)
		engineTmpfs(run, uid, needGid ? std::optional<int64_t>(gid) : std::nullopt);
	if (!rootGids.empty() && (!rootGroup || curUid.value_or(0) == 0)) {
		util::fix(run, up / "additionalGids", "additional group root (0) in additionalGids",
		          "removed", kRemedy, [&] {
			          json::Value *u =
			                  util::child(util::child(&run.doc, "process"), "user");
			          json::Value *a = util::child(u, "additionalGids");
			          auto &items = a->items();
			          for (auto it = rootGids.rbegin(); it != rootGids.rend(); ++it)
				          items.erase(items.begin() +
				                      static_cast<std::ptrdiff_t>(*it));
		          });
	}
}

} // namespace

std::vector<RuleDef> userRules()
{
	return {
	        {"P1.user",
	         "the process runs as a non-root user and group; additionalGids never include 0",
	         {Scope::Spec, Scope::Process},
	         {{"uid", ParamKind::Int, "uid set when the process would run as root (65534)"},
	          {"gid", ParamKind::Int,
	           "gid set when the process would run as group root (65534)"},
	          {"allowRootGroup", ParamKind::Bool,
	           "allow gid 0 and additionalGids 0 for a non-root uid (false)"}},
	         [](RuleRun &run) { util::guarded(run, [&] { checkUser(run); }); }},
	};
}

} // namespace bulkhead::policy
