// The Majordomo client: frames built straight from the 7/MDP and 18/MDP client tables, a
// DEALER socket replaced after every timed-out attempt, and replies matched to requests by
// service and order.
#include "mdp/client.hpp"

#include <cerrno>

namespace zd::mdp {

namespace {

using steady_clock = std::chrono::steady_clock;

// Milliseconds left until deadline for zmq_poll, rounded up; -1 for no deadline.
long poll_timeout(const std::optional<steady_clock::time_point>& deadline) {
    if (!deadline) return -1;
    const auto left = *deadline - steady_clock::now();
    if (left <= steady_clock::duration::zero()) return 0;
    return long(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

} // namespace

version parse_version(std::string_view text) {
    if (text == "0.1" || text == "1" || text == "MDP/0.1") return version::v01;
    if (text == "0.2" || text == "2" || text == "MDP/0.2") return version::v02;
    throw std::invalid_argument("bad MDP version '" + std::string(text) + "': expected 0.1 or 0.2");
}

std::string_view version_name(version v) {
    return v == version::v01 ? "0.1" : "0.2";
}

client_t::client_t(zmq::context_t& context, std::string_view endpoints, client_options_t options)
    : context_(context), options_(std::move(options)),
      endpoints_(parse_endpoints(endpoints, attach_mode::connect)) {
    if (options_.retries < 0) throw std::invalid_argument("retries must not be negative");
    if (options_.timeout.count() < 0) throw std::invalid_argument("timeout must not be negative");
    connect();
}

client_t::~client_t() = default;

void client_t::connect() {
    if (socket_) {
        // Whatever the old socket still holds is for requests we gave up on.
        socket_->set(zmq::sockopt::linger, 0);
        socket_.reset();
    }
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    options_.socket.apply_to(*socket_);
    attach(*socket_, endpoints_, options_.socket);
}

void client_t::reset() {
    outstanding_.clear();
    outstanding_count_ = 0;
    connect();
}

client_t::wait_outcome client_t::wait_for(short events, deadline_t deadline) {
    while (true) {
        zmq::pollitem_t items[] = {{socket_->handle(), 0, events, 0},
                                   {nullptr, options_.stop_fd, ZMQ_POLLIN, 0}};
        const int count = options_.stop_fd >= 0 ? 2 : 1;
        if (zmq_poll(items, count, poll_timeout(deadline)) < 0) {
            if (zmq_errno() == EINTR) continue;
            throw zmq::error_t();
        }
        if (count == 2 && items[1].revents != 0) throw interrupted_error();
        if (items[0].revents & events) return wait_outcome::readable;
        if (deadline && steady_clock::now() >= *deadline) return wait_outcome::timeout;
    }
}

bool client_t::send_request(std::string_view service, const frames_t& body, deadline_t deadline) {
    // 0.1: "" MDPC01 service body+      (the empty frame makes the DEALER look like a REQ)
    // 0.2: MDPC02 REQUEST service body+
    static const std::string empty_frame;
    const client_wire_t& table = wire(options_.protocol).client;
    std::vector<zmq::const_buffer> frames;
    frames.reserve(body.size() + 4);
    if (wire(options_.protocol).leading_empty) frames.push_back(zmq::buffer(empty_frame));
    frames.push_back(zmq::buffer(table.header));
    if (table.request != no_command) frames.push_back(zmq::const_buffer(&table.request, 1));
    frames.push_back(zmq::buffer(service));
    if (body.empty()) frames.push_back(zmq::buffer(empty_frame)); // MDP needs body+
    for (const auto& frame : body)
        frames.push_back(zmq::buffer(frame));

    // The first frame decides: once it is queued the rest go too (same pipe, same message).
    while (!socket_->send(frames[0], zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        if (wait_for(ZMQ_POLLOUT, deadline) == wait_outcome::timeout) return false;
    for (std::size_t i = 1; i < frames.size(); ++i)
        (void)socket_->send(frames[i], i + 1 < frames.size() ? zmq::send_flags::sndmore
                                                             : zmq::send_flags::none);
    return true;
}

bool client_t::read_reply(reply_t& reply) {
    frames_.clear();
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::dontwait)) return false;
    bool more = frame.more();
    frames_.push_back(std::move(frame));
    while (more) { // libzmq delivers whole messages: the rest is already here
        zmq::message_t next;
        (void)socket_->recv(next);
        more = next.more();
        frames_.push_back(std::move(next));
    }

    // 0.1: "" MDPC01 service body*      0.2: [""] MDPC02 PARTIAL|FINAL service body*
    const client_wire_t& table = wire(options_.protocol).client;
    std::size_t at = 0;
    if (at < frames_.size() && frames_[at].size() == 0) ++at;
    if (at >= frames_.size() || frames_[at].to_string_view() != table.header) {
        ++malformed_;
        return false;
    }
    ++at;
    reply.final = true;
    if (table.final != no_command) { // 0.2: a command frame says which part this is
        const std::string_view command = at < frames_.size() ? frames_[at].to_string_view() : "";
        if (!is_command_frame(command, table.partial) && !is_command_frame(command, table.final)) {
            ++malformed_;
            return false;
        }
        reply.final = is_command_frame(command, table.final);
        ++at;
    }
    if (at >= frames_.size()) {
        ++malformed_;
        return false;
    }
    reply.service = frames_[at++].to_string();
    reply.body.clear();
    for (; at < frames_.size(); ++at)
        reply.body.push_back(frames_[at].to_string());
    reply.request_id = 0;
    return true;
}

std::optional<frames_t> client_t::call(std::string_view service, const frames_t& body,
                                       const std::function<void(const frames_t&)>& on_partial) {
    return call(service, body, options_.timeout, options_.retries, on_partial);
}

std::optional<frames_t> client_t::call(std::string_view service, const frames_t& body,
                                       std::chrono::milliseconds timeout, int retries,
                                       const std::function<void(const frames_t&)>& on_partial) {
    if (outstanding_count_ > 0)
        throw std::logic_error("call() while asynchronous requests are outstanding: "
                               "receive() their replies or reset() first");
    reply_t reply;
    for (int attempt = 0; attempt <= retries; ++attempt) {
        deadline_t deadline = steady_clock::now() + timeout;
        bool answered = false;
        if (send_request(service, body, deadline)) {
            while (wait_for(ZMQ_POLLIN, deadline) == wait_outcome::readable) {
                if (!read_reply(reply) || reply.service != service) continue;
                if (reply.final) {
                    answered = true;
                    break;
                }
                if (on_partial) on_partial(reply.body);
                deadline = steady_clock::now() + timeout; // progress: the worker is alive
            }
        }
        if (answered) return std::move(reply.body);
        // A late reply to this attempt must never answer the next one: new socket, new
        // identity. Also done after the last attempt, for the next call().
        connect();
    }
    return std::nullopt;
}

std::uint64_t client_t::send(std::string_view service, const frames_t& body) {
    (void)send_request(service, body, std::nullopt);
    const std::uint64_t id = next_id_++;
    auto found = outstanding_.find(service);
    if (found == outstanding_.end())
        found = outstanding_.emplace(std::string(service), std::deque<std::uint64_t>{}).first;
    found->second.push_back(id);
    ++outstanding_count_;
    return id;
}

std::optional<reply_t> client_t::receive(std::chrono::milliseconds timeout) {
    const deadline_t deadline =
        timeout.count() < 0 ? deadline_t{} : deadline_t{steady_clock::now() + timeout};
    reply_t reply;
    while (wait_for(ZMQ_POLLIN, deadline) == wait_outcome::readable) {
        if (!read_reply(reply)) continue;
        auto found = outstanding_.find(reply.service);
        if (found != outstanding_.end() && !found->second.empty()) {
            reply.request_id = found->second.front();
            if (reply.final) {
                found->second.pop_front();
                --outstanding_count_;
                if (found->second.empty()) outstanding_.erase(found);
            }
        }
        return reply;
    }
    return std::nullopt;
}

} // namespace zd::mdp
