// zd-bench — throughput and latency through the zd devices, beside baselines measured in
// the same run: the same work done peer to peer (direct) and through libzmq's zmq_proxy.
//
// Every figure is a ratio to its baselines because these machines swing ±30% between runs.
// Every process is separate: zd-bench re-executes itself for the sender, receiver, client,
// worker and zmq_proxy roles (roles.hpp) and starts the real zd-queue, zd-forwarder and
// zd-streamer executables. measurement.hpp times one cell; report.hpp prints the table.
#include "bench_plan.hpp"
#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"
#include "curve_files.hpp"
#include "measurement.hpp"
#include "report.hpp"
#include "roles.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>
#include <zmq.h>

namespace fs = std::filesystem;
using namespace zd::bench;

namespace {

struct command_line_t {
    std::vector<std::string> patterns{"streamer", "forwarder", "queue", "latency"};
    std::vector<std::string> sizes{"16", "256", "4K", "64K"};
    std::vector<std::string> transports{"tcp", "ipc"};
    std::vector<std::string> paths{"direct", "zmq_proxy", "zd"};
    int repeat = 1;
    double duration_s = 1.0;
    double warmup_s = 0.2;
    std::uint64_t count = 10'000'000;
    int in_flight = 100;
    std::vector<int> broker_workers{1, 4};
    std::uint64_t memory_requests = 1'000'000;
    std::uint64_t memory_names = 100'000;
    int memory_request_timeout_ms = 1000;
    bool quick = false;
    bool curve = false;
    int handshakes = 20;
    std::string devices_dir;
    std::string device_wrapper;
    std::string zd_arguments;
    std::string markdown;
    bool quiet = false;
};

// A temporary directory for ipc sockets, removed with everything in it at the end.
class temp_dir_t {
public:
    temp_dir_t() {
        std::string pattern = (fs::temp_directory_path() / "zd-bench.XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temp directory");
        path_ = pattern;
    }
    ~temp_dir_t() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

bool executable(const fs::path& path) {
    return access(path.c_str(), X_OK) == 0;
}

// Where the zd devices are: --devices-dir, else beside zd-bench (installed), else the build
// tree's devices/ folder (zd-bench is build/tools/zd-bench/zd-bench), else PATH.
fs::path find_devices_dir(const std::string& given, const fs::path& self,
                          const std::vector<pattern_t>& patterns) {
    auto has_all = [&](const fs::path& dir) {
        for (pattern_t pattern : patterns)
            if (!executable(dir / zd_device_name(pattern))) return false;
        return true;
    };
    if (!given.empty()) {
        if (!has_all(given))
            throw CLI::ValidationError("--devices-dir", "'" + given +
                                                            "' does not hold the zd device "
                                                            "executables this run needs");
        return given;
    }
    const fs::path here = self.parent_path();
    std::vector<fs::path> candidates = {here, here / ".." / ".." / "devices",
                                        here / ".." / "devices"};
    if (const char* path = std::getenv("PATH")) {
        std::istringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');)
            if (!dir.empty()) candidates.emplace_back(dir);
    }
    for (const auto& dir : candidates)
        if (has_all(dir)) return fs::weakly_canonical(dir);
    throw std::runtime_error("cannot find the zd devices (zd-queue, zd-forwarder, zd-streamer, "
                             "zd-broker) beside zd-bench, in its build tree or on PATH; give "
                             "--devices-dir");
}

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string word; in >> word;)
        words.push_back(word);
    return words;
}

std::string progress_line(const measurement_spec_t& spec, int run, int runs,
                          const measurement_t& result) {
    char text[256];
    if (is_latency_pattern(spec.pattern))
        std::snprintf(text, sizeof text, "p50 %.1f µs, p99 %.1f µs", result.p50_us, result.p99_us);
    else
        std::snprintf(text, sizeof text, "%.0f %s", result.rate,
                      spec.pattern == pattern_t::queue    ? "rt/s"
                      : spec.pattern == pattern_t::broker ? "req/s"
                                                          : "msg/s");
    std::string line = std::string(name_of(spec.pattern)) +
                       (spec.pattern == pattern_t::broker ? " " + std::to_string(spec.workers) + "w"
                                                          : std::string()) +
                       " " + std::string(name_of(spec.transport)) + " " + size_label(spec.size) +
                       " " + std::string(name_of(spec.path)) + " [" + std::to_string(run) + "/" +
                       std::to_string(runs) + "]: " + text;
    if (result.cpu_us_per_message) {
        std::snprintf(text, sizeof text, ", device CPU %.2f µs/msg", *result.cpu_us_per_message);
        line += text;
    }
    if (result.wakeups_per_message) {
        std::snprintf(text, sizeof text, ", %.2f wake-ups/msg", *result.wakeups_per_message);
        line += text;
    }
    std::snprintf(text, sizeof text, " (%llu in %.3f s)",
                  static_cast<unsigned long long>(result.messages), result.seconds);
    return line + text;
}

// Warns when other work competes for the cores: every process of a measurement needs one.
void warn_if_busy(bool quiet) {
    std::ifstream file("/proc/loadavg");
    double load = 0;
    if (quiet || !(file >> load)) return;
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (load > 0.5 * double(cores))
        std::cerr << "zd-bench: warning: load average " << load << " on " << cores
                  << " cores; other work shares the CPUs and the figures will be noisy\n";
}

std::string settings_line(const run_settings_t& settings, int repeat) {
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    char text[256];
    std::snprintf(text, sizeof text,
                  "Median of %d run%s; each times a %.1f s window (or %llu messages) after "
                  "%.2f s of warm-up; every process separate; libzmq %d.%d.%d.",
                  repeat, repeat == 1 ? "" : "s", settings.duration.count(),
                  static_cast<unsigned long long>(settings.count), settings.warmup.count(), major,
                  minor, patch);
    return text;
}

int run_benchmark(CLI::App& app, const command_line_t& options) {
    std::vector<pattern_t> patterns;
    std::vector<std::size_t> sizes;
    std::vector<transport_t> transports;
    std::vector<path_t> paths;
    try {
        for (const auto& text : options.patterns)
            patterns.push_back(parse_pattern(text));
        for (const auto& text : options.sizes)
            sizes.push_back(parse_size(text));
        for (const auto& text : options.transports)
            transports.push_back(parse_transport(text));
        for (const auto& text : options.paths)
            paths.push_back(parse_path(text));
    } catch (const std::invalid_argument& error) {
        std::cerr << "zd-bench: " << error.what() << "\nRun with --help for more information.\n";
        return 2;
    }
    for (pattern_t pattern : patterns)
        for (std::size_t size : sizes)
            if (is_one_way_latency(pattern) && size < sizeof(std::uint64_t)) {
                std::cerr << "zd-bench: " << name_of(pattern) << " needs sizes of at least 8 "
                          << "bytes (the send time travels in the message), not " << size
                          << "\nRun with --help for more information.\n";
                return 2;
            }
    // --curve: every device path measured plain (zd) and with CURVE (zd-curve), side by side.
    if (options.curve) {
        if (std::find(paths.begin(), paths.end(), path_t::zd) == paths.end())
            paths.push_back(path_t::zd);
        if (std::find(paths.begin(), paths.end(), path_t::zd_curve) == paths.end())
            paths.push_back(path_t::zd_curve);
    }
    const bool explicit_sizes = app.get_option("--sizes")->count() > 0;
    const bool explicit_transports = app.get_option("--transports")->count() > 0;

    run_settings_t settings;
    settings.duration = std::chrono::duration<double>(options.duration_s);
    settings.warmup = std::chrono::duration<double>(options.warmup_s);
    settings.count = options.count;
    settings.in_flight = options.in_flight;
    settings.memory_requests = options.memory_requests;
    settings.memory_names = options.memory_names;
    settings.memory_request_timeout = std::chrono::milliseconds(options.memory_request_timeout_ms);
    int repeat = options.repeat;
    if (options.quick) {
        // A smoke run: every pattern and path once, briefly, at the smallest size over tcp.
        if (app.get_option("--duration")->count() == 0)
            settings.duration = std::chrono::duration<double>(0.2);
        if (app.get_option("--warmup")->count() == 0)
            settings.warmup = std::chrono::duration<double>(0.05);
        if (app.get_option("--repeat")->count() == 0) repeat = 1;
        if (!explicit_sizes) sizes = {16};
        if (!explicit_transports) transports = {transport_t::tcp};
        if (app.get_option("--memory-requests")->count() == 0) settings.memory_requests = 20'000;
        if (app.get_option("--memory-names")->count() == 0) settings.memory_names = 2'000;
    }
    settings.device_wrapper = split_words(options.device_wrapper);
    settings.zd_arguments = split_words(options.zd_arguments);
    settings.self = fs::read_symlink("/proc/self/exe");
    bool needs_zd = false;
    for (path_t path : paths)
        needs_zd |= chained_devices(path) > 0;
    try {
        if (needs_zd)
            settings.devices_dir = find_devices_dir(options.devices_dir, settings.self, patterns);
    } catch (const CLI::ValidationError& error) {
        std::cerr << "zd-bench: " << error.what() << "\n";
        return 2;
    }
    temp_dir_t temp_dir;
    settings.temp_dir = temp_dir.path();
    const bool curve_wanted =
        options.curve || std::find(paths.begin(), paths.end(), path_t::zd_curve) != paths.end();
    if (curve_wanted) settings.curve = make_curve_files(temp_dir.path());
    settings.handshakes = options.handshakes;
    if (options.quick && app.get_option("--handshakes")->count() == 0) settings.handshakes = 5;
    install_interrupt_handler();
    warn_if_busy(options.quiet);

    report_t report;
    int failures = 0;
    bool memory_wanted = false;
    for (pattern_t pattern : patterns) {
        if (pattern == pattern_t::broker_memory) { // once, after the rest: see below
            memory_wanted = true;
            continue;
        }
        // The pipelined broker runs once per worker count; everything else with one.
        const std::vector<int> worker_counts =
            pattern == pattern_t::broker ? options.broker_workers : std::vector<int>{1};
        for (transport_t transport : transports)
            for (std::size_t size : sizes)
                for (int workers : worker_counts)
                    // Paths take turns within each repeat, so a slow spell of the machine
                    // touches every path of the row alike.
                    for (int run = 1; run <= repeat; ++run)
                        for (path_t path : paths) {
                            if (path == path_t::zd_federated && !is_broker_pattern(pattern))
                                continue; // a broker fabric: broker patterns only
                            if ((chained_devices(path) > 1 || path == path_t::zd_curve) &&
                                is_broker_pattern(pattern))
                                continue; // chains and CURVE of the proxy devices only
                            const measurement_spec_t spec{pattern, transport, size, path, workers};
                            try {
                                const measurement_t result = measure(spec, settings);
                                report.add(spec, result);
                                if (!options.quiet)
                                    std::cerr
                                        << "zd-bench: " << progress_line(spec, run, repeat, result)
                                        << std::endl;
                            } catch (const interrupted_error&) {
                                std::cerr << "zd-bench: interrupted\n";
                                return 1;
                            } catch (const std::exception& error) {
                                ++failures;
                                report.add_failure(spec);
                                std::cerr << "zd-bench: " << name_of(pattern) << " "
                                          << name_of(transport) << " " << size_label(size) << " "
                                          << name_of(path) << " failed: " << error.what()
                                          << std::endl;
                            }
                        }
    }
    // Memory is a property of the zd-broker alone: one run, at the first size and transport.
    if (memory_wanted && needs_zd) {
        try {
            if (!options.quiet)
                std::cerr << "zd-bench: broker-memory: " << settings.memory_requests
                          << " requests, then " << settings.memory_names
                          << " unknown service names..." << std::endl;
            const broker_memory_t memory =
                measure_broker_memory(transports.front(), sizes.front(), settings);
            report.set_broker_memory(memory);
            if (!options.quiet)
                std::cerr << "zd-bench: broker-memory: RSS " << memory.requests.start_kib << " -> "
                          << memory.requests.end_kib << " KiB over the requests (peak "
                          << memory.requests.peak_kib << "), " << memory.names.start_kib << " -> "
                          << memory.names.end_kib << " KiB over the names (peak "
                          << memory.names.peak_kib << ", settled " << memory.names.settled_kib
                          << ")" << std::endl;
        } catch (const interrupted_error&) {
            std::cerr << "zd-bench: interrupted\n";
            return 1;
        } catch (const std::exception& error) {
            ++failures;
            std::cerr << "zd-bench: broker-memory failed: " << error.what() << std::endl;
        }
    }

    // --curve: a new client's handshake, plain and with CURVE, over each transport.
    if (options.curve)
        for (transport_t transport : transports)
            for (bool curve : {false, true}) {
                try {
                    const handshake_t handshake = measure_handshake(transport, curve, settings);
                    report.add_handshake(handshake);
                    if (!options.quiet)
                        std::fprintf(stderr,
                                     "zd-bench: handshake %s %s: median %.2f ms, slowest %.2f "
                                     "ms over %d clients\n",
                                     std::string(name_of(transport)).c_str(),
                                     curve ? "CURVE" : "plain", handshake.median_ms,
                                     handshake.max_ms, handshake.count);
                } catch (const interrupted_error&) {
                    std::cerr << "zd-bench: interrupted\n";
                    return 1;
                } catch (const std::exception& error) {
                    ++failures;
                    std::cerr << "zd-bench: handshake " << name_of(transport) << " "
                              << (curve ? "CURVE" : "plain") << " failed: " << error.what()
                              << std::endl;
                }
            }

    std::string text = settings_line(settings, repeat) + "\n\n";
    if (report.has_rows()) text += report.table();
    if (const std::string wakeups = report.wakeups_table(); !wakeups.empty())
        text += "\nDevice wake-ups per request (its threads scheduled onto a CPU, from "
                "/proc/PID/task/*/schedstat; each costs tens of µs of CPU on these VMs):\n\n" +
                wakeups;
    if (const std::string federation = report.federation_table(); !federation.empty())
        text += "\nFederated brokers (docs/FEDERATION.md): the client on one zd-broker, the "
                "workers on another joined to it by --peer, beside one zd-broker:\n\n" +
                federation;
    if (const std::string chains = report.chain_table(); !chains.empty())
        text += "\nChained hubs (docs/TOPOLOGIES.md): one zd device beside two and three chained, "
                "each hop's frontend connected to the previous one's backend; per extra hop: the "
                "rate ratio per added hop (geometric mean), or the p50 added per hop:\n\n" +
                chains;
    if (const std::string curve = report.curve_table(); !curve.empty())
        text += "\nCURVE (docs/SECURITY.md): each zd device plain beside the same device with "
                "--curve-cert/--curve-allow and its peers as CURVE clients (the plain device may "
                "run the native engine, the CURVE one runs libzmq's):\n\n" +
                curve;
    if (const std::string handshakes = report.handshake_table(); !handshakes.empty())
        text += "\nHandshake: a new DEALER client from connect to its first reply through "
                "zd-queue to a REP worker, one client after another:\n\n" +
                handshakes;
    if (const std::string memory = report.memory_table(); !memory.empty())
        text += std::string(report.has_rows() ? "\n" : "") +
                "Broker memory (zd-broker's VmRSS from /proc/PID/status):\n\n" + memory;
    text += "\nGoals:\n\n" + report.goals();
    std::cout << text << std::flush;
    if (!options.markdown.empty()) {
        std::ofstream file(options.markdown);
        file << text;
        if (!file) {
            std::cerr << "zd-bench: cannot write " << options.markdown << "\n";
            return 1;
        }
    }
    if (failures) {
        std::cerr << "zd-bench: " << failures << " measurement" << (failures == 1 ? "" : "s")
                  << " failed\n";
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--role") return run_role_main(argc, argv);

    CLI::App app{"zd-bench: throughput and latency through the zd devices, each beside the same "
                 "work done directly and through libzmq's zmq_proxy in the same run.",
                 "zd-bench"};
    app.footer(
        "Patterns:\n"
        "  streamer   PUSH -> [PULL|PUSH] -> PULL, messages/s\n"
        "  forwarder  PUB (waits at its HWM: XPUB_NODROP) -> [XSUB|XPUB] -> SUB, messages/s "
        "delivered\n"
        "  queue      DEALER, --in-flight requests outstanding -> [ROUTER|DEALER] -> REP, round "
        "trips/s\n"
        "  latency    REQ, one request outstanding -> [ROUTER|DEALER] -> REP, p50/p99 µs\n"
        "  broker     DEALER, --in-flight requests outstanding -> broker -> N echo workers\n"
        "             (--broker-workers), requests/s. direct: the client connects to each\n"
        "             worker's ROUTER; zmq_proxy: [ROUTER|DEALER] -> DEALER workers; zd:\n"
        "             zd-broker, client and workers speak MDP/0.2. Same body on every path.\n"
        "  broker-latency  the same with one request outstanding and one worker, p50/p99 µs\n"
        "  broker-memory   zd-broker only: RSS across --memory-requests requests and then\n"
        "             --memory-names distinct unknown service names (not in the default set)\n"
        "  streamer-latency, forwarder-latency  one message in flight through the streamer or\n"
        "             forwarder, each timed one way (send time in its first 8 bytes), p50/p99 µs\n"
        "Paths: direct (peer to peer), zmq_proxy (libzmq's zmq_proxy in its own process), zd (the "
        "zd device),\nzd2 and zd3 (two or three zd devices chained; not the broker patterns),\n"
        "zd-curve (the zd device with CURVE on both sides, its peers CURVE clients; not the\n"
        "broker patterns; --curve adds it beside zd and times new clients' handshakes).\n"
        "CPU µs/msg is the device process's CPU time (all threads, user+system) in the window\n"
        "per counted message (per round trip for queue and latency).\n"
        "\n"
        "Examples:\n"
        "  zd-bench --quick                          # smoke run, a few seconds\n"
        "  zd-bench --curve -p streamer,forwarder,queue -s 100,1K   # CURVE beside plain\n"
        "  zd-bench -p streamer -s 16,4K -t tcp      # one pattern, two sizes\n"
        "  zd-bench --repeat 3 --markdown bench.md   # the devices, medians of three\n"
        "  zd-bench -p broker,broker-latency,broker-memory -s 16,256 -t tcp   # the broker\n"
        "  zd-bench -p streamer,forwarder,streamer-latency,forwarder-latency --paths zd,zd2,zd3\n"
        "      -t tcp --zd-args '--engine native'    # the cost of each extra hop\n"
        "  zd-bench -p streamer -s 16 -t tcp --paths zmq_proxy,zd --count 200000 --warmup 0 \\\n"
        "      --duration 120 --device-wrapper 'valgrind --tool=callgrind'   # instructions/msg\n"
        "\n"
        "Exit codes: 0 ok, 1 a measurement failed, 2 usage error.");
    command_line_t options;
    app.add_option("-p,--patterns,--pattern", options.patterns,
                   "Patterns: streamer, forwarder, queue, latency, broker, broker-latency, "
                   "broker-memory, streamer-latency, forwarder-latency (comma-separated)")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("-s,--sizes,--size", options.sizes,
                   "Message sizes in bytes, K/KiB suffix allowed")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("-t,--transports,--transport", options.transports, "Transports: tcp, ipc")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--paths,--path", options.paths,
                   "Paths: direct, zmq_proxy, zd, zd2 and zd3 (two or three zd devices chained), "
                   "zd-curve (zd with CURVE), "
                   "and for the broker patterns zd-fed (two zd-brokers joined by --peer: client "
                   "on one, workers on the other)")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("-r,--repeat", options.repeat, "Runs per cell; the table shows the median")
        ->check(zd::whole_number(1, 100))
        ->capture_default_str();
    app.add_option("-d,--duration", options.duration_s, "Seconds in each timed window")
        ->check(zd::decimal_number(0.01, 3600.0))
        ->capture_default_str();
    app.add_option("--warmup", options.warmup_s,
                   "Seconds of traffic after the first message, before the window")
        ->check(zd::decimal_number(0.0, 600.0))
        ->capture_default_str();
    app.add_option("-n,--count", options.count,
                   "The sender stops after this many messages (round trips; a publisher counts "
                   "from the first delivery); the window closes when they have arrived, if "
                   "before --duration")
        ->check(zd::whole_number(std::uint64_t(1), std::uint64_t(1) << 62))
        ->capture_default_str();
    app.add_option("--in-flight", options.in_flight,
                   "Queue and broker patterns: requests outstanding")
        ->check(zd::whole_number(1, 900))
        ->capture_default_str();
    app.add_option("--broker-workers", options.broker_workers,
                   "Broker pattern: worker counts to measure (comma-separated)")
        ->delimiter(',')
        ->check(zd::whole_number(1, 64))
        ->capture_default_str();
    app.add_option("--memory-requests", options.memory_requests,
                   "broker-memory: requests through four workers")
        ->check(zd::whole_number(std::uint64_t(1000), std::uint64_t(1) << 40))
        ->capture_default_str();
    app.add_option("--memory-names", options.memory_names,
                   "broker-memory: distinct unknown service names")
        ->check(zd::whole_number(std::uint64_t(2), std::uint64_t(1) << 40))
        ->capture_default_str();
    app.add_option("--memory-request-timeout", options.memory_request_timeout_ms,
                   "broker-memory: zd-broker's --request-timeout in ms (unknown names are "
                   "forgotten about 1.5 times this after their request)")
        ->check(zd::whole_number(50, 60000))
        ->capture_default_str();
    app.add_flag("--quick", options.quick,
                 "Smoke run: 0.2 s windows, once, 16 B over tcp unless --sizes/--transports say "
                 "otherwise; broker-memory with 20 k requests and 2 k names unless told");
    app.add_flag("--curve", options.curve,
                 "Also measure each device with CURVE (path zd-curve: certificates made in a temp "
                 "dir, the device given --curve-cert/--curve-allow, its peers CURVE clients) "
                 "beside plain zd, and a new client's handshake through zd-queue, plain and "
                 "CURVE, per transport");
    app.add_option("--handshakes", options.handshakes,
                   "--curve: clients timed per handshake measurement (median; 5 with --quick)")
        ->check(zd::whole_number(1, 10000))
        ->capture_default_str();
    app.add_option("--devices-dir", options.devices_dir,
                   "Folder with zd-queue, zd-forwarder, zd-streamer, zd-broker (default: beside "
                   "zd-bench, its build tree, PATH)");
    app.add_option("--device-wrapper", options.device_wrapper,
                   "Run each device under this command, e.g. 'valgrind --tool=callgrind'. It must "
                   "run the device in its own process and end with it on SIGTERM, as valgrind "
                   "does (strace does not)");
    app.add_option("--zd-args", options.zd_arguments,
                   "Extra options for the zd devices only, e.g. '--hwm 10000' (to try a tuning; "
                   "zmq_proxy keeps libzmq's defaults)");
    app.add_option("--markdown", options.markdown, "Also write the table to this file");
    app.add_flag("-q,--quiet", options.quiet, "No progress lines on stderr");
    zd::add_version_flag(app);
    if (const auto code = zd::parse_command_line(app, argc, argv)) return *code;
    try {
        return run_benchmark(app, options);
    } catch (const std::exception& error) {
        std::cerr << "zd-bench: error: " << error.what() << "\n";
        return 1;
    }
}
