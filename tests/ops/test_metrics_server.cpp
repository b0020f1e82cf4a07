// metrics_server_t in one process, as a device will run it (start_metrics on the device's
// control socket), against a fake control server, scraped over real HTTP with httplib's
// client:
//
//   httplib::Client --HTTP tcp 127.0.0.1:*--> metrics_server_t --REQ "STATS" inproc-->
//                                              fake_control_t (a ROUTER on its own thread,
//                                              answering as a device's control server does)
#include "base/endpoints.hpp"
#include "ops/metrics_server.hpp"
#include "ops/prometheus_text.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <httplib.h>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

using namespace std::chrono_literals;
using zd::ops::metrics_server_options_t;
using zd::ops::start_metrics;

namespace {

const std::string device_stats =
    R"({"device":"zd-fake","version":"0.1.0","pid":7,"uptime_ms":2500,"state":"running",)"
    R"("readers":3})";

// A device's control socket: answers every request with its STATS object, the first one
// only after first_delay (a device busy past the scrape's timeout) and with late_stats.
class fake_control_t {
public:
    fake_control_t(zmq::socket_t& router, std::string stats,
                   std::chrono::milliseconds first_delay = 0ms, std::string late_stats = {})
        : router_(router), stats_(std::move(stats)), first_delay_(first_delay),
          late_stats_(std::move(late_stats)), thread_([this] { run(); }) {}
    ~fake_control_t() {
        stop_ = true;
        thread_.join();
    }
    int requests() const { return requests_; }

    // Waits until the delayed first answer has gone out; false if not within timeout.
    bool wait_late_answer_sent(std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!late_answer_sent_) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(1ms);
        }
        return true;
    }

private:
    void run() {
        std::vector<zmq::message_t> delayed; // the envelope of the first request
        auto delayed_until = std::chrono::steady_clock::now();
        while (!stop_) {
            if (!delayed.empty() && std::chrono::steady_clock::now() >= delayed_until) {
                reply(delayed, late_stats_);
                delayed.clear();
                late_answer_sent_ = true;
            }
            zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, 5ms) == 0) continue;
            std::vector<zmq::message_t> request;
            if (!zmq::recv_multipart(router_, std::back_inserter(request))) continue;
            request.pop_back(); // the command; routing id and REQ's delimiter stay
            if (requests_++ == 0 && first_delay_ > 0ms) {
                delayed = std::move(request);
                delayed_until = std::chrono::steady_clock::now() + first_delay_;
                continue;
            }
            reply(request, stats_);
        }
    }

    void reply(std::vector<zmq::message_t>& envelope, const std::string& body) {
        for (auto& frame : envelope)
            router_.send(frame, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        router_.send(zmq::buffer(body), zmq::send_flags::dontwait);
    }

    zmq::socket_t& router_;
    std::string stats_;
    std::chrono::milliseconds first_delay_;
    std::string late_stats_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::atomic<bool> late_answer_sent_{false};
    std::thread thread_;
};

zmq::socket_t control_socket(zmq::context_t& context) {
    zmq::socket_t router(context, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::router_mandatory, false);
    return router;
}

httplib::Client client_of(const zd::ops::metrics_server_t& server) {
    httplib::Client client("127.0.0.1", int(server.port()));
    client.set_connection_timeout(5s);
    client.set_read_timeout(5s);
    return client;
}

} // namespace

TEST_CASE("GET /metrics answers STATS as Prometheus text, /stats as JSON, else 404",
          "[ops][metrics_server]") {
    zmq::context_t context;
    auto control = control_socket(context);
    auto server = start_metrics(context, control, "@tcp://127.0.0.1:*");
    REQUIRE(server);
    CHECK(server->port() > 0);
    CHECK(server->endpoint() == "@tcp://127.0.0.1:" + std::to_string(server->port()));
    fake_control_t device(control, device_stats);
    auto client = client_of(*server);

    const auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    CHECK(metrics->get_header_value("Content-Type") == "text/plain; version=0.0.4");
    CHECK(metrics->body == zd::ops::prometheus_text(device_stats).text);
    CHECK_THAT(metrics->body, Catch::Contains("zd_journal_readers{device=\"zd-fake\"} 3\n") &&
                                  Catch::Contains("zd_uptime_seconds{device=\"zd-fake\"} 2.500\n"));

    const auto stats = client.Get("/stats");
    REQUIRE(stats);
    CHECK(stats->status == 200);
    CHECK(stats->get_header_value("Content-Type") == "application/json");
    CHECK(stats->body == device_stats);

    for (const char* path : {"/", "/metricsx", "/stats/", "/favicon.ico"}) {
        INFO(path);
        const auto missing = client.Get(path);
        REQUIRE(missing);
        CHECK(missing->status == 404);
        CHECK_THAT(missing->body, Catch::Contains("/metrics"));
    }
    const auto post = client.Post("/metrics", "x", "text/plain");
    REQUIRE(post);
    CHECK(post->status == 404);
    CHECK(device.requests() == 2); // one STATS per scrape of /metrics or /stats
}

TEST_CASE("a device that does not answer in time gets 503, and a late answer is never taken "
          "for the next scrape's",
          "[ops][metrics_server]") {
    zmq::context_t context;
    auto control = control_socket(context);
    auto server = start_metrics(context, control, "@tcp://127.0.0.1:*",
                                metrics_server_options_t{.stats_timeout = 200ms});
    // The first STATS is answered 400 ms late, and with another object.
    fake_control_t device(control, device_stats, 400ms, R"({"device":"late-answer"})");
    auto client = client_of(*server);

    const auto started = std::chrono::steady_clock::now();
    const auto first = client.Get("/metrics");
    const auto waited = std::chrono::steady_clock::now() - started;
    REQUIRE(first);
    CHECK(first->status == 503);
    CHECK_THAT(first->body, Catch::Contains("did not answer STATS within 200 ms"));
    CHECK(waited >= 200ms);
    CHECK(waited < 2s);

    REQUIRE(device.wait_late_answer_sent(2s)); // to the socket the server gave up on
    const auto second = client.Get("/stats");
    REQUIRE(second);
    CHECK(second->status == 200);
    CHECK(second->body == device_stats);
    CHECK(device.requests() == 2);
}

TEST_CASE("no device behind the control socket: 503 on both paths", "[ops][metrics_server]") {
    zmq::context_t context;
    auto control = control_socket(context); // bound, never read
    auto server = start_metrics(context, control, "@tcp://127.0.0.1:*",
                                metrics_server_options_t{.stats_timeout = 100ms});
    auto client = client_of(*server);
    for (const char* path : {"/metrics", "/stats"}) {
        const auto response = client.Get(path);
        REQUIRE(response);
        CHECK(response->status == 503);
    }
}

TEST_CASE("STATS that is not JSON gets 502 on /metrics", "[ops][metrics_server]") {
    zmq::context_t context;
    auto control = control_socket(context);
    auto server = start_metrics(context, control, "@tcp://127.0.0.1:*");
    fake_control_t device(control, "ERROR unknown command 'STATS'");
    auto client = client_of(*server);
    const auto response = client.Get("/metrics");
    REQUIRE(response);
    CHECK(response->status == 502);
    CHECK_THAT(response->body, Catch::Contains("not valid JSON"));
}

TEST_CASE("a port in use is refused at start, even by another metrics server",
          "[ops][metrics_server]") {
    // Regression: cpp-httplib sets SO_REUSEPORT by default, so a second server bound the same
    // port silently and the kernel split the scrapes between two devices.
    zmq::context_t context;
    auto first_control = control_socket(context);
    auto first = start_metrics(context, first_control, "@tcp://127.0.0.1:*");
    const std::string taken = "@tcp://127.0.0.1:" + std::to_string(first->port());
    auto second_control = control_socket(context);
    CHECK_THROWS_AS(start_metrics(context, second_control, taken), std::runtime_error);
    CHECK_THROWS_WITH(start_metrics(context, second_control, taken),
                      Catch::Contains("cannot listen on '" + taken + "'"));
}

TEST_CASE("the destructor stops and joins promptly, even after a keep-alive client's scrape",
          "[ops][metrics_server]") {
    zmq::context_t context;
    auto control = control_socket(context);
    auto server = start_metrics(context, control, "@tcp://127.0.0.1:*");
    const int port = int(server->port());
    {
        fake_control_t device(control, device_stats);
        auto client = client_of(*server);
        client.set_keep_alive(true);
        const auto response = client.Get("/metrics");
        REQUIRE(response);
        CHECK(response->status == 200);
        CHECK(response->get_header_value("Connection") == "close");
        const auto started = std::chrono::steady_clock::now();
        server.reset();
        // Regression: with keep-alive the idle connection held the destructor for the
        // keep-alive timeout (1.2 s measured with 1 s); the server now closes each one.
        CHECK(std::chrono::steady_clock::now() - started < 900ms);
    }
    httplib::Client after("127.0.0.1", port);
    after.set_connection_timeout(1s);
    CHECK_FALSE(after.Get("/metrics")); // nobody listens any more
}

TEST_CASE("a scraper hanging up mid-answer cannot kill the device: SIGPIPE is ignored",
          "[ops][metrics_server]") {
    // cpp-httplib writes with send() without MSG_NOSIGNAL and relies on its Server
    // constructor ignoring SIGPIPE process-wide; this keeps anyone from undoing that.
    zmq::context_t context;
    auto control = control_socket(context);
    auto server = start_metrics(context, control, "@tcp://127.0.0.1:*");
    struct sigaction current {};
    REQUIRE(sigaction(SIGPIPE, nullptr, &current) == 0);
    CHECK(current.sa_handler == SIG_IGN);
}

TEST_CASE("without --metrics nothing is started", "[ops][metrics_server]") {
    zmq::context_t context;
    auto control = control_socket(context);
    CHECK(start_metrics(context, control, "") == nullptr);
    CHECK_THROWS_AS(start_metrics(context, control, ">tcp://127.0.0.1:9100"), zd::endpoint_error);
}
