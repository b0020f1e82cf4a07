// Runs a libFuzzer target without libFuzzer, so every parser's fuzz target is also an ordinary
// CTest test under g++ and the sanitizers:
//   fuzz_X CORPUS_DIR [--mutations N]
// replays every file of the corpus, then feeds N deterministic mutations of them (bit flips,
// truncations, insertions, splices). A crash or sanitizer report fails the test.
// With clang, the same target links against libFuzzer instead (see CMakeLists.txt).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using bytes_t = std::vector<std::uint8_t>;

bytes_t read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return bytes_t(std::istreambuf_iterator<char>(in), {});
}

void run(const bytes_t& input) {
    LLVMFuzzerTestOneInput(input.data(), input.size());
}

bytes_t mutate(const std::vector<bytes_t>& corpus, std::mt19937_64& random) {
    bytes_t input = corpus[random() % corpus.size()];
    const int edits = 1 + int(random() % 4);
    for (int i = 0; i < edits; ++i) {
        switch (random() % 5) {
        case 0: // flip a bit
            if (!input.empty())
                input[random() % input.size()] ^= std::uint8_t(1u << (random() % 8));
            break;
        case 1: // truncate
            if (!input.empty()) input.resize(random() % input.size());
            break;
        case 2: // insert a random byte
            input.insert(input.begin() +
                             std::ptrdiff_t(input.empty() ? 0 : random() % input.size()),
                         std::uint8_t(random()));
            break;
        case 3: { // splice with another entry
            const bytes_t& other = corpus[random() % corpus.size()];
            if (!other.empty())
                input.insert(input.end(), other.begin() + std::ptrdiff_t(random() % other.size()),
                             other.end());
            break;
        }
        case 4: // overwrite with an interesting byte
            if (!input.empty()) {
                static const std::uint8_t interesting[] = {0,   0xff, 0x7f, 0x80, ',', '@',  '>',
                                                           ':', '*',  '[',  ']',  '"', '\\', 0xc0};
                input[random() % input.size()] = interesting[random() % sizeof interesting];
            }
            break;
        }
    }
    return input;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [--mutations N]\n", argv[0]);
        return 2;
    }
    long mutations = 0;
    if (argc == 4 && std::strcmp(argv[2], "--mutations") == 0) mutations = std::atol(argv[3]);

    std::vector<bytes_t> corpus;
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(argv[1]))
        if (entry.is_regular_file()) paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end()); // a fixed order makes the mutations repeatable
    for (const auto& path : paths)
        corpus.push_back(read_file(path));
    if (corpus.empty()) {
        std::fprintf(stderr, "empty corpus in %s\n", argv[1]);
        return 1;
    }
    for (const auto& input : corpus)
        run(input);
    std::mt19937_64 random(20261122);
    for (long i = 0; i < mutations; ++i)
        run(mutate(corpus, random));
    std::printf("%zu corpus inputs and %ld mutations ran clean\n", corpus.size(), mutations);
    return 0;
}
