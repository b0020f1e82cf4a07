#include "broker_memory.hpp"

#include "base/endpoints.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace zd::bench {

namespace {

using clock_type = std::chrono::steady_clock;

// MDP/0.2 client frames (docs/BROKER.md).
constexpr std::string_view client_header = "MDPC02";
constexpr std::uint8_t request_command = 0x01;
constexpr std::string_view mmi_service = "mmi.service";
constexpr std::string_view mmi_stats = "mmi.stats";
// mmi.service queries left unanswered at most: the broker answers them in order, so this
// is how far the client may run ahead of it.
constexpr std::uint64_t window = 100;
constexpr auto patience = std::chrono::seconds(10);

} // namespace

resident_memory_t read_resident_memory(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/status");
    if (!file) throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/status");
    resident_memory_t memory;
    for (std::string line; std::getline(file, line);) {
        // "VmRSS:\t    5312 kB"
        auto value = [&line] { return std::stoull(line.substr(line.find(':') + 1)); };
        if (line.starts_with("VmRSS:")) memory.rss_kib = value();
        if (line.starts_with("VmHWM:")) memory.peak_kib = value();
    }
    if (memory.rss_kib == 0)
        throw std::runtime_error("no VmRSS in /proc/" + std::to_string(pid) + "/status");
    return memory;
}

bool reset_peak_memory(pid_t pid) {
    std::ofstream file("/proc/" + std::to_string(pid) + "/clear_refs");
    file << "5\n";
    file.flush();
    return bool(file);
}

names_client_t::names_client_t(const std::string& endpoint) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndtimeo, int(std::chrono::milliseconds(patience).count()));
    attach(socket_, parse_endpoints(endpoint, attach_mode::connect));
}

std::optional<std::string> names_client_t::receive_reply(std::string_view service,
                                                         clock_type::time_point deadline) {
    std::vector<zmq::message_t> frames;
    while (clock_type::now() < deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
        socket_.set(zmq::sockopt::rcvtimeo, int(std::max<long long>(1, left.count())));
        frames.clear();
        do {
            frames.emplace_back();
            if (!socket_.recv(frames.back())) {
                frames.pop_back();
                break;
            }
        } while (frames.back().more());
        if (frames.empty()) continue;
        // MDPC02 0x03 service body
        if (frames.size() == 4 && frames[0].to_string_view() == client_header &&
            frames[2].to_string_view() == service)
            return frames[3].to_string();
    }
    return std::nullopt;
}

std::uint64_t names_client_t::flood(std::uint64_t first, std::uint64_t count, std::size_t size,
                                    double per_second,
                                    const std::function<void(std::uint64_t)>& progress) {
    const std::string body(size, 'u');
    std::uint64_t outstanding = 0, not_found = 0;
    auto send = [this](std::string_view service, std::string_view payload) {
        const bool sent =
            socket_.send(zmq::buffer(client_header), zmq::send_flags::sndmore) &&
            socket_.send(zmq::const_buffer(&request_command, 1), zmq::send_flags::sndmore) &&
            socket_.send(zmq::buffer(service), zmq::send_flags::sndmore) &&
            socket_.send(zmq::buffer(payload), zmq::send_flags::none);
        if (!sent) throw std::runtime_error("zd-broker took no request for 10 s");
    };
    auto answer_one = [&] {
        const auto reply = receive_reply(mmi_service, clock_type::now() + patience);
        if (!reply) throw std::runtime_error("zd-broker did not answer mmi.service within 10 s");
        if (*reply == "404") ++not_found;
        --outstanding;
    };
    const auto started = clock_type::now();
    for (std::uint64_t i = first; i < first + count; ++i) {
        // Paced: name k is sent no earlier than k / per_second after the start.
        const auto due =
            started + std::chrono::duration_cast<clock_type::duration>(
                          std::chrono::duration<double>(double(i - first) / per_second));
        if (due > clock_type::now() + std::chrono::milliseconds(1))
            std::this_thread::sleep_until(due);
        const std::string number = std::to_string(i);
        send("unknown." + number, body);
        send(mmi_service, "absent." + number);
        ++outstanding;
        while (outstanding >= window)
            answer_one();
        progress(i);
    }
    while (outstanding > 0)
        answer_one();
    return not_found;
}

std::optional<std::string> names_client_t::stats(std::chrono::milliseconds timeout) {
    if (!socket_.send(zmq::buffer(client_header), zmq::send_flags::sndmore) ||
        !socket_.send(zmq::const_buffer(&request_command, 1), zmq::send_flags::sndmore) ||
        !socket_.send(zmq::buffer(mmi_stats), zmq::send_flags::sndmore) ||
        !socket_.send(zmq::str_buffer("?"), zmq::send_flags::none))
        return std::nullopt;
    return receive_reply(mmi_stats, clock_type::now() + timeout);
}

std::optional<std::uint64_t> json_number(const std::string& json, const std::string& key) {
    const std::string quoted = "\"" + key + "\":";
    const auto found = json.find(quoted);
    if (found == std::string::npos) return std::nullopt;
    std::size_t position = found + quoted.size();
    while (position < json.size() && json[position] == ' ')
        ++position;
    std::uint64_t value = 0;
    bool any = false;
    for (; position < json.size() && json[position] >= '0' && json[position] <= '9'; ++position) {
        value = value * 10 + std::uint64_t(json[position] - '0');
        any = true;
    }
    return any ? std::optional<std::uint64_t>(value) : std::nullopt;
}

} // namespace zd::bench
