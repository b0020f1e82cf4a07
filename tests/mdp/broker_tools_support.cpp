// Broker process, running workers and mmi probes for the broker_tools tests.
#include "broker_tools_support.hpp"

#include <csignal>
#include <stdexcept>

namespace zd::test {

using namespace std::chrono_literals;

broker_process_t::broker_process_t(const std::vector<std::string>& extra_args,
                                   const std::string& bind) {
    std::vector<std::string> args{"-e", bind};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<child_process_t>(broker_path, args);
    endpoint_ = process_->wait_ready().address("endpoint");
}

running_worker_t::running_worker_t(zmq::context_t& context, const std::string& endpoint,
                                   const std::string& service, mdp::worker_options_t options,
                                   mdp::streaming_handler_t handler)
    : worker_(std::make_unique<mdp::worker_t>(context, endpoint, service, std::move(options))),
      handler_(std::move(handler)) {
    thread_ = std::thread([this, finished = finished_] {
        try {
            worker_->serve(handler_);
        } catch (const std::exception& error) {
            // Reported through the test's own checks (the worker stops answering).
            std::fprintf(stderr, "worker failed: %s\n", error.what());
        }
        *finished = true;
    });
}

running_worker_t::running_worker_t(zmq::context_t& context, const std::string& endpoint,
                                   const std::string& service, mdp::worker_options_t options,
                                   mdp::handler_t handler)
    : running_worker_t(context, endpoint, service, std::move(options),
                       mdp::streaming_handler_t([handler = std::move(handler)](
                                                    mdp::frames_t body, mdp::request_context_t&) {
                           return handler(std::move(body));
                       })) {}

running_worker_t::~running_worker_t() {
    worker_->request_stop();
    if (thread_.joinable()) thread_.join();
}

bool running_worker_t::stop(std::chrono::milliseconds timeout) {
    worker_->request_stop();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!*finished_ && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms); // polling a flag with a deadline, not guessing
    if (!*finished_) return false;
    thread_.join();
    return true;
}

mdp::worker_options_t fast_worker_options(mdp::version protocol) {
    mdp::worker_options_t options;
    options.protocol = protocol;
    options.heartbeat_interval = 100ms;
    options.heartbeat_liveness = 5;
    options.reconnect_delay = 50ms;
    options.socket.linger_ms = 0;
    return options;
}

bool wait_for_workers(zmq::context_t& context, const std::string& endpoint,
                      const std::string& service, std::uint64_t count,
                      std::chrono::milliseconds timeout) {
    mdp::client_options_t options;
    options.timeout = 1000ms;
    options.retries = 0;
    options.socket.linger_ms = 0;
    mdp::client_t client(context, endpoint, options);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto reply = client.call("mmi.services", {""});
        if (reply && reply->size() == 1) {
            const json_value_t services = parse_json((*reply)[0]);
            if (services.has(service) && services[service]["workers"].as_uint64() == count)
                return true;
        }
        std::this_thread::sleep_for(10ms); // between probes of the broker's own count
    }
    return false;
}

json_value_t broker_stats(zmq::context_t& context, const std::string& endpoint) {
    mdp::client_options_t options;
    options.timeout = 2000ms;
    options.retries = 0;
    options.socket.linger_ms = 0;
    mdp::client_t client(context, endpoint, options);
    const auto reply = client.call("mmi.stats", {""});
    if (!reply || reply->size() != 1) throw std::runtime_error("no mmi.stats reply");
    return parse_json((*reply)[0]);
}

std::optional<int> stop_child(child_process_t& child, std::chrono::milliseconds timeout) {
    child.send_signal(SIGTERM);
    return child.wait_exit(timeout);
}

} // namespace zd::test
