/* Reading the audit log: plain or gzip'ed, rotated or not, one line at a time. */
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bulkhead/error.h"
#include "bulkhead/report.h"

namespace bulkhead::report {

namespace {

constexpr size_t kMaxLine = 1u << 20;
constexpr unsigned kChunk = 64u << 10;

bool isFile(const std::string &path)
{
	struct stat st
	{
	};
	return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

struct GzCloser
{
	void operator()(gzFile_s *g) const noexcept { ::gzclose(g); }
};

} // namespace

std::vector<std::string> rotatedLogs(const std::string &log)
{
	std::vector<std::string> older;
	for (int n = 1; n <= 1000; n++) {
		const std::string plain = log + "." + std::to_string(n);
		if (isFile(plain))
			older.push_back(plain);
		else if (isFile(plain + ".gz"))
			older.push_back(plain + ".gz");
		else
			break;
	}
	std::vector<std::string> out(older.rbegin(), older.rend());
	if (isFile(log) || out.empty())
		out.push_back(log);
	return out;
}

void readLog(const std::string &path, Aggregator &agg)
{
	const bool fromStdin = path == "-";
	const std::string name = fromStdin ? "<stdin>" : path;
	int fd = -1;
	if (fromStdin) {
		fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			throwErrno("standard input");
	} else {
		/* never block on a FIFO or a device named as a log */
		fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			throwErrno(path);
		struct stat st
		{
		};
		if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			::close(fd);
			throw Error(ErrorKind::Io, path + ": not a regular file");
		}
		::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	}
	/* gzread reads a file that is not gzip'ed as it is */
	std::unique_ptr<gzFile_s, GzCloser> gz(::gzdopen(fd, "rb"));
	if (!gz) {
		::close(fd);
		throw Error(ErrorKind::Io, name + ": cannot read (out of memory)");
	}
	::gzbuffer(gz.get(), kChunk);
	agg.file(name);

	std::string pending;
	bool overlong = false;
	uint64_t lineNo = 0;
	std::string buf(kChunk, '\0');
	for (;;) {
		int n = ::gzread(gz.get(), buf.data(), kChunk);
		if (n < 0) {
			int zerr = 0;
			const char *msg = ::gzerror(gz.get(), &zerr);
			if (zerr == Z_ERRNO)
				throwErrno(name);
			/* a corrupt or cut gzip stream: what came before it counts */
			agg.bad(name, lineNo + 1, std::string("gzip stream: ") + msg);
			break;
		}
		if (n == 0)
			break;
		std::string_view chunk(buf.data(), static_cast<size_t>(n));
		while (!chunk.empty()) {
			const size_t nl = chunk.find('\n');
			const std::string_view part = chunk.substr(0, nl);
			if (!overlong) {
				pending.append(part);
				if (pending.size() > kMaxLine) {
					overlong = true;
					pending.clear();
				}
			}
			if (nl == std::string_view::npos)
				break;
			lineNo++;
			if (overlong)
				agg.bad(name, lineNo, "longer than 1 MiB");
			else
				agg.line(pending, name, lineNo);
			pending.clear();
			overlong = false;
			chunk.remove_prefix(nl + 1);
		}
	}
	/* the last line lacks its newline: it may be torn, and then it is bad */
	if (overlong)
		agg.bad(name, ++lineNo, "longer than 1 MiB");
	else if (!pending.empty())
		agg.line(pending, name, ++lineNo);
}

} // namespace bulkhead::report
