#pragma once

#include <string>
#include <string_view>

/* Where an offline verb's output goes as it is produced: a descriptor
 * (buffered; written out whenever the buffer passes 64 KiB and at flush()), or
 * a string (tests, golden files). Memory stays bounded by the buffer however
 * much is written. */
namespace bulkhead {

class Output
{
public:
	explicit Output(int fd) noexcept : fd_(fd) {}
	explicit Output(std::string &into) noexcept : str_(&into) {}
	Output(const Output &) = delete;
	Output &operator=(const Output &) = delete;
	~Output(); /* flushes; a failure there is lost (call flush() to see it) */

	Output &operator<<(std::string_view s);
	Output &operator<<(char c);
	/* Throws Error{Io, "standard output: ..."} when the descriptor refuses. */
	void flush();
	/* Bytes written through this Output so far. */
	[[nodiscard]] size_t written() const noexcept { return written_; }

private:
	int fd_ = -1;
	std::string *str_ = nullptr;
	std::string buf_;
	size_t written_ = 0;
};

} // namespace bulkhead
