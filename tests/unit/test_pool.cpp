/* src/sys/pool.h, the binary's operator new and delete, driven directly. */
#include "../../src/sys/pool.h"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <new>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

using namespace bulkhead;

namespace {

struct Block
{
	unsigned char *p;
	size_t n;
	unsigned char fill;
};

bool intact(const Block &b)
{
	for (size_t i = 0; i < b.n; i++)
		if (b.p[i] != b.fill)
			return false;
	return true;
}

/* a child that runs F dies of SIGABRT */
template <typename F> bool aborts(F f)
{
	const pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		/* the default action, not the test framework's report, and no
		 * output into the parent's */
		std::signal(SIGABRT, SIG_DFL);
		const int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		f();
		_exit(0);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

} // namespace

TEST_CASE("pool: every block is 16-byte aligned and its own, through many allocations and frees")
{
	std::mt19937 rng(12345);
	std::vector<Block> live;
	unsigned char fill = 1;
	size_t misaligned = 0, overwritten = 0, made = 0;
	for (int round = 0; round < 60000; round++) {
		if (live.empty() || rng() % 3 != 0) {
			/* mostly small, some either side of the limit, a few large */
			const size_t n = rng() % 8 == 0    ? pool::kMaxSmall - 8 + rng() % 24
			                 : rng() % 32 == 0 ? 600 + rng() % 5000
			                                   : rng() % 200;
			auto *p = static_cast<unsigned char *>(pool::allocate(n));
			misaligned += reinterpret_cast<uintptr_t>(p) % 16 != 0;
			std::memset(p, fill, n);
			live.push_back({p, n, fill});
			fill = static_cast<unsigned char>(fill % 250 + 1);
			made++;
		} else {
			const size_t i = rng() % live.size();
			overwritten += !intact(live[i]);
			pool::release(live[i].p);
			live[i] = live.back();
			live.pop_back();
		}
	}
	for (const Block &b : live) {
		overwritten += !intact(b);
		pool::release(b.p);
	}
	CHECK(made > 35000);
	CHECK(misaligned == 0);
	CHECK(overwritten == 0);
}

TEST_CASE("pool: a freed small block is the next one of its class, on the same thread")
{
	void *a = pool::allocate(40);
	void *b = pool::allocate(40);
	REQUIRE(a != b);
	pool::release(a);
	/* 40 and 33 bytes are one class (48-byte blocks); 100 is another */
	void *c = pool::allocate(100);
	CHECK(c != a);
	CHECK(pool::allocate(33) == a);
	pool::release(b);
	pool::release(c);
	pool::release(a);
	pool::release(nullptr);
}

TEST_CASE("pool: blocks move between threads without a lock, each thread keeps its lists")
{
	std::vector<void *> made(1000);
	for (void *&p : made)
		p = pool::allocate(24);
	void *again = nullptr;
	std::thread t([&] {
		for (void *p : made)
			pool::release(p);
		/* the last one freed here comes back here */
		again = pool::allocate(24);
		pool::release(again);
	});
	t.join();
	CHECK(again == made.back());
	/* this thread's list for the class is empty: a new block, none of those */
	void *mine = pool::allocate(24);
	CHECK(std::find(made.begin(), made.end(), mine) == made.end());
	pool::release(mine);
}

TEST_CASE("pool: a request too large for memory throws std::bad_alloc, as operator new does")
{
	CHECK_THROWS_AS(pool::allocate(SIZE_MAX), std::bad_alloc);
	CHECK_THROWS_AS(pool::allocate(SIZE_MAX - 8), std::bad_alloc);
#ifndef __SANITIZE_ADDRESS__ /* ASan stops the process at such a malloc instead */
	CHECK_THROWS_AS(pool::allocate(size_t{1} << 60), std::bad_alloc);
#endif
}

TEST_CASE("pool: a header that is not the pool's stops the process")
{
	CHECK(aborts([] {
		auto *p = static_cast<unsigned char *>(pool::allocate(64));
		std::memset(p - 8, 0x41, 8); /* an overrun from the block in front */
		pool::release(p);
	}));
	CHECK(aborts([] {
		alignas(16) static unsigned char foreign[64] = {};
		pool::release(foreign + 16); /* header 0 */
	}));
	/* the same steps with the header intact do not stop */
	CHECK_FALSE(aborts([] { pool::release(pool::allocate(64)); }));
}
