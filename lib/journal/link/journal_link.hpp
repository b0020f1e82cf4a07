// zd-link's sockets and loop: a named consumer of the near journal's backend (consumer_t,
// SUBscribed with "origin"), a DEALER to the far journal's producer frontend, and the
// forward window between them (forward_window.hpp: what to publish, with which key and base,
// and when the near offset may move). A record is acknowledged to the near journal only once
// the far journal acknowledged it, so a kill -9 of any of the three loses nothing the near
// journal acknowledged to its producers. Runs on the shared poll loop with a control socket
// (STATS) and events (far side up/down, connections). Protocol and guarantees:
// docs/JOURNAL.md, "Store-and-forward links". Not thread-safe: one thread runs it.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <zmq.hpp>

namespace zd {
class stop_signal_t;
}

namespace zd::journal {

struct link_config_t {
    std::string near;                // the near journal's backend (consumer protocol), connect
    std::string far;                 // the far journal's frontend (producer protocol), connect
    endpoint_list_t control;         // control endpoints (may be empty: no --control)
    std::string name;                // the near consumer name; unique per near journal
    std::string position = "stored"; // where a name the near journal does not know starts
    std::uint32_t window = 1000;     // records held (taken from near, not yet stored far)
    std::string fallback_id;         // producer id for records without one ("" : zd-link.NAME)
    std::chrono::milliseconds resend_after{1000}; // no far ACK progress this long: resend
    std::chrono::milliseconds far_silence{3000};  // no word from far this long: it is down
};

// The socket options of each side: they differ when CURVE is on (each journal its own server
// key, process_security_t::side).
struct link_socket_options_t {
    socket_options_t near, far, control;
};

class journal_link_t {
public:
    // Checks the configuration (std::invalid_argument naming the bad value), connects both
    // sides and binds the control socket, each with its own options. Throws endpoint_error,
    // zmq::error_t.
    journal_link_t(zmq::context_t& context, const link_config_t& config,
                   const link_socket_options_t& options);
    ~journal_link_t();
    journal_link_t(const journal_link_t&) = delete;
    journal_link_t& operator=(const journal_link_t&) = delete;

    const endpoint_list_t& control_endpoints() const;
    zmq::socket_t& control_socket();

    enum class exit_reason { signal, terminate, refused };
    // Runs until a stop signal, TERMINATE, or a refusal that the link cannot ride out (the
    // near journal refused the subscription, or the far journal refused a record with ERR
    // 400/413): then refusal() says which. Records not stored far stay in the near journal.
    exit_reason run(stop_signal_t& stop);
    const std::string& refusal() const;

private:
    struct impl_t;
    std::unique_ptr<impl_t> impl_;
};

} // namespace zd::journal
