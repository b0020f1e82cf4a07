// Titanic's dispatcher (see dispatcher.hpp): slots, the ready queue, back-off per service.
#include "titanic/dispatcher.hpp"

#include "base/message_io.hpp"
#include "mdp/wire.hpp"

namespace zd::titanic {

namespace {
// Titanic dispatches as an MDP/0.2 client: 0.2 lets a service stream PARTIALs, which Titanic
// stores with the FINAL; the broker translates for 0.1 workers.
constexpr const mdp::client_wire_t& client_wire = mdp::wire_v02.client;
} // namespace

dispatcher_t::dispatcher_t(const broker_sockets_t& sockets, store_t& store,
                           dispatcher_config_t config)
    : sockets_(sockets), store_(store), config_(config), slots_(std::size_t(config.slots)) {
    for (auto& slot : slots_)
        open(slot);
}

dispatcher_t::~dispatcher_t() = default;

void dispatcher_t::watch(poll_loop_t& loop) {
    loop_ = &loop;
    for (auto& slot : slots_)
        slot.watch = loop.add(*slot.socket, ZMQ_POLLIN, [this, &slot] { read(slot); });
}

void dispatcher_t::set_reading(bool reading) {
    if (!loop_) return;
    for (auto& slot : slots_)
        loop_->set_events(slot.watch, reading ? ZMQ_POLLIN : 0);
}

std::size_t dispatcher_t::in_flight() const {
    std::size_t count = 0;
    for (const auto& slot : slots_)
        count += slot.uuid.empty() ? 0 : 1;
    return count;
}

void dispatcher_t::open(slot_t& slot) {
    close_now(slot.socket);
    slot.socket = sockets_.open();
    if (loop_) loop_->set_socket(slot.watch, slot.socket.get());
    slot.uuid.clear();
    slot.partials.clear();
}

void dispatcher_t::read(slot_t& slot) {
    while (true) {
        const auto got = receive_message(*slot.socket, frames_, config_.max_frames);
        if (got == received::nothing) return;
        // MDPC02 PARTIAL|FINAL service body+
        if (got == received::too_long || slot.uuid.empty() || frames_.size() < 4 ||
            view(frames_[0]) != client_wire.header || view(frames_[2]) != slot.service ||
            !(mdp::is_command_frame(view(frames_[1]), client_wire.partial) ||
              mdp::is_command_frame(view(frames_[1]), client_wire.final))) {
            ++counters_.stray_replies;
            continue;
        }
        for (std::size_t i = 3; i < frames_.size(); ++i)
            slot.partials.emplace_back(view(frames_[i]));
        if (mdp::is_command_frame(view(frames_[1]), client_wire.partial)) continue;
        views_.assign(slot.partials.begin(), slot.partials.end());
        if (store_.add_reply(slot.uuid, views_))
            ++counters_.replies_stored;
        else
            ++counters_.discarded_replies; // closed while in flight
        backoffs_.erase(slot.service);
        slot.uuid.clear();
        slot.partials.clear();
    }
}

// MDPC02 REQUEST service body+. False if the socket takes nothing (cannot happen with one
// request in flight).
bool dispatcher_t::send(slot_t& slot, std::string& uuid, time_point now) {
    const auto* request = store_.pending_request(uuid);
    views_.clear();
    views_.push_back(client_wire.header);
    views_.push_back(mdp::command_frame(client_wire.request));
    for (const auto& frame : *request)
        views_.push_back(frame);
    if (!send_now(*slot.socket, views_.data(), views_.size())) return false;
    ++counters_.dispatched;
    slot.service = (*request)[0];
    slot.uuid = std::move(uuid);
    slot.deadline = now + config_.dispatch_timeout;
    return true;
}

void dispatcher_t::dispatch(time_point now) {
    for (slot_t& slot : slots_) {
        if (!slot.uuid.empty()) continue;
        while (!ready_.empty()) {
            std::string uuid = std::move(ready_.front());
            ready_.pop_front();
            const auto* request = store_.pending_request(uuid);
            if (!request) continue; // closed before its turn
            const std::string& service = (*request)[0];
            if (const auto found = backoffs_.find(service); found != backoffs_.end()) {
                backoff_t& backoff = found->second;
                if (backoff.probing || now < backoff.until) {
                    delayed_.emplace(std::max(backoff.until, now + config_.retry_delay),
                                     std::move(uuid));
                    continue;
                }
                backoff.probing = true; // this request finds out whether it is back
            }
            if (!send(slot, uuid, now)) {
                ready_.push_front(std::move(uuid));
                return;
            }
            break;
        }
        if (ready_.empty()) return;
    }
}

void dispatcher_t::on_timer(time_point now) {
    for (slot_t& slot : slots_) {
        if (slot.uuid.empty() || now < slot.deadline) continue;
        // A new socket: the late reply, if any, goes to the closed one and is lost.
        ++counters_.timeouts;
        ++counters_.retries;
        backoff_t& backoff = backoffs_[slot.service];
        backoff.delay = backoff.delay.count() == 0
                            ? config_.retry_delay
                            : std::min(backoff.delay * 2, config_.max_retry_delay);
        backoff.until = now + backoff.delay;
        backoff.probing = false;
        delayed_.emplace(backoff.until, std::move(slot.uuid));
        open(slot);
    }
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
        ready_.push_back(std::move(delayed_.begin()->second));
        delayed_.erase(delayed_.begin());
    }
}

} // namespace zd::titanic
