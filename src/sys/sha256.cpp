/* SHA-256 per FIPS 180-4, written for bulkhead (no crypto library needed). */
#include "bulkhead/sha256.h"

#include <array>
#include <cstdint>
#include <immintrin.h>
#if !defined(__GLIBC__)
#include <atomic>
#include <cpuid.h> /* musl keeps no CPU features of its own */
/* glibc 2.36's header spells bool as C's _Bool, which clang++ does not know. */
#elif defined(__clang__) && !defined(_Bool)
#define _Bool bool
#include <sys/platform/x86.h>
#undef _Bool
#else
#include <sys/platform/x86.h>
#endif

namespace bulkhead {

namespace {

constexpr std::array<uint32_t, 64> K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
};

constexpr uint32_t rotr(uint32_t x, unsigned n) noexcept
{
	return (x >> n) | (x << (32 - n));
}

void block(std::array<uint32_t, 8> &h, const unsigned char *p) noexcept
{
	uint32_t w[64];
	for (unsigned t = 0; t < 16; t++)
		w[t] = static_cast<uint32_t>(p[4 * t]) << 24 |
		       static_cast<uint32_t>(p[4 * t + 1]) << 16 |
		       static_cast<uint32_t>(p[4 * t + 2]) << 8 |
		       static_cast<uint32_t>(p[4 * t + 3]);
	for (unsigned t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (unsigned t = 0; t < 64; t++) {
		uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
		              K[t] + w[t];
		uint32_t t2 =
		        (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += k;
}

/* The same compression with the x86 SHA extensions (SHA-NI), several blocks at
 * a time: about ten times fewer instructions. The message schedule for
 * rounds 4i..4i+3 is W[i] = msg2(msg1(W[i-4], W[i-3]) + (W[i-2]:W[i-1] shifted
 * by one word), W[i-1]); the state is kept as ABEF and CDGH. */
__attribute__((target("sha,sse4.1,ssse3"))) void blocksNi(std::array<uint32_t, 8> &h,
                                                          const unsigned char *p, size_t n)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i tmp = _mm_loadu_si128(reinterpret_cast<const __m128i *>(&h[0]));
	__m128i state1 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(&h[4]));
	tmp = _mm_shuffle_epi32(tmp, 0xB1);               /* CDAB */
	state1 = _mm_shuffle_epi32(state1, 0x1B);         /* EFGH */
	__m128i state0 = _mm_alignr_epi8(tmp, state1, 8); /* ABEF */
	state1 = _mm_blend_epi16(state1, tmp, 0xF0);      /* CDGH */
	for (; n > 0; n--, p += 64) {
		const __m128i abef = state0, cdgh = state1;
		__m128i w[16];
		for (unsigned i = 0; i < 16; i++) {
			if (i < 4) {
				w[i] = _mm_shuffle_epi8(
				        _mm_loadu_si128(
				                reinterpret_cast<const __m128i *>(p + 16 * i)),
				        mask);
			} else {
				__m128i t = _mm_sha256msg1_epu32(w[i - 4], w[i - 3]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(w[i - 1], w[i - 2], 4));
				w[i] = _mm_sha256msg2_epu32(t, w[i - 1]);
			}
			__m128i msg = _mm_add_epi32(
			        w[i],
			        _mm_loadu_si128(reinterpret_cast<const __m128i *>(&K[4 * i])));
			state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0E);
			state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
		}
		state0 = _mm_add_epi32(state0, abef);
		state1 = _mm_add_epi32(state1, cdgh);
	}
	tmp = _mm_shuffle_epi32(state0, 0x1B);       /* FEBA */
	state1 = _mm_shuffle_epi32(state1, 0xB1);    /* DCHG */
	state0 = _mm_blend_epi16(tmp, state1, 0xF0); /* DCBA */
	state1 = _mm_alignr_epi8(state1, tmp, 8);    /* ABEF */
	_mm_storeu_si128(reinterpret_cast<__m128i *>(&h[0]), state0);
	_mm_storeu_si128(reinterpret_cast<__m128i *>(&h[4]), state1);
}

/* With glibc, what the C library found at start-up: a cpuid instruction of
 * our own is a trap to the hypervisor on a virtual machine (some 7-20 us
 * each). musl keeps nothing of the kind, so the musl build asks once, at the
 * first hash, and remembers (three instructions). */
bool haveShaNi() noexcept
{
#if defined(__GLIBC__)
	return CPU_FEATURE_ACTIVE(SHA) && CPU_FEATURE_ACTIVE(SSSE3) && CPU_FEATURE_ACTIVE(SSE4_1);
#else
	static std::atomic<int> known{-1}; /* -1 not asked yet, else 0 or 1 */
	int have = known.load(std::memory_order_relaxed);
	if (have < 0) {
		unsigned a = 0, b = 0, c = 0, d = 0;
		bool sha = false;
		if (__get_cpuid_max(0, nullptr) >= 7) {
			__cpuid_count(7, 0, a, b, c, d);
			sha = ((b >> 29) & 1) != 0; /* leaf 7, EBX bit 29: SHA */
		}
		__cpuid(1, a, b, c, d); /* leaf 1, ECX bits 9 and 19: SSSE3, SSE4.1 */
		have = sha && ((c >> 9) & 1) != 0 && ((c >> 19) & 1) != 0 ? 1 : 0;
		known.store(have, std::memory_order_relaxed);
	}
	return have == 1;
#endif
}

void blocks(std::array<uint32_t, 8> &h, const unsigned char *p, size_t n, bool portable)
{
	if (!portable && haveShaNi()) {
		blocksNi(h, p, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		block(h, p + 64 * i);
}

std::string digest(std::string_view data, bool portable)
{
	std::array<uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	const auto *p = reinterpret_cast<const unsigned char *>(data.data());
	size_t n = data.size();
	size_t full = n / 64 * 64;
	blocks(h, p, full / 64, portable);
	/* Padding: 0x80, zeros, then the bit length big-endian, to a multiple of 64 bytes. */
	unsigned char tail[128] = {};
	size_t rest = n - full;
	for (size_t i = 0; i < rest; i++)
		tail[i] = p[full + i];
	tail[rest] = 0x80;
	size_t tailLen = rest + 1 + 8 <= 64 ? 64 : 128;
	uint64_t bits = static_cast<uint64_t>(n) * 8;
	for (size_t i = 0; i < 8; i++)
		tail[tailLen - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
	blocks(h, tail, tailLen / 64, portable);
	static const char hex[] = "0123456789abcdef";
	std::string out;
	out.reserve(64);
	for (uint32_t word : h)
		for (int shift = 28; shift >= 0; shift -= 4)
			out.push_back(hex[(word >> shift) & 0xF]);
	return out;
}

} // namespace

std::string sha256Hex(std::string_view data)
{
	return digest(data, false);
}

std::string sha256HexPortable(std::string_view data)
{
	return digest(data, true);
}

} // namespace bulkhead
