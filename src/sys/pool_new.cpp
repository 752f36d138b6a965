/* The bulkhead binary's operator new and delete are the pool's (pool.h).
 * The array and nothrow forms of the C++ runtime call these ones; the
 * aligned forms stay the runtime's, on malloc, as a pair. */
#include "pool.h"

#include <cstddef>
#include <new>

void *operator new(std::size_t n)
{
	return bulkhead::pool::allocate(n);
}

void operator delete(void *p) noexcept
{
	bulkhead::pool::release(p);
}

void operator delete(void *p, std::size_t) noexcept
{
	bulkhead::pool::release(p);
}
