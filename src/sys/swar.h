/* Eight bytes of a string at a time, in a uint64_t: a scanner passes over
 * eight ordinary bytes in one test and looks at bytes one by one only where
 * one of them is not ordinary. Each test is an exact yes/no for the eight. */
#pragma once

#include <cstdint>
#include <cstring>

namespace bulkhead::swar {

constexpr uint64_t kOnes = 0x0101010101010101u;
constexpr uint64_t kHigh = 0x8080808080808080u;

/* the eight bytes from P (which must have eight) */
inline uint64_t load(const char *p) noexcept
{
	uint64_t w;
	std::memcpy(&w, p, sizeof w);
	return w;
}

/* A byte of W is below N (N <= 128): subtracting N from it borrows into its
 * top bit, which a byte of 0x80 or more has set already and is masked. */
inline bool anyBelow(uint64_t w, uint64_t n) noexcept
{
	return ((w - kOnes * n) & ~w & kHigh) != 0;
}

/* a byte of W is C */
inline bool anyEqual(uint64_t w, unsigned char c) noexcept
{
	return anyBelow(w ^ (kOnes * c), 1);
}

/* a byte of W is 0x80 or more */
inline bool anyHigh(uint64_t w) noexcept
{
	return (w & kHigh) != 0;
}

} // namespace bulkhead::swar
