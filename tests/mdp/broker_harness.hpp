// A broker_t (lib/mdp/broker.hpp) with no sockets: a recording outbox keeps every message the
// broker sends (and can be told that a peer is gone), and time is a value the test moves by
// hand, so heartbeats, expiry and forgetting are checked to the millisecond and never wait.
//
//     test --on_message(frames, connection, now)--> broker_t --send(frames)--> recording outbox
//     test --on_timer(now), on_connection_closed--> broker_t
#pragma once

#include "mdp/broker.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace zd::mdp::test {

using namespace std::chrono_literals;
using frames_t = std::vector<std::string>;

inline std::string byte(std::uint8_t value) {
    return std::string(1, char(value));
}

// Stores what the broker sends; refuses (returns false, as ROUTER_MANDATORY does for a gone
// peer) any message to a routing id in refused.
class recording_outbox_t : public outbox_t {
public:
    bool send(std::vector<zmq::message_t>& frames) override {
        frames_t copy;
        for (const auto& frame : frames)
            copy.emplace_back(frame.to_string());
        if (!copy.empty() && refused.count(copy[0])) {
            ++refusals;
            return false;
        }
        sent.push_back(std::move(copy));
        return true;
    }

    // Takes the oldest message not yet taken; fails the test if there is none.
    frames_t take() {
        REQUIRE_FALSE(sent.empty());
        frames_t message = std::move(sent.front());
        sent.pop_front();
        return message;
    }
    // Takes every message not yet taken.
    std::vector<frames_t> take_all() {
        std::vector<frames_t> all(sent.begin(), sent.end());
        sent.clear();
        return all;
    }

    std::deque<frames_t> sent;
    std::set<std::string> refused;
    int refusals = 0;
};

// A refusal report as the broker's reporter got it, kept past the call.
struct recorded_report_t {
    std::string service;
    queue_limit limit;
    std::uint64_t refused;
    bool first;
    std::size_t queued, queued_bytes;
    bool operator==(const recorded_report_t&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const recorded_report_t& report) {
    return out << "{" << report.service << ", limit " << int(report.limit) << ", refused "
               << report.refused << (report.first ? ", first" : "") << ", queued " << report.queued
               << ", " << report.queued_bytes << " bytes}";
}

// A point far from zero, so that "now - something" never underflows a default time_point.
inline const time_point_t t0 = time_point_t{} + std::chrono::hours(1000);

inline broker_config_t test_config() {
    broker_config_t config;
    config.heartbeat_interval = 1000ms;
    config.heartbeat_liveness = 3;
    config.request_timeout = 10000ms;
    config.max_retries = 3;
    config.max_queue = 100;
    config.max_services = 100;
    config.service_ttl = 5000ms;
    return config;
}

// Builds the peers' messages from the RFC frame tables (routing id first, as the ROUTER
// delivers them) and feeds them to the broker at the harness's current time.
struct harness_t {
    recording_outbox_t outbox;
    broker_t broker;
    time_point_t now = t0;
    std::vector<recorded_report_t> reports; // every refusal report, oldest first

    explicit harness_t(const broker_config_t& config = test_config()) : broker(config, outbox) {
        broker.set_refusal_reporter([this](const refusal_report_t& report) {
            reports.push_back({std::string(report.service), report.limit, report.refused,
                               report.first, report.queued, report.queued_bytes});
        });
    }

    void receive(const frames_t& frames, connection_t from = {}) {
        std::vector<zmq::message_t> messages;
        for (const auto& frame : frames)
            messages.emplace_back(frame.data(), frame.size());
        broker.on_message(messages, from, now);
    }
    // Moves the clock and runs the timer, as the server loop does.
    void advance(std::chrono::milliseconds by) {
        now += by;
        broker.on_timer(now);
    }
    void close(connection_t connection) { broker.on_connection_closed(connection, now); }

    // Workers: 0.1 workers use DEALER and put the empty frame first; 0.2 workers do not.
    void ready(const std::string& worker, const std::string& service, version v = version::v01,
               connection_t from = {}) {
        if (v == version::v01)
            receive({worker, "", "MDPW01", byte(0x01), service}, from);
        else
            receive({worker, "MDPW02", byte(0x01), service}, from);
    }
    void reply(const std::string& worker, const std::string& client, const frames_t& body,
               version v = version::v01) {
        frames_t frames = v == version::v01 ? frames_t{worker, "", "MDPW01", byte(0x03)}
                                            : frames_t{worker, "MDPW02", byte(0x04)};
        frames.push_back(client);
        frames.push_back("");
        frames.insert(frames.end(), body.begin(), body.end());
        receive(frames);
    }
    void partial(const std::string& worker, const std::string& client, const frames_t& body) {
        frames_t frames{worker, "MDPW02", byte(0x03), client, ""};
        frames.insert(frames.end(), body.begin(), body.end());
        receive(frames);
    }
    void heartbeat(const std::string& worker, version v = version::v01) {
        if (v == version::v01)
            receive({worker, "", "MDPW01", byte(0x04)});
        else
            receive({worker, "MDPW02", byte(0x05)});
    }
    void worker_disconnect(const std::string& worker, version v = version::v01) {
        if (v == version::v01)
            receive({worker, "", "MDPW01", byte(0x05)});
        else
            receive({worker, "MDPW02", byte(0x06)});
    }

    // Clients: a 0.1 client is a REQ socket (empty frame first); a 0.2 client a DEALER.
    void request(const std::string& client, const std::string& service, const frames_t& body,
                 version v = version::v01, connection_t from = {}) {
        frames_t frames = v == version::v01 ? frames_t{client, "", "MDPC01", service}
                                            : frames_t{client, "MDPC02", byte(0x01), service};
        frames.insert(frames.end(), body.begin(), body.end());
        receive(frames, from);
    }

    service_stats_t stats(const std::string& service) const {
        service_stats_t stats;
        REQUIRE(broker.service_stats(service, stats));
        return stats;
    }
    bool knows(const std::string& service) const {
        service_stats_t stats;
        return broker.service_stats(service, stats);
    }
};

// What the broker sends, per the frame tables.
inline frames_t to_worker_v01(const std::string& worker, const std::string& client,
                              const frames_t& body) {
    frames_t frames{worker, "", "MDPW01", byte(0x02), client, ""};
    frames.insert(frames.end(), body.begin(), body.end());
    return frames;
}
inline frames_t to_worker_v02(const std::string& worker, const std::string& client,
                              const frames_t& body) {
    frames_t frames{worker, "MDPW02", byte(0x02), client, ""};
    frames.insert(frames.end(), body.begin(), body.end());
    return frames;
}
inline frames_t to_client_v01(const std::string& client, const std::string& service,
                              const frames_t& body) {
    frames_t frames{client, "", "MDPC01", service};
    frames.insert(frames.end(), body.begin(), body.end());
    return frames;
}
inline frames_t to_client_v02(const std::string& client, std::uint8_t command,
                              const std::string& service, const frames_t& body) {
    frames_t frames{client, "MDPC02", byte(command), service};
    frames.insert(frames.end(), body.begin(), body.end());
    return frames;
}
inline frames_t heartbeat_v01(const std::string& worker) {
    return {worker, "", "MDPW01", byte(0x04)};
}
inline frames_t disconnect_v01(const std::string& worker) {
    return {worker, "", "MDPW01", byte(0x05)};
}

} // namespace zd::mdp::test
