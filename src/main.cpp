/* bulkhead: a runc drop-in. Everything is in the library; see app.cpp. */
#include <exception>
#include <string>
#include <vector>

#include "bulkhead/app.h"
#include "bulkhead/error.h"
#include "bulkhead/logger.h"

int main(int argc, char **argv)
{
	const std::vector<std::string> args(argv, argv + argc);
	/* --log is opened before anything else can fail. */
	const bulkhead::Logger log = bulkhead::Logger::fromArgv(args);
	try {
		return bulkhead::run(log, args);
	} catch (const bulkhead::Error &e) {
		log.error(e.what());
	} catch (const std::exception &e) { /* a bug; still fail closed, still one line */
		log.error(std::string("internal error: ") + e.what());
	}
	return bulkhead::exitCodeFor(args);
}
