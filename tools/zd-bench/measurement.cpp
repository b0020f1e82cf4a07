#include "measurement.hpp"

#include "child_process.hpp"
#include "shared_block.hpp"

#include "base/socket_options.hpp"
#include "security/certificate.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>
#include <zmq.hpp>

namespace zd::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile std::sig_atomic_t interrupt_flag = 0;

void on_interrupt(int) {
    interrupt_flag = 1;
}

constexpr std::uint32_t latency_sample_capacity = 1u << 20;

// A window closes after this long without a message (see measure()).
constexpr auto stall_limit = std::chrono::seconds(10);

// broker-memory: workers serving the requests phase (four get through a million requests
// about twice as fast as one).
constexpr int memory_workers = 4;

// broker-memory: unknown names sent per second. Paced, so that both rounds keep about as
// many services alive at once (rate times about 1.35 s): the RSS once a round is forgotten
// is the allocator's high-water mark, which follows the most services alive, and an unpaced
// round on a busier moment would raise it without any leak.
constexpr double names_per_second = 10'000;

// Everything one measurement started, stopped in reverse order on the way out.
struct processes_t {
    std::unique_ptr<child_process_t> device;
    std::unique_ptr<child_process_t> far_device;         // zd-fed: the broker the workers are on
    std::vector<std::unique_ptr<child_process_t>> chain; // zd2, zd3: the hops after the first
    std::vector<std::unique_ptr<child_process_t>> downstream; // receiver or workers
    std::unique_ptr<child_process_t> upstream;                // sender or client

    std::vector<child_process_t*> peers() const {
        std::vector<child_process_t*> all{upstream.get()};
        for (const auto& peer : downstream)
            all.push_back(peer.get());
        return all;
    }
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
    auto children = processes.peers();
    std::vector<child_process_t*> devices{processes.device.get(), processes.far_device.get()};
    for (const auto& hop : processes.chain)
        devices.push_back(hop.get());
    children.insert(children.end(), devices.begin(), devices.end());
    for (auto* child : children)
        if (child && !child->running()) fail_with(*child, "exited during the measurement");
    for (auto* device : devices)
        if (device) { // never let its pipes fill
            device->drain(stream_t::out);
            device->drain(stream_t::err);
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
    if ((spec.path == path_t::zd || spec.path == path_t::zd_federated) &&
        is_broker_pattern(spec.pattern)) {
        // One ROUTER for clients and workers, as zd-broker is deployed.
        argv.push_back((settings.devices_dir / zd_device_name(spec.pattern)).string());
        argv.insert(argv.end(), {"-e", frontend});
        argv.insert(argv.end(), settings.zd_arguments.begin(), settings.zd_arguments.end());
    } else if (chained_devices(spec.path) > 0) {
        argv.push_back((settings.devices_dir / zd_device_name(spec.pattern)).string());
        argv.insert(argv.end(), {"-f", frontend, "-b", backend});
        if (spec.path == path_t::zd_curve) // both sides serve CURVE to the allowed peers
            argv.insert(argv.end(), {"--curve-cert", settings.curve.device_certificate.string(),
                                     "--curve-allow", settings.curve.allow_dir.string()});
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
    std::vector<std::string> argv = {
        settings.self.string(),
        "--role",
        role,
        "--pattern",
        std::string(name_of(spec.pattern)),
        "--path", // the peers of zd-fed speak MDP to their broker, as on zd
        std::string(name_of(chained_devices(spec.path) > 0 ? path_t::zd : spec.path)),
        "--endpoint",
        endpoint,
        "--size",
        std::to_string(spec.size),
        "--in-flight",
        std::to_string(spec.pattern == pattern_t::broker_latency ? 1 : settings.in_flight),
        "--shared-fd",
        "3"};
    if (role == "sender" || role == "client" || role == "broker-client")
        argv.insert(argv.end(), {"--count", std::to_string(settings.count)});
    if (spec.path == path_t::zd_curve)
        argv.insert(argv.end(), {"--curve-cert", settings.curve.peer_certificate.string(),
                                 "--curve-server-key", settings.curve.server_public.string()});
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

// A zd-broker on a wildcard or temp-dir endpoint, with extra arguments; its endpoint as
// peers connect to it.
std::string start_broker(std::unique_ptr<child_process_t>& slot, const std::string& name,
                         const measurement_spec_t& spec, const run_settings_t& settings,
                         const std::string& bind, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = device_command(spec, settings, bind, bind);
    argv.insert(argv.end(), extra.begin(), extra.end());
    slot = std::make_unique<child_process_t>(
        name, argv, spawn_options_t{.capture_stdout = true, .capture_stderr = true});
    const std::string line =
        wait_ready_line(*slot, stream_t::err, "ready endpoint=", start_timeout(settings));
    return connect_endpoint(line, "endpoint");
}

// Starts the device of the path (zd or zmq_proxy) on wildcard or temp-dir endpoints and
// reads its ready line for the endpoints the peers connect to.
device_endpoints_t start_device(const measurement_spec_t& spec, const run_settings_t& settings,
                                const std::string& prefix, processes_t& processes) {
    if (spec.path == path_t::zd_federated) {
        // The workers' broker first, then the clients' broker joined to it: the client's
        // requests all cross the link, as a service on another hub is reached.
        const std::string far =
            start_broker(processes.far_device, "zd-broker (far)", spec, settings,
                         bind_endpoint(spec, settings, prefix + "-far"), {"--name", "far"});
        const std::string near = start_broker(processes.device, "zd-broker (near)", spec, settings,
                                              bind_endpoint(spec, settings, prefix + "-near"),
                                              {"--name", "near", "--peer", far});
        return {near, far};
    }
    const std::string name =
        chained_devices(spec.path) > 0 ? std::string(zd_device_name(spec.pattern)) : "zmq_proxy";
    processes.device = std::make_unique<child_process_t>(
        name,
        device_command(spec, settings, bind_endpoint(spec, settings, prefix + "-front"),
                       bind_endpoint(spec, settings, prefix + "-back")),
        // stdout captured too: a device must never hold on to zd-bench's own stdout
        spawn_options_t{.capture_stdout = true, .capture_stderr = true});
    if (chained_devices(spec.path) > 1) {
        // zd2, zd3: each next hop's frontend connects to the previous one's backend; the
        // peers connect to the first one's frontend and the last one's backend.
        const std::string first = wait_ready_line(*processes.device, stream_t::err,
                                                  "ready frontend=", start_timeout(settings));
        std::string upstream = connect_endpoint(first, "backend");
        for (int hop = 2; hop <= chained_devices(spec.path); ++hop) {
            const std::string suffix = "-hop" + std::to_string(hop);
            processes.chain.push_back(std::make_unique<child_process_t>(
                name + " (hop " + std::to_string(hop) + ")",
                device_command(spec, settings, upstream,
                               bind_endpoint(spec, settings, prefix + suffix + "-back")),
                spawn_options_t{.capture_stdout = true, .capture_stderr = true}));
            const std::string line = wait_ready_line(*processes.chain.back(), stream_t::err,
                                                     "ready frontend=", start_timeout(settings));
            upstream = connect_endpoint(line, "backend");
        }
        return {connect_endpoint(first, "frontend"), upstream};
    }
    if (spec.path == path_t::zd && is_broker_pattern(spec.pattern)) {
        // zd-broker: ready endpoint=@tcp://127.0.0.1:41185 — clients and workers share it.
        const std::string line = wait_ready_line(*processes.device, stream_t::err,
                                                 "ready endpoint=", start_timeout(settings));
        const std::string endpoint = connect_endpoint(line, "endpoint");
        return {endpoint, endpoint};
    }
    const std::string line = wait_ready_line(*processes.device, stream_t::err,
                                             "ready frontend=", start_timeout(settings));
    return {connect_endpoint(line, "frontend"), connect_endpoint(line, "backend")};
}

// After the parent raised stop: the peers exit within their 20 ms poll. Throws if one
// misbehaves, since its figures are then suspect.
void stop_peers(processes_t& processes) {
    for (auto* peer : processes.peers()) {
        if (!peer) continue;
        peer->stop(0, milliseconds(3000));
        if (peer->describe_status() != "exited with status 0")
            fail_with(*peer, "did not stop cleanly");
    }
}

// After the parent raised stop: the peers exit, then the device gets SIGTERM. Throws if
// any of them misbehaves.
void stop_all(const measurement_spec_t& spec, const run_settings_t& settings,
              processes_t& processes) {
    stop_peers(processes);
    if (processes.far_device && (!processes.far_device->stop(SIGTERM, milliseconds(5'000)) ||
                                 processes.far_device->describe_status() != "exited with status 0"))
        fail_with(*processes.far_device, "did not exit cleanly on SIGTERM");
    if (!processes.device) return;
    // Under a wrapper (valgrind) the device needs time to write its profile.
    const milliseconds grace(settings.device_wrapper.empty() ? 5'000 : 120'000);
    std::vector<child_process_t*> devices{processes.device.get()};
    for (const auto& hop : processes.chain)
        devices.push_back(hop.get());
    for (auto* device : devices) {
        if (!device->stop(SIGTERM, grace)) fail_with(*device, "did not stop on SIGTERM");
        // A zd device promises exit 0 on SIGTERM; zmq_proxy simply dies of the signal.
        if (chained_devices(spec.path) > 0 && settings.device_wrapper.empty() &&
            device->describe_status() != "exited with status 0")
            fail_with(*device, "did not exit cleanly on SIGTERM");
    }
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
    if (spec.pattern == pattern_t::broker_memory)
        throw std::invalid_argument("broker-memory is not a throughput measurement");
    static int serial = 0; // unique ipc names within the run
    const std::string prefix = std::string("m").append(std::to_string(++serial));
    const bool broker = is_broker_pattern(spec.pattern);
    const bool request_reply =
        spec.pattern == pattern_t::queue || spec.pattern == pattern_t::latency;
    const bool timed = is_latency_pattern(spec.pattern);
    const std::uint32_t capacity = timed ? latency_sample_capacity : 0;
    shared_block_t block(capacity);
    shared_header_t& header = block.header();
    processes_t processes;

    device_endpoints_t device;
    if (spec.path != path_t::direct) device = start_device(spec, settings, prefix, processes);

    const std::string downstream_role = broker          ? "broker-worker"
                                        : request_reply ? "worker"
                                                        : "receiver";
    const std::string upstream_role = broker          ? "broker-client"
                                      : request_reply ? "client"
                                                      : "sender";
    // direct: each downstream peer binds and the upstream one connects to all of them.
    std::string upstream_endpoint = device.frontend;
    if (spec.path == path_t::direct) upstream_endpoint.clear();
    const int downstream_count = broker ? std::max(1, spec.workers) : 1;
    for (int i = 0; i < downstream_count; ++i) {
        std::string announced;
        processes.downstream.push_back(
            start_peer(downstream_role, spec, settings,
                       spec.path == path_t::direct
                           ? bind_endpoint(spec, settings, prefix + "-direct" + std::to_string(i))
                           : device.backend,
                       block.fd(), announced));
        if (spec.path == path_t::direct)
            upstream_endpoint += (upstream_endpoint.empty() ? ">" : ",>") + announced.substr(1);
    }
    std::string upstream_at;
    processes.upstream =
        start_peer(upstream_role, spec, settings, upstream_endpoint, block.fd(), upstream_at);

    auto completed = [&] { return header.completed.load(std::memory_order_acquire); };
    const milliseconds first_timeout = start_timeout(settings);
    if (!wait_until(processes, clock_type::now() + first_timeout, [&] { return completed() > 0; }))
        throw std::runtime_error(std::string(name_of(spec.path)) + ": no message arrived within " +
                                 std::to_string(first_timeout.count()) + " ms");
    // Every broker worker must be in service before the window opens (a worker whose READY
    // the broker has not seen yet would make the first window a 1-worker one).
    if (broker && !wait_until(processes, clock_type::now() + first_timeout, [&] {
            return header.serving.load(std::memory_order_relaxed) >= unsigned(downstream_count);
        }))
        throw std::runtime_error(std::string(name_of(spec.path)) + ": only " +
                                 std::to_string(header.serving.load()) + " of " +
                                 std::to_string(downstream_count) + " workers got a request");
    wait_until(processes,
               clock_type::now() +
                   std::chrono::duration_cast<clock_type::duration>(settings.warmup),
               [&] { return completed() >= settings.count; });

    // The window: count, clock and device CPU read back to back at both ends.
    const std::uint64_t first = completed();
    const auto opened = clock_type::now();
    // zd-fed: both brokers' CPU, the fabric's cost per request.
    // zd2, zd3: every hop's CPU.
    auto device_cpu = [&processes] {
        double seconds = (processes.device ? processes.device->cpu_seconds() : 0) +
                         (processes.far_device ? processes.far_device->cpu_seconds() : 0);
        for (const auto& hop : processes.chain)
            seconds += hop->cpu_seconds();
        return seconds;
    };
    const double cpu_before = device_cpu();
    const std::uint64_t slices_before = processes.device ? processes.device->timeslices() : 0;
    const std::uint64_t most =
        capacity ? std::min<std::uint64_t>(settings.count, first + capacity) : settings.count;
    // The window also closes when nothing has arrived for stall_limit: a long --count window
    // (instructions under callgrind) whose last messages were lost on the way, say a
    // forwarder's XPUB dropping at its high-water mark, would otherwise wait out --duration.
    std::uint64_t seen = first;
    auto progressed = opened;
    wait_until(processes,
               opened + std::chrono::duration_cast<clock_type::duration>(settings.duration), [&] {
                   const std::uint64_t count = completed();
                   const auto now = clock_type::now();
                   if (count != seen) {
                       seen = count;
                       progressed = now;
                   }
                   return count >= most || now - progressed > stall_limit;
               });
    const std::uint64_t last = completed();
    const auto closed = clock_type::now();
    const double cpu_after = device_cpu();
    const std::uint64_t slices_after = processes.device ? processes.device->timeslices() : 0;
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
    if (processes.device)
        result.wakeups_per_message = double(slices_after - slices_before) / double(result.messages);
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

broker_memory_t measure_broker_memory(transport_t transport, std::size_t size,
                                      const run_settings_t& settings) {
    const measurement_spec_t spec{pattern_t::broker_memory, transport, size, path_t::zd, 1};
    run_settings_t tuned = settings;
    const std::vector<std::string> options = {
        "--request-timeout", std::to_string(settings.memory_request_timeout.count()),
        "--service-ttl",     "100",
        "--max-services",    "1000000"};
    tuned.zd_arguments.insert(tuned.zd_arguments.begin(), options.begin(), options.end());
    tuned.count = std::max<std::uint64_t>(1, settings.memory_requests);
    broker_memory_t result;
    for (const auto& option : tuned.zd_arguments)
        result.broker_options += (result.broker_options.empty() ? "" : " ") + option;

    shared_block_t block(0);
    shared_header_t& header = block.header();
    processes_t processes;
    const device_endpoints_t device = start_device(spec, tuned, "memory", processes);
    const pid_t broker_pid = processes.device->pid();
    std::string announced;
    for (int i = 0; i < memory_workers; ++i)
        processes.downstream.push_back(
            start_peer("broker-worker", spec, tuned, device.backend, block.fd(), announced));
    processes.upstream =
        start_peer("broker-client", spec, tuned, device.frontend, block.fd(), announced);

    // Phase 1: requests through one worker. Warm-up first (the allocator and libzmq's
    // buffers reach their working size), then RSS is watched until the last reply.
    auto completed = [&] { return header.completed.load(std::memory_order_acquire); };
    const std::uint64_t requests = tuned.count;
    const std::uint64_t warm = std::min<std::uint64_t>(50'000, requests / 10);
    const auto patient = clock_type::now() + std::chrono::seconds(120) +
                         std::chrono::milliseconds(requests / 2); // 2 k requests/s at worst
    if (!wait_until(processes, patient,
                    [&] { return completed() >= std::max<std::uint64_t>(warm, 1); }))
        throw std::runtime_error("zd: the warm-up requests were not answered in time");
    memory_phase_t& phase = result.requests;
    phase.amount = requests;
    phase.start_kib = read_resident_memory(broker_pid).rss_kib;
    const bool peak_reset = reset_peak_memory(broker_pid);
    phase.peak_kib = phase.start_kib;
    const std::uint64_t half_way = warm + (requests - warm) / 2;
    const auto started = clock_type::now();
    std::uint64_t last_count = completed();
    auto last_progress = started;
    auto sample = [&](memory_phase_t& into) {
        const std::uint64_t rss = read_resident_memory(broker_pid).rss_kib;
        into.peak_kib = std::max(into.peak_kib, rss);
        return rss;
    };
    const bool finished = wait_until(processes, patient, [&] {
        const std::uint64_t count = completed();
        const std::uint64_t rss = sample(phase);
        if (!phase.half_kib && count >= half_way) phase.half_kib = rss;
        if (count != last_count) {
            last_count = count;
            last_progress = clock_type::now();
        } else if (clock_type::now() - last_progress > std::chrono::seconds(5)) {
            throw std::runtime_error(
                "zd: no reply for 5 s after " + std::to_string(count) +
                " requests (requests expired at the broker's short --request-timeout?)");
        }
        return count >= requests;
    });
    if (!finished) throw std::runtime_error("zd: the requests were not all answered in time");
    phase.seconds = std::chrono::duration<double>(clock_type::now() - started).count();
    phase.end_kib = sample(phase);
    phase.settled_kib = phase.end_kib;
    phase.second_half_growth_kib = std::int64_t(phase.end_kib) - std::int64_t(phase.half_kib);
    if (peak_reset)
        phase.peak_kib = std::max(phase.peak_kib, read_resident_memory(broker_pid).peak_kib);
    header.stop.store(1, std::memory_order_relaxed);
    stop_peers(processes);
    processes.upstream.reset();
    processes.downstream.clear();

    // Phase 2: distinct unknown names, from a client inside zd-bench, in two rounds.
    memory_phase_t& names = result.names;
    names.amount = settings.memory_names;
    names_client_t client(device.frontend);
    // The phase-1 peers' goodbyes are handled before the first name: one round trip.
    if (!client.stats(std::chrono::seconds(10)))
        fail_with(*processes.device, "did not answer mmi.stats");
    names.start_kib = sample(names);
    names.peak_kib = names.start_kib;
    const bool names_peak_reset = reset_peak_memory(broker_pid);
    const auto names_started = clock_type::now();
    auto round = [&](std::uint64_t first, std::uint64_t count) {
        result.not_found +=
            client.flood(first, count, size, names_per_second, [&](std::uint64_t i) {
                if (i % 256 == 0) {
                    check_interrupt();
                    if (!processes.device->running())
                        fail_with(*processes.device, "exited during the measurement");
                    sample(names);
                }
            });
    };
    // Until the broker knows no service again: every unknown request expired (the request
    // timeout), every service forgotten (0.1 s idle), on timer ticks a quarter of the
    // timeout apart. mmi.stats is asked only after that, since its answer lists every
    // service known (megabytes while tens of thousands are).
    const auto retention = settings.memory_request_timeout * 3 / 2 + milliseconds(100);
    auto settle = [&] {
        const auto deadline = clock_type::now() + std::chrono::seconds(15);
        for (auto wait = retention; clock_type::now() < deadline; wait = milliseconds(250)) {
            for (auto until = clock_type::now() + wait; clock_type::now() < until;) {
                check_interrupt();
                std::this_thread::sleep_for(milliseconds(20));
                sample(names);
            }
            const auto stats = client.stats(std::chrono::seconds(5));
            if (!stats) fail_with(*processes.device, "did not answer mmi.stats");
            result.services_left = std::int64_t(json_number(*stats, "services_known").value_or(0));
            result.expired = json_number(*stats, "expired").value_or(0);
            result.rejected = json_number(*stats, "rejected").value_or(0);
            if (result.services_left == 0) break;
        }
        return sample(names);
    };
    const std::uint64_t first_round = names.amount / 2;
    round(0, first_round);
    names.half_kib = settle();
    round(first_round, names.amount - first_round);
    names.end_kib = sample(names);
    names.seconds = std::chrono::duration<double>(clock_type::now() - names_started).count();
    names.settled_kib = settle();
    names.second_half_growth_kib = std::int64_t(names.settled_kib) - std::int64_t(names.half_kib);
    if (names_peak_reset)
        names.peak_kib = std::max(names.peak_kib, read_resident_memory(broker_pid).peak_kib);

    if (!processes.device->stop(SIGTERM, milliseconds(5'000)))
        fail_with(*processes.device, "did not stop on SIGTERM");
    if (processes.device->describe_status() != "exited with status 0")
        fail_with(*processes.device, "did not exit cleanly on SIGTERM");
    return result;
}

handshake_t measure_handshake(transport_t transport, bool curve, const run_settings_t& settings) {
    const measurement_spec_t spec{pattern_t::queue, transport, 16,
                                  curve ? path_t::zd_curve : path_t::zd, 1};
    shared_block_t block(0);
    shared_header_t& header = block.header();
    processes_t processes;
    const device_endpoints_t device =
        start_device(spec, settings, curve ? "handshake-curve" : "handshake", processes);
    std::string announced;
    processes.downstream.push_back(
        start_peer("worker", spec, settings, device.backend, block.fd(), announced));

    socket_options_t client_options;
    if (curve) {
        const auto own = security::read_secret_certificate(settings.curve.peer_certificate);
        const auto server = security::read_certificate_file(settings.curve.server_public);
        client_options.curve = curve_keys_t{own.public_key, own.secret_key, server.public_key};
    }
    const endpoint_list_t endpoints = parse_endpoints(device.frontend, attach_mode::connect);
    zmq::context_t context(1); // made once: a client's context is not part of its handshake
    const std::string payload(spec.size, 'h');
    // One client from nothing to its first reply: connect (TCP or ipc, then the ZMTP greeting,
    // CURVE's HELLO/WELCOME/INITIATE/READY and the device's ZAP answer), a request through the
    // device to the worker and back.
    auto one_round_trip = [&] {
        const auto started = clock_type::now();
        zmq::socket_t client(context, zmq::socket_type::dealer);
        client.set(zmq::sockopt::linger, 0);
        attach(client, endpoints, client_options);
        client.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
        client.send(zmq::buffer(payload), zmq::send_flags::none);
        zmq::pollitem_t item{client.handle(), 0, ZMQ_POLLIN, 0};
        const auto deadline = started + std::chrono::seconds(5);
        std::vector<zmq::message_t> reply;
        while (reply.empty() || reply.back().more()) {
            check_alive(processes);
            if (clock_type::now() > deadline)
                throw std::runtime_error(std::string(name_of(spec.path)) +
                                         ": no reply within 5 s of connecting");
            if (zmq::poll(&item, 1, milliseconds(20)) == 0) continue;
            reply.emplace_back();
            (void)client.recv(reply.back(), zmq::recv_flags::none);
        }
        return std::chrono::duration<double, std::milli>(clock_type::now() - started).count();
    };
    one_round_trip(); // untimed: the worker's own connection to the device settles first
    std::vector<double> times;
    for (int i = 0; i < std::max(1, settings.handshakes); ++i)
        times.push_back(one_round_trip());
    std::sort(times.begin(), times.end());
    handshake_t result;
    result.transport = transport;
    result.curve = curve;
    result.count = int(times.size());
    result.median_ms = times[times.size() / 2];
    result.max_ms = times.back();

    header.stop.store(1, std::memory_order_relaxed);
    stop_all(spec, settings, processes);
    return result;
}

} // namespace zd::bench
