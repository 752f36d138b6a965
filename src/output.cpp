#include "bulkhead/output.h"

#include "sys/io.h"

namespace bulkhead {

namespace {

constexpr size_t kFlushAt = 64u << 10;

} // namespace

Output::~Output()
{
	if (fd_ >= 0 && !buf_.empty())
		(void)sys::writeAllNoThrow(fd_, buf_);
}

Output &Output::operator<<(std::string_view s)
{
	written_ += s.size();
	if (str_ != nullptr) {
		str_->append(s);
		return *this;
	}
	buf_.append(s);
	if (buf_.size() >= kFlushAt)
		flush();
	return *this;
}

Output &Output::operator<<(char c)
{
	return *this << std::string_view(&c, 1);
}

void Output::flush()
{
	if (fd_ < 0 || buf_.empty())
		return;
	/* emptied whether or not the write succeeds; its room is kept */
	struct Empty
	{
		std::string &s;
		~Empty() { s.clear(); }
	} empty{buf_};
	sys::writeAll(fd_, buf_, fd_ == 1 ? "standard output" : "output");
}

} // namespace bulkhead
