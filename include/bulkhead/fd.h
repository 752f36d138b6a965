/* An owned file descriptor: closed exactly once, when its owner goes. The one
 * RAII wrapper every part of bulkhead that opens a file uses. */
#pragma once

#include <unistd.h>
#include <utility>

namespace bulkhead::sys {

class Fd
{
public:
	explicit Fd(int fd = -1) noexcept : fd_(fd) {}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	Fd(Fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	Fd &operator=(Fd &&o) noexcept
	{
		if (this != &o) {
			reset();
			fd_ = std::exchange(o.fd_, -1);
		}
		return *this;
	}
	~Fd() { reset(); }

	[[nodiscard]] int get() const noexcept { return fd_; }
	/* Gives the descriptor up without closing it (the caller closes it, and
	 * can then see close(2) fail). */
	int release() noexcept { return std::exchange(fd_, -1); }
	void reset() noexcept
	{
		if (fd_ >= 0)
			::close(fd_);
		fd_ = -1;
	}

private:
	int fd_;
};

} // namespace bulkhead::sys
