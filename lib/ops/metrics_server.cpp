#include "ops/metrics_server.hpp"

#include "ops/prometheus_text.hpp"
#include "ops/stats_client.hpp"

#include <atomic>
#include <httplib.h>
#include <mutex>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <zmq.hpp>

namespace zd::ops {

namespace {

// Connections served at once. One is enough for one Prometheus; a few more keep an
// operator's curl or a second Prometheus from waiting behind an idle keep-alive connection.
constexpr std::size_t handler_threads = 4;

// httplib's default is SO_REUSEPORT on Linux, which lets a second process bind the same
// port without an error and then splits the scrapes between the two. SO_REUSEADDR alone
// still allows a restart while old connections linger in TIME_WAIT, and a port in use is
// refused at start as it must be.
void listening_socket_options(socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

} // namespace

struct metrics_server_t::impl_t {
    impl_t(zmq::context_t& context, std::string control_address, metrics_server_options_t options)
        : stats(context, std::move(control_address), options.stats_timeout),
          stats_timeout(options.stats_timeout) {}

    // Asks STATS; handlers on several threads take turns on the one socket.
    std::optional<std::string> request_stats() {
        std::lock_guard lock(stats_mutex);
        return stats.request_stats();
    }

    void no_answer(httplib::Response& response) const {
        response.status = 503;
        response.set_content("the device did not answer STATS within " +
                                 std::to_string(stats_timeout.count()) + " ms\n",
                             "text/plain");
    }

    void serve_metrics(httplib::Response& response) {
        const auto json = request_stats();
        if (!json) return no_answer(response);
        try {
            response.set_content(prometheus_text(*json).text, std::string(prometheus_content_type));
        } catch (const std::invalid_argument& error) { // the device answered nonsense
            response.status = 502;
            response.set_content(std::string(error.what()) + '\n', "text/plain");
        }
    }

    void serve_stats(httplib::Response& response) {
        const auto json = request_stats();
        if (!json) return no_answer(response);
        response.set_content(*json, "application/json");
    }

    std::mutex stats_mutex;
    stats_client_t stats; // guarded by stats_mutex
    std::chrono::milliseconds stats_timeout;
    httplib::Server http;
    unsigned port = 0;
    std::string endpoint;
    std::atomic<bool> listener_done{false};
    std::thread listener;
};

metrics_server_t::metrics_server_t(zmq::context_t& context, std::string control_address,
                                   const metrics_endpoint_t& endpoint,
                                   metrics_server_options_t options)
    : impl_(std::make_unique<impl_t>(context, std::move(control_address), options)) {
    auto& http = impl_->http;
    http.new_task_queue = [] { return new httplib::ThreadPool(handler_threads); };
    http.set_socket_options(listening_socket_options);
    // One request per connection ("Connection: close"): an idle keep-alive connection would
    // hold a handler, and the destructor, for the keep-alive timeout (measured: 1.2 s with a
    // 1 s timeout, 5 s by default) each time a device stops. A scrape every 15 s does not
    // miss the saved handshake. A connection that sends nothing is dropped after 1 s.
    http.set_keep_alive_max_count(1);
    http.set_keep_alive_timeout(1);
    http.set_read_timeout(std::chrono::seconds(2));
    http.set_write_timeout(std::chrono::seconds(2));
    impl_t* impl = impl_.get();
    http.Get("/metrics", [impl](const httplib::Request&, httplib::Response& response) {
        impl->serve_metrics(response);
    });
    http.Get("/stats", [impl](const httplib::Request&, httplib::Response& response) {
        impl->serve_stats(response);
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& response) {
        if (response.status == 404)
            response.set_content("not found: GET /metrics (Prometheus) or /stats (JSON)\n",
                                 "text/plain");
    });

    const int port =
        endpoint.port == 0
            ? http.bind_to_any_port(endpoint.host)
            : (http.bind_to_port(endpoint.host, int(endpoint.port)) ? int(endpoint.port) : -1);
    impl_->endpoint = metrics_endpoint_text(endpoint, endpoint.port);
    if (port < 0)
        throw std::runtime_error("--metrics: cannot listen on '" + impl_->endpoint +
                                 "' (port in use, or not an address of this host?)");
    impl_->port = unsigned(port);
    impl_->endpoint = metrics_endpoint_text(endpoint, impl_->port);
    impl_->listener = std::thread([impl] {
        impl->http.listen_after_bind();
        impl->listener_done = true;
    });
    // httplib's stop() does nothing until the listener runs, so wait for that here: the
    // destructor can then always stop it. Listening starts at once (it is bound already).
    while (!http.is_running() && !impl_->listener_done)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

metrics_server_t::~metrics_server_t() {
    impl_->http.stop();
    impl_->listener.join();
}

unsigned metrics_server_t::port() const {
    return impl_->port;
}

const std::string& metrics_server_t::endpoint() const {
    return impl_->endpoint;
}

std::unique_ptr<metrics_server_t> start_metrics(zmq::context_t& context,
                                                zmq::socket_t& control_socket,
                                                std::string_view metrics_option,
                                                metrics_server_options_t options) {
    if (metrics_option.empty()) return nullptr;
    const metrics_endpoint_t endpoint = parse_metrics_endpoint(metrics_option);
    // An inproc name of its own per control socket, unique in the process.
    static std::atomic<unsigned> next_id{0};
    const std::string address = "inproc://zd-ops-metrics-control-" + std::to_string(next_id++);
    control_socket.bind(address);
    return std::make_unique<metrics_server_t>(context, address, endpoint, options);
}

} // namespace zd::ops
