// The Majordomo worker: a socket loop on the serve() thread (READY, heartbeats both ways,
// reconnects) and a handler thread that runs one request at a time. The two meet through a
// mutex-guarded queue of outgoing replies and an eventfd that wakes the socket loop, so the
// loop's zmq_poll sees requests, replies, stop and timers in one place.
#include "mdp/worker.hpp"

#include "base/log.hpp"

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

// Worker command bytes per version (7/MDP and 18/MDP worker tables).
struct worker_bytes_t {
    std::uint8_t ready, request, partial, reply, heartbeat, disconnect;
};
constexpr worker_bytes_t bytes_v01{0x01, 0x02, 0x00, 0x03, 0x04, 0x05}; // 0.1: no PARTIAL
constexpr worker_bytes_t bytes_v02{0x01, 0x02, 0x03, 0x04, 0x05, 0x06};

const worker_bytes_t& bytes_of(version v) {
    return v == version::v01 ? bytes_v01 : bytes_v02;
}

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

} // namespace

// ---------------------------------------------------------------------------------------
// One serve() call: the socket, the handler thread and what passes between them.

class worker_t::session_t : private request_context_t {
public:
    session_t(worker_t& owner, const streaming_handler_t& handler)
        : owner_(owner), handler_(handler), options_(owner.options_),
          bytes_(bytes_of(options_.protocol)) {
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

    void connect();
    void close_socket(std::chrono::milliseconds linger);
    void lose_broker(const std::string& why, time_point now);
    bool send(std::uint8_t command, const std::string* client, const frames_t* body);
    void handle_broker_message(time_point now);
    void start_next();      // hands the handler the oldest waiting request, if it is free
    void abandon_waiting(); // the broker requeues them: drops them, counted
    void handle_outputs(time_point now);
    bool stop_requested();

    worker_t& owner_;
    const streaming_handler_t& handler_;
    const worker_options_t& options_;
    const worker_bytes_t& bytes_;

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
    bool busy_ = false;  // the handler holds a request (perhaps cancelled)
    std::string client_; // the current request's client address
    struct waiting_request_t {
        std::string client;
        frames_t body;
    };
    // Requests received while the handler is busy (a pipelining broker), oldest first.
    static constexpr std::size_t max_waiting_requests = 10000;
    std::deque<waiting_request_t> waiting_;
    time_point heartbeat_at_{};      // send HEARTBEAT when nothing else was sent by then
    time_point broker_expires_at_{}; // the broker is dead if silent until then
    time_point reconnect_at_{};      // when the socket is closed: reopen it then
    std::vector<zmq::message_t> frames_;
};

void worker_t::session_t::connect() {
    socket_ = std::make_unique<zmq::socket_t>(owner_.context_, zmq::socket_type::dealer);
    options_.socket.apply_to(*socket_);
    attach(*socket_, owner_.endpoints_);
    ++owner_.counters_.connects;
    const frames_t ready{owner_.service_};
    // READY [""] header 0x01 service
    send(bytes_.ready, nullptr, &ready);
    const time_point now = steady_clock::now();
    broker_expires_at_ = now + options_.heartbeat_interval * options_.heartbeat_liveness;
    log::debug("service '" + owner_.service_ + "': READY sent to " + to_string(owner_.endpoints_));
}

void worker_t::session_t::close_socket(std::chrono::milliseconds linger) {
    if (!socket_) return;
    socket_->set(zmq::sockopt::linger, int(linger.count()));
    socket_.reset();
}

void worker_t::session_t::lose_broker(const std::string& why, time_point now) {
    log::info("service '" + owner_.service_ + "': " + why + "; reconnecting in " +
              std::to_string(options_.reconnect_delay.count()) + " ms");
    cancel_job(); // the broker has requeued it or is gone: the answer has no taker
    abandon_waiting();
    close_socket(std::chrono::milliseconds(0));
    reconnect_at_ = now + options_.reconnect_delay;
}

// Sends [""] header command [client ""] [body+]. Waits while the socket is full, but never
// beyond the broker's expiry: a broker that takes nothing for that long is dead.
bool worker_t::session_t::send(std::uint8_t command, const std::string* client,
                               const frames_t* body) {
    static const std::string empty_frame;
    const std::string_view header = worker_header(options_.protocol);
    std::vector<zmq::const_buffer> frames;
    frames.reserve(6 + (body ? body->size() : 0));
    if (options_.protocol == version::v01) frames.push_back(zmq::buffer(empty_frame));
    frames.push_back(zmq::buffer(header));
    frames.push_back(zmq::const_buffer(&command, 1));
    if (client) {
        frames.push_back(zmq::buffer(*client));
        frames.push_back(zmq::buffer(empty_frame));
    }
    if (body) {
        if (body->empty()) frames.push_back(zmq::buffer(empty_frame));
        for (const auto& frame : *body)
            frames.push_back(zmq::buffer(frame));
    }
    while (!socket_->send(frames[0], zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLOUT, 0};
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(broker_expires_at_ - steady_clock::now());
        if (left.count() <= 0) return false;
        if (zmq_poll(&item, 1, long(left.count())) < 0 && zmq_errno() != EINTR)
            throw zmq::error_t();
    }
    for (std::size_t i = 1; i < frames.size(); ++i)
        (void)socket_->send(frames[i], i + 1 < frames.size() ? zmq::send_flags::sndmore
                                                             : zmq::send_flags::none);
    heartbeat_at_ = steady_clock::now() + options_.heartbeat_interval; // any command is life
    return true;
}

void worker_t::session_t::handle_broker_message(time_point now) {
    frames_.clear();
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::dontwait)) return;
    bool more = frame.more();
    frames_.push_back(std::move(frame));
    while (more) {
        zmq::message_t next;
        (void)socket_->recv(next);
        more = next.more();
        frames_.push_back(std::move(next));
    }
    // Anything from the broker shows it is alive.
    broker_expires_at_ = now + options_.heartbeat_interval * options_.heartbeat_liveness;

    // [""] header command ...  (0.1 brokers send the empty frame; 0.2 ones may)
    std::size_t at = 0;
    if (at < frames_.size() && frames_[at].size() == 0) ++at;
    if (frames_.size() < at + 2 ||
        frames_[at].to_string_view() != worker_header(options_.protocol) ||
        frames_[at + 1].size() != 1) {
        ++owner_.counters_.malformed;
        log::debug("service '" + owner_.service_ + "': dropped a malformed message");
        return;
    }
    const auto command = *static_cast<const std::uint8_t*>(frames_[at + 1].data());
    at += 2;
    if (command == bytes_.heartbeat) return;
    if (command == bytes_.disconnect) {
        ++owner_.counters_.disconnects_received;
        lose_broker("the broker sent DISCONNECT", now);
        return;
    }
    // REQUEST: client "" body*
    if (command != bytes_.request || frames_.size() < at + 2 || frames_[at + 1].size() != 0) {
        ++owner_.counters_.malformed;
        log::debug("service '" + owner_.service_ + "': dropped a malformed message");
        return;
    }
    if (waiting_.size() >= max_waiting_requests) {
        ++owner_.counters_.malformed;
        log::error("service '" + owner_.service_ + "': the broker sent more than " +
                   std::to_string(max_waiting_requests) + " requests at once; dropped one");
        return;
    }
    ++owner_.counters_.requests;
    frames_t body;
    body.reserve(frames_.size() - at - 2);
    for (std::size_t i = at + 2; i < frames_.size(); ++i)
        body.push_back(frames_[i].to_string());
    // MDP's broker sends one request at a time; one that pipelines (zd-broker
    // --worker-credit) has the others wait here until the handler is free.
    waiting_.push_back(waiting_request_t{frames_[at].to_string(), std::move(body)});
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
        // Counted before sending, so whoever receives the message also sees the count.
        auto& counter = output.final ? owner_.counters_.replies : owner_.counters_.partials;
        ++counter;
        if (!send(output.final ? bytes_.reply : bytes_.partial, &client_, &output.body)) {
            --counter;
            lose_broker("the broker takes no messages", now);
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
    connect();
    while (true) {
        time_point now = steady_clock::now();
        // Timers first: they decide what the poll waits for.
        if (socket_) {
            if (now >= broker_expires_at_) {
                ++owner_.counters_.broker_expired;
                lose_broker(
                    "no message from the broker for " +
                        std::to_string(
                            (options_.heartbeat_interval * options_.heartbeat_liveness).count()) +
                        " ms",
                    now);
            } else if (now >= heartbeat_at_) {
                if (!send(bytes_.heartbeat, nullptr, nullptr))
                    lose_broker("the broker takes no messages", now);
            }
        } else if (now >= reconnect_at_ && !busy_) {
            connect(); // only once the abandoned handler has returned: one request at a time
        }
        // With the socket closed and the handler still busy, its return (an output) wakes
        // the loop; the timeout only bounds the wait.
        const time_point wake = socket_ ? std::min(heartbeat_at_, broker_expires_at_)
                                : busy_ ? now + options_.heartbeat_interval
                                        : reconnect_at_;
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
    if (socket_) {
        send(bytes_.disconnect, nullptr, nullptr);
        close_socket(std::chrono::milliseconds(options_.socket.linger_ms));
    }
    cancel_job();
    abandon_waiting();
}

// ---------------------------------------------------------------------------------------

worker_t::worker_t(zmq::context_t& context, std::string_view endpoints, std::string service,
                   worker_options_t options)
    : context_(context), endpoints_(parse_endpoints(endpoints, attach_mode::connect)),
      service_(std::move(service)), options_(std::move(options)) {
    if (service_.empty()) throw std::invalid_argument("service name must not be empty");
    if (service_.size() > max_service_name)
        throw std::invalid_argument("service name longer than " + std::to_string(max_service_name) +
                                    " bytes");
    if (service_.starts_with("mmi."))
        throw std::invalid_argument("service '" + service_ +
                                    "': names starting with 'mmi.' belong to the broker");
    if (options_.heartbeat_interval.count() <= 0)
        throw std::invalid_argument("heartbeat interval must be positive");
    if (options_.heartbeat_liveness < 1)
        throw std::invalid_argument("heartbeat liveness must be at least 1");
    if (options_.reconnect_delay.count() < 0)
        throw std::invalid_argument("reconnect delay must not be negative");
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
