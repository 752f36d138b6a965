#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bulkhead/host.h"
#include "bulkhead/json.h"

/* Who runs this container, from the engine's own truth. The machine
 * configuration names the engine ("engine" in bulkhead-config(5)). Each fact is
 * read only from an annotation that engine writes itself after everything a pod
 * or a user can set, on a call whose bundle lies where that engine puts this
 * container's bundle; the per-pod facts (pod UID, sandbox ID) are proven
 * against the engine's root-owned record of the pod's sandbox. A fact that
 * cannot be proven stays empty, and empty means unknown: an exception or a
 * policy match that needs it does not apply (fail closed). The key table is in
 * bulkhead-policy(5), ENGINE IDENTITY. */
namespace bulkhead::engine {

enum class Kind { Unknown, Docker, Containerd, ContainerdCri, Crio, Podman };

/* "docker", "containerd", "containerd-cri", "crio", "podman"; "" for Unknown. */
const char *kindName(Kind k) noexcept;
/* The inverse of kindName for the five engines; nullopt otherwise. */
std::optional<Kind> kindFromName(std::string_view name) noexcept;
/* "docker, containerd-cri, containerd, crio, podman", for messages. */
const char *kindNames() noexcept;
/* The user whose /etc/subuid and /etc/subgid ranges the engine maps containers
 * into: dockremap (dockerd --userns-remap=default), containers (podman
 * --userns=auto), kubelet (Kubernetes hostUsers: false, 1.30 and later);
 * nullptr for plain containerd and an unknown engine. */
const char *subordinateUser(Kind k) noexcept;

/* The call as the runtime receives it. */
struct Call
{
	Kind engine = Kind::Unknown; /* the configured engine */
	std::string containerId;     /* from the command line; "" offline */
	std::string bundle;          /* absolute bundle directory; "" offline */
	std::string runtimeRoot;     /* the runtime's --root; "" for runc's /run/runc */
	/* Judged offline (policy check --engine): the engine's own keys are read
	 * as written, with neither the bundle layout nor the sandbox's record to
	 * prove them. Never set in runtime mode. */
	bool offline = false;
};

/* Facts for rules and policy matches. Empty strings are unknown. */
struct Facts
{
	/* The configured engine, when this call is one of its calls (the bundle is
	 * where it puts this container's bundle); Unknown otherwise. */
	Kind engine = Kind::Unknown;
	/* The command line's container ID when it is a safe path component, whatever
	 * the engine: runtime state is keyed by it. */
	std::string containerId;
	bool sandbox = false;  /* a pod's sandbox (pause) container, by the engine's own key */
	std::string sandboxId; /* the pod's sandbox: proven, or this sandbox's own ID */
	std::string podUid;    /* proven against the sandbox's record */
	std::string k8sNamespace;
	std::string k8sPod;
	std::string k8sContainer;
	/* The image reference: containerd CRI's io.kubernetes.cri.image-name and
	 * CRI-O's io.kubernetes.cri-o.ImageName (proven pods only); Docker's
	 * Config.Image from dockerd's record of this container (config.v2.json,
	 * found through the engine files the spec binds; whatever the data root
	 * and exec root). Plain containerd and Podman write none: "". */
	std::string image;
	/* Why the pod the spec names is not proven ("" when it is, or when the
	 * spec names none): for refusal messages and the audit record. */
	std::string unproven;
};

/* Pure function of the spec (as the engine wrote it), the call and the host's
 * engine records; never throws for a bad spec or record (they prove nothing). */
[[nodiscard]] Facts derive(const json::Value &spec, const Call &call, const HostFacts &host);

/* A safe single path component for an ID: [A-Za-z0-9][A-Za-z0-9_.-]*, no "..",
 * at most 256 bytes. */
bool isSafeId(std::string_view id) noexcept;

} // namespace bulkhead::engine
