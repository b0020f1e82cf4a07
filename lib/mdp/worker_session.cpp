// The MDP worker's protocol state machine (see worker_session.hpp): connected or waiting to
// reconnect, with three timers (heartbeat out, broker expiry, reconnect) and frames built
// from the wire table.
#include "mdp/worker_session.hpp"

#include "base/log.hpp"
#include "mdp/codec.hpp"

#include <algorithm>
#include <stdexcept>

namespace zd::mdp {

worker_session_t::worker_session_t(worker_session_config_t config, worker_link_t& link)
    : config_(std::move(config)), wire_(wire(config_.protocol)), link_(link) {
    check(config_);
}

void worker_session_t::check(const worker_session_config_t& config) {
    const std::string& service = config.service;
    if (service.empty()) throw std::invalid_argument("service name must not be empty");
    if (service.size() > max_service_name)
        throw std::invalid_argument("service name longer than " + std::to_string(max_service_name) +
                                    " bytes");
    if (service.starts_with("mmi."))
        throw std::invalid_argument("service '" + service +
                                    "': names starting with 'mmi.' belong to the broker");
    if (config.heartbeat_interval.count() <= 0)
        throw std::invalid_argument("heartbeat interval must be positive");
    if (config.heartbeat_liveness < 1)
        throw std::invalid_argument("heartbeat liveness must be at least 1");
    if (config.reconnect_delay.count() < 0)
        throw std::invalid_argument("reconnect delay must not be negative");
}

void worker_session_t::start(time_point now) {
    connect(now);
}

void worker_session_t::connect(time_point now) {
    link_.open();
    connected_ = true;
    broker_heard_ = false;
    ++counters_.connects;
    broker_expires_at_ = listening_ ? now + silence_limit() : time_point::max();
    // READY [""] header READY service
    const std::string_view service = config_.service;
    send(wire_.worker.ready, {}, &service, 1, now);
    log::debug("service '" + config_.service + "': READY sent");
}

void worker_session_t::disconnect_and_wait(time_point now, const char* why) {
    log::info("service '" + config_.service + "': " + why + "; reconnecting in " +
              std::to_string(config_.reconnect_delay.count()) + " ms");
    link_.close();
    connected_ = false;
    broker_heard_ = false;
    reconnect_at_ = now + config_.reconnect_delay;
}

void worker_session_t::lose_broker(time_point now) {
    if (connected_ && !stopped_) disconnect_and_wait(now, "the broker takes no messages");
}

// Sends [""] header command [client "" body+] [frames of body]: with no client (READY,
// HEARTBEAT, DISCONNECT) the body frames follow the command. A ROUTER's client address is
// never empty.
bool worker_session_t::send(std::uint8_t command, std::string_view client,
                            const std::string_view* body, std::size_t count, time_point now) {
    auto& frames = out_;
    frames.clear();
    if (wire_.leading_empty) frames.emplace_back();
    frames.push_back(wire_.worker.header);
    frames.push_back(command_frame(command));
    if (!client.empty()) {
        frames.push_back(client);
        frames.emplace_back();
        if (count == 0) frames.emplace_back(); // MDP needs body+
    }
    frames.insert(frames.end(), body, body + count);
    if (!link_.send(frames.data(), frames.size())) return false;
    heartbeat_at_ = now + config_.heartbeat_interval; // any command is a heartbeat
    return true;
}

worker_session_t::event_t worker_session_t::on_message(const std::string_view* frames,
                                                       std::size_t count, time_point now) {
    if (!connected_ || stopped_) return {event_kind::malformed};
    // Anything from the broker shows it is alive.
    broker_expires_at_ = now + silence_limit();
    broker_heard_ = true;
    const auto malformed = [this] {
        ++counters_.malformed;
        return event_t{event_kind::malformed};
    };
    // [""] header command ...  (0.1 brokers send the empty frame; 0.2 ones may)
    std::size_t at = count > 0 && frames[0].empty() ? 1 : 0;
    if (count < at + 2 || frames[at] != wire_.worker.header) return malformed();
    const std::string_view command = frames[at + 1];
    at += 2;
    if (is_command_frame(command, wire_.worker.heartbeat))
        return at == count ? event_t{event_kind::none} : malformed();
    if (is_command_frame(command, wire_.worker.disconnect)) {
        if (at != count) return malformed();
        ++counters_.disconnects_received;
        disconnect_and_wait(now, "the broker sent DISCONNECT");
        return {event_kind::disconnected};
    }
    // REQUEST client "" body+
    if (!is_command_frame(command, wire_.worker.request) || count < at + 3 ||
        !frames[at + 1].empty())
        return malformed();
    ++counters_.requests;
    return {event_kind::request, at, at + 2};
}

bool worker_session_t::reply(std::string_view client, const std::string_view* body,
                             std::size_t count, bool final, time_point now) {
    if (!connected_ || stopped_) return false;
    const std::uint8_t command = final ? wire_.worker.reply : wire_.worker.partial;
    if (command == no_command) return true; // a PARTIAL in 0.1, which has none
    return send(command, client, body, count, now);
}

void worker_session_t::on_timer(time_point now) {
    if (stopped_) return;
    if (!connected_) {
        if (now >= reconnect_at_ && !reconnect_held_) connect(now);
        return;
    }
    if (now >= broker_expires_at_) {
        ++counters_.broker_expired;
        disconnect_and_wait(now, "the broker fell silent");
        return;
    }
    // A HEARTBEAT the broker does not take is not retried: its silence will show.
    if (now >= heartbeat_at_ && !send(wire_.worker.heartbeat, {}, nullptr, 0, now))
        heartbeat_at_ = now + config_.heartbeat_interval;
}

worker_session_t::time_point worker_session_t::next_timer() const {
    if (stopped_) return time_point::max();
    if (!connected_) return reconnect_held_ ? time_point::max() : reconnect_at_;
    return std::min(heartbeat_at_, broker_expires_at_);
}

void worker_session_t::set_listening(bool listening, time_point now) {
    if (listening_ == listening) return;
    listening_ = listening;
    // What the broker sent meanwhile is still queued: give it a full allowance from now.
    broker_expires_at_ = listening ? now + silence_limit() : time_point::max();
}

void worker_session_t::stop(time_point now) {
    if (stopped_) return;
    if (connected_) send(wire_.worker.disconnect, {}, nullptr, 0, now);
    stopped_ = true;
}

} // namespace zd::mdp
