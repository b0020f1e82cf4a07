#include "bench_plan.hpp"

#include <charconv>
#include <stdexcept>

namespace zd::bench {

std::string_view name_of(pattern_t pattern) {
    switch (pattern) {
    case pattern_t::streamer:
        return "streamer";
    case pattern_t::forwarder:
        return "forwarder";
    case pattern_t::queue:
        return "queue";
    case pattern_t::latency:
        return "latency";
    case pattern_t::broker:
        return "broker";
    case pattern_t::broker_latency:
        return "broker-latency";
    case pattern_t::broker_memory:
        return "broker-memory";
    case pattern_t::streamer_latency:
        return "streamer-latency";
    case pattern_t::forwarder_latency:
        return "forwarder-latency";
    }
    return "?";
}

std::string_view name_of(path_t path) {
    switch (path) {
    case path_t::direct:
        return "direct";
    case path_t::zmq_proxy:
        return "zmq_proxy";
    case path_t::zd:
        return "zd";
    case path_t::zd_federated:
        return "zd-fed";
    case path_t::zd_chain2:
        return "zd2";
    case path_t::zd_chain3:
        return "zd3";
    case path_t::zd_curve:
        return "zd-curve";
    }
    return "?";
}

std::string_view name_of(transport_t transport) {
    return transport == transport_t::tcp ? "tcp" : "ipc";
}

pattern_t parse_pattern(std::string_view text) {
    for (auto pattern :
         {pattern_t::streamer, pattern_t::forwarder, pattern_t::queue, pattern_t::latency,
          pattern_t::broker, pattern_t::broker_latency, pattern_t::broker_memory,
          pattern_t::streamer_latency, pattern_t::forwarder_latency})
        if (text == name_of(pattern)) return pattern;
    throw std::invalid_argument("unknown pattern '" + std::string(text) +
                                "' (expected streamer, forwarder, queue, latency, broker, "
                                "broker-latency, broker-memory, streamer-latency or "
                                "forwarder-latency)");
}

path_t parse_path(std::string_view text) {
    for (auto path : {path_t::direct, path_t::zmq_proxy, path_t::zd, path_t::zd_federated,
                      path_t::zd_chain2, path_t::zd_chain3, path_t::zd_curve})
        if (text == name_of(path)) return path;
    throw std::invalid_argument("unknown path '" + std::string(text) +
                                "' (expected direct, zmq_proxy, zd, zd-fed, zd2, zd3 or "
                                "zd-curve)");
}

transport_t parse_transport(std::string_view text) {
    if (text == "tcp") return transport_t::tcp;
    if (text == "ipc") return transport_t::ipc;
    throw std::invalid_argument("unknown transport '" + std::string(text) +
                                "' (expected tcp or ipc)");
}

std::size_t parse_size(std::string_view text) {
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    std::string_view suffix(end, text.data() + text.size() - end);
    std::size_t unit = 0;
    if (suffix.empty() || suffix == "B")
        unit = 1;
    else if (suffix == "K" || suffix == "k" || suffix == "KiB")
        unit = 1024;
    else if (suffix == "M" || suffix == "MiB")
        unit = 1024 * 1024;
    constexpr std::size_t largest = 256u * 1024 * 1024;
    if (error != std::errc{} || unit == 0 || value == 0 || value > largest / unit)
        throw std::invalid_argument("bad size '" + std::string(text) +
                                    "' (expected bytes from 1 to 256 MiB, e.g. 16, 4K, 64KiB)");
    return value * unit;
}

std::string size_label(std::size_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
        return std::to_string(bytes / (1024 * 1024)) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes) + " B";
}

std::string_view zd_device_name(pattern_t pattern) {
    switch (pattern) {
    case pattern_t::streamer:
    case pattern_t::streamer_latency:
        return "zd-streamer";
    case pattern_t::forwarder:
    case pattern_t::forwarder_latency:
        return "zd-forwarder";
    case pattern_t::queue:
    case pattern_t::latency:
        return "zd-queue";
    case pattern_t::broker:
    case pattern_t::broker_latency:
    case pattern_t::broker_memory:
        return "zd-broker";
    }
    return "?";
}

bool is_broker_pattern(pattern_t pattern) {
    return pattern == pattern_t::broker || pattern == pattern_t::broker_latency ||
           pattern == pattern_t::broker_memory;
}

bool is_latency_pattern(pattern_t pattern) {
    return pattern == pattern_t::latency || pattern == pattern_t::broker_latency ||
           is_one_way_latency(pattern);
}

bool is_one_way_latency(pattern_t pattern) {
    return pattern == pattern_t::streamer_latency || pattern == pattern_t::forwarder_latency;
}

bool is_pub_sub(pattern_t pattern) {
    return pattern == pattern_t::forwarder || pattern == pattern_t::forwarder_latency;
}

int chained_devices(path_t path) {
    switch (path) {
    case path_t::direct:
    case path_t::zmq_proxy:
        return 0;
    case path_t::zd:
    case path_t::zd_federated:
    case path_t::zd_curve:
        return 1;
    case path_t::zd_chain2:
        return 2;
    case path_t::zd_chain3:
        return 3;
    }
    return 0;
}

} // namespace zd::bench
