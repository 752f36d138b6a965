/* What a load as root on trusted files remembers between calls, in root-only
 * directories under /run/bulkhead (src/policy_cache.cpp): that a policy's
 * probes passed, and the parsed trees of the files it read. Either is used
 * only when the directory and the file pass the checks a policy file passes;
 * anything else means the full load. */
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "bulkhead/json.h"

namespace bulkhead::policy {

/* The largest policy, or file a policy names, that a load reads (16 MiB);
 * the parsed-file cache bounds its trees by it too. */
inline constexpr size_t kMaxPolicyBytes = 16u << 20;

} // namespace bulkhead::policy

namespace bulkhead::policy::cache {

/* This binary as installed (version, device, inode, size, mtime): a new one
 * neither trusts nor reuses what an old one remembered. Empty when unknown. */
std::string selfIdentity();

/* Whether the probes keyed by KEY (a sha256 of everything they read) passed
 * before; remember that they did. */
bool probedBefore(const std::string &key);
void rememberProbed(const std::string &key) noexcept;

/* TEXT (a trusted file named NAME whose sha256 is SHA) parsed, from the
 * parsed-file cache when it holds a tree for exactly these bytes and this
 * binary, and stored there otherwise. Throws what json::parse throws. */
json::Value parseTrusted(std::string_view text, const std::string &name, const std::string &sha);

} // namespace bulkhead::policy::cache
