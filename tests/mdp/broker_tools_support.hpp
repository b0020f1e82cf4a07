// What the client/worker and zd-call/zd-worker tests share: a real zd-broker as a child
// process, a worker_t serving on its own thread (stopped and joined whatever happens), and
// probes that ask the broker (mmi.*) instead of guessing with sleeps.
#pragma once

#include "child_process.hpp"
#include "json_reader.hpp"
#include "mdp/client.hpp"
#include "mdp/worker.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace zd::test {

inline const std::string broker_path = ZD_BROKER_PATH;
inline const std::string call_path = ZD_CALL_PATH;
inline const std::string worker_path = ZD_WORKER_PATH;

// Broker arguments matching fast_worker_options(): heartbeats every 100 ms. A worker_t
// with 100 ms heartbeats under a broker heartbeating every 2.5 s would think it dead.
inline const std::vector<std::string> fast_heartbeats{"--heartbeat-interval", "100"};

// zd-broker on a wildcard port (or the given bind endpoint), ready when constructed.
class broker_process_t {
public:
    explicit broker_process_t(const std::vector<std::string>& extra_args = {},
                              const std::string& bind = "@tcp://127.0.0.1:*");
    const std::string& endpoint() const { return endpoint_; } // a libzmq address to connect
    child_process_t& process() { return *process_; }

private:
    std::unique_ptr<child_process_t> process_;
    std::string endpoint_;
};

// A worker_t serving on a thread of its own; the destructor stops it and joins.
class running_worker_t {
public:
    running_worker_t(zmq::context_t& context, const std::string& endpoint,
                     const std::string& service, mdp::worker_options_t options,
                     mdp::streaming_handler_t handler);
    running_worker_t(zmq::context_t& context, const std::string& endpoint,
                     const std::string& service, mdp::worker_options_t options,
                     mdp::handler_t handler);
    ~running_worker_t();
    mdp::worker_t& worker() { return *worker_; }
    // Stops the worker and waits for serve() to return (at most timeout). True if it did.
    bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

private:
    std::unique_ptr<mdp::worker_t> worker_;
    mdp::streaming_handler_t handler_;
    std::thread thread_;
    std::shared_ptr<std::atomic<bool>> finished_ = std::make_shared<std::atomic<bool>>(false);
};

// Worker options for tests: short heartbeats so that failures show in a fraction of a second.
mdp::worker_options_t fast_worker_options(mdp::version protocol = mdp::version::v02);

// Asks the broker (mmi.services) until service has count workers, at most timeout.
bool wait_for_workers(zmq::context_t& context, const std::string& endpoint,
                      const std::string& service, std::uint64_t count,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The broker's mmi.stats object (throws if the broker does not answer within 2 s).
json_value_t broker_stats(zmq::context_t& context, const std::string& endpoint);

// Ends a zd-worker child the way an operator would (SIGTERM) and returns its exit code, so a
// failing test leaves no command behind (SIGKILL would orphan the worker's commands).
std::optional<int> stop_child(child_process_t& child,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace zd::test
