// The process's ZAP handler: a thread with a ROUTER bound to inproc://zeromq.zap.01 in a
// context, answering libzmq's authentication requests from the current zap_policy_t. Make it
// before any socket of that context that requires ZAP binds (require_zap): libzmq looks the
// handler up at each handshake, and a CURVE server with no handler lets every key in unless
// ZMQ_ZAP_ENFORCE_DOMAIN is set (then it refuses all: fail closed, see docs/SECURITY.md).
//
// Threads: the constructor binds on the caller's thread and starts the handler thread, which
// owns the ROUTER from then on. reload(), policy(), generation() and counters() may be called
// from any thread. The destructor stops the thread and closes its sockets (linger 0); the
// context must outlive this object (declare the handler after it).
#pragma once

#include "security/refusal_log.hpp"
#include "security/zap_counters.hpp"
#include "security/zap_policy.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <zmq.hpp>

namespace zd::security {

// Makes libzmq consult the ZAP handler for every handshake on socket (a server: one that
// binds), and refuse every peer when no handler is bound, instead of letting it in. Call
// before bind. domain must not be empty (libzmq skips ZAP for NULL peers without a domain).
// (base/curve_keys.hpp's require_zap_domain, which the devices' attach uses, with the check.)
// Throws std::invalid_argument for an empty domain, zmq::error_t if libzmq refuses.
void require_zap(zmq::socket_t& socket, std::string_view domain);

struct zap_handler_options_t {
    // Refusal lines: one per peer address per interval (refusal_log_t).
    std::chrono::steady_clock::duration log_interval = std::chrono::seconds(10);
    std::size_t log_max_addresses = 1024;
    // Where refusal lines go, on the handler thread; empty: zd::log::info.
    std::function<void(std::string_view)> log_line;
};

class zap_handler_t {
public:
    // Checks config (std::invalid_argument as zap_policy_t), binds zap_endpoint (zmq::error_t,
    // EADDRINUSE if this context already has a handler) and starts serving.
    zap_handler_t(zmq::context_t& context, zap_policy_config_t config,
                  zap_handler_options_t options = {});
    ~zap_handler_t();
    zap_handler_t(const zap_handler_t&) = delete;
    zap_handler_t& operator=(const zap_handler_t&) = delete;

    // Replaces the policy for every handshake from now on; connections already made are the
    // device's to cut (is_allowed per message, or a zap_allow_cache_t). Throws
    // std::invalid_argument, keeping the old policy, if config is bad.
    void reload(zap_policy_config_t config);
    // The same for the sockets of one ZAP domain only (a device side with its own allow-list,
    // --frontend-curve-allow): its requests are decided by this policy from now on, the
    // other domains' by theirs or by the default one above.
    void reload(std::string_view domain, zap_policy_config_t config);

    // The current policy (of a domain: its own, or the default); cheap to keep, it never
    // changes once made.
    std::shared_ptr<const zap_policy_t> policy() const;
    std::shared_ptr<const zap_policy_t> policy(std::string_view domain) const;
    // Changes on every reload (starts at 1): a device compares it to notice a new allow-list.
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

    zap_counters_t counters() const;

private:
    void run();
    void serve_waiting();
    void log_refusal(const zap_request_t& request, const zap_decision_t& decision);

    zap_handler_options_t options_;
    mutable std::mutex policy_mutex_;
    std::shared_ptr<const zap_policy_t> policy_; // guarded by policy_mutex_
    std::map<std::string, std::shared_ptr<const zap_policy_t>, std::less<>>
        domain_policies_; // guarded by policy_mutex_
    std::atomic<std::uint64_t> generation_{1};
    mutable std::mutex counters_mutex_;
    zap_counters_t counters_;     // guarded by counters_mutex_
    refusal_log_t refusal_log_;   // handler thread only
    zmq::socket_t router_;        // handler thread only, once started
    zmq::socket_t stop_receiver_; // PAIR, handler thread: one message means stop
    zmq::socket_t stop_sender_;   // PAIR, owner thread
    std::thread thread_;
};

// A device thread's view of the allow-list, for revocation: is_allowed(User-Id) on each
// message costs one atomic load and a hash look-up; the policy is fetched again only when
// the handler's generation changed. One per thread (not thread-safe itself).
class zap_allow_cache_t {
public:
    // For the sockets of one ZAP domain ("" = the default policy).
    explicit zap_allow_cache_t(const zap_handler_t& handler, std::string domain = {});
    bool is_allowed(std::string_view user_id);
    // True once after each change of the allow-list seen by is_allowed or refresh (a device
    // can then re-check its open connections at once rather than at their next message).
    bool refresh();

private:
    const zap_handler_t& handler_;
    std::string domain_;
    std::uint64_t generation_ = 0;
    std::shared_ptr<const zap_policy_t> policy_;
};

} // namespace zd::security
