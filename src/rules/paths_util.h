#pragma once

#include "spec_util.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/error.h"
#include "bulkhead/host.h"
#include "bulkhead/json.h"
#include "bulkhead/rule.h"

/* Shared helpers of the host-facing rules (mounts, namespaces, hooks, userns):
 * lexical path handling, identity by device+inode through HostFacts, mount
 * option semantics and the per-container engine paths. No rule logic here. */
namespace bulkhead::policy::paths {

/* One dialect for every rule file: the Malformed and guarded() of spec_util.h. */
using util::guarded;
using util::Malformed;

/* Lexical normalisation of an absolute path: "//" and "." collapse, ".." pops
 * (never above "/"), no trailing slash except for "/". A relative input is
 * returned normalised and still relative. */
std::string normalize(std::string_view path);

/* A mount source or root.path as the runtime sees it: relative paths resolve
 * against the bundle (runc runs in the bundle directory). Not normalised: ".."
 * after a symlink is the kernel's business (see inspect). nullopt when the path
 * is relative and the bundle is unknown. */
std::optional<std::string> resolveAgainst(std::string_view path, std::string_view bundle);

/* path == dir, or path lies below dir (both normalised, absolute). */
bool isSameOrUnder(std::string_view path, std::string_view dir) noexcept;
/* path lies strictly below dir. */
bool isStrictlyUnder(std::string_view path, std::string_view dir) noexcept;

/* "/a/b/c" -> {"/", "/a", "/a/b"}: every proper ancestor, root first. */
std::vector<std::string> ancestors(std::string_view path);
/* Split a normalised absolute path into components ("/" -> {}). */
std::vector<std::string> components(std::string_view path);

bool hasNul(std::string_view s) noexcept;

/* "/proc/1/root/x", "/proc/self/root/x", "/proc/thread-self/root/x",
 * "/proc/N/task/M/root/x" -> "/x"; otherwise the input. Lexical only. */
std::string stripProcRoot(std::string_view path);

/* Everything a rule knows about a host path: its lexical form, what it
 * resolves to and its identity. */
struct HostPath
{
	std::string lexical;             /* normalised */
	std::optional<std::string> real; /* realpath, when it exists */
	std::optional<FileStat> st;      /* stat, following links */
};
/* path: absolute, as written; lexical is its normalised form. */
HostPath inspect(const HostFacts &host, const std::string &path);

/* Effective state of a mount's options as runc 1.1.5 applies them
 * (mount::effect): flags in order, then, on a bind mount, the recursive
 * attributes (a later "suid" cancels an earlier "nosuid"; an "rsuid" anywhere
 * cancels "nosuid"). */
struct MountOptions
{
	bool nosuid = false;
	bool nodev = false;
	bool bind = false;
	bool readOnly = false;
	std::vector<std::string> propagation; /* every propagation option, in order */
	std::vector<size_t> data;             /* indexes of the options runc passes as data */
};
MountOptions parseOptions(const std::vector<std::string> &options);
/* The options of a mount as strings; throws Malformed when not an array of
 * strings, or when they would not reach the kernel one for one once runc
 * joins them with commas (mount::splitProblem: an option with a comma, an
 * escape that swallows the comma, an empty option). Absent or null -> empty. */
std::vector<std::string> mountOptions(const json::Value &mount, const json::Pointer &at);
/* A bind mount: type "bind", or a "bind"/"rbind" option (type "none" with rbind). */
bool isBind(const json::Value &mount, const std::vector<std::string> &options);

/* A host path the policy protects, with its forms and identities. */
struct Target
{
	std::string lexical;
	std::optional<std::string> real;
	std::optional<FileId> id;
	std::vector<FileId> ancestorIds; /* of its real (or lexical) path's ancestors */
};
/* The listed absolute paths (others are skipped: policy validate refuses them). */
std::vector<Target> targets(const HostFacts &host, const std::vector<std::string> &list);
/* The lexical forms of a host path: as written (normalised), with
 * /proc/PID/root stripped, and what it resolves to. */
std::vector<std::string> forms(const HostPath &hp);

/* One entry of an ID mapping list (linux.uidMappings, a mount's uidMappings). */
struct IdMapping
{
	uint64_t containerId = 0;
	uint64_t hostId = 0;
	uint64_t size = 0;
};
/* The entries of a mapping list; throws Malformed unless each is an object of
 * 32-bit unsigned containerID, hostID and a size of at least 1. */
std::vector<IdMapping> idMappings(const json::Value &list, const json::Pointer &at);
bool inRange(uint64_t id, uint64_t start, uint64_t size) noexcept;

/* Type-checked access: nullptr when absent or null; throws Malformed when
 * present with another type. */
const json::Value *member(const json::Value &obj, std::string_view key, json::Type want,
                          const json::Pointer &at);
json::Value *member(json::Value &obj, std::string_view key, json::Type want,
                    const json::Pointer &at);
/* A string member without NUL; nullopt when absent. */
std::optional<std::string> stringMember(const json::Value &obj, std::string_view key,
                                        const json::Pointer &at);
/* The spec's annotations as read-only pairs (empty when absent). */
std::string annotation(const json::Value &spec, std::string_view key);

/* Per-container engine paths. Templates are absolute directory paths ending in
 * "/" whose components may be {id} (this container's ID, from the command
 * line), {podUid} and {sandboxId} (its pod's UID and sandbox ID as
 * engine::derive proves them: never from annotations alone, never when the
 * engine is unknown) or {remap} (Docker's "UID.GID" remap root). A path
 * matches when it lies strictly below an expanded template. */
struct EngineIds
{
	std::string containerId;       /* "" offline: {id} then matches one consistent ID */
	std::string podUid;            /* "" unproven: {podUid} matches nothing */
	std::string sandboxId;         /* "" unproven: {sandboxId} matches nothing */
	std::string unproven;          /* why the spec's pod is not proven, for messages */
	mutable std::string offlineId; /* the ID the first {id} match saw offline */
};
EngineIds engineIds(const json::Value &spec, const CallContext &call, const HostFacts &host);
/* A safe single path component for an ID: [A-Za-z0-9][A-Za-z0-9_.-]*, no "..". */
bool isSafeId(std::string_view id) noexcept;
bool matchesTemplate(std::string_view path, std::string_view tmpl, const EngineIds &ids);
const std::vector<std::string> &defaultContainerPaths();
const std::vector<std::string> &defaultAllowPrefixes();
const std::vector<std::string> &defaultSensitivePaths();
/* The engine sockets (Docker, containerd, CRI-O, Podman, BuildKit, cri-dockerd)
 * that P10.engine-socket and P7.seccomp (listenerPath) know by default. */
const std::vector<std::string> &defaultEngineSockets();

/* Why the host path PATH (absolute) is one of FILES: the same path as written,
 * with /proc/PID/root stripped or resolved, or the same file by device+inode
 * (a hard link, a symlink, a bind mount). "" when it is none of them. The
 * message names the file: "is the same file (device+inode) as F". */
std::string sameFileAs(const HostFacts &host, const std::string &path,
                       const std::vector<std::string> &files);
/* Why the host path PATH (absolute) lies inside one of TREES, as written or
 * resolved, or below a directory that is one of them by device+inode ("/"
 * counts only for "/" itself). "" when it lies in none. */
std::string insideTree(const HostFacts &host, const std::string &path,
                       const std::vector<std::string> &trees);

/* Remedies shared by several rules. */
extern const char *const kUsernsRemedy;

} // namespace bulkhead::policy::paths
