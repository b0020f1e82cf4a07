// zd-journal-bench — how fast zd-journal stores, acknowledges and delivers, beside the
// baselines measured in the same run on the same disk:
//   raw:      write() of each record to a file, fdatasync every G records (G = 1, 100, 1000)
//             and never — what the disk itself allows;
//   streamer: the same messages through zd-streamer (PUSH -> PULL), no disk at all;
//   journal:  producers waiting for ACKs (many in flight) through zd-journal with
//             --fsync=batch and --fsync=never, and end to end (producers -> journal ->
//             a consumer acknowledging), in messages per second;
//   link:     with --link, zd-link between two journals (--fsync=batch both): producers ->
//             near journal -> zd-link -> far journal, until the far one committed them all
//             (its STATS), sustained; and the drain after a 10 s cut (far journal stopped
//             while the producers publish, then started again on the same port).
// Prints a Markdown table and the issue's goals as ratios. Not a test: a benchmark.
#include "../zd-bench/child_process.hpp"
#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>
#include <zmq.h>

namespace {

using clock_type = std::chrono::steady_clock;
using zd::bench::child_process_t;
using zd::bench::stream_t;

struct options_t {
    std::string journal = "zd-journal";
    std::string streamer = "zd-streamer";
    std::string link;             // zd-link executable; empty: no link figures
    std::string dir;              // where journals and raw files go (a disk, not tmpfs)
    std::size_t size = 256;       // message bytes
    std::uint64_t count = 300000; // messages per device measurement
    int producers = 2;
    std::uint64_t window = 20000; // unacknowledged messages per producer
    double raw_seconds = 1.0;     // length of each raw measurement
    int runs = 3;                 // median of this many
};

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// --- raw disk baseline ------------------------------------------------------------------

// Records per second appending size-byte records with one write() each and an fdatasync
// every group records (group 0: never).
double raw_rate(const options_t& options, std::uint64_t group) {
    const std::string path = options.dir + "/raw.dat";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    const std::vector<char> record(options.size, 'r');
    std::uint64_t written = 0;
    const auto start = clock_type::now();
    while (seconds_since(start) < options.raw_seconds) {
        for (int i = 0; i < 1000; ++i) {
            if (::write(fd, record.data(), record.size()) != ssize_t(record.size()))
                throw std::runtime_error("write failed: " + std::string(std::strerror(errno)));
            ++written;
            if (group && written % group == 0 && ::fdatasync(fd) != 0)
                throw std::runtime_error("fdatasync failed: " + std::string(std::strerror(errno)));
        }
    }
    const double rate = double(written) / seconds_since(start);
    ::close(fd);
    ::unlink(path.c_str());
    return rate;
}

// --- devices ----------------------------------------------------------------------------

// The value of "side=@endpoint" in a ready line, without the '@'.
std::string endpoint_of(const std::string& ready_line, const std::string& side) {
    const auto at = ready_line.find(" " + side + "=@");
    if (at == std::string::npos)
        throw std::runtime_error("no " + side + " in ready line: " + ready_line);
    const auto begin = at + side.size() + 3;
    const auto end = ready_line.find_first_of(" ,", begin);
    return ready_line.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

struct device_t {
    std::unique_ptr<child_process_t> process;
    std::string ready_line;
};

device_t start_device(const std::string& name, std::vector<std::string> argv) {
    device_t device;
    device.process =
        std::make_unique<child_process_t>(name, argv, zd::bench::spawn_options_t{false, true});
    const auto line = device.process->read_line(stream_t::err, std::chrono::seconds(30));
    if (!line || line->find("ready") == std::string::npos)
        throw std::runtime_error(name + " did not start: " + device.process->drain(stream_t::err));
    device.ready_line = *line;
    return device;
}

void check_zmq(int rc, const char* what) {
    if (rc < 0) throw std::runtime_error(std::string(what) + ": " + zmq_strerror(zmq_errno()));
}

struct socket_t { // RAII for a raw libzmq socket
    void* handle;
    socket_t(void* context, int type, const std::string& endpoint) {
        handle = zmq_socket(context, type);
        int linger = 0, hwm = 0;
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(handle, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(handle, ZMQ_RCVHWM, &hwm, sizeof hwm);
        check_zmq(zmq_connect(handle, endpoint.c_str()), "connect");
    }
    ~socket_t() { zmq_close(handle); }
};

void send_part(void* socket, const void* data, std::size_t size, bool more) {
    check_zmq(zmq_send(socket, data, size, more ? ZMQ_SNDMORE : 0), "send");
}

// One producer: "PUB id seq base" + payload, at most window unacknowledged; returns when
// every message is acknowledged.
void produce(void* context, const std::string& endpoint, const std::string& id,
             const options_t& options, std::uint64_t count) {
    socket_t socket(context, ZMQ_DEALER, endpoint);
    const std::string payload(options.size, 'p');
    std::uint64_t sent = 0, acked = 0;
    char header[320], reply[320];
    while (acked < count) {
        while (sent < count && sent - acked < options.window) {
            ++sent;
            const int size = std::snprintf(header, sizeof header, "PUB %s %llu %llu", id.c_str(),
                                           static_cast<unsigned long long>(sent),
                                           static_cast<unsigned long long>(acked + 1));
            send_part(socket.handle, header, std::size_t(size), true);
            send_part(socket.handle, payload.data(), payload.size(), false);
        }
        // "ACK id seq"
        zmq_pollitem_t item{socket.handle, 0, ZMQ_POLLIN, 0};
        check_zmq(zmq_poll(&item, 1, 10000), "poll");
        if (!item.revents) throw std::runtime_error("no ACK for 10 s from the journal");
        const int size = zmq_recv(socket.handle, reply, sizeof reply - 1, 0);
        check_zmq(size, "recv");
        reply[std::min<int>(size, int(sizeof reply) - 1)] = '\0';
        if (std::strncmp(reply, "ACK ", 4) != 0)
            throw std::runtime_error(std::string("journal answered '") + reply + "', not ACK");
        const char* seq = std::strrchr(reply, ' ');
        acked = std::max<std::uint64_t>(acked, std::strtoull(seq + 1, nullptr, 10));
    }
}

// A consumer: "SUB bench earliest 20000"; acknowledges every 1000 records; returns once it
// has seen count records.
void consume(void* context, const std::string& endpoint, std::uint64_t count) {
    socket_t socket(context, ZMQ_DEALER, endpoint);
    const std::string subscribe = "SUB bench earliest 20000";
    send_part(socket.handle, subscribe.data(), subscribe.size(), false);
    std::vector<char> buffer(1 << 20);
    std::uint64_t received = 0;
    char ack[40];
    std::uint64_t offset = 0;
    while (received < count) {
        zmq_pollitem_t item{socket.handle, 0, ZMQ_POLLIN, 0};
        check_zmq(zmq_poll(&item, 1, 10000), "poll");
        if (!item.revents) throw std::runtime_error("no record for 10 s from the journal");
        int more = 1, frame = 0;
        while (more) {
            const int size = zmq_recv(socket.handle, buffer.data(), buffer.size() - 1, 0);
            check_zmq(size, "recv");
            if (frame++ == 0) { // "REC offset ts"
                buffer[std::size_t(std::min<int>(size, int(buffer.size()) - 1))] = '\0';
                offset = std::strtoull(buffer.data() + 4, nullptr, 10);
            }
            std::size_t more_size = sizeof more;
            zmq_getsockopt(socket.handle, ZMQ_RCVMORE, &more, &more_size);
        }
        if (++received % 1000 == 0 || received == count) {
            const int size =
                std::snprintf(ack, sizeof ack, "ACK %llu", static_cast<unsigned long long>(offset));
            send_part(socket.handle, ack, std::size_t(size), false);
        }
    }
}

// Messages per second through zd-journal with the given --fsync; with consumer, until a
// consumer has received (and acknowledged) them all.
double journal_rate(const options_t& options, const std::string& fsync, bool consumer) {
    const std::string dir = options.dir + "/journal-" + fsync;
    std::filesystem::remove_all(dir);
    device_t journal =
        start_device("zd-journal", {options.journal, "--dir", dir, "-f", "@tcp://127.0.0.1:*", "-b",
                                    "@tcp://127.0.0.1:*", "--fsync", fsync});
    const std::string frontend = endpoint_of(journal.ready_line, "frontend");
    const std::string backend = endpoint_of(journal.ready_line, "backend");
    void* context = zmq_ctx_new();
    const std::uint64_t per_producer = options.count / std::uint64_t(options.producers);
    const std::uint64_t total = per_producer * std::uint64_t(options.producers);
    std::vector<std::exception_ptr> errors(std::size_t(options.producers) + 1);
    std::vector<std::thread> threads;
    const auto start = clock_type::now();
    for (int p = 0; p < options.producers; ++p)
        threads.emplace_back([&, p] {
            try {
                produce(context, frontend, "bench-" + std::to_string(p), options, per_producer);
            } catch (...) {
                errors[std::size_t(p)] = std::current_exception();
            }
        });
    if (consumer)
        threads.emplace_back([&] {
            try {
                consume(context, backend, total);
            } catch (...) {
                errors.back() = std::current_exception();
            }
        });
    for (auto& thread : threads)
        thread.join();
    const double elapsed = seconds_since(start);
    zmq_ctx_term(context);
    journal.process->stop(SIGTERM, std::chrono::seconds(10));
    std::filesystem::remove_all(dir);
    for (const auto& error : errors)
        if (error) std::rethrow_exception(error);
    return double(total) / elapsed;
}

// Messages per second PUSH -> zd-streamer -> PULL, the same sizes and count.
double streamer_rate(const options_t& options) {
    device_t streamer = start_device(
        "zd-streamer", {options.streamer, "-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*"});
    const std::string frontend = endpoint_of(streamer.ready_line, "frontend");
    const std::string backend = endpoint_of(streamer.ready_line, "backend");
    void* context = zmq_ctx_new();
    const std::uint64_t per_producer = options.count / std::uint64_t(options.producers);
    const std::uint64_t total = per_producer * std::uint64_t(options.producers);
    double elapsed = 0;
    {
        socket_t pull(context, ZMQ_PULL, backend);
        std::vector<std::thread> threads;
        std::vector<char> buffer(options.size + 1);
        // Wait until the stream flows (the first message) before timing.
        const auto start = clock_type::now();
        for (int p = 0; p < options.producers; ++p)
            threads.emplace_back([&] {
                socket_t push(context, ZMQ_PUSH, frontend);
                const std::string payload(options.size, 's');
                for (std::uint64_t i = 0; i < per_producer; ++i)
                    send_part(push.handle, payload.data(), payload.size(), false);
                // Keep the socket open until everything is received (ipc/tcp tail).
                int linger = 10000;
                zmq_setsockopt(push.handle, ZMQ_LINGER, &linger, sizeof linger);
            });
        for (std::uint64_t i = 0; i < total; ++i)
            check_zmq(zmq_recv(pull.handle, buffer.data(), buffer.size(), 0), "recv");
        elapsed = seconds_since(start);
        for (auto& thread : threads)
            thread.join();
    }
    zmq_ctx_term(context);
    streamer.process->stop(SIGTERM, std::chrono::seconds(10));
    return double(total) / elapsed;
}

// --- zd-link between two journals -----------------------------------------------------------

struct link_setup_t {
    device_t near, far, link;
    std::string near_frontend, far_frontend;
};

device_t start_journal(const options_t& options, const std::string& dir,
                       const std::string& frontend = "tcp://127.0.0.1:*") {
    return start_device("zd-journal", {options.journal, "--dir", dir, "-f", "@" + frontend, "-b",
                                       "@tcp://127.0.0.1:*", "--control", "@tcp://127.0.0.1:*",
                                       "--fsync", "batch"});
}

// Waits until the journal whose control endpoint this is has count records committed (its
// STATS "durable_next"), asking every 5 ms: the far side of a link, stored, with no
// consumer's work in the figure.
void wait_durable(void* context, const std::string& control, std::uint64_t count) {
    const auto deadline = clock_type::now() + std::chrono::seconds(120);
    std::vector<char> reply(1 << 16);
    while (clock_type::now() < deadline) {
        socket_t socket(context, ZMQ_REQ, control);
        send_part(socket.handle, "STATS", 5, false);
        zmq_pollitem_t item{socket.handle, 0, ZMQ_POLLIN, 0};
        check_zmq(zmq_poll(&item, 1, 5000), "poll");
        if (!item.revents) throw std::runtime_error("no STATS reply from the far journal");
        const int size = zmq_recv(socket.handle, reply.data(), reply.size() - 1, 0);
        check_zmq(size, "recv");
        reply[std::size_t(std::min<int>(size, int(reply.size()) - 1))] = '\0';
        const char* field = std::strstr(reply.data(), "\"durable_next\":");
        if (field && std::strtoull(field + 15, nullptr, 10) >= count) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw std::runtime_error("the far journal did not store every record within 120 s");
}

link_setup_t start_link(const options_t& options) {
    std::filesystem::remove_all(options.dir + "/link-near");
    std::filesystem::remove_all(options.dir + "/link-far");
    link_setup_t setup;
    setup.near = start_journal(options, options.dir + "/link-near");
    setup.far = start_journal(options, options.dir + "/link-far");
    setup.near_frontend = endpoint_of(setup.near.ready_line, "frontend");
    setup.far_frontend = endpoint_of(setup.far.ready_line, "frontend");
    setup.link = start_device(
        "zd-link", {options.link, "--from", ">" + endpoint_of(setup.near.ready_line, "backend"),
                    "--to", ">" + setup.far_frontend, "--name", "bench", "--window", "10000"});
    return setup;
}

void stop_link(link_setup_t& setup, const options_t& options) {
    setup.link.process->stop(SIGTERM, std::chrono::seconds(10));
    setup.far.process->stop(SIGTERM, std::chrono::seconds(10));
    setup.near.process->stop(SIGTERM, std::chrono::seconds(10));
    std::filesystem::remove_all(options.dir + "/link-near");
    std::filesystem::remove_all(options.dir + "/link-far");
}

// Runs the producers against endpoint (each waiting for its ACKs); rethrows their errors.
void run_producers(void* context, const std::string& endpoint, const options_t& options,
                   std::uint64_t per_producer) {
    std::vector<std::exception_ptr> errors(std::size_t(options.producers));
    std::vector<std::thread> threads;
    for (int p = 0; p < options.producers; ++p)
        threads.emplace_back([&, p] {
            try {
                produce(context, endpoint, "bench-" + std::to_string(p), options, per_producer);
            } catch (...) {
                errors[std::size_t(p)] = std::current_exception();
            }
        });
    for (auto& thread : threads)
        thread.join();
    for (const auto& error : errors)
        if (error) std::rethrow_exception(error);
}

// Messages per second from producers through the near journal and zd-link into the far
// journal: until the far journal has committed them all.
double link_rate(const options_t& options) {
    link_setup_t setup = start_link(options);
    void* context = zmq_ctx_new();
    const std::uint64_t per_producer = options.count / std::uint64_t(options.producers);
    const std::uint64_t total = per_producer * std::uint64_t(options.producers);
    const auto start = clock_type::now();
    run_producers(context, setup.near_frontend, options, per_producer);
    wait_durable(context, endpoint_of(setup.far.ready_line, "control"), total);
    const double elapsed = seconds_since(start);
    zmq_ctx_term(context);
    stop_link(setup, options);
    return double(total) / elapsed;
}

// The far journal is stopped for 10 s while the producers publish count messages to the
// near one; then it starts again on the same port. Messages per second from that start
// until the far journal has committed the whole backlog.
double drain_rate(const options_t& options) {
    link_setup_t setup = start_link(options);
    setup.far.process->stop(SIGTERM, std::chrono::seconds(10));
    const auto cut = clock_type::now();
    void* context = zmq_ctx_new();
    const std::uint64_t per_producer = options.count / std::uint64_t(options.producers);
    const std::uint64_t total = per_producer * std::uint64_t(options.producers);
    run_producers(context, setup.near_frontend, options, per_producer);
    std::this_thread::sleep_until(cut + std::chrono::seconds(10)); // the rest of the cut
    setup.far = start_journal(options, options.dir + "/link-far", setup.far_frontend);
    const auto start = clock_type::now();
    wait_durable(context, endpoint_of(setup.far.ready_line, "control"), total);
    const double elapsed = seconds_since(start);
    zmq_ctx_term(context);
    stop_link(setup, options);
    return double(total) / elapsed;
}

std::string format_rate(double rate) {
    char text[32];
    if (rate >= 1e6)
        std::snprintf(text, sizeof text, "%.2f M", rate / 1e6);
    else if (rate >= 1e3)
        std::snprintf(text, sizeof text, "%.1f k", rate / 1e3);
    else
        std::snprintf(text, sizeof text, "%.0f", rate);
    return text;
}

std::string verdict(double ratio, double goal) {
    char text[96];
    std::snprintf(text, sizeof text, "%.2fx (goal >= %.1fx): %s", ratio, goal,
                  ratio >= goal         ? "met"
                  : ratio >= goal * 0.9 ? "within noise"
                                        : "**missed**");
    return text;
}

int run(const options_t& options) {
    std::filesystem::create_directories(options.dir);
    auto measure = [&](const auto& once) {
        std::vector<double> rates;
        for (int run = 0; run < options.runs; ++run)
            rates.push_back(once());
        return median(rates);
    };
    const double raw_1 = measure([&] { return raw_rate(options, 1); });
    const double raw_100 = measure([&] { return raw_rate(options, 100); });
    const double raw_1000 = measure([&] { return raw_rate(options, 1000); });
    const double raw_never = measure([&] { return raw_rate(options, 0); });
    const double streamer = measure([&] { return streamer_rate(options); });
    const double batch = measure([&] { return journal_rate(options, "batch", false); });
    const double never = measure([&] { return journal_rate(options, "never", false); });
    const double end_to_end = measure([&] { return journal_rate(options, "batch", true); });
    double link = 0, drain = 0;
    if (!options.link.empty()) {
        link = measure([&] { return link_rate(options); });
        drain = measure([&] { return drain_rate(options); });
    }

    std::printf("| what | messages/s |\n|---|--:|\n");
    std::printf("| raw: write() + fdatasync per record | %s |\n", format_rate(raw_1).c_str());
    std::printf("| raw: write() per record, fdatasync per 100 | %s |\n",
                format_rate(raw_100).c_str());
    std::printf("| raw: write() per record, fdatasync per 1000 | %s |\n",
                format_rate(raw_1000).c_str());
    std::printf("| raw: write() per record, no fdatasync | %s |\n", format_rate(raw_never).c_str());
    std::printf("| zd-streamer (PUSH -> PULL, no disk) | %s |\n", format_rate(streamer).c_str());
    std::printf("| zd-journal --fsync=batch, producers waiting for ACKs | %s |\n",
                format_rate(batch).c_str());
    std::printf("| zd-journal --fsync=never, producers waiting for ACKs | %s |\n",
                format_rate(never).c_str());
    std::printf("| zd-journal --fsync=batch, end to end (consumer acknowledging) | %s |\n",
                format_rate(end_to_end).c_str());
    if (!options.link.empty()) {
        std::printf("| zd-link between two journals (--fsync=batch), producers until stored far "
                    "| %s |\n",
                    format_rate(link).c_str());
        std::printf("| zd-link drain after a 10 s cut (%llu messages backlog) | %s |\n",
                    static_cast<unsigned long long>(options.count), format_rate(drain).c_str());
    }
    std::printf("\nGoals:\n\n");
    std::printf("- --fsync=batch >= 0.4x raw group commit of 1000: %s\n",
                verdict(batch / raw_1000, 0.4).c_str());
    std::printf("- --fsync=never >= 0.5x zd-streamer: %s\n",
                verdict(never / streamer, 0.5).c_str());
    std::printf("- end to end >= 0.3x raw group commit of 1000: %s\n",
                verdict(end_to_end / raw_1000, 0.3).c_str());
    if (!options.link.empty()) {
        std::printf("- zd-link sustained >= 0.5x one journal's --fsync=batch rate: %s\n",
                    verdict(link / batch, 0.5).c_str());
        std::printf("- zd-link drain after a 10 s cut: %.2fx one journal's --fsync=batch rate\n",
                    drain / batch);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-journal-bench: zd-journal's throughput beside raw disk and zd-streamer "
                 "baselines measured in the same run",
                 "zd-journal-bench"};
    options_t options;
    app.add_option("--journal", options.journal, "zd-journal executable")->capture_default_str();
    app.add_option("--streamer", options.streamer, "zd-streamer executable")->capture_default_str();
    app.add_option("--link", options.link,
                   "zd-link executable: also measure a link between two journals (sustained, "
                   "and the drain after a 10 s cut)");
    app.add_option("--dir", options.dir, "Directory on the disk to measure (not tmpfs)")
        ->required();
    app.add_option("--size", options.size, "Message bytes")
        ->check(zd::whole_number(std::size_t(1), std::size_t(1) << 20))
        ->capture_default_str();
    app.add_option("--count", options.count, "Messages per device measurement")
        ->check(zd::whole_number(std::uint64_t(1000), std::uint64_t(1) << 32))
        ->capture_default_str();
    app.add_option("--producers", options.producers, "Producer threads")
        ->check(zd::whole_number(1, 64))
        ->capture_default_str();
    app.add_option("--window", options.window, "Unacknowledged messages per producer")
        ->check(zd::whole_number(std::uint64_t(1), std::uint64_t(1) << 24))
        ->capture_default_str();
    app.add_option("--raw-seconds", options.raw_seconds, "Length of each raw measurement")
        ->check(zd::decimal_number(0.05, 60.0))
        ->capture_default_str();
    app.add_option("--runs", options.runs, "Runs per figure (the median is reported)")
        ->check(zd::whole_number(1, 99))
        ->capture_default_str();
    zd::add_version_flag(app);
    if (const auto code = zd::parse_command_line(app, argc, argv)) return *code;
    try {
        return run(options);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "zd-journal-bench: error: %s\n", error.what());
        return 1;
    }
}
