// The journal replay reader: "READ position count" out, "REC offset ts" + frames... then
// "END next" in; a fresh socket after a page that never finished.
#include "journal/client/reader.hpp"

#include "journal/client/protocol.hpp"

#include <string>

namespace zd::journal {

namespace proto = protocol;

reader_t::reader_t(zmq::context_t& context, std::string_view endpoints, reader_options_t options)
    : context_(context), options_(std::move(options)),
      endpoints_(parse_endpoints(endpoints, attach_mode::connect)) {
    connect();
}

reader_t::~reader_t() = default;

void reader_t::connect() {
    if (socket_) {
        socket_->set(zmq::sockopt::linger, 0); // what it holds answers a page we gave up
        socket_.reset();
    }
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    options_.socket.apply_to(*socket_);
    attach(*socket_, endpoints_, options_.socket);
}

std::optional<page_t> reader_t::read(std::uint64_t offset, std::uint32_t count,
                                     std::chrono::milliseconds timeout) {
    char digits[24];
    return read(proto::format_decimal(offset, digits), count, timeout);
}

std::optional<page_t> reader_t::read(std::string_view position, std::uint32_t count,
                                     std::chrono::milliseconds timeout) {
    std::string line(proto::cmd_read);
    line.append(" ").append(position).append(" ").append(std::to_string(count));
    // Check the READ exactly as the journal will, so a bad argument fails here, named.
    const std::string_view request[] = {"", line};
    const auto decoded = proto::decode_reader(request, std::size(request));
    if (!decoded.ok())
        throw std::invalid_argument("reader: bad READ (position '" + std::string(position) +
                                    "', count " + std::to_string(count) +
                                    "): " + proto::describe(decoded.error));

    const std::vector<zmq::const_buffer> frames{zmq::buffer(line)};
    auto deadline = client_detail::deadline_after(timeout);
    while (!client_detail::try_send(*socket_, frames))
        if (client_detail::wait(*socket_, ZMQ_POLLOUT, deadline, options_.stop_fd) == 0) {
            connect();
            return std::nullopt;
        }

    page_t page;
    while (true) {
        if (client_detail::wait(*socket_, ZMQ_POLLIN, deadline, options_.stop_fd) == 0) {
            connect(); // a late part of this page must never look like the next one
            return std::nullopt;
        }
        while (client_detail::receive(*socket_, incoming_)) {
            const auto views = client_detail::views_of(incoming_);
            if (views.empty()) {
                ++malformed_;
                continue;
            }
            std::string_view tokens[3];
            const std::size_t count = client_detail::split_line(views[0], tokens, 3);
            const std::string_view command = tokens[0];
            if (command == proto::cmd_record && count == 3 && views.size() >= 2) {
                const auto offset = proto::parse_decimal(tokens[1]);
                const auto timestamp = proto::parse_decimal(tokens[2]);
                if (!offset || !timestamp ||
                    (!page.records.empty() && *offset <= page.records.back().offset)) {
                    ++malformed_;
                    continue;
                }
                record_t& record = page.records.emplace_back();
                record.offset = *offset;
                record.timestamp_ns = *timestamp;
                record.frames.assign(views.begin() + 1, views.end());
                deadline = client_detail::deadline_after(timeout); // progress
            } else if (command == proto::cmd_end && count == 2 && views.size() == 1) {
                const auto next = proto::parse_decimal(tokens[1]);
                if (!next) {
                    ++malformed_;
                    continue;
                }
                page.next_offset = *next;
                return page;
            } else if (command == proto::cmd_error && count >= 2 && views.size() == 1) {
                throw journal_error(std::string(tokens[1]),
                                    count == 3 ? std::string(tokens[2]) : std::string());
            } else {
                ++malformed_;
            }
        }
    }
}

} // namespace zd::journal
