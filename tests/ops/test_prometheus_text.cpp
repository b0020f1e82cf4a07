// prometheus_text (lib/ops/prometheus_text.hpp): the STATS of every device, captured from
// the real programs (data/*.json, made by test_live_stats.py --capture), become metrics with
// nothing left out; and the format's rules: families written whole, label values escaped,
// integers exact, base units, a member the table does not know exported and reported.
#include "ops/prometheus_text.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using zd::ops::prometheus_text;

namespace {

const std::filesystem::path data_dir = ZD_OPS_DATA_DIR;

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The captured samples: data/*.json (edge cases live in data/edge/).
std::map<std::string, std::string> captured_samples() {
    std::map<std::string, std::string> samples;
    for (const auto& entry : std::filesystem::directory_iterator(data_dir))
        if (entry.path().extension() == ".json")
            samples[entry.path().stem().string()] = read_file(entry.path());
    return samples;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

bool has_line(const std::string& text, const std::string& line) {
    for (const auto& each : lines_of(text))
        if (each == line) return true;
    return false;
}

std::string metrics_of(const std::string& json) {
    return prometheus_text(json).text;
}

} // namespace

TEST_CASE("every device's captured STATS has a metric for each of its members", "[ops]") {
    const auto samples = captured_samples();
    // Three proxy devices on two engines, the forwarder with its last-value cache, the broker,
    // the journal (with a ROUTER backend and with a PUSH backend), Titanic, zd-link.
    REQUIRE(samples.size() == 12);
    for (const auto& [name, json] : samples) {
        INFO(name);
        const auto result = prometheus_text(json);
        CHECK(result.unmapped.empty());
        CHECK(result.text.find("zd_stats_unmapped") == std::string::npos);
        CHECK(result.text.find("zd_uptime_seconds{device=\"") != std::string::npos);
    }
}

TEST_CASE("metric families are written whole: one HELP and TYPE, then all their samples", "[ops]") {
    auto samples = captured_samples();
    samples["edge"] = read_file(data_dir / "edge" / "escaping.json");
    for (const auto& [name, json] : samples) {
        INFO(name);
        std::set<std::string> finished;
        std::string current;
        for (const auto& line : lines_of(metrics_of(json))) {
            REQUIRE(!line.empty());
            if (line.starts_with("# HELP ")) {
                const std::string family = line.substr(7, line.find(' ', 7) - 7);
                CHECK(finished.count(family) == 0); // each family once
                if (!current.empty()) finished.insert(current);
                current = family;
                continue;
            }
            if (line.starts_with("# TYPE ")) {
                CHECK(line.substr(7, current.size() + 1) == current + ' ');
                continue;
            }
            CHECK(line.substr(0, current.size()) == current); // a sample of this family
        }
    }
}

TEST_CASE("a forwarder's distinct subscribed topics become one gauge", "[ops]") {
    for (const char* sample : {"zd-forwarder-libzmq.json", "zd-forwarder-native.json"})
        CHECK(has_line(metrics_of(read_file(data_dir / sample)),
                       R"(zd_forwarder_subscriptions{device="zd-forwarder"} 1)"));
}

TEST_CASE("zd-queue's workers: per worker on the native engine, known or not on both", "[ops]") {
    const auto native = metrics_of(read_file(data_dir / "zd-queue-native.json"));
    CHECK(has_line(native, R"(zd_queue_workers_known{device="zd-queue"} 1)"));
    CHECK(has_line(
        native, R"(zd_queue_worker_requests_total{device="zd-queue",worker="127.0.0.1:59322"} 1)"));
    CHECK(has_line(
        native, R"(zd_queue_worker_replies_total{device="zd-queue",worker="127.0.0.1:59322"} 1)"));
    CHECK(has_line(
        native,
        R"(zd_queue_worker_in_flight_requests{device="zd-queue",worker="127.0.0.1:59322"} 0)"));
    const auto libzmq = metrics_of(read_file(data_dir / "zd-queue-libzmq.json"));
    CHECK(has_line(libzmq, R"(zd_queue_workers_known{device="zd-queue"} 0)"));
    CHECK(libzmq.find("zd_queue_worker_requests_total{") == std::string::npos);
}

TEST_CASE("a proxy's directions become per-side counters, as libzmq's STATISTICS counts them",
          "[ops]") {
    const auto text = metrics_of(read_file(data_dir / "zd-queue-libzmq.json"));
    // frontend_to_backend: read on the frontend (8 bytes), sent on the backend.
    CHECK(has_line(text, R"(zd_received_messages_total{device="zd-queue",side="frontend"} 1)"));
    CHECK(has_line(text, R"(zd_received_bytes_total{device="zd-queue",side="frontend"} 8)"));
    CHECK(has_line(text, R"(zd_sent_bytes_total{device="zd-queue",side="backend"} 8)"));
    // backend_to_frontend: the reply, 9 bytes, read on the backend and sent on the frontend.
    CHECK(has_line(text, R"(zd_received_bytes_total{device="zd-queue",side="backend"} 9)"));
    CHECK(has_line(text, R"(zd_sent_bytes_total{device="zd-queue",side="frontend"} 9)"));
    CHECK(has_line(text, R"(zd_dropped_messages_total{device="zd-queue",side="frontend"} 0)"));
    CHECK(has_line(text, "# TYPE zd_received_messages_total counter"));
    CHECK(has_line(text, R"(zd_info{device="zd-queue",version="0.1.0",engine="libzmq"} 1)"));
    CHECK(has_line(text, R"(zd_uptime_seconds{device="zd-queue"} 0.008)"));
    CHECK(has_line(text, R"(zd_state{device="zd-queue",state="running"} 1)"));
    CHECK(has_line(text, R"(zd_state{device="zd-queue",state="paused"} 0)"));
    CHECK(has_line(text, R"(zd_captured_messages_total{device="zd-queue"} 0)"));
    // What waits: the libzmq engine's parked message per side (none after a round trip).
    CHECK(has_line(text, R"(zd_parked_messages{device="zd-queue",side="backend"} 0)"));
}

TEST_CASE("messages per authenticated identity become an identity label", "[ops]") {
    // zd-broker and zd-journal with CURVE: the label is the ZAP User-Id (a Z85 key).
    const auto result = prometheus_text(read_file(data_dir / "edge" / "identities.json"));
    CHECK(result.unmapped.empty());
    CHECK(has_line(result.text, R"(zd_identity_messages_total{device="zd-broker",)"
                                R"(identity="rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"} 3)"));
    CHECK(has_line(result.text, R"(zd_identity_messages_total{device="zd-broker",)"
                                R"(identity="Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"} 7)"));
    CHECK(has_line(result.text, R"(zd_identity_unlisted_messages_total{device="zd-broker"} 2)"));
    CHECK(has_line(result.text, "# TYPE zd_identity_messages_total counter"));
}

TEST_CASE("zd-broker's services and zd-journal's consumers become labels", "[ops]") {
    const auto broker = metrics_of(read_file(data_dir / "zd-broker.json"));
    CHECK(has_line(
        broker, R"(zd_broker_service_served_requests_total{device="zd-broker",service="echo"} 1)"));
    CHECK(has_line(broker, R"(zd_broker_service_workers{device="zd-broker",service="echo"} 1)"));
    CHECK(has_line(broker, R"(zd_broker_requests_total{device="zd-broker"} 1)"));
    CHECK(has_line(broker, R"(zd_received_bytes_total{device="zd-broker",side="endpoint"} 58)"));
    CHECK(has_line(broker, "# TYPE zd_broker_service_workers gauge"));

    const auto journal = metrics_of(read_file(data_dir / "zd-journal.json"));
    CHECK(has_line(journal,
                   R"(zd_journal_consumer_connected{device="zd-journal",consumer="billing"} 1)"));
    CHECK(has_line(
        journal,
        R"(zd_journal_consumer_acked_next_offset{device="zd-journal",consumer="billing"} 1)"));
    CHECK(has_line(journal, R"(zd_journal_published_bytes_total{device="zd-journal"} 8)"));
    CHECK(has_line(journal, R"(zd_log_size_bytes{device="zd-journal"} 63)"));

    const auto titanic = metrics_of(read_file(data_dir / "zd-titanic.json"));
    CHECK(has_line(titanic, R"(zd_titanic_stored_requests_total{device="zd-titanic"} 1)"));
    CHECK(has_line(titanic, R"(zd_log_keep_from_offset{device="zd-titanic"} 1)"));
}

TEST_CASE("label values are escaped as the exposition format requires", "[ops]") {
    CHECK(zd::ops::escape_label_value("plain") == "plain");
    CHECK(zd::ops::escape_label_value("a\"b\\c\nd") == R"(a\"b\\c\nd)");
    CHECK(zd::ops::escape_label_value("\xc3\xbc tab\there") == "\xc3\xbc tab\there");
    CHECK(zd::ops::escape_help("a\\b\nc \"q\"") == R"(a\\b\nc "q")");

    const auto text = metrics_of(read_file(data_dir / "edge" / "escaping.json"));
    CHECK(has_line(text, R"(zd_broker_service_queued_requests{device="zd-broker",)"
                         R"(service="quote\"back\\slash\nnew line"} 1)"));
    CHECK(has_line(text, "zd_broker_service_served_requests_total{device=\"zd-broker\","
                         "service=\"\xc3\xbcnic\xc3\xb6"
                         "de.\xc3\x9f \xe2\x98\x83\"} 7"));
    CHECK(has_line(text, R"(zd_broker_service_workers{device="zd-broker",service=""} 0)"));
}

TEST_CASE("integers stay exact and milliseconds become seconds", "[ops]") {
    const auto text = metrics_of(read_file(data_dir / "edge" / "escaping.json"));
    CHECK(has_line(text, R"(zd_received_messages_total{device="zd-broker",side="endpoint"} )"
                         "18446744073709551615"));
    CHECK(has_line(text, R"(zd_received_bytes_total{device="zd-broker",side="endpoint"} )"
                         "9007199254740993")); // 2^53 + 1: a double would say ...992
    CHECK(has_line(text, R"(zd_uptime_seconds{device="zd-broker"} 1234.567)"));
    CHECK(has_line(metrics_of(R"({"device":"d","uptime_ms":5})"),
                   R"(zd_uptime_seconds{device="d"} 0.005)"));
    CHECK(has_line(metrics_of(R"({"device":"d","uptime_ms":18446744073709551615})"),
                   R"(zd_uptime_seconds{device="d"} 18446744073709551.615)"));
}

TEST_CASE("zd_state has a sample per known state, and one for a state it does not know", "[ops]") {
    const auto paused = metrics_of(read_file(data_dir / "edge" / "escaping.json"));
    CHECK(has_line(paused, R"(zd_state{device="zd-broker",state="running"} 0)"));
    CHECK(has_line(paused, R"(zd_state{device="zd-broker",state="paused"} 1)"));
    CHECK(has_line(paused, R"(zd_state{device="zd-broker",state="disk_full"} 0)"));
    CHECK(has_line(paused, R"(zd_state{device="zd-broker",state="failed"} 0)"));
    const auto odd = metrics_of(R"({"device":"d","state":"rebalancing"})");
    CHECK(has_line(odd, R"(zd_state{device="d",state="running"} 0)"));
    CHECK(has_line(odd, R"(zd_state{device="d",state="rebalancing"} 1)"));
}

TEST_CASE("a member the table does not know is exported as zd_stats_unmapped and reported",
          "[ops]") {
    const auto result = prometheus_text(read_file(data_dir / "edge" / "escaping.json"));
    CHECK(result.unmapped ==
          std::vector<std::string>{"a_member_from_the_future", "a_flag_from_the_future",
                                   "a_text_from_the_future", "nested_from_the_future.depth.count",
                                   "nested_from_the_future.list[]"});
    const auto& text = result.text;
    CHECK(has_line(text, "# TYPE zd_stats_unmapped untyped"));
    CHECK(has_line(
        text, R"(zd_stats_unmapped{device="zd-broker",member="a_member_from_the_future"} 42)"));
    CHECK(has_line(text,
                   R"(zd_stats_unmapped{device="zd-broker",member="a_flag_from_the_future"} 1)"));
    CHECK(has_line(text, R"(zd_stats_unmapped{device="zd-broker",)"
                         R"(member="nested_from_the_future.depth.count"} 3)"));
    CHECK(has_line(text, R"(zd_stats_unmapped{device="zd-broker",index="1",)"
                         R"(member="nested_from_the_future.list[]"} 2.5)"));
    CHECK(has_line(text, R"(zd_stats_unmapped{device="zd-broker",index="2",)"
                         R"(member="nested_from_the_future.list[]"} -3)"));
    CHECK(text.find("a_text_from_the_future") == std::string::npos); // text cannot be a value

    // Inside a collection the entry's label stays on it.
    const auto inner = prometheus_text(
        R"({"device":"zd-broker","broker":{"services":{"echo":{"queued":1,"new_gauge":2}}}})");
    CHECK(inner.unmapped == std::vector<std::string>{"broker.services.*.new_gauge"});
    CHECK(has_line(inner.text, R"(zd_stats_unmapped{device="zd-broker",service="echo",)"
                               R"(member="broker.services.*.new_gauge"} 2)"));
    // A known name whose value is not a number is reported, not written as nonsense.
    const auto wrong = prometheus_text(R"({"device":"d","readers":"many"})");
    CHECK(wrong.unmapped == std::vector<std::string>{"readers"});
}

TEST_CASE("empty collections write no samples, no empty families and report nothing", "[ops]") {
    const auto result = prometheus_text(read_file(data_dir / "edge" / "empty_collections.json"));
    CHECK(result.unmapped.empty());
    CHECK(result.text.find("consumer=") == std::string::npos);
    CHECK(result.text.find("service=") == std::string::npos);
    CHECK(result.text.find("zd_journal_consumer") == std::string::npos); // no HELP either
    CHECK(has_line(result.text, R"(zd_state{device="zd-journal",state="disk_full"} 1)"));
    CHECK(has_line(result.text, R"(zd_journal_readers{device="zd-journal"} 0)"));

    const auto bare = prometheus_text(R"({})");
    CHECK(bare.unmapped.empty());
    CHECK(bare.text == "# HELP zd_info Always 1; its labels say which release (and engine) the "
                       "device runs.\n# TYPE zd_info gauge\nzd_info{device=\"\"} 1\n");
}

TEST_CASE("a consumer without a name is labelled with an empty name", "[ops]") {
    const auto text = metrics_of(R"({"device":"zd-journal","consumers":[{"acked_next":3}]})");
    CHECK(has_line(text,
                   R"(zd_journal_consumer_acked_next_offset{device="zd-journal",consumer=""} 3)"));
}

TEST_CASE("what is not a STATS object is refused, saying why", "[ops]") {
    CHECK_THROWS_AS(prometheus_text(""), std::invalid_argument);
    CHECK_THROWS_WITH(prometheus_text(R"({"device":)"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(prometheus_text("[1,2]"), Catch::Contains("not a JSON object"));
    CHECK_THROWS_AS(prometheus_text("{\"device\":\"\xff\"}"), std::invalid_argument); // UTF-8
    CHECK_THROWS_AS(prometheus_text(R"({"a":1} trailing)"), std::invalid_argument);
}
