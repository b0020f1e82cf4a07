// Fuzz target: the journal record decoder and the recovery scan (lib/journal/record.hpp,
// recovery.hpp), the first code to read bytes from disk after a crash or from a hostile
// file. decode_record must never read past its input; whatever it accepts must re-encode to
// exactly the bytes it came from (so a "valid" record is really one the writer could have
// written); the scan over the input as a segment file must stop inside it and classify the
// end consistently.
#include "journal/record.hpp"
#include "journal/recovery.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace {

using namespace zd::journal;

void require(bool condition) {
    if (!condition) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A copy of exactly size bytes, so ASan catches any read past the end.
    const std::vector<char> bytes(data, data + size);
    const std::span<const char> input(bytes.data(), bytes.size());

    const auto result = decode_record(input);
    if (result.status == decode_status::ok) {
        const auto& record = result.record;
        require(record.encoded_size <= size);
        require(record.encoded_size >= record_header_size);
        std::vector<char> again;
        encode_record(again, record.meta, record.frames);
        require(again.size() == record.encoded_size);
        require(std::memcmp(again.data(), bytes.data(), again.size()) == 0);
    }

    // The input as a whole segment file starting at the offset of its first record (or 0).
    segment_file_t file;
    file.first_offset = result.status == decode_status::ok ? result.record.meta.offset : 0;
    file.path = "fuzz.seg";
    scan_problem_t problem;
    std::uint64_t visited = 0, last_end = 0;
    const auto scan =
        scan_segment_bytes(file, input, max_record_body, problem,
                           [&](const record_view_t& record, std::uint64_t position) {
                               require(position == last_end);
                               require(record.meta.offset == file.first_offset + visited);
                               last_end = position + record.encoded_size;
                               ++visited;
                           });
    require(scan.records == visited);
    require(scan.valid_bytes == last_end);
    require(scan.valid_bytes <= size);
    require((problem.kind == problem_kind::none) == (scan.valid_bytes == size));
    if (problem.kind != problem_kind::none) require(problem.position == scan.valid_bytes);
    return 0;
}
