// A segment as the log keeps it (see log_segment.hpp). Reads go through a caller's
// segment_reader_t, so each cursor keeps its own buffer and the segment stays read-only.
#include "journal/log_segment.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace zd::journal {
namespace {

// The body length field of a record header.
std::uint32_t body_size(const char* header) {
    std::uint32_t body;
    std::memcpy(&body, header + 8, 4);
    return body;
}

// fsync of a directory, so a new entry in it is durable. Returns 0 or the errno.
int fsync_directory(const std::filesystem::path& dir) {
    const file_t fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) return errno;
    return 0;
}

} // namespace

void log_segment_t::note(std::uint64_t offset, std::uint64_t position, std::int64_t timestamp_ns) {
    if (empty()) first_timestamp_ns = timestamp_ns;
    last_timestamp_ns = timestamp_ns;
    index.note({offset, position, timestamp_ns});
}

decode_status log_segment_t::read_at(segment_reader_t& reader, std::uint64_t position,
                                     record_view_t& record) const {
    const char* header = reader.fetch(fd.get(), position, record_header_size, size);
    if (!header) return decode_status::truncated;
    const std::uint32_t body = body_size(header);
    if (body > max_record_body) return decode_status::too_long;
    const char* bytes = reader.fetch(fd.get(), position, record_header_size + body, size);
    if (!bytes) return decode_status::truncated;
    return decode_record_into({bytes, record_header_size + body}, record, max_record_body);
}

std::uint64_t log_segment_t::position_of(std::uint64_t offset, segment_reader_t& reader) const {
    const index_entry_t entry =
        index.at_or_before(offset).value_or(index_entry_t{first_offset, 0, first_timestamp_ns});
    std::uint64_t position = entry.position;
    for (std::uint64_t at = entry.offset; at < offset; ++at) {
        const char* header = reader.fetch(fd.get(), position, record_header_size, size);
        if (!header) damaged(position, "cannot read a record header");
        position += record_header_size + body_size(header);
    }
    return position;
}

std::uint64_t log_segment_t::offset_for_time(std::int64_t timestamp_ns) const {
    if (first_timestamp_ns >= timestamp_ns) return first_offset;
    // The last index entry before the time, then record by record.
    const index_entry_t start =
        index.last_before(timestamp_ns).value_or(index_entry_t{first_offset, 0, 0});
    segment_reader_t reader;
    record_view_t record;
    std::uint64_t position = start.position;
    for (std::uint64_t offset = start.offset; offset < next_offset; ++offset) {
        const auto status = read_at(reader, position, record);
        if (status != decode_status::ok) damaged(position, describe(status));
        if (record.meta.timestamp_ns >= timestamp_ns) return offset;
        position += record.encoded_size;
    }
    return next_offset;
}

void log_segment_t::damaged(std::uint64_t position, const std::string& what) const {
    throw corruption_error("journal " + path.string() + ": byte " + std::to_string(position) +
                           ": " + what);
}

int create_log_segment(const std::filesystem::path& dir, std::uint64_t first_offset,
                       fsync_policy policy, std::shared_ptr<log_segment_t>& created) {
    const auto path = dir / segment_file_name(first_offset);
    file_t fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
    if (!fd) return errno;
    if (policy != fsync_policy::never) {
        if (const int error = fsync_directory(dir)) {
            fd = file_t();
            ::unlink(path.c_str());
            return error;
        }
    }
    created = std::make_shared<log_segment_t>();
    created->first_offset = created->next_offset = first_offset;
    created->path = path;
    created->fd = std::move(fd);
    return 0;
}

} // namespace zd::journal
