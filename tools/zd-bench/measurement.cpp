#include "measurement.hpp"

#include "child_process.hpp"
#include "shared_block.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

namespace zd::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile std::sig_atomic_t interrupt_flag = 0;

void on_interrupt(int) {
    interrupt_flag = 1;
}

constexpr std::uint32_t latency_sample_capacity = 1u << 20;

// Everything one measurement started, stopped in reverse order on the way out.
struct processes_t {
    std::unique_ptr<child_process_t> device;
    std::unique_ptr<child_process_t> downstream; // receiver or worker
    std::unique_ptr<child_process_t> upstream;   // sender or client
};

struct device_endpoints_t {
    std::string frontend; // as peers connect to them: ">tcp://127.0.0.1:41185"
    std::string backend;
};

milliseconds start_timeout(const run_settings_t& settings) {
    return milliseconds(settings.device_wrapper.empty() ? 10'000 : 120'000);
}

std::string tail_of(const std::string& text) {
    return text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text;
}

[[noreturn]] void fail_with(child_process_t& child, const std::string& what) {
    std::string message = child.name() + ": " + what;
    child.running();
    if (child.status()) message += " (" + child.describe_status() + ")";
    const std::string& output = child.drain(stream_t::err);
    if (!output.empty()) message += "; its stderr:\n" + tail_of(output);
    throw std::runtime_error(message);
}

void check_interrupt() {
    if (interrupt_flag) throw interrupted_error();
}

// Throws if any child has died: a window with a dead process measures nothing.
void check_alive(processes_t& processes) {
    check_interrupt();
    for (auto* child :
         {processes.device.get(), processes.downstream.get(), processes.upstream.get()})
        if (child && !child->running()) fail_with(*child, "exited during the measurement");
    if (processes.device) { // never let its pipes fill
        processes.device->drain(stream_t::out);
        processes.device->drain(stream_t::err);
    }
}

// The value of key=... in a device's ready line, first endpoint of the list, turned
// into the endpoint a peer connects to.
std::string connect_endpoint(const std::string& line, const std::string& key) {
    const auto start = line.find(" " + key + "=");
    if (start == std::string::npos) return {};
    const auto value_start = start + key.size() + 2;
    const auto end = line.find_first_of(" ,", value_start);
    std::string endpoint = line.substr(value_start, end - value_start);
    if (!endpoint.empty() && (endpoint.front() == '@' || endpoint.front() == '>'))
        endpoint.erase(0, 1);
    return ">" + endpoint;
}

std::string wait_ready_line(child_process_t& child, stream_t stream, const std::string& marker,
                            milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    while (clock_type::now() < deadline) {
        check_interrupt();
        auto line = child.read_line(stream, milliseconds(50));
        if (line && line->find(marker) != std::string::npos) return *line;
        if (!line && !child.running()) fail_with(child, "exited before it was ready");
    }
    fail_with(child, "not ready after " + std::to_string(timeout.count()) + " ms");
}

std::string bind_endpoint(const measurement_spec_t& spec, const run_settings_t& settings,
                          const std::string& name) {
    if (spec.transport == transport_t::tcp) return "@tcp://127.0.0.1:*";
    return "@ipc://" + (settings.temp_dir / name).string();
}

std::vector<std::string> device_command(const measurement_spec_t& spec,
                                        const run_settings_t& settings, const std::string& frontend,
                                        const std::string& backend) {
    std::vector<std::string> argv = settings.device_wrapper;
    if (spec.path == path_t::zd) {
        argv.push_back((settings.devices_dir / zd_device_name(spec.pattern)).string());
        argv.insert(argv.end(), {"-f", frontend, "-b", backend});
        argv.insert(argv.end(), settings.zd_arguments.begin(), settings.zd_arguments.end());
    } else {
        argv.push_back(settings.self.string());
        argv.insert(argv.end(),
                    {"--role", "zmq-proxy", "--pattern", std::string(name_of(spec.pattern)),
                     "--frontend", frontend, "--backend", backend});
    }
    return argv;
}

std::unique_ptr<child_process_t> start_peer(const std::string& role, const measurement_spec_t& spec,
                                            const run_settings_t& settings,
                                            const std::string& endpoint, int shared_fd,
                                            std::string& announced) {
    std::vector<std::string> argv = {settings.self.string(),
                                     "--role",
                                     role,
                                     "--pattern",
                                     std::string(name_of(spec.pattern)),
                                     "--endpoint",
                                     endpoint,
                                     "--size",
                                     std::to_string(spec.size),
                                     "--in-flight",
                                     std::to_string(settings.in_flight),
                                     "--shared-fd",
                                     "3"};
    if (role == "sender" || role == "client")
        argv.insert(argv.end(), {"--count", std::to_string(settings.count)});
    auto child = std::make_unique<child_process_t>(
        role, argv, spawn_options_t{.capture_stdout = true, .shared_fd = shared_fd});
    const std::string line = wait_ready_line(*child, stream_t::out, "ready ", milliseconds(10'000));
    announced = line.substr(line.find("ready ") + 6);
    return child;
}

// Sleeps until predicate holds or the time is up, checking the children as it goes.
template <typename Predicate>
bool wait_until(processes_t& processes, clock_type::time_point deadline, Predicate predicate) {
    while (!predicate()) {
        if (clock_type::now() >= deadline) return false;
        check_alive(processes);
        std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
}

double percentile(std::vector<std::uint32_t>& sorted, double fraction) {
    if (sorted.empty()) return 0;
    const std::size_t index =
        std::min(sorted.size() - 1, std::size_t(fraction * double(sorted.size())));
    return double(sorted[index]) / 1000.0;
}

// Starts the device of the path (zd or zmq_proxy) on wildcard or temp-dir endpoints and
// reads its ready line for the endpoints the peers connect to.
device_endpoints_t start_device(const measurement_spec_t& spec, const run_settings_t& settings,
                                const std::string& prefix, processes_t& processes) {
    const std::string name =
        spec.path == path_t::zd ? std::string(zd_device_name(spec.pattern)) : "zmq_proxy";
    processes.device = std::make_unique<child_process_t>(
        name,
        device_command(spec, settings, bind_endpoint(spec, settings, prefix + "-front"),
                       bind_endpoint(spec, settings, prefix + "-back")),
        // stdout captured too: a device must never hold on to zd-bench's own stdout
        spawn_options_t{.capture_stdout = true, .capture_stderr = true});
    const std::string line = wait_ready_line(*processes.device, stream_t::err,
                                             "ready frontend=", start_timeout(settings));
    return {connect_endpoint(line, "frontend"), connect_endpoint(line, "backend")};
}

// After the parent raised stop: the peers exit within their 20 ms poll, then the device
// gets SIGTERM. Throws if any of them misbehaves, since its figures are then suspect.
void stop_all(const measurement_spec_t& spec, const run_settings_t& settings,
              processes_t& processes) {
    for (auto* peer : {processes.upstream.get(), processes.downstream.get()}) {
        peer->stop(0, milliseconds(3000));
        if (peer->describe_status() != "exited with status 0")
            fail_with(*peer, "did not stop cleanly");
    }
    if (!processes.device) return;
    // Under a wrapper (valgrind) the device needs time to write its profile.
    const milliseconds grace(settings.device_wrapper.empty() ? 5'000 : 120'000);
    if (!processes.device->stop(SIGTERM, grace))
        fail_with(*processes.device, "did not stop on SIGTERM");
    // A zd device promises exit 0 on SIGTERM; zmq_proxy simply dies of the signal.
    if (spec.path == path_t::zd && settings.device_wrapper.empty() &&
        processes.device->describe_status() != "exited with status 0")
        fail_with(*processes.device, "did not exit cleanly on SIGTERM");
}

} // namespace

void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

measurement_t measure(const measurement_spec_t& spec, const run_settings_t& settings) {
    static int serial = 0; // unique ipc names within the run
    const std::string prefix = std::string("m").append(std::to_string(++serial));
    const bool request_reply =
        spec.pattern == pattern_t::queue || spec.pattern == pattern_t::latency;
    const std::uint32_t capacity = spec.pattern == pattern_t::latency ? latency_sample_capacity : 0;
    shared_block_t block(capacity);
    shared_header_t& header = block.header();
    processes_t processes;

    device_endpoints_t device;
    if (spec.path != path_t::direct) device = start_device(spec, settings, prefix, processes);

    std::string downstream_at;
    processes.downstream =
        start_peer(request_reply ? "worker" : "receiver", spec, settings,
                   spec.path == path_t::direct ? bind_endpoint(spec, settings, prefix + "-direct")
                                               : device.backend,
                   block.fd(), downstream_at);
    std::string upstream_at;
    processes.upstream = start_peer(
        request_reply ? "client" : "sender", spec, settings,
        spec.path == path_t::direct ? std::string(">").append(downstream_at, 1) : device.frontend,
        block.fd(), upstream_at);

    auto completed = [&] { return header.completed.load(std::memory_order_acquire); };
    const milliseconds first_timeout = start_timeout(settings);
    if (!wait_until(processes, clock_type::now() + first_timeout, [&] { return completed() > 0; }))
        throw std::runtime_error(std::string(name_of(spec.path)) + ": no message arrived within " +
                                 std::to_string(first_timeout.count()) + " ms");
    wait_until(processes,
               clock_type::now() +
                   std::chrono::duration_cast<clock_type::duration>(settings.warmup),
               [&] { return completed() >= settings.count; });

    // The window: count, clock and device CPU read back to back at both ends.
    const std::uint64_t first = completed();
    const auto opened = clock_type::now();
    const double cpu_before = processes.device ? processes.device->cpu_seconds() : 0;
    const std::uint64_t most =
        capacity ? std::min<std::uint64_t>(settings.count, first + capacity) : settings.count;
    wait_until(processes,
               opened + std::chrono::duration_cast<clock_type::duration>(settings.duration),
               [&] { return completed() >= most; });
    const std::uint64_t last = completed();
    const auto closed = clock_type::now();
    const double cpu_after = processes.device ? processes.device->cpu_seconds() : 0;
    check_alive(processes);

    measurement_t result;
    result.messages = last - first;
    result.seconds = std::chrono::duration<double>(closed - opened).count();
    if (result.messages == 0)
        throw std::runtime_error(std::string(name_of(spec.path)) +
                                 ": no message arrived in the timed window (a stall, or --count "
                                 "was reached during the warm-up)");
    result.rate = double(result.messages) / result.seconds;
    if (processes.device)
        result.cpu_us_per_message = (cpu_after - cpu_before) * 1e6 / double(result.messages);
    if (capacity) {
        std::vector<std::uint32_t> samples;
        samples.reserve(last - first);
        for (std::uint64_t i = first; i < last; ++i)
            samples.push_back(block.samples()[i % capacity]);
        std::sort(samples.begin(), samples.end());
        result.p50_us = percentile(samples, 0.50);
        result.p99_us = percentile(samples, 0.99);
    }
    if (const auto bad = header.bad.load(); bad != 0)
        throw std::runtime_error(std::string(name_of(spec.path)) + ": " + std::to_string(bad) +
                                 " messages arrived with the wrong size");

    header.stop.store(1, std::memory_order_relaxed);
    stop_all(spec, settings, processes);
    return result;
}

} // namespace zd::bench
