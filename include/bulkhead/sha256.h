#pragma once

#include <string>
#include <string_view>

namespace bulkhead {

/* Lower-case hex SHA-256 of data (FIPS 180-4). */
std::string sha256Hex(std::string_view data);

} // namespace bulkhead
