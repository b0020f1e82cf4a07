#include "base/events.hpp"

#include "base/error_rate.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <unistd.h>

namespace zd::events {

namespace {

// The publisher, guarded by one mutex that also serialises every use of its socket: emit()
// from any thread, and the publisher's own destruction, which must not race a publish.
std::mutex registry;
publisher_t* current = nullptr;  // guarded by registry
std::atomic<bool> exists{false}; // read without the mutex: the cheap "nobody listens"

// "2026-12-02T21:40:00.123Z": UTC with milliseconds, as the log's timestamps.
std::string utc_now() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t seconds = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    char with_millis[40];
    std::snprintf(with_millis, sizeof with_millis, "%.*s.%03dZ", int(length), text, int(millis));
    return with_millis;
}

// Every error the log writes becomes an "error" event, rate-limited (error_rate_t): a flood
// of one error per message stays a trickle of events that still accounts for every error.
std::mutex error_mutex;
error_rate_t error_rate; // guarded by error_mutex

void publish_error(std::string_view text) {
    error_rate_t::verdict_t verdict;
    {
        std::lock_guard lock(error_mutex);
        verdict = error_rate.admit(error_rate_t::clock::now());
    }
    if (!verdict.publish) return;
    emit("error", [&](json_writer_t& json) {
        json.key("message").value(text);
        if (verdict.suppressed > 0) json.key("suppressed").value(verdict.suppressed);
    });
}

// At stop: the errors no published one accounted for, in one last event.
void publish_suppressed_errors() {
    std::uint64_t held;
    {
        std::lock_guard lock(error_mutex);
        held = error_rate.take_suppressed();
    }
    if (held == 0) return;
    emit("error", [&](json_writer_t& json) {
        json.key("message").value("further errors not published (more than 10 a second): "
                                  "see the log");
        json.key("suppressed").value(held);
    });
}

} // namespace

bool enabled() {
    return exists.load(std::memory_order_relaxed);
}

void emit(std::string_view kind, const fields_t& fields) {
    if (!enabled()) return;
    std::lock_guard lock(registry);
    if (current) current->publish(kind, fields);
}

void emit_peer(const peer_event_t& event, std::string_view side_name) {
    if (!enabled()) return;
    emit(to_string(event.kind), [&](json_writer_t& json) {
        json.key("side").value(side_name);
        if (!event.address.empty()) json.key("address").value(event.address);
        if (!event.endpoint.empty()) json.key("endpoint").value(event.endpoint);
    });
}

publisher_t::publisher_t(zmq::context_t& context, const endpoint_list_t& endpoints,
                         const socket_options_t& options, std::string device)
    : socket_(context, zmq::socket_type::pub), device_(std::move(device)) {
    options.apply_to(socket_);
    endpoints_ = attach(socket_, endpoints);
    std::lock_guard lock(registry);
    if (current) throw std::logic_error("events: a publisher exists already");
    current = this;
    exists.store(true, std::memory_order_relaxed);
    log::set_error_listener(&publish_error);
}

publisher_t::~publisher_t() {
    log::set_error_listener(nullptr);
    publish_suppressed_errors();
    std::lock_guard lock(registry);
    publish("stopping", {});
    current = nullptr;
    exists.store(false, std::memory_order_relaxed);
}

void publisher_t::publish(std::string_view kind, const fields_t& fields) {
    json_writer_t json;
    json.begin_object();
    json.key("event").value(kind);
    json.key("time").value(utc_now());
    json.key("device").value(device_);
    json.key("pid").value(std::int64_t(::getpid()));
    if (fields) fields(json);
    json.end_object();
    // Called with registry held (emit, the destructor). PUB never waits: a subscriber at its
    // high-water mark misses the event, as with any PUB socket.
    const bool sent =
        socket_.send(zmq::buffer(kind), zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
        socket_.send(zmq::buffer(json.str()), zmq::send_flags::dontwait);
    ++(sent ? published_ : dropped_);
}

std::uint64_t publisher_t::dropped() const {
    std::lock_guard lock(registry);
    return dropped_;
}

std::uint64_t publisher_t::published() const {
    std::lock_guard lock(registry);
    return published_;
}

std::unique_ptr<publisher_t> start_publisher(zmq::context_t& context, std::string_view endpoints,
                                             const socket_options_t& options, std::string device) {
    if (endpoints.empty()) return nullptr;
    return std::make_unique<publisher_t>(context, parse_endpoints(endpoints, attach_mode::bind),
                                         options, std::move(device));
}

std::string ready_field(const publisher_t* publisher) {
    return publisher ? " events=" + to_string(publisher->endpoints()) : std::string();
}

} // namespace zd::events
