// prometheus_text as a program, for the script tests: reads one STATS object on stdin and
// writes its Prometheus text on stdout.
//   zd-ops-stats-to-metrics [--check-coverage]
// Exit codes: 0 ok; 1 not a JSON object (the reason on stderr); 3 with --check-coverage when
// a member has no entry in the metric table (each path on stderr; the text is still written).
#include "ops/prometheus_text.hpp"

#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
    const bool check_coverage = argc > 1 && std::string(argv[1]) == "--check-coverage";
    const std::string json(std::istreambuf_iterator<char>(std::cin), {});
    try {
        const auto result = zd::ops::prometheus_text(json);
        std::cout << result.text << std::flush;
        if (check_coverage && !result.unmapped.empty()) {
            for (const auto& path : result.unmapped)
                std::cerr << "no metric for STATS member " << path << '\n';
            return 3;
        }
        return 0;
    } catch (const std::invalid_argument& error) {
        std::cerr << "zd-ops-stats-to-metrics: " << error.what() << '\n';
        return 1;
    }
}
