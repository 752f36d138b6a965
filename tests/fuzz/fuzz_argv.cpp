/* The argv parser on arbitrary argument vectors: input split on NUL bytes into
 * arguments (argv[0] first). Only bulkhead::Error may come out; a parse that
 * succeeds must point inside argv and never change it. */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "bulkhead/cli.h"
#include "bulkhead/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::vector<std::string> argv;
	std::string cur;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == 0) {
			argv.push_back(cur);
			cur.clear();
		} else {
			cur += static_cast<char>(data[i]);
		}
	}
	argv.push_back(cur);
	if (argv.size() > 4096)
		return 0;
	try {
		const bulkhead::cli::Invocation inv = bulkhead::cli::parse(argv);
		if (inv.argv != argv)
			std::abort();
		for (const auto &f : inv.flags)
			if (f.index >= argv.size() || f.valueIndex >= argv.size() || f.index == 0)
				std::abort();
		for (size_t op : inv.operands)
			if (op >= argv.size() || op <= inv.commandIndex)
				std::abort();
		if (inv.containerId && *inv.containerId != argv.at(inv.containerIdIndex))
			std::abort();
		(void)inv.bundle();
	} catch (const bulkhead::Error &) {
	}
	std::optional<std::string> log;
	std::string format;
	bulkhead::cli::scanLogOptions(argv, log, format);
	return 0;
}
