/* Replays a fuzz target's seed corpus without libFuzzer: every file in the
 * directories (or files) given is fed to LLVMFuzzerTestOneInput once. */
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const std::filesystem::path &p)
{
	std::ifstream in(p, std::ios::binary);
	if (!in) {
		std::fprintf(stderr, "replay: cannot open %s\n", p.c_str());
		return 1;
	}
	std::vector<char> buf((std::istreambuf_iterator<char>(in)),
	                      std::istreambuf_iterator<char>());
	LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(buf.data()), buf.size());
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		std::filesystem::path p(argv[i]);
		if (std::filesystem::is_directory(p)) {
			for (const auto &e : std::filesystem::directory_iterator(p)) {
				rc |= replay(e.path());
				n++;
			}
		} else {
			rc |= replay(p);
			n++;
		}
	}
	std::printf("replayed %zu inputs\n", n);
	if (n == 0) {
		std::fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	return rc;
}
