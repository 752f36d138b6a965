/* The heap of the bulkhead binary's C++ objects: a call parses, judges and
 * writes documents of some thousand small strings and vectors, and frees them
 * as it goes. The C library's malloc spends a fifth of a call's instructions
 * on those blocks (its free does most of its work in merging and sorting
 * chunks that the next allocation splits again). Here a small block has a
 * size class, a freed one goes on the list of its class, and the next one of
 * that class is the last freed: a few instructions each way.
 *
 *   - A block carries its size in the 8 bytes in front of it (malloc carries
 *     as much), so a free of any kind finds its class without a search.
 *   - Blocks of up to kMaxSmall bytes are cut from chunks of kChunk bytes
 *     taken from malloc, in the order they are asked for; a chunk is never
 *     given back (a short-lived process, and a long `policy check` frees and
 *     reuses the same classes spec after spec). Larger blocks are malloc's.
 *   - The lists are per thread: a block freed on another thread joins that
 *     thread's lists, with no lock taken.
 *
 * pool_new.cpp makes these the program's operator new and delete. Sanitizer
 * and fuzzing builds leave them out, so that ASan sees every block. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unistd.h>

namespace bulkhead::pool {

constexpr size_t kGrain = 16;                     /* block sizes and alignment */
constexpr size_t kHeader = 8;                     /* the size, in front of the block */
constexpr size_t kMaxSmall = 504;                 /* larger requests go to malloc */
constexpr size_t kMaxBlock = kMaxSmall + kHeader; /* 512: the largest small block */
constexpr size_t kClasses = kMaxBlock / kGrain + 1;
constexpr size_t kChunk = 32 * 1024;
/* the header of a block from malloc: not a multiple of kGrain */
constexpr uint64_t kLarge = 1;

namespace detail {

struct Free
{
	Free *next;
};

struct Heap
{
	Free *free[kClasses];
	char *next; /* where the next new block's header goes */
	char *end;
};

/* Zero-initialised and without a constructor: one %fs-relative access. */
inline thread_local Heap heap;

inline void *mallocOrThrow(size_t n)
{
	for (;;) {
		if (void *p = std::malloc(n))
			return p;
		const std::new_handler h = std::get_new_handler();
		if (h == nullptr)
			throw std::bad_alloc();
		h();
	}
}

inline uint64_t &header(void *p) noexcept
{
	return *reinterpret_cast<uint64_t *>(static_cast<char *>(p) - kHeader);
}

/* A header that is not the pool's: one line on stderr (written as it is: the
 * heap cannot be trusted to format it), then SIGABRT. The runtime does not
 * run. */
[[noreturn, gnu::noinline, gnu::cold]] inline void corrupt() noexcept
{
	static const char msg[] = "bulkhead: internal error: a heap block's header is overwritten "
	                          "or the block was never allocated here (stopped)\n";
	(void)!::write(2, msg, sizeof msg - 1);
	std::abort();
}

[[gnu::noinline]] inline void *large(size_t n)
{
	if (n > SIZE_MAX - 2 * kGrain)
		throw std::bad_alloc();
	char *p = static_cast<char *>(mallocOrThrow(n + kGrain)) + kGrain;
	header(p) = kLarge;
	return p;
}

/* A new chunk, when a block does not fit in what is left of the current
 * one (that rest, under kMaxBlock bytes, stays unused). */
[[gnu::noinline]] inline void refill(Heap &h)
{
	char *c = static_cast<char *>(mallocOrThrow(kChunk));
	/* malloc's blocks are 16-byte aligned: each header sits 8 bytes in */
	h.next = c + kHeader;
	h.end = c + kChunk;
}

} // namespace detail

/* N bytes, 16-byte aligned; throws std::bad_alloc as operator new does. */
inline void *allocate(size_t n)
{
	if (n > kMaxSmall)
		return detail::large(n);
	const size_t size = (n + kHeader + kGrain - 1) & ~(kGrain - 1);
	detail::Heap &h = detail::heap;
	detail::Free *&list = h.free[size / kGrain];
	if (detail::Free *f = list) {
		list = f->next; /* its header still holds SIZE */
		return f;
	}
	if (static_cast<size_t>(h.end - h.next) < size)
		detail::refill(h);
	char *b = h.next;
	h.next += size;
	void *p = b + kHeader;
	detail::header(p) = size;
	return p;
}

/* P from allocate, or null. A header that is neither a small size nor
 * kLarge is a heap overwritten or a pointer that was never ours: stop
 * (detail::corrupt). */
inline void release(void *p) noexcept
{
	if (p == nullptr)
		return;
	const uint64_t size = detail::header(p);
	if (size % kGrain == 0 && size != 0 && size <= kMaxBlock) {
		detail::Free *&list = detail::heap.free[size / kGrain];
		detail::Free *f = static_cast<detail::Free *>(p);
		f->next = list;
		list = f;
		return;
	}
	if (size != kLarge)
		detail::corrupt();
	std::free(static_cast<char *>(p) - kGrain);
}

} // namespace bulkhead::pool
