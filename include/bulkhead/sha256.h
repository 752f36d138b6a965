#pragma once

#include <string>
#include <string_view>

namespace bulkhead {

/* Lower-case hex SHA-256 of data (FIPS 180-4); with the x86 SHA extensions
 * when the CPU has them. */
std::string sha256Hex(std::string_view data);

/* The portable compression only, for the test that holds both side by side. */
std::string sha256HexPortable(std::string_view data);

} // namespace bulkhead
