// A device reduced to what --metrics needs, wired the way the devices will be (the lead's
// model): the stop signal before the context, a control server on base's poll loop whose
// STATS is a fixed object (a file captured from a real device), start_metrics on its
// control socket, and the endpoint in the ready line. For test_curl_scrape.py.
//   zd-ops-metrics-fixture STATS_FILE METRICS_ENDPOINT
// Prints "zd-ops-metrics-fixture: ready metrics=@tcp://127.0.0.1:PORT" on stderr, serves
// until SIGTERM/SIGINT. Exit codes as every device: 0, 1 runtime failure, 2 usage.
#include "base/control.hpp"
#include "base/endpoints.hpp"
#include "base/poll_loop.hpp"
#include "base/stop_signal.hpp"
#include "ops/metrics_server.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: zd-ops-metrics-fixture STATS_FILE METRICS_ENDPOINT\n";
        return 2;
    }
    std::ifstream file(argv[1]);
    std::stringstream stats;
    stats << file.rdbuf();
    if (!file) {
        std::cerr << "zd-ops-metrics-fixture: cannot read " << argv[1] << '\n';
        return 1;
    }
    try {
        zd::stop_signal_t stop; // before the context: its threads inherit the mask
        zmq::context_t context;
        zd::control_server_t control(context, {}, zd::socket_options_t{});
        zd::poll_loop_t loop(stop, &control,
                             {[] { return zd::statistics_t{}; }, [&] { return stats.str(); }});
        auto metrics = zd::ops::start_metrics(context, control.socket(), argv[2]);
        std::cerr << "zd-ops-metrics-fixture: ready metrics=" << metrics->endpoint() << std::endl;
        loop.run();
        return 0;
    } catch (const zd::endpoint_error& error) {
        std::cerr << "zd-ops-metrics-fixture: error: " << error.what() << '\n';
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "zd-ops-metrics-fixture: error: " << error.what() << '\n';
        return 1;
    }
}
