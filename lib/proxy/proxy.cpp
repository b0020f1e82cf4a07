#include "proxy/proxy.hpp"

#include "base/drop_events.hpp"
#include "base/json_writer.hpp"
#include "base/stop_signal.hpp"

#include <cerrno>
#include <cstring>

namespace zd {

namespace {
// How often a parked frame is retried when its output's POLLOUT cannot be trusted (retry_later
// below): 1 ms holds the loop's CPU near nothing and adds at most that to a held message.
constexpr int retry_interval_ms = 1;
} // namespace

// One way through the proxy. Holds at most one parked frame: the frame the output refused
// with EAGAIN, which is retried before anything else is read from the input.
struct proxy_t::direction_t {
    void* input;
    void* output;
    direction_counters_t& counters;
    bool output_drops; // the output refuses rather than blocks: drop and count
    bool to_backend;   // which observer callback sees this direction's messages
    zmq_msg_t parked;  // valid only while has_parked
    bool has_parked = false;
    bool parked_more = false;
    // The output said POLLOUT and still refused the parked frame: it says POLLOUT while the
    // peer the frame is for is full (an XPUB with XPUB_NODROP, a ROUTER_MANDATORY ROUTER
    // with other peers that have room), so polling for it would spin. Retried on a timer.
    bool retry_later = false;
    bool discarding = false;              // dropping the rest of a refused multipart message
    message_gate_t* gate = nullptr;       // asked about each message read from input
    bool in_message = false;              // the next frame read is not a message's first
    bool gated_out = false;               // dropping the rest of a message the gate refused
    bool capture_discarding = false;      // capture refused this message's first frame
    std::vector<zmq::message_t> observed; // copies for the observer, one message's frames

    direction_t(void* in, void* out, direction_counters_t& c, bool drops, bool backend)
        : input(in), output(out), counters(c), output_drops(drops), to_backend(backend) {}
    ~direction_t() {
        if (has_parked) zmq_msg_close(&parked);
    }
};

proxy_t::proxy_t(zmq::socket_t& frontend, zmq::socket_t& backend, zmq::socket_t* capture,
                 control_server_t* control, device_description_t description, proxy_config_t config)
    : description_(std::move(description)), config_(config), frontend_(frontend), backend_(backend),
      capture_(capture), control_(control) {
    description_.waiting = this;
    forward_ =
        std::make_unique<direction_t>(frontend.handle(), backend.handle(),
                                      counters_.frontend_to_backend, config.backend_drops, true);
    backward_ =
        std::make_unique<direction_t>(backend.handle(), frontend.handle(),
                                      counters_.backend_to_frontend, config.frontend_drops, false);
}

proxy_t::~proxy_t() = default;

void proxy_t::set_gates(message_gate_t* frontend, message_gate_t* backend) {
    forward_->gate = frontend;
    backward_->gate = backend;
}

control_reply_t proxy_t::answer(control_command command, std::string_view text) {
    return answer_proxy_control(command, text, paused_, terminate_, description_, counters_,
                                started_ms_);
}

// Only the parked frame is ours to see: libzmq's pipes hold up to --hwm messages per peer
// (and the kernel more) that no API counts, so "queued_messages" is not written here.
void proxy_t::write_json(json_writer_t& json) const {
    const auto side = [&json](std::string_view name, const direction_t& way_to_it) {
        json.key(name).begin_object().key("parked").value(std::uint64_t(way_to_it.has_parked));
        json.end_object();
    };
    json.key("queued").begin_object();
    side("frontend", *backward_);
    side("backend", *forward_);
    json.end_object();
    // A DEALER round-robins over peers it never names: no per-worker count is possible.
    if (config_.hides_workers)
        json.key("workers_known").value(false).key("workers").begin_array().end_array();
}

void proxy_t::pump(direction_t& way) {
    if (way.has_parked) {
        const int flags = ZMQ_DONTWAIT | (way.parked_more ? ZMQ_SNDMORE : 0);
        const std::size_t size = zmq_msg_size(&way.parked);
        if (zmq_msg_send(&way.parked, way.output, flags) < 0) {
            if (errno == EAGAIN) { // still full: wait for POLLOUT, or retry on a timer
                way.retry_later = true;
                return;
            }
            zmq_msg_close(&way.parked); // the peer is gone: drop it
            way.discarding = way.parked_more;
            if (!way.parked_more) ++way.counters.dropped_messages;
        } else {
            way.counters.sent_bytes += size;
            if (!way.parked_more) ++way.counters.sent_messages;
        }
        way.has_parked = false;
        way.retry_later = false;
    }

    zmq_msg_t frame;
    for (int moved = 0; moved < config_.burst;) {
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, way.input, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            if (errno == EAGAIN || errno == EINTR) return;
            throw zmq::error_t();
        }
        const bool more = zmq_msg_more(&frame);
        const std::size_t size = zmq_msg_size(&frame);
        way.counters.received_bytes += size;
        if (!more) {
            ++way.counters.received_messages;
            ++moved;
        }
        if (way.gate) { // the gate sees a message's first frame and decides for all of it
            const bool first = !way.in_message;
            way.in_message = more;
            if (first)
                way.gated_out = !way.gate->admits(frame);
            else
                way.gate->next_frame(frame);
            if (way.gated_out) {
                zmq_msg_close(&frame);
                continue;
            }
        }

        if (capture_) {
            zmq_msg_t copy;
            zmq_msg_init(&copy);
            zmq_msg_copy(&copy, &frame);
            if (way.capture_discarding ||
                zmq_msg_send(&copy, capture_->handle(), ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) <
                    0) {
                zmq_msg_close(&copy);
                way.capture_discarding = more; // keep the capture stream's framing whole
                if (!more) ++counters_.capture_dropped;
            } else if (!more) {
                ++counters_.captured_messages;
            }
        }
        if (observer_ && (observe_to_backend_ || !way.to_backend)) {
            way.observed.emplace_back();
            zmq_msg_copy(way.observed.back().handle(), &frame);
            if (!more) {
                bool pass = true;
                if (way.to_backend)
                    observer_->forwarded_to_backend(way.observed);
                else
                    pass =
                        observer_->forwarded_to_frontend(way.observed) || way.observed.size() > 1;
                way.observed.clear();
                if (!pass) { // held back: received, never sent
                    zmq_msg_close(&frame);
                    continue;
                }
            }
        }

        if (way.discarding) {
            zmq_msg_close(&frame);
            way.discarding = more;
            if (!more) ++way.counters.dropped_messages;
            continue;
        }
        if (zmq_msg_send(&frame, way.output, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) >= 0) {
            way.counters.sent_bytes += size;
            if (!more) ++way.counters.sent_messages;
            continue;
        }
        if (errno == EAGAIN && !way.output_drops) {
            way.parked = frame; // ownership moves to the parked slot
            way.has_parked = true;
            way.parked_more = more;
            return;
        }
        zmq_msg_close(&frame);
        way.discarding = more;
        if (!more) ++way.counters.dropped_messages;
    }
}

loop_exit proxy_t::run(stop_signal_t& stop) {
    started_ms_ = steady_ms();
    proxy_drop_events_t drop_events(counters_); // reports what is left when run() returns
    enum { frontend_item, backend_item, stop_item, control_item };
    while (!terminate_) {
        drop_events.poll(); // what the last turn dropped, also while paused
        zmq_pollitem_t items[4] = {};
        items[frontend_item].socket = frontend_.handle();
        items[backend_item].socket = backend_.handle();
        bool retrying = false; // a parked frame waits for the retry timer
        const auto wait_for = [&](direction_t& way, int input_item, int output_item) {
            if (!way.has_parked)
                items[input_item].events |= ZMQ_POLLIN;
            else if (way.retry_later)
                retrying = true;
            else
                items[output_item].events |= ZMQ_POLLOUT;
        };
        if (!paused_) {
            wait_for(*forward_, frontend_item, backend_item);
            if (config_.backward) wait_for(*backward_, backend_item, frontend_item);
        }
        items[stop_item].fd = stop.fd();
        items[stop_item].events = ZMQ_POLLIN;
        int count = 3;
        if (control_) {
            items[control_item].socket = control_->socket().handle();
            items[control_item].events = ZMQ_POLLIN;
            count = 4;
        }
        for (message_gate_t* gate : {forward_->gate, backward_->gate})
            if (gate) gate->check();
        int timeout_ms = drop_events.timeout_ms();
        if ((forward_->gate || backward_->gate) &&
            (timeout_ms < 0 || timeout_ms > message_gate_t::check_interval_ms))
            timeout_ms = message_gate_t::check_interval_ms;
        if (zmq_poll(items, count,
                     retrying && (timeout_ms < 0 || timeout_ms > retry_interval_ms)
                         ? retry_interval_ms
                         : timeout_ms) < 0) {
            if (errno == EINTR) continue;
            throw zmq::error_t();
        }
        if (items[stop_item].revents && stop.received()) return loop_exit::signal;
        if (control_ && items[control_item].revents)
            control_->serve_pending([this](control_command command, std::string_view text) {
                return answer(command, text);
            });
        if (paused_) continue;
        if (items[frontend_item].revents & ZMQ_POLLIN ||
            items[backend_item].revents & ZMQ_POLLOUT || forward_->retry_later)
            pump(*forward_);
        if (config_.backward &&
            (items[backend_item].revents & ZMQ_POLLIN ||
             items[frontend_item].revents & ZMQ_POLLOUT || backward_->retry_later))
            pump(*backward_);
    }
    return loop_exit::terminate;
}

} // namespace zd
