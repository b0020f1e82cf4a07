// The --metrics endpoint: one bound tcp endpoint in our notation, anything else a usage
// error that names the value (lib/ops/metrics_endpoint.hpp, lib/cli/ops_options.hpp).
#include "base/endpoints.hpp"
#include "cli/ops_options.hpp"
#include "ops/metrics_endpoint.hpp"

#include <catch2/catch.hpp>

using namespace zd::ops;

TEST_CASE("the metrics endpoint is a bound tcp host and port", "[ops]") {
    auto endpoint = parse_metrics_endpoint("@tcp://127.0.0.1:9100");
    CHECK(endpoint.host == "127.0.0.1");
    CHECK(endpoint.port == 9100);
    endpoint = parse_metrics_endpoint("tcp://*:*"); // bare binds, as on every device
    CHECK(endpoint.host == "0.0.0.0");
    CHECK(endpoint.port == 0);
    endpoint = parse_metrics_endpoint("@tcp://[::1]:0");
    CHECK(endpoint.host == "::1");
    CHECK(endpoint.port == 0);
    CHECK(parse_metrics_endpoint("@tcp://localhost:65535").port == 65535);
    CHECK(metrics_endpoint_text(parse_metrics_endpoint("@tcp://[::1]:0"), 4321) ==
          "@tcp://[::1]:4321");
    CHECK(metrics_endpoint_text(parse_metrics_endpoint("@tcp://127.0.0.1:*"), 80) ==
          "@tcp://127.0.0.1:80");
}

TEST_CASE("anything but one bound tcp endpoint is refused, naming the value", "[ops]") {
    for (const char* bad : {">tcp://127.0.0.1:9100", "@ipc:///tmp/metrics", "@inproc://metrics",
                            "@tcp://127.0.0.1:9100,@tcp://127.0.0.1:9101", "@tcp://127.0.0.1",
                            "@tcp://127.0.0.1:70000", "@tcp://:9100", "http://127.0.0.1:9100",
                            "@tcp://10.0.0.1:5;127.0.0.1:9100", ""}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_metrics_endpoint(bad), zd::endpoint_error);
        try {
            parse_metrics_endpoint(bad);
        } catch (const zd::endpoint_error& error) {
            CHECK_THAT(error.what(), Catch::Contains("'" + std::string(bad) + "'"));
        }
    }
    CHECK_THROWS_WITH(parse_metrics_endpoint(">tcp://127.0.0.1:9100"),
                      Catch::Contains("always bound"));
    CHECK_THROWS_WITH(parse_metrics_endpoint("@ipc:///tmp/m"), Catch::Contains("tcp only"));
}

TEST_CASE("the --metrics option has help, and a bad value is a usage error", "[ops]") {
    CLI::App app("test");
    std::string metrics;
    add_metrics_option(app, metrics);
    CHECK_THAT(app.help(), Catch::Contains("--metrics") && Catch::Contains("/metrics") &&
                               Catch::Contains("@tcp://127.0.0.1:9100"));

    const char* good[] = {"device", "--metrics", "@tcp://127.0.0.1:*"};
    app.parse(3, good);
    CHECK(metrics == "@tcp://127.0.0.1:*");

    CLI::App other("test");
    std::string unset;
    add_metrics_option(other, unset);
    const char* none[] = {"device"};
    other.parse(1, none);
    CHECK(unset.empty());

    CLI::App refusing("test");
    std::string value;
    add_metrics_option(refusing, value);
    const char* bad[] = {"device", "--metrics", "@ipc:///tmp/m"};
    CHECK_THROWS_AS(refusing.parse(3, bad), CLI::ValidationError);
}
