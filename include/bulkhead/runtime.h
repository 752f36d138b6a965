#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/cli.h"
#include "bulkhead/config.h"

/* The runtime path: create / run / restore (harden config.json), exec (harden
 * the process), update (check the resources). */
namespace bulkhead::runtime {

/* Apply the policy for a hardened command (cli::isHardened). Returns the argv to
 * hand the real runtime: the engine's argv, except a --process / -r path that was
 * replaced by a hardened copy (/proc/self/fd/N of a memfd left open across
 * execv). A denial throws Error{Denied, reason}; any other problem throws (fail
 * closed). The audit record is written before returning. */
std::vector<std::string> prepare(const cli::Invocation &inv, const Config &cfg);

/* runc's size syntax for update --memory / --memory-swap (go-units RAMInBytes):
 * "1024", "512m", "1g", "1.5GiB" (binary multipliers). nullopt when the text is
 * not a size ("-1", unlimited, is the caller's business). */
std::optional<int64_t> parseRamSize(std::string_view text);

} // namespace bulkhead::runtime
