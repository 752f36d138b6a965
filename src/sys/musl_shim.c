/* The musl build's heap and its memory and string primitives (meson
 * -Dmusl=true, tools/musl.sh). With glibc, the C library tunes these for the
 * CPU at start-up, and that probe is what costs every glibc program 490 us on
 * a virtual machine that traps CPUID. musl does not probe, but its malloc
 * gave memory back to the kernel and took it again some 80 times in one
 * create (mmap and munmap), and its memcpy and memcmp are byte loops or
 * `rep movs` (8% of a create's samples, 9.8% of policy check's).
 *
 * The heap:
 *   - Blocks of up to 1 MiB have a size class, a power of two from 32 bytes.
 *     A freed block goes on its class's list of the thread that frees it,
 *     without a lock (src/sys/pool.h's way); the next block of that class on
 *     that thread is the last one it freed. New blocks are cut from chunks
 *     of 256 KiB (or one block, when larger) mapped for the thread.
 *   - Chunks are never unmapped: a call is a short process, and `policy
 *     check` reuses the same classes file after file. What a thread still
 *     holds on its lists when it exits stays mapped.
 *   - Larger blocks are mapped alone and unmapped when freed.
 *   - 16 bytes in front of every block say which kind it is: a class number,
 *     TAG_BIG and the mapping's length, or TAG_ALIGNED and the block an
 *     aligned one was cut from.
 * musl's own internal allocations (locale, time zone names, atexit past 32
 * handlers) go to its separate bump allocator, __libc_malloc, which frees
 * nothing; a part of musl that freed through __libc_free would bring musl's
 * free into the link, and the link would fail on the second `free` rather
 * than mix the heaps.
 *
 * tests/shim/test_shim.c holds every function here to a plain byte-by-byte
 * reading of what the C standard asks, at every length and alignment it
 * tries, and frees blocks across threads. */
#include <emmintrin.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define HDR 16
#define MIN_SHIFT 5
#define CLASSES 16 /* 32 B .. 1 MiB */
#define CHUNK (256u << 10)
#define TAG_BIG 0xB16B16B16B16B16Bull
#define TAG_ALIGNED 0xA11A11A11A11A11Aull

struct node
{
	struct node *next;
};

static _Thread_local struct
{
	struct node *free[CLASSES];
	char *next, *end;
} heap;

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* the class of N bytes, or CLASSES when it needs a mapping of its own */
static unsigned classOf(size_t n)
{
	unsigned c = 0;
	while (c < CLASSES && ((size_t)1 << (c + MIN_SHIFT)) < n)
		c++;
	return c;
}

void *malloc(size_t n)
{
	if (n > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	const unsigned c = classOf(n);
	if (c == CLASSES) {
		const size_t len = (n + HDR + 4095) & ~(size_t)4095;
		char *m = map(len);
		if (m == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		((uint64_t *)m)[0] = TAG_BIG;
		((uint64_t *)m)[1] = len;
		return m + HDR;
	}
	if (heap.free[c] != NULL) {
		struct node *b = heap.free[c];
		heap.free[c] = b->next;
		return b;
	}
	const size_t need = ((size_t)1 << (c + MIN_SHIFT)) + HDR;
	if ((size_t)(heap.end - heap.next) < need) {
		const size_t len = need > CHUNK ? need : CHUNK;
		char *m = map(len);
		if (m == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		heap.next = m;
		heap.end = m + len;
	}
	char *b = heap.next + HDR;
	heap.next += need;
	((uint64_t *)b)[-2] = c;
	return b;
}

void free(void *p)
{
	if (p == NULL)
		return;
	const uint64_t *h = (const uint64_t *)p - 2;
	if (h[0] == TAG_ALIGNED) {
		free((void *)(uintptr_t)h[1]);
		return;
	}
	if (h[0] == TAG_BIG) {
		munmap((void *)h, (size_t)h[1]);
		return;
	}
	struct node *b = p;
	b->next = heap.free[h[0]];
	heap.free[h[0]] = b;
}

size_t malloc_usable_size(void *p)
{
	if (p == NULL)
		return 0;
	const uint64_t *h = (const uint64_t *)p - 2;
	if (h[0] == TAG_ALIGNED)
		return malloc_usable_size((void *)(uintptr_t)h[1]) -
		       (size_t)((char *)p - (char *)(uintptr_t)h[1]);
	if (h[0] == TAG_BIG)
		return (size_t)h[1] - HDR;
	return (size_t)1 << (h[0] + MIN_SHIFT);
}

void *calloc(size_t a, size_t b)
{
	if (b != 0 && a > SIZE_MAX / b) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = malloc(a * b);
	if (p != NULL)
		memset(p, 0, a * b);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (p == NULL)
		return malloc(n);
	const size_t old = malloc_usable_size(p);
	if (n <= old && n > old / 4)
		return p;
	void *q = malloc(n);
	if (q != NULL) {
		memcpy(q, p, old < n ? old : n);
		free(p);
	}
	return q;
}

void *aligned_alloc(size_t al, size_t n)
{
	if (al <= 16)
		return malloc(n);
	if ((al & (al - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (n > SIZE_MAX / 2 - al) {
		errno = ENOMEM;
		return NULL;
	}
	char *p = malloc(n + al + HDR);
	if (p == NULL)
		return NULL;
	char *a = (char *)(((uintptr_t)p + HDR + al - 1) & ~(uintptr_t)(al - 1));
	((uint64_t *)a)[-2] = TAG_ALIGNED;
	((uint64_t *)a)[-1] = (uint64_t)(uintptr_t)p;
	return a;
}

int posix_memalign(void **out, size_t al, size_t n)
{
	if (al < sizeof(void *) || (al & (al - 1)) != 0)
		return EINVAL;
	void *p = aligned_alloc(al, n);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

void *memalign(size_t al, size_t n)
{
	return aligned_alloc(al, n);
}

/* Unaligned loads and stores the compiler will not turn back into calls. */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64u;
typedef uint32_t __attribute__((may_alias, aligned(1))) u32u;
typedef uint16_t __attribute__((may_alias, aligned(1))) u16u;

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
	unsigned char *dd = d;
	const unsigned char *ss = s;
	if (n <= 16) {
		if (n >= 8) {
			const uint64_t a = *(const u64u *)ss, b = *(const u64u *)(ss + n - 8);
			*(u64u *)dd = a;
			*(u64u *)(dd + n - 8) = b;
		} else if (n >= 4) {
			const uint32_t a = *(const u32u *)ss, b = *(const u32u *)(ss + n - 4);
			*(u32u *)dd = a;
			*(u32u *)(dd + n - 4) = b;
		} else if (n >= 2) {
			const uint16_t a = *(const u16u *)ss, b = *(const u16u *)(ss + n - 2);
			*(u16u *)dd = a;
			*(u16u *)(dd + n - 2) = b;
		} else if (n == 1) {
			*dd = *ss;
		}
		return d;
	}
	if (n <= 256) {
		/* 16 bytes at a time, the last 16 overlapping */
		const __m128i last = _mm_loadu_si128((const __m128i *)(ss + n - 16));
		for (size_t i = 0; i + 16 < n; i += 16)
			_mm_storeu_si128((__m128i *)(dd + i),
			                 _mm_loadu_si128((const __m128i *)(ss + i)));
		_mm_storeu_si128((__m128i *)(dd + n - 16), last);
		return d;
	}
	__asm__ volatile("rep movsb" : "+D"(dd), "+S"(ss), "+c"(n) : : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	if ((uintptr_t)d - (uintptr_t)s >= n)
		return memcpy(d, s, n);
	/* overlapping, destination above: backwards (the direction flag) */
	char *dd = (char *)d + n - 1;
	const char *ss = (const char *)s + n - 1;
	__asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(dd), "+S"(ss), "+c"(n) : : "memory");
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n >= 8; x += 8, y += 8, n -= 8) {
		uint64_t p = *(const u64u *)x, q = *(const u64u *)y;
		if (p != q) {
			p = __builtin_bswap64(p);
			q = __builtin_bswap64(q);
			return p < q ? -1 : 1;
		}
	}
	for (; n > 0; x++, y++, n--)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* Aligned 16-byte loads never cross a page, so reading past the end of the
 * string or the range inside the last load is safe. */
void *memchr(const void *p, int c, size_t n)
{
	if (n == 0)
		return NULL;
	const unsigned char *s = p;
	const __m128i want = _mm_set1_epi8((char)c);
	const unsigned char *a = (const unsigned char *)((uintptr_t)s & ~(uintptr_t)15);
	unsigned mask = (unsigned)_mm_movemask_epi8(
	        _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), want));
	mask &= ~0u << (s - a);
	/* the end of the range, or of the address space when N runs past it
	 * (memchr(p, c, SIZE_MAX) is a way to say "until c") */
	const uintptr_t end = n > UINTPTR_MAX - (uintptr_t)s ? UINTPTR_MAX : (uintptr_t)s + n;
	for (;;) {
		if (mask != 0) {
			const unsigned char *hit = a + __builtin_ctz(mask);
			return (uintptr_t)hit < end ? (void *)hit : NULL;
		}
		a += 16;
		if ((uintptr_t)a >= end)
			return NULL;
		mask = (unsigned)_mm_movemask_epi8(
		        _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), want));
	}
}

size_t strlen(const char *str)
{
	const char *a = (const char *)((uintptr_t)str & ~(uintptr_t)15);
	const __m128i zero = _mm_setzero_si128();
	unsigned mask = (unsigned)_mm_movemask_epi8(
	        _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), zero));
	mask &= ~0u << (str - a);
	while (mask == 0) {
		a += 16;
		mask = (unsigned)_mm_movemask_epi8(
		        _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), zero));
	}
	return (size_t)(a + __builtin_ctz(mask) - str);
}
