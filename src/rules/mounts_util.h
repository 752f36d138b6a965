/* What the mount rules share (src/rules/mounts.cpp, mount_options.cpp). */
#pragma once

#include "paths_util.h"

#include <string>

#include "bulkhead/json.h"

namespace bulkhead::policy::mounts {

using json::Pointer;
using json::Type;
using json::Value;

/* Call fn(mount, pointer) for each mount; malformed entries throw. */
template <typename F> void eachMount(Value &doc, F &&fn)
{
	Value *mounts = paths::member(doc, "mounts", Type::Array, Pointer());
	if (!mounts)
		return;
	Pointer base = Pointer() / "mounts";
	for (size_t i = 0; i < mounts->items().size(); i++) {
		Value &m = mounts->items()[i];
		if (!m.isObject())
			throw paths::Malformed{base / i, "mount is not an object"};
		fn(m, base / i);
	}
}

inline std::string mountType(const Value &m, const Pointer &at)
{
	auto t = paths::stringMember(m, "type", at);
	return t ? *t : std::string();
}

} // namespace bulkhead::policy::mounts
