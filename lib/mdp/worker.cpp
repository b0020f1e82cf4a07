// The Majordomo worker: a socket loop on the serve() thread that drives the protocol's state
// machine (worker_session_t: READY, heartbeats both ways, reconnects) and a handler thread
// that runs one request at a time. The two meet through a mutex-guarded queue of outgoing
// replies and an eventfd that wakes the socket loop, so the loop's zmq_poll sees requests,
// replies, stop and timers in one place.
#include "mdp/worker.hpp"

#include "base/log.hpp"
#include "base/message_io.hpp"
#include "mdp/worker_session.hpp"

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <sys/eventfd.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace zd::mdp {

namespace {

using steady_clock = std::chrono::steady_clock;
using time_point = steady_clock::time_point;

int make_eventfd() {
    const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    return fd;
}

void signal_eventfd(int fd) {
    const std::uint64_t one = 1;
    // Only fails if the counter would overflow, which a readable eventfd never needs.
    [[maybe_unused]] const auto written = ::write(fd, &one, sizeof one);
}

void drain_eventfd(int fd) {
    std::uint64_t value;
    [[maybe_unused]] const auto count = ::read(fd, &value, sizeof value);
}

bool fd_readable_now(int fd) {
    zmq::pollitem_t item{nullptr, fd, ZMQ_POLLIN, 0};
    return zmq_poll(&item, 1, 0) > 0 && (item.revents & ZMQ_POLLIN);
}

struct eventfd_t {
    int fd = make_eventfd();
    eventfd_t() = default;
    ~eventfd_t() { ::close(fd); }
    eventfd_t(const eventfd_t&) = delete;
    eventfd_t& operator=(const eventfd_t&) = delete;
};

std::string describe_exception(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& caught) {
        return caught.what();
    } catch (...) {
        return "unknown exception";
    }
}

std::string next_monitor_address() {
    static std::atomic<unsigned> counter{0};
    return "inproc://zd-mdp-worker-monitor-" + std::to_string(counter++);
}

worker_session_config_t session_config(const std::string& service,
                                       const worker_options_t& options) {
    return {service, options.protocol, options.heartbeat_interval, options.heartbeat_liveness,
            options.reconnect_delay};
}

} // namespace

// ---------------------------------------------------------------------------------------
// One serve() call: the socket, the handler thread and what passes between them.

class worker_t::session_t : private request_context_t, private worker_link_t {
public:
    session_t(worker_t& owner, const streaming_handler_t& handler)
        : owner_(owner), handler_(handler), options_(owner.options_),
          protocol_(session_config(owner.service_, owner.options_), *this) {
        handler_thread_ = std::thread([this] { run_handlers(); });
    }

    ~session_t() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        wake_handler_.notify_all();
        handler_thread_.join();
    }

    void run();

private:
    struct output_t {
        std::uint64_t generation;
        bool final;
        frames_t body;
    };

    // --- handler thread -----------------------------------------------------------------

    void run_handlers() {
        while (true) {
            frames_t body;
            std::uint64_t generation;
            {
                std::unique_lock lock(mutex_);
                wake_handler_.wait(lock, [this] { return quit_ || job_.has_value(); });
                if (!job_) return; // quit with nothing to do
                body = std::move(*job_);
                job_.reset();
                generation = job_generation_;
            }
            frames_t reply;
            try {
                reply = handler_(std::move(body), *this);
            } catch (...) {
                const std::string what = describe_exception(std::current_exception());
                ++owner_.counters_.handler_errors;
                log::error("service '" + owner_.service_ + "': handler failed: " + what);
                reply = {"ERROR " + what};
            }
            push_output(output_t{generation, true, std::move(reply)});
        }
    }

    void push_output(output_t output) {
        {
            std::lock_guard lock(mutex_);
            outputs_.push_back(std::move(output));
        }
        signal_eventfd(output_event_.fd);
    }

    // request_context_t, called on the handler thread.
    void partial(frames_t frames) override {
        if (options_.protocol == version::v01 || cancelled()) return;
        std::uint64_t generation;
        {
            std::lock_guard lock(mutex_);
            generation = job_generation_;
        }
        push_output(output_t{generation, false, std::move(frames)});
    }
    bool cancelled() const override { return cancelled_.load(); }
    int cancel_fd() const override { return cancel_event_.fd; }

    // --- socket thread ------------------------------------------------------------------

    void start_job(frames_t body) {
        {
            std::lock_guard lock(mutex_);
            drain_eventfd(cancel_event_.fd); // a fresh request is not cancelled
            cancelled_ = false;
            ++job_generation_;
            job_ = std::move(body);
        }
        busy_ = true;
        wake_handler_.notify_one();
    }

    void cancel_job() {
        if (!busy_ || cancelled_) return;
        cancelled_ = true;
        signal_eventfd(cancel_event_.fd);
        ++owner_.counters_.abandoned;
    }

    // worker_link_t, called by protocol_.
    void open() override;
    void close() override;
    bool send(const std::string_view* frames, std::size_t count) override;

    void close_socket(std::chrono::milliseconds linger);
    bool handshake_seen(); // on the current socket, per its monitor
    void check_peer_is_broker();
    void handle_broker_message(time_point now);
    void start_next();      // hands the handler the oldest waiting request, if it is free
    void abandon_waiting(); // the broker requeues them: drops them, counted
    void handle_outputs(time_point now);
    bool stop_requested();

    worker_t& owner_;
    const streaming_handler_t& handler_;
    const worker_options_t& options_;
    worker_session_t protocol_; // the MDP worker protocol: READY, heartbeats, reconnects

    // Shared with the handler thread.
    std::mutex mutex_;
    std::condition_variable wake_handler_;
    std::optional<frames_t> job_;      // a request for the handler thread to take
    std::uint64_t job_generation_ = 0; // tags outputs so stale ones are recognised
    std::deque<output_t> outputs_;     // PARTIALs and FINALs for the socket thread
    bool quit_ = false;
    std::atomic<bool> cancelled_{false};
    eventfd_t output_event_; // readable while outputs_ may hold something
    eventfd_t cancel_event_; // readable once the current job is cancelled
    std::thread handler_thread_;

    // Socket thread only.
    std::unique_ptr<zmq::socket_t> socket_;
    std::unique_ptr<zmq::socket_t> monitor_; // PAIR: socket_'s completed handshakes
    bool heard_from_broker_ = false;         // a valid MDP message ever arrived
    bool last_peer_handshook_ = false;       // the socket closed last had completed a handshake
    bool busy_ = false;                      // the handler holds a request (perhaps cancelled)
    std::string client_;                     // the current request's client address
    struct waiting_request_t {
        std::string client;
        frames_t body;
    };
    // Requests received while the handler is busy (a pipelining broker), oldest first.
    static constexpr std::size_t max_waiting_requests = 10000;
    std::deque<waiting_request_t> waiting_;
    std::vector<zmq::message_t> frames_;
    std::vector<std::string_view> views_;
};

void worker_t::session_t::open() {
    socket_ = std::make_unique<zmq::socket_t>(owner_.context_, zmq::socket_type::dealer);
    options_.socket.apply_to(*socket_);
    if (options_.fail_on_silent_peer) {
        // Watched from before the connect, so no handshake is missed.
        const std::string address = next_monitor_address();
        if (zmq_socket_monitor(socket_->handle(), address.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED) !=
            0)
            throw zmq::error_t();
        monitor_ = std::make_unique<zmq::socket_t>(owner_.context_, zmq::socket_type::pair);
        monitor_->set(zmq::sockopt::linger, 0);
        monitor_->connect(address);
    }
    attach(*socket_, owner_.endpoints_, options_.socket);
    ++owner_.counters_.connects;
}

// The connection is gone: a request being handled has no taker any more (the broker has
// requeued it or is gone).
void worker_t::session_t::close() {
    cancel_job();
    abandon_waiting();
    close_socket(std::chrono::milliseconds(0));
}

void worker_t::session_t::close_socket(std::chrono::milliseconds linger) {
    if (!socket_) return;
    if (monitor_) {
        last_peer_handshook_ = handshake_seen();
        (void)zmq_socket_monitor(socket_->handle(), nullptr, 0);
        monitor_.reset();
    }
    socket_->set(zmq::sockopt::linger, int(linger.count()));
    socket_.reset();
}

bool worker_t::session_t::handshake_seen() {
    std::vector<zmq::message_t> event;
    bool seen = false;
    while (receive_message(*monitor_, event) == received::message)
        seen = true; // only handshake events are asked for
    return seen;
}

// Called after the broker expired: a peer that completed the handshake and never said a
// word of MDP in that time is something else (see worker_options_t::fail_on_silent_peer).
void worker_t::session_t::check_peer_is_broker() {
    if (!options_.fail_on_silent_peer || heard_from_broker_ || !last_peer_handshook_) return;
    const auto silence = options_.heartbeat_interval * options_.heartbeat_liveness;
    throw not_a_broker_error(
        "the peer at " + to_string(owner_.endpoints_) +
        " is not a Majordomo broker: it accepted the connection but sent no MDP message in " +
        std::to_string(silence.count()) + " ms (heartbeat interval x liveness)");
}

// Waits while the socket is full, but never beyond the broker's expiry: a broker that takes
// nothing for that long is dead.
bool worker_t::session_t::send(const std::string_view* frames, std::size_t count) {
    while (!socket_->send(zmq::buffer(frames[0]),
                          zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLOUT, 0};
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            protocol_.broker_expires_at() - steady_clock::now());
        if (left.count() <= 0) return false;
        if (zmq_poll(&item, 1, long(left.count())) < 0 && zmq_errno() != EINTR)
            throw zmq::error_t();
    }
    for (std::size_t i = 1; i < count; ++i)
        (void)socket_->send(zmq::buffer(frames[i]),
                            i + 1 < count ? zmq::send_flags::sndmore : zmq::send_flags::none);
    return true;
}

void worker_t::session_t::handle_broker_message(time_point now) {
    if (receive_message(*socket_, frames_) != received::message) return;
    views_.clear();
    for (const auto& frame : frames_)
        views_.push_back(frame.to_string_view());
    const auto event = protocol_.on_message(views_.data(), views_.size(), now);
    if (event.kind != worker_session_t::event_kind::malformed) heard_from_broker_ = true;
    switch (event.kind) {
    case worker_session_t::event_kind::none:
        return;
    case worker_session_t::event_kind::disconnected:
        ++owner_.counters_.disconnects_received;
        return;
    case worker_session_t::event_kind::malformed:
        ++owner_.counters_.malformed;
        log::debug("service '" + owner_.service_ + "': dropped a malformed message");
        return;
    case worker_session_t::event_kind::request:
        break;
    }
    if (waiting_.size() >= max_waiting_requests) {
        ++owner_.counters_.malformed;
        log::error("service '" + owner_.service_ + "': the broker sent more than " +
                   std::to_string(max_waiting_requests) + " requests at once; dropped one");
        return;
    }
    ++owner_.counters_.requests;
    frames_t body(views_.begin() + std::ptrdiff_t(event.body), views_.end());
    // MDP's broker sends one request at a time; one that pipelines (zd-broker
    // --worker-credit) has the others wait here until the handler is free.
    waiting_.push_back(waiting_request_t{std::string(views_[event.client]), std::move(body)});
    start_next();
}

void worker_t::session_t::start_next() {
    if (busy_ || waiting_.empty() || !socket_) return;
    client_ = std::move(waiting_.front().client);
    frames_t body = std::move(waiting_.front().body);
    waiting_.pop_front();
    start_job(std::move(body));
}

void worker_t::session_t::abandon_waiting() {
    owner_.counters_.abandoned += waiting_.size();
    waiting_.clear();
}

void worker_t::session_t::handle_outputs(time_point now) {
    drain_eventfd(output_event_.fd);
    std::deque<output_t> outputs;
    std::uint64_t current;
    {
        std::lock_guard lock(mutex_);
        outputs.swap(outputs_);
        current = job_generation_;
    }
    for (auto& output : outputs) {
        if (output.generation != current) continue; // cannot happen: jobs run one at a time
        if (output.final) busy_ = false;
        if (cancelled_ || !socket_) continue; // abandoned: nobody waits for it
        if (!output.final && options_.protocol == version::v01) continue; // 0.1: no PARTIAL
        // Counted before sending, so whoever receives the message also sees the count.
        auto& counter = output.final ? owner_.counters_.replies : owner_.counters_.partials;
        ++counter;
        views_.assign(output.body.begin(), output.body.end());
        if (!protocol_.reply(client_, views_.data(), views_.size(), output.final, now)) {
            --counter;
            protocol_.lose_broker(now);
        }
    }
    start_next();
}

bool worker_t::session_t::stop_requested() {
    return fd_readable_now(owner_.stop_event_) ||
           (options_.stop_fd >= 0 && fd_readable_now(options_.stop_fd));
}

void worker_t::session_t::run() {
    if (stop_requested()) return;
    protocol_.start(steady_clock::now());
    while (true) {
        time_point now = steady_clock::now();
        // Timers first: they decide what the poll waits for. A new connection only once an
        // abandoned handler has returned: one request at a time.
        protocol_.hold_reconnect(busy_);
        const std::uint64_t expired = protocol_.counters().broker_expired;
        if (now >= protocol_.next_timer()) protocol_.on_timer(now);
        if (protocol_.counters().broker_expired != expired) {
            owner_.counters_.broker_expired += protocol_.counters().broker_expired - expired;
            check_peer_is_broker();
        }
        // With the socket closed and the handler still busy, its return (an output) wakes
        // the loop; the timeout only bounds the wait.
        const time_point wake = std::min(protocol_.next_timer(), now + options_.heartbeat_interval);
        const auto timeout = std::max<long>(
            0, long(std::chrono::ceil<std::chrono::milliseconds>(wake - now).count()));

        zmq::pollitem_t items[4] = {{nullptr, owner_.stop_event_, ZMQ_POLLIN, 0},
                                    {nullptr, output_event_.fd, ZMQ_POLLIN, 0},
                                    {nullptr, options_.stop_fd, ZMQ_POLLIN, 0},
                                    {nullptr, 0, ZMQ_POLLIN, 0}};
        int count = options_.stop_fd >= 0 ? 3 : 2;
        if (socket_) items[count++] = {socket_->handle(), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(items, count, timeout) < 0) {
            if (zmq_errno() == EINTR) continue;
            throw zmq::error_t();
        }
        now = steady_clock::now();
        if (items[0].revents != 0 || (options_.stop_fd >= 0 && items[2].revents != 0)) break;
        if (items[1].revents != 0) handle_outputs(now);
        // Several messages may wait behind one readable event; take them all.
        while (socket_ && (socket_->get(zmq::sockopt::events) & ZMQ_POLLIN))
            handle_broker_message(now);
    }

    // Stopping. DISCONNECT first, so the broker gives a request in progress to another
    // worker at once; then let the handler know, and wait for it (the destructor joins).
    protocol_.stop(steady_clock::now());
    close_socket(std::chrono::milliseconds(options_.socket.linger_ms));
    cancel_job();
    abandon_waiting();
}

// ---------------------------------------------------------------------------------------

worker_t::worker_t(zmq::context_t& context, std::string_view endpoints, std::string service,
                   worker_options_t options)
    : context_(context), endpoints_(parse_endpoints(endpoints, attach_mode::connect)),
      service_(std::move(service)), options_(std::move(options)) {
    worker_session_t::check(session_config(service_, options_));
    stop_event_ = make_eventfd();
}

worker_t::~worker_t() {
    ::close(stop_event_);
}

void worker_t::request_stop() {
    signal_eventfd(stop_event_);
}

void worker_t::serve(const handler_t& handler) {
    serve(streaming_handler_t(
        [&handler](frames_t body, request_context_t&) { return handler(std::move(body)); }));
}

void worker_t::serve(const streaming_handler_t& handler) {
    session_t session(*this, handler);
    session.run();
}

} // namespace zd::mdp
