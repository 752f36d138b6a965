/* Who a record is about: the one function that reads a record's engine facts. */
#include "bulkhead/report.h"

namespace bulkhead::report {

namespace {

std::string stringAt(const json::Value *obj, std::string_view key)
{
	if (obj == nullptr || !obj->isObject())
		return "";
	const json::Value *v = obj->find(key);
	return v != nullptr && v->isString() ? v->asString() : "";
}

std::string firstOf(const json::Value *obj, std::initializer_list<std::string_view> keys)
{
	for (auto k : keys)
		if (std::string v = stringAt(obj, k); !v.empty())
			return v;
	return "";
}

bool hasPrefix(const json::Value *obj, std::string_view prefix)
{
	if (obj == nullptr || !obj->isObject())
		return false;
	for (const auto &[k, v] : obj->members())
		if (k.starts_with(prefix))
			return true;
	return false;
}

/* The engine, from keys only it writes, else from where it keeps bundles. */
std::string engineFrom(const json::Value *hints, const std::string &bundle)
{
	if (hasPrefix(hints, "io.kubernetes.cri-o."))
		return "crio";
	if (hasPrefix(hints, "io.kubernetes.cri."))
		return "containerd-cri";
	if (hasPrefix(hints, "io.kubernetes.docker."))
		return "dockershim";
	if (stringAt(hints, "io.container.manager") == "libpod" || hasPrefix(hints, "io.podman."))
		return "podman";
	if (hasPrefix(hints, "nerdctl/"))
		return "nerdctl";
	if (bundle.find("/io.containerd.runtime.v2.task/moby/") != std::string::npos)
		return "docker";
	if (bundle.find("/io.containerd.runtime.v2.task/k8s.io/") != std::string::npos)
		return "containerd-cri";
	if (bundle.find("/io.containerd.runtime.v2.task/") != std::string::npos)
		return "containerd";
	if (bundle.find("/containers/storage/") != std::string::npos)
		return "podman";
	if (hasPrefix(hints, "io.kubernetes."))
		return "kubernetes";
	return "";
}

} // namespace

Subject subjectOf(const json::Value &record)
{
	Subject s;
	if (!record.isObject())
		return s;
	const json::Value *engine = record.find("engine");
	const json::Value *hints = engine != nullptr && engine->isObject() ? engine : nullptr;
	/* What the configured engine proved (records since the engine facts):
	 * authoritative, also when it proved nothing. Only older records fall
	 * back on the annotations, which a pod may have written. */
	if (const json::Value *facts = record.find("facts");
	    facts != nullptr && facts->isObject()) {
		const json::Value *k8s = facts->find("k8s");
		s.k8sNamespace = stringAt(k8s, "namespace");
		s.k8sPod = stringAt(k8s, "pod");
		s.k8sContainer = stringAt(k8s, "container");
		s.image = stringAt(facts, "image");
		s.engine = stringAt(facts, "engine");
		if (s.engine.empty())
			s.engine = engineFrom(hints, stringAt(&record, "bundle"));
		return s;
	}
	if (s.k8sNamespace.empty())
		s.k8sNamespace = firstOf(hints, {"io.kubernetes.cri.sandbox-namespace",
		                                 "io.kubernetes.pod.namespace"});
	if (s.k8sPod.empty())
		s.k8sPod = firstOf(hints,
		                   {"io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name"});
	if (s.k8sContainer.empty())
		s.k8sContainer = firstOf(hints, {"io.kubernetes.cri.container-name",
		                                 "io.kubernetes.container.name", "nerdctl/name"});
	if (s.image.empty())
		s.image = firstOf(
		        hints, {"io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName"});
	if (s.engine.empty())
		s.engine = engineFrom(hints, stringAt(&record, "bundle"));
	return s;
}

} // namespace bulkhead::report
