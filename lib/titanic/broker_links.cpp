// Titanic's worker links (see broker_links.hpp): a socket and a watch per worker session.
#include "titanic/broker_links.hpp"

#include "base/message_io.hpp"

#include <algorithm>

namespace zd::titanic {

struct broker_links_t::link_t : mdp::worker_link_t {
    link_t(broker_links_t& owner_, std::size_t index_, std::string service,
           const broker_links_config_t& config)
        : owner(owner_), index(index_),
          session({std::move(service), mdp::version::v02, config.heartbeat_interval,
                   config.heartbeat_liveness, config.reconnect_delay},
                  *this) {}

    void open() override {
        socket = owner.sockets_.open();
        if (owner.loop_) owner.loop_->set_socket(watch, socket.get());
    }
    void close() override {
        if (owner.loop_) owner.loop_->set_socket(watch, nullptr);
        close_now(socket);
    }
    bool send(const std::string_view* frames, std::size_t count) override {
        return socket && send_now(*socket, frames, count);
    }

    broker_links_t& owner;
    std::size_t index;                     // in owner.links_
    std::unique_ptr<zmq::socket_t> socket; // null while waiting to reconnect
    mdp::worker_session_t session;
    poll_loop_t::watch_id watch = 0;
};

broker_links_t::broker_links_t(const broker_sockets_t& sockets,
                               const std::vector<std::string>& services,
                               const broker_links_config_t& config, on_request_t on_request)
    : sockets_(sockets), config_(config), on_request_(std::move(on_request)) {
    const auto now = time_point::clock::now();
    for (const auto& service : services) {
        links_.push_back(std::make_unique<link_t>(*this, links_.size(), service, config_));
        links_.back()->session.start(now);
    }
}

broker_links_t::~broker_links_t() = default;

void broker_links_t::watch(poll_loop_t& loop) {
    loop_ = &loop;
    for (auto& link : links_) {
        // Added without a socket, then pointed at the current one: it changes on reconnect.
        link->watch = loop.add(-1, ZMQ_POLLIN,
                               [this, &link = *link] { read(link, time_point::clock::now()); });
        loop.set_socket(link->watch, link->socket.get());
    }
}

void broker_links_t::set_reading(bool reading, time_point now) {
    if (reading == reading_) return;
    reading_ = reading;
    for (auto& link : links_) {
        if (loop_) loop_->set_events(link->watch, reading ? ZMQ_POLLIN : 0);
        link->session.set_listening(reading, now);
    }
}

void broker_links_t::read(link_t& link, time_point now) {
    for (std::size_t n = 0; n < config_.batch_max && link.socket; ++n) {
        const auto got = receive_message(*link.socket, frames_, config_.max_frames);
        if (got == received::nothing) return;
        if (got == received::too_long) {
            ++too_long_;
            continue;
        }
        views_.clear();
        for (const auto& frame : frames_)
            views_.push_back(view(frame));
        const auto event = link.session.on_message(views_.data(), views_.size(), now);
        if (event.kind != mdp::worker_session_t::event_kind::request) continue;
        on_request_(link.session.config().service, {link.index, link.session.connection()},
                    views_[event.client], views_.data() + event.body, views_.size() - event.body);
    }
}

bool broker_links_t::answer(link_address_t to, std::string_view client,
                            const std::string_view* body, std::size_t count, time_point now) {
    link_t& link = *links_.at(to.link);
    if (!link.session.connected() || link.session.connection() != to.connection) return false;
    return link.session.reply(client, body, count, true, now);
}

void broker_links_t::on_timer(time_point now) {
    for (auto& link : links_)
        if (now >= link->session.next_timer()) link->session.on_timer(now);
}

void broker_links_t::stop(time_point now) {
    for (auto& link : links_)
        link->session.stop(now);
}

std::uint64_t broker_links_t::malformed() const {
    std::uint64_t total = too_long_;
    for (const auto& link : links_)
        total += link->session.counters().malformed;
    return total;
}

std::uint64_t broker_links_t::reconnects() const {
    std::uint64_t total = 0;
    for (const auto& link : links_)
        total +=
            link->session.counters().disconnects_received + link->session.counters().broker_expired;
    return total;
}

std::size_t broker_links_t::live_links() const {
    return std::size_t(std::count_if(links_.begin(), links_.end(), [](const auto& link) {
        return link->session.broker_heard();
    }));
}

} // namespace zd::titanic
