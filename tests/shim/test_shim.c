/* src/sys/musl_shim.c, the musl build's heap and memory primitives, held to a
 * plain reading of the C standard: every function against a byte-by-byte
 * reference at every length and alignment tried, reads that stop at a page
 * nobody may touch, the heap's limits, and blocks freed on other threads.
 * Built and run only with -Dmusl=true (meson.build), linked as the binary is.
 * Prints TAP. Compiled with -fno-builtin: every call below reaches the shim. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			if (failures <= 20) {                                                      \
				printf("# %s:%d: ", __FILE__, __LINE__);                           \
				printf(__VA_ARGS__);                                               \
				printf("\n");                                                      \
			}                                                                          \
		}                                                                                  \
	} while (0)

static int group = 0;
static void report(const char *name, int before)
{
	group++;
	printf("%s %d - %s\n", failures == before ? "ok" : "not ok", group, name);
}

/* References, one byte at a time through volatile pointers so that the
 * compiler cannot turn them back into the calls under test. */
static void refCopy(unsigned char *d, const unsigned char *s, size_t n)
{
	volatile unsigned char *vd = d;
	const volatile unsigned char *vs = s;
	for (size_t i = 0; i < n; i++)
		vd[i] = vs[i];
}

static int refCompare(const unsigned char *a, const unsigned char *b, size_t n)
{
	const volatile unsigned char *va = a, *vb = b;
	for (size_t i = 0; i < n; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return 0;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static unsigned seed = 12345;
static unsigned char nextByte(void)
{
	seed = seed * 1103515245u + 12345u;
	return (unsigned char)(seed >> 16);
}

enum { SPAN = 1200, EDGE = 32 };
static unsigned char srcBuf[SPAN + 64], dstBuf[SPAN + 64], want[SPAN + 64];

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = nextByte();
}

static const size_t lengths[] = {0,   1,   2,   3,   4,   5,   7,   8,   9,    15,   16,   17,  24,
                                 31,  32,  33,  47,  48,  63,  64,  65,  100,  127,  128,  129, 200,
                                 255, 256, 257, 300, 511, 512, 513, 777, 1023, 1024, 1025, 1100};
enum { NLENGTHS = sizeof lengths / sizeof lengths[0] };

static void testMemcpy(void)
{
	const int before = failures;
	for (size_t li = 0; li < NLENGTHS; li++) {
		const size_t n = lengths[li];
		for (size_t sa = 0; sa < 16; sa++)
			for (size_t da = 0; da < 16; da++) {
				fill(srcBuf, sizeof srcBuf);
				fill(dstBuf, sizeof dstBuf);
				refCopy(want, dstBuf, sizeof dstBuf);
				refCopy(want + EDGE - 16 + da, srcBuf + sa, n);
				void *r = memcpy(dstBuf + EDGE - 16 + da, srcBuf + sa, n);
				CHECK(r == dstBuf + EDGE - 16 + da,
				      "memcpy returned another pointer");
				CHECK(refCompare(dstBuf, want, sizeof dstBuf) == 0,
				      "memcpy n=%zu src+%zu dst+%zu: wrong bytes in or around the "
				      "copy",
				      n, sa, da);
			}
	}
	report("memcpy: every alignment of source and destination, 38 lengths to 1,100 bytes",
	       before);
}

static void testMemmove(void)
{
	const int before = failures;
	static unsigned char buf[SPAN + 128], ref[SPAN + 128], tmp[SPAN + 128];
	for (size_t li = 0; li < NLENGTHS; li++) {
		const size_t n = lengths[li];
		for (int shift = -40; shift <= 40; shift++) {
			const size_t from = 44, to = (size_t)((int)from + shift);
			fill(buf, sizeof buf);
			refCopy(ref, buf, sizeof buf);
			refCopy(tmp, ref + from, n);
			refCopy(ref + to, tmp, n);
			void *r = memmove(buf + to, buf + from, n);
			CHECK(r == buf + to, "memmove returned another pointer");
			CHECK(refCompare(buf, ref, sizeof buf) == 0,
			      "memmove n=%zu shift=%d: wrong bytes", n, shift);
		}
	}
	report("memmove: overlapping both ways by 0-40 bytes, and apart", before);
}

static void testMemcmp(void)
{
	const int before = failures;
	for (size_t li = 0; li < NLENGTHS; li++) {
		const size_t n = lengths[li];
		for (size_t al = 0; al < 16; al++) {
			fill(srcBuf, sizeof srcBuf);
			refCopy(dstBuf + al, srcBuf, n);
			CHECK(memcmp(srcBuf, dstBuf + al, n) == 0,
			      "memcmp n=%zu: equal ranges differ", n);
			/* one byte differs, at each place, each way, high bit set or not */
			for (size_t at = 0; at < n; at += (n > 64 ? 7 : 1)) {
				static const unsigned char other[] = {0x00, 0x01, 0x7f,
				                                      0x80, 0xfe, 0xff};
				for (size_t o = 0; o < sizeof other; o++) {
					const unsigned char keep = dstBuf[al + at];
					dstBuf[al + at] = other[o];
					const int got = sign(memcmp(srcBuf, dstBuf + al, n));
					const int exp = refCompare(srcBuf, dstBuf + al, n);
					CHECK(got == exp, "memcmp n=%zu at=%zu: %d, want %d", n, at,
					      got, exp);
					dstBuf[al + at] = keep;
				}
			}
		}
	}
	report("memcmp: the sign of the first differing byte, as unsigned char", before);
}

static unsigned char *guardedPage(void)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *m =
	        mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	/* a page nobody may touch on either side of the middle one */
	mprotect(m, page, PROT_NONE);
	mprotect(m + 2 * page, page, PROT_NONE);
	return m + page;
}

static void testMemchr(void)
{
	const int before = failures;
	for (size_t li = 0; li < NLENGTHS; li++) {
		const size_t n = lengths[li];
		for (size_t al = 0; al < 16; al++) {
			unsigned char *s = srcBuf + al;
			for (size_t i = 0; i < n + 20 && al + i < sizeof srcBuf; i++)
				s[i] = (unsigned char)(1 + i % 200);
			/* absent, then at each place; c is converted to unsigned char */
			CHECK(memchr(s, 0xff, n) == NULL,
			      "memchr n=%zu al=%zu: found an absent byte", n, al);
			if (al + n < sizeof srcBuf) {
				s[n] = 0xff; /* just past the range: not found */
				CHECK(memchr(s, 0xff, n) == NULL,
				      "memchr n=%zu: found a byte past the range", n);
				s[n] = 1;
			}
			for (size_t at = 0; at < n; at += (n > 64 ? 5 : 1)) {
				const unsigned char keep = s[at];
				s[at] = 0xff;
				if (at + 3 < n)
					s[at + 3] = 0xff;
				CHECK(memchr(s, 0x1ff, n) == s + at, "memchr n=%zu al=%zu at=%zu",
				      n, al, at);
				s[at] = keep;
				if (at + 3 < n)
					s[at + 3] = (unsigned char)(1 + (at + 3) % 200);
			}
		}
	}
	/* a range that ends where the mapping ends, and one without an end */
	unsigned char *page = guardedPage();
	CHECK(page != NULL, "mmap failed");
	if (page != NULL) {
		const size_t len = (size_t)sysconf(_SC_PAGESIZE);
		memset(page, 'a', len);
		for (size_t n = 0; n <= 100; n++) {
			CHECK(memchr(page + len - n, 'b', n) == NULL,
			      "memchr at the page's end, n=%zu", n);
			CHECK(memchr(page + len - n, 'a', n) == (n ? page + len - n : NULL),
			      "memchr at the page's end, n=%zu", n);
		}
		page[len - 1] = 'z';
		CHECK(memchr(page + 5, 'z', SIZE_MAX) == page + len - 1,
		      "memchr with n = SIZE_MAX");
		CHECK(memchr(page, 'a', SIZE_MAX) == page, "memchr with n = SIZE_MAX at the start");
	}
	report("memchr: every place, past the range, the page's end, n = SIZE_MAX", before);
}

static void testStrlen(void)
{
	const int before = failures;
	for (size_t al = 0; al < 16; al++)
		for (size_t n = 0; n < 300; n++) {
			char *s = (char *)srcBuf + al;
			memset(s, 'x', n);
			s[n] = '\0';
			s[n + 1] = 'y';
			CHECK(strlen(s) == n, "strlen al=%zu n=%zu: %zu", al, n, strlen(s));
		}
	unsigned char *page = guardedPage();
	if (page != NULL) {
		const size_t len = (size_t)sysconf(_SC_PAGESIZE);
		memset(page, 'q', len);
		page[len - 1] = '\0';
		for (size_t n = 0; n < 100; n++)
			CHECK(strlen((char *)page + len - 1 - n) == n,
			      "strlen at the page's end, n=%zu", n);
	}
	report("strlen: every alignment, strings that end at the page's end", before);
}

static int aligned(const void *p, size_t al)
{
	return ((uintptr_t)p & (al - 1)) == 0;
}

static void testMalloc(void)
{
	const int before = failures;
	/* sizes across every class, the edges of each, and mapped blocks */
	size_t sizes[200];
	size_t ns = 0;
	for (size_t c = 16; c <= ((size_t)4 << 20) && ns + 3 <= 200; c *= 2) {
		sizes[ns++] = c - 1;
		sizes[ns++] = c;
		sizes[ns++] = c + 1;
	}
	sizes[ns++] = 0;
	void *live[200];
	for (size_t i = 0; i < ns; i++) {
		unsigned char *p = malloc(sizes[i]);
		live[i] = p;
		CHECK(p != NULL, "malloc(%zu) failed", sizes[i]);
		if (p == NULL)
			continue;
		CHECK(aligned(p, 16), "malloc(%zu) = %p: not 16-byte aligned", sizes[i], (void *)p);
		const size_t usable = malloc_usable_size(p);
		CHECK(usable >= sizes[i], "malloc_usable_size %zu < %zu", usable, sizes[i]);
		memset(p, (int)(i & 0xff), usable);
	}
	/* no two live blocks overlap, and each kept its bytes */
	for (size_t i = 0; i < ns; i++) {
		const unsigned char *p = live[i];
		if (p == NULL)
			continue;
		const size_t usable = malloc_usable_size(live[i]);
		size_t bad = 0;
		for (size_t k = 0; k < usable; k++)
			bad += p[k] != (unsigned char)(i & 0xff);
		CHECK(bad == 0, "block %zu (%zu bytes) lost %zu bytes to another", i, sizes[i],
		      bad);
		for (size_t j = 0; j < ns; j++) {
			const unsigned char *q = live[j];
			if (j == i || q == NULL)
				continue;
			CHECK(q + malloc_usable_size(live[j]) <= p || p + usable <= q,
			      "blocks of %zu and %zu bytes overlap", sizes[i], sizes[j]);
		}
	}
	for (size_t i = 0; i < ns; i++)
		free(live[i]);
	free(NULL);

	errno = 0;
	CHECK(malloc(SIZE_MAX) == NULL && errno == ENOMEM, "malloc(SIZE_MAX)");
	errno = 0;
	CHECK(malloc(SIZE_MAX / 2 + 1) == NULL && errno == ENOMEM, "malloc(SIZE_MAX / 2 + 1)");
	errno = 0;
	CHECK(malloc(SIZE_MAX - 4095) == NULL && errno == ENOMEM, "malloc(SIZE_MAX - 4095)");
	errno = 0;
	CHECK(calloc(SIZE_MAX / 8 + 1, 8) == NULL && errno == ENOMEM,
	      "calloc overflowing a size_t");
	errno = 0;
	CHECK(calloc((size_t)1 << 33, (size_t)1 << 32) == NULL && errno == ENOMEM,
	      "calloc overflowing a size_t");

	/* calloc zeroes a block that comes back from the free list */
	for (size_t n = 1; n <= 5000; n = n * 3 + 1) {
		unsigned char *p = malloc(n);
		memset(p, 0xff, malloc_usable_size(p));
		free(p);
		unsigned char *q = calloc(n, 1);
		size_t nonzero = 0;
		for (size_t k = 0; k < n; k++)
			nonzero += q[k] != 0;
		CHECK(nonzero == 0, "calloc(%zu, 1): %zu bytes not zero", n, nonzero);
		free(q);
	}
	report("malloc, calloc, free: classes, mapped blocks, alignment, overflow", before);
}

static void testRealloc(void)
{
	const int before = failures;
	const size_t steps[] = {1,      17, 40, 100, 1000, 5000, 70000, 300000, (size_t)2 << 20,
	                        100000, 33, 0,  9};
	unsigned char *p = realloc(NULL, 5);
	size_t have = 5;
	CHECK(p != NULL, "realloc(NULL, 5)");
	for (size_t k = 0; k < have; k++)
		p[k] = (unsigned char)(k * 7);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		const size_t n = steps[i];
		unsigned char *q = realloc(p, n);
		if (n == 0 && q == NULL)
			break;
		CHECK(q != NULL, "realloc to %zu", n);
		if (q == NULL)
			break;
		const size_t keep = have < n ? have : n;
		size_t bad = 0;
		for (size_t k = 0; k < keep; k++)
			bad += q[k] != (unsigned char)(k * 7);
		CHECK(bad == 0, "realloc %zu -> %zu: %zu bytes changed", have, n, bad);
		CHECK(malloc_usable_size(q) >= n, "realloc to %zu: %zu usable", n,
		      malloc_usable_size(q));
		for (size_t k = keep; k < n; k++)
			q[k] = (unsigned char)(k * 7);
		p = q;
		have = n;
	}
	free(p);
	errno = 0;
	void *small = malloc(10);
	CHECK(realloc(small, SIZE_MAX) == NULL && errno == ENOMEM, "realloc to SIZE_MAX");
	free(small); /* a failed realloc leaves the block as it was */
	report("realloc: grows and shrinks across classes and mapped blocks, keeping the bytes",
	       before);
}

static void testAligned(void)
{
	const int before = failures;
	for (size_t al = 1; al <= 65536; al *= 2)
		for (size_t n = 0; n <= 70000; n = n * 5 + 3) {
			unsigned char *p = aligned_alloc(al, n);
			CHECK(p != NULL && aligned(p, al), "aligned_alloc(%zu, %zu) = %p", al, n,
			      (void *)p);
			if (p == NULL)
				continue;
			CHECK(malloc_usable_size(p) >= n, "aligned_alloc(%zu, %zu): %zu usable", al,
			      n, malloc_usable_size(p));
			memset(p, 0x5a, n);
			/* realloc of an aligned block keeps its bytes */
			unsigned char *q = realloc(p, n + 100);
			CHECK(q != NULL, "realloc of an aligned block");
			if (q == NULL) {
				free(p);
				continue;
			}
			size_t bad = 0;
			for (size_t k = 0; k < n; k++)
				bad += q[k] != 0x5a;
			CHECK(bad == 0, "realloc of aligned_alloc(%zu, %zu): %zu bytes changed", al,
			      n, bad);
			free(q);

			void *m = NULL;
			const int rc =
			        posix_memalign(&m, al < sizeof(void *) ? sizeof(void *) : al, n);
			CHECK(rc == 0 && aligned(m, al), "posix_memalign(%zu, %zu): %d", al, n, rc);
			free(m);
			void *g = memalign(al, n);
			CHECK(g != NULL && aligned(g, al), "memalign(%zu, %zu)", al, n);
			free(g);
		}
	void *m = (void *)1;
	CHECK(posix_memalign(&m, 3 * sizeof(void *), 10) == EINVAL && m == (void *)1,
	      "posix_memalign with an alignment that is not a power of two");
	CHECK(posix_memalign(&m, sizeof(void *) / 2, 10) == EINVAL,
	      "posix_memalign with an alignment under sizeof(void *)");
	CHECK(posix_memalign(&m, 64, SIZE_MAX - 10) == ENOMEM, "posix_memalign of SIZE_MAX - 10");
	errno = 0;
	CHECK(aligned_alloc(48, 10) == NULL && errno == EINVAL, "aligned_alloc(48, 10)");
	errno = 0;
	CHECK(aligned_alloc(4096, SIZE_MAX - 100) == NULL && errno == ENOMEM,
	      "aligned_alloc(4096, SIZE_MAX - 100)");
	report("aligned_alloc, posix_memalign, memalign: 1 B to 64 KiB, and their errors", before);
}

/* Threads hand blocks to each other through one mailbox per thread; the
 * receiver checks the sender's pattern and frees the block on its own list. */
enum { THREADS = 4, ROUNDS = 60000, SLOTS = 64 };
struct mailbox
{
	pthread_mutex_t lock;
	unsigned char *slot[SLOTS];
	size_t len[SLOTS];
	unsigned count;
};
static struct mailbox boxes[THREADS];
static int threadBad[THREADS];

static int checkBlock(const unsigned char *p, size_t n)
{
	const unsigned char tag = p[0];
	for (size_t k = 1; k < n; k++)
		if (p[k] != (unsigned char)(tag + k))
			return 0;
	return 1;
}

static void *worker(void *arg)
{
	const unsigned me = (unsigned)(uintptr_t)arg;
	unsigned r = me * 2654435761u + 1;
	for (unsigned round = 0; round < ROUNDS; round++) {
		r = r * 1103515245u + 12345u;
		const size_t n = 1 + (r >> 8) % ((r & 0x400) ? 3000 : 200);
		unsigned char *p = malloc(n);
		if (p == NULL) {
			threadBad[me]++;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			p[k] = (unsigned char)(round + k);
		struct mailbox *to = &boxes[(me + 1 + (r >> 20) % (THREADS - 1)) % THREADS];
		pthread_mutex_lock(&to->lock);
		if (to->count < SLOTS) {
			to->slot[to->count] = p;
			to->len[to->count] = n;
			to->count++;
			p = NULL;
		}
		pthread_mutex_unlock(&to->lock);
		if (p != NULL) {
			threadBad[me] += !checkBlock(p, n);
			free(p);
		}
		/* empty one's own mailbox now and then */
		if ((round & 7) == 0) {
			struct mailbox *mine = &boxes[me];
			unsigned char *got[SLOTS];
			size_t len[SLOTS];
			pthread_mutex_lock(&mine->lock);
			const unsigned k = mine->count;
			memcpy(got, mine->slot, k * sizeof got[0]);
			memcpy(len, mine->len, k * sizeof len[0]);
			mine->count = 0;
			pthread_mutex_unlock(&mine->lock);
			for (unsigned i = 0; i < k; i++) {
				threadBad[me] += !checkBlock(got[i], len[i]);
				free(got[i]);
			}
		}
	}
	return NULL;
}

static void testThreads(void)
{
	const int before = failures;
	pthread_t t[THREADS];
	for (unsigned i = 0; i < THREADS; i++)
		pthread_mutex_init(&boxes[i].lock, NULL);
	for (unsigned i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) == 0,
		      "pthread_create");
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < THREADS; i++) {
		for (unsigned k = 0; k < boxes[i].count; k++) {
			threadBad[i] += !checkBlock(boxes[i].slot[k], boxes[i].len[k]);
			free(boxes[i].slot[k]);
		}
		CHECK(threadBad[i] == 0, "thread %u saw %d corrupt or missing blocks", i,
		      threadBad[i]);
	}
	report("4 threads x 60,000 blocks, freed by the thread that receives them", before);
}

int main(void)
{
	printf("1..9\n");
	testMemcpy();
	testMemmove();
	testMemcmp();
	testMemchr();
	testStrlen();
	testMalloc();
	testRealloc();
	testAligned();
	testThreads();
	printf("# %d checks, %d failed\n", checks, failures);
	return failures == 0 ? 0 : 1;
}
