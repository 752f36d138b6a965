#pragma once

#include <optional>
#include <string>
#include <string_view>

/* Capability names, handled once. libcap's cap_from_name() also takes lower
 * case and bare numbers ("21"); bulkhead accepts only the canonical spelling
 * "CAP_SYS_ADMIN" and reports anything else as unknown. */
namespace bulkhead::caps {

/* The capability number of a canonical name, nullopt for anything else
 * ("cap_sys_admin", "SYS_ADMIN", "21", "CAP_BOGUS"). */
std::optional<int> fromName(std::string_view name);
/* "CAP_SYS_ADMIN" for 21; "" for a number past the table. */
std::string toName(int cap);
/* The highest capability number bulkhead knows (40, CAP_CHECKPOINT_RESTORE). */
int lastCap() noexcept;

} // namespace bulkhead::caps
