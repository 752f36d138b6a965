/* Where each engine keeps its configuration, and doctor's checks of it. The
 * paths are the ones Debian 12's packages use; setup writes the same ones. */
#pragma once

#include "toml.h"

#include <string>
#include <vector>

#include "bulkhead/config.h"
#include "bulkhead/ops.h"

namespace bulkhead::ops {

inline constexpr const char *kDockerConfig = "/etc/docker/daemon.json";
inline constexpr const char *kContainerdConfig = "/etc/containerd/config.toml";
inline constexpr const char *kContainerdDropIn = "/etc/containerd/conf.d/bulkhead.toml";
inline constexpr const char *kCrioConfig = "/etc/crio/crio.conf";
inline constexpr const char *kCrioDir = "/etc/crio/crio.conf.d";
inline constexpr const char *kCrioDropIn = "/etc/crio/crio.conf.d/50-bulkhead.conf";
inline constexpr const char *kPodmanConfig = "/etc/containers/containers.conf";

/* containerd's CRI plugin table (config version 2) and its runtime handlers. */
const toml::Path &criPlugin();
const toml::Path &criRuntimes();

/* What every check needs. */
struct DoctorContext
{
	std::string root; /* "" for the live system */
	std::string self; /* the bulkhead binary the engines should name */
};

/* Does an engine entry NAME -> PATH (as written, below the root) run bulkhead? */
bool namesBulkhead(const DoctorContext &c, const std::string &name, const std::string &path);

/* One line per engine that is installed, a skip line for one that is not. */
void checkDocker(const DoctorContext &c, std::vector<Check> &out);
void checkContainerd(const DoctorContext &c, std::vector<Check> &out);
void checkCrio(const DoctorContext &c, std::vector<Check> &out);
void checkPodman(const DoctorContext &c, std::vector<Check> &out);

/* /etc/subuid and /etc/subgid ranges of USER (the engine's remap user).
 * WHENMISSING and WHY: how bad their absence is for this engine, and why
 * (dockerd's "default" adds them itself: a warning). */
void checkSubids(const DoctorContext &c, const std::string &engine, const std::string &user,
                 Status whenMissing, const std::string &why, std::vector<Check> &out);

/* The canary: a busybox-static container created through bulkhead and the
 * configuration CFG (paths already below the root), run, checked, deleted. */
void checkCanary(const DoctorContext &c, const Config &cfg, std::vector<Check> &out);

} // namespace bulkhead::ops
