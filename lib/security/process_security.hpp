// What the command line's CURVE and ZAP flags mean for one process (docs/SECURITY.md): the
// certificates read and checked at start, fail closed; the socket options of each side; the
// ZAP handler that decides who gets in; and the allow-list directories watched, so that a key
// added or removed takes effect without a restart.
//
//   zmq::context_t context;                                      // first: it outlives us
//   process_security_t security(options.common.security);       // nothing read yet
//   auto front = security.side("frontend", base, frontend_endpoints); // reads, checks
//   ...                                                          // every side first
//   security.start(context);           // the ZAP handler, before any socket binds
//   ... sockets made with `front` attach with attach(socket, endpoints, front) ...
//
// Each side is a ZAP domain of its own name, with its own allow-list (--frontend-curve-allow)
// or the common one. A side that binds with CURVE needs --curve-allow DIR or
// --curve-allow-any; one that connects needs --curve-server-key; a secret certificate must
// be mode 0600: otherwise usage_error (exit 2) naming the file and the fix.
#pragma once

#include "base/device_options.hpp"
#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "security/certificate_store.hpp"
#include "security/zap_handler.hpp"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <zmq.hpp>

namespace zd {
class json_writer_t;
}

namespace zd::security {

class process_security_t {
public:
    explicit process_security_t(security_options_t options);
    ~process_security_t();
    process_security_t(const process_security_t&) = delete;
    process_security_t& operator=(const process_security_t&) = delete;

    // The socket options of a side that attaches to endpoints: base, plus CURVE keys when the
    // side's flags ask for CURVE, plus the ZAP domain (the side's name) when it binds with
    // CURVE or address lists are given. Reads the side's certificates; throws usage_error.
    // Call for every side before start().
    socket_options_t side(std::string_view name, const socket_options_t& base,
                          const endpoint_list_t& endpoints);

    // Whether any side so far speaks CURVE, or asks the ZAP handler anything.
    bool uses_curve() const { return uses_curve_; }
    bool uses_zap() const { return !domains_.empty(); }

    // Starts the ZAP handler in context when a side needs one, and the watch of the
    // allow-list directories. Call before any socket binds. The context must outlive this
    // object (declare it first), or closing the context waits forever for the handler.
    void start(zmq::context_t& context);

    // The handler, once started (null if no side needs one): counters, revocation checks.
    const zap_handler_t* handler() const { return handler_.get(); }

    // Whether keys can be revoked on a side: it binds with CURVE and an allow directory.
    bool revocable(std::string_view side) const;

    // STATS "security": the handler's counters ("zap") and, per side, what revocation
    // dropped and cut (guards may hold nulls). Nothing if no side uses ZAP.
    void write_stats(json_writer_t& json,
                     const std::map<std::string, const class revocation_guard_t*>& guards) const;

    // Reads every allow-list directory whose signature changed and gives the handler the new
    // keys; a directory that no longer reads keeps its old keys (logged). The watch thread
    // calls it every watch_interval; a device may call it too (SIGHUP). Returns how many
    // domains changed.
    int reload_changed();

    static constexpr std::chrono::milliseconds watch_interval{250};

private:
    struct domain_t {
        std::string allow_dir; // empty: allow_any or no CURVE (address lists only)
        bool allow_any = false;
        bool curve = false;
        std::optional<directory_signature_t> signature;
        std::vector<allowed_key_t> keys;
    };
    zap_policy_config_t policy_of(const domain_t& domain) const;
    void watch();

    security_options_t options_;
    std::map<std::string, domain_t, std::less<>> domains_; // by ZAP domain (side name)
    bool uses_curve_ = false;
    std::unique_ptr<zap_handler_t> handler_;
    std::mutex reload_mutex_; // reload_changed from the watch thread and the device's
    std::mutex watch_mutex_;
    std::condition_variable watch_wakeup_;
    bool stopping_ = false; // guarded by watch_mutex_
    std::thread watcher_;
};

} // namespace zd::security
