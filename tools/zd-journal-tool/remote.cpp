// consume and read: the journal over its sockets, for an operator at a shell. consume is a
// named consumer (lib/journal/client/consumer.hpp) that prints each record and acknowledges
// it only once the printed text was written to stdout: at-least-once (a record printed just
// before a crash or a kill -9 is printed again by the next consume of that name). read pages
// through the replay socket (reader.hpp) and acknowledges nothing.
#include "base/json_writer.hpp"

#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "journal/client/consumer.hpp"
#include "journal/client/reader.hpp"
#include "print.hpp"
#include "security/process_security.hpp"
#include "tool.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <zmq.hpp>

namespace zd::journal_tool {
namespace {

using namespace std::chrono_literals;

// The same shapes as dump, without what only the files know (producer, seq, size).
std::string format_delivered(const journal::record_t& record, format_t format) {
    std::string out;
    const auto timestamp = std::int64_t(record.timestamp_ns);
    if (format == format_t::json) {
        zd::json_writer_t json;
        json.begin_object()
            .key("offset")
            .value(record.offset)
            .key("timestamp_ns")
            .value(timestamp)
            .key("time")
            .value(iso_time(timestamp))
            .key("frames")
            .begin_array();
        for (const auto& frame : record.frames)
            json.value(frame);
        json.end_array().end_object();
        return json.str() + "\n";
    }
    out = std::to_string(record.offset) + " " + iso_time(timestamp) +
          " frames=" + std::to_string(record.frames.size()) + "\n";
    for (std::size_t i = 0; i < record.frames.size(); ++i) {
        out += "  [" + std::to_string(i) + "] " + std::to_string(record.frames[i].size()) + " B";
        if (format == format_t::text) {
            out += ' ' + escaped(record.frames[i]) + '\n';
        } else {
            out += '\n';
            hexdump(out, record.frames[i]);
        }
    }
    return out;
}

// Writes text to stdout and flushes it; false if stdout refused (then nothing is acked).
bool write_out(const std::string& text) {
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
           std::fflush(stdout) == 0;
}

// The socket options for a connection to the journal at endpoint: CURVE when --curve-cert is
// given, a client of --curve-server-key. Reads and checks the files; throws usage_error.
socket_options_t journal_socket_options(const curve_flags_t& curve, const std::string& endpoint,
                                        socket_options_t base) {
    // Checked here too: process_security_t would name per-side flags this tool does not have.
    if (curve.certificate.empty() != curve.server_key.empty())
        throw usage_error("CURVE to the journal needs both --curve-cert (our secret "
                          "certificate) and --curve-server-key (the journal's public one)");
    security_options_t flags;
    flags.curve = curve;
    security::process_security_t security(flags); // connects only: no ZAP handler to start
    return security.side("journal", base, parse_endpoints(endpoint, attach_mode::connect));
}

} // namespace

int consume(const consume_options_t& options) {
    zd::stop_signal_t stop; // before the context: libzmq's threads inherit the blocked signals
    zmq::context_t context;
    journal::consumer_options_t consumer_options;
    consumer_options.ack_every = 1; // each record is acknowledged once it is printed
    consumer_options.stop_fd = stop.fd();
    socket_options_t socket;
    socket.linger_ms = 1000; // the last ACKs leave before the exit
    consumer_options.socket = journal_socket_options(options.curve, options.endpoint, socket);
    journal::consumer_t consumer(context, options.endpoint, options.name, options.from,
                                 options.window, consumer_options);
    std::uint64_t printed = 0;
    int code = 0;
    try {
        while (!(options.count && printed >= *options.count)) {
            const auto timeout = options.idle_ms ? std::chrono::milliseconds(*options.idle_ms)
                                                 : std::chrono::milliseconds(-1);
            const auto record = consumer.receive(timeout);
            if (!record) break; // --idle passed without a record: drained
            if (!write_out(format_delivered(*record, options.format))) {
                zd::log::error("consume: cannot write to stdout; record " +
                               std::to_string(record->offset) + " is not acknowledged");
                code = 1;
                break;
            }
            consumer.ack(record->offset);
            ++printed;
        }
    } catch (const journal::interrupted_error&) {
        // SIGINT/SIGTERM: stop cleanly, everything printed so far acknowledged.
    }
    // Make sure the journal has applied the last ACK before we go, so the next consume of
    // this name starts right after it.
    if (!consumer.settle(2000ms)) {
        zd::log::error("consume: the journal did not confirm the last acknowledgement; "
                       "records after " +
                       (consumer.acked() ? std::to_string(*consumer.acked()) : "none") +
                       " may be printed again next time");
    }
    zd::log::info("consume: " + std::to_string(printed) +
                  " record(s) printed and acknowledged as '" + options.name + "'" +
                  (consumer.acked() ? ", last offset " + std::to_string(*consumer.acked()) : ""));
    return code;
}

int read_range(const read_options_t& options) {
    zd::stop_signal_t stop;
    zmq::context_t context;
    journal::reader_options_t reader_options;
    reader_options.stop_fd = stop.fd();
    reader_options.socket = journal_socket_options(options.curve, options.endpoint, {});
    journal::reader_t reader(context, options.endpoint, reader_options);
    const auto timeout = std::chrono::milliseconds(options.timeout_ms);
    std::string position = options.from;
    std::uint64_t printed = 0;
    try {
        while (!(options.count && printed >= *options.count)) {
            const std::uint64_t left = options.count ? *options.count - printed : 65536;
            const auto page =
                reader.read(position, std::uint32_t(std::min<std::uint64_t>(left, 65536)), timeout);
            if (!page) {
                zd::log::error("read: no answer from " + options.endpoint + " within " +
                               std::to_string(options.timeout_ms) + " ms");
                return 1;
            }
            for (const auto& record : page->records) {
                if (!write_out(format_delivered(record, options.format))) return 1;
                ++printed;
            }
            if (page->records.empty()) break; // the end of the log
            position = std::to_string(page->next_offset);
        }
    } catch (const journal::interrupted_error&) {
    }
    return 0;
}

} // namespace zd::journal_tool
