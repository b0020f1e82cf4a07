#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>

namespace zd::bench {

namespace {

// The median of the figures picked from each run; nullopt if no run has one.
std::optional<double>
median(const std::vector<measurement_t>& runs,
       const std::function<std::optional<double>(const measurement_t&)>& pick) {
    std::vector<double> values;
    for (const auto& run : runs)
        if (auto value = pick(run)) values.push_back(*value);
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::string format(const char* format_text, double value) {
    char text[64];
    std::snprintf(text, sizeof text, format_text, value);
    return text;
}

std::string format_rate(double rate) {
    if (rate >= 1e6) return format("%.2f M", rate / 1e6);
    if (rate >= 1e5) return format("%.0f k", rate / 1e3);
    if (rate >= 1e3) return format("%.1f k", rate / 1e3);
    return format("%.0f", rate);
}

std::string format_micros(double micros) {
    return format(micros < 10 ? "%.1f" : "%.0f", micros);
}

// "1 M", "100 k", "2500".
std::string format_count(std::uint64_t count) {
    if (count >= 1'000'000 && count % 1'000'000 == 0)
        return std::to_string(count / 1'000'000) + " M";
    if (count >= 1'000 && count % 1'000 == 0) return std::to_string(count / 1'000) + " k";
    return std::to_string(count);
}

// Growth over a memory phase's second half that still counts as flat.
constexpr std::int64_t flat_limit_kib = 1024;

std::string format_ratio(std::optional<double> ratio) {
    return ratio ? format("%.2fx", *ratio) : "–";
}

std::optional<double> ratio(std::optional<double> a, std::optional<double> b) {
    if (!a || !b || *b == 0) return std::nullopt;
    return *a / *b;
}

// One figure of a row: throughput, p50 or p99, per path.
enum class figure_t { rate, p50, p99 };

std::optional<double> pick(const measurement_t& run, figure_t figure) {
    switch (figure) {
    case figure_t::rate:
        return run.rate;
    case figure_t::p50:
        return run.p50_us;
    case figure_t::p99:
        return run.p99_us;
    }
    return std::nullopt;
}

std::string unit_of(pattern_t pattern, figure_t figure) {
    if (figure == figure_t::p50) return "p50 µs";
    if (figure == figure_t::p99) return "p99 µs";
    if (pattern == pattern_t::broker) return "req/s";
    return pattern == pattern_t::queue ? "rt/s" : "msg/s";
}

std::vector<figure_t> figures_of(pattern_t pattern) {
    if (is_latency_pattern(pattern)) return {figure_t::p50, figure_t::p99};
    return {figure_t::rate};
}

// "broker, 4 workers" for the pipelined broker rows; the pattern's name otherwise.
std::string pattern_label(pattern_t pattern, int workers) {
    std::string label(name_of(pattern));
    if (pattern == pattern_t::broker)
        label += ", " + std::to_string(workers) + (workers == 1 ? " worker" : " workers");
    return label;
}

using runs_t = std::map<path_t, std::vector<measurement_t>>;

// The median of one figure over a path's runs in a row.
std::optional<double> median_figure(const runs_t& runs, path_t path, figure_t figure) {
    auto found = runs.find(path);
    if (found == runs.end()) return std::nullopt;
    return median(found->second, [figure](const measurement_t& run) { return pick(run, figure); });
}

// The median CPU per message of a path's device over the row's runs.
std::optional<double> median_cpu(const runs_t& runs, path_t path) {
    auto found = runs.find(path);
    if (found == runs.end()) return std::nullopt;
    return median(found->second, [](const measurement_t& run) { return run.cpu_us_per_message; });
}

} // namespace

report_t::row_t& report_t::row_for(const measurement_spec_t& spec) {
    for (auto& row : rows_)
        if (row.pattern == spec.pattern && row.transport == spec.transport &&
            row.size == spec.size && row.workers == spec.workers)
            return row;
    rows_.push_back(row_t{spec.pattern, spec.transport, spec.size, spec.workers, {}, {}});
    return rows_.back();
}

void report_t::add(const measurement_spec_t& spec, const measurement_t& result) {
    row_for(spec).runs[spec.path].push_back(result);
}

void report_t::add_failure(const measurement_spec_t& spec) {
    ++row_for(spec).failures[spec.path];
}

std::string report_t::table() const {
    std::ostringstream out;
    out << "| pattern | transport | size | unit | direct | zmq_proxy | zd | zd/zmq_proxy | "
           "zd/direct | CPU µs/msg zmq_proxy | CPU µs/msg zd | CPU zd/zmq_proxy |\n"
        << "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& row : rows_) {
        auto figure_of = [&](path_t path, figure_t figure) {
            return median_figure(row.runs, path, figure);
        };
        auto cell = [&](path_t path, figure_t figure, std::optional<double> value) -> std::string {
            if (value)
                return figure == figure_t::rate ? format_rate(*value) : format_micros(*value);
            return row.failures.count(path) ? "failed" : "–";
        };
        for (figure_t figure : figures_of(row.pattern)) {
            const auto direct = figure_of(path_t::direct, figure);
            const auto proxy = figure_of(path_t::zmq_proxy, figure);
            const auto zd = figure_of(path_t::zd, figure);
            out << "| " << pattern_label(row.pattern, row.workers) << " | "
                << name_of(row.transport) << " | " << size_label(row.size) << " | "
                << unit_of(row.pattern, figure) << " | " << cell(path_t::direct, figure, direct)
                << " | " << cell(path_t::zmq_proxy, figure, proxy) << " | "
                << cell(path_t::zd, figure, zd) << " | " << format_ratio(ratio(zd, proxy)) << " | "
                << format_ratio(ratio(zd, direct)) << " | ";
            if (figure == figure_t::p99) {
                out << " |  |  |\n"; // CPU is a property of the row, shown once
                continue;
            }
            const auto cpu_proxy = median_cpu(row.runs, path_t::zmq_proxy);
            const auto cpu_zd = median_cpu(row.runs, path_t::zd);
            out << (cpu_proxy ? format("%.2f", *cpu_proxy) : "–") << " | "
                << (cpu_zd ? format("%.2f", *cpu_zd) : "–") << " | "
                << format_ratio(ratio(cpu_zd, cpu_proxy)) << " |\n";
        }
    }
    return out.str();
}

namespace {

// One goal's verdict over the rows: met, short of it by no more than the noise band (a
// tie on these machines), or missed by more.
class goal_tally_t {
public:
    // higher_is_better: the goal is ratio >= target; else ratio <= target (strictly below
    // when strict).
    goal_tally_t(std::string text, double target, bool higher_is_better, bool strict = false)
        : text_(std::move(text)), target_(target), higher_(higher_is_better), strict_(strict) {}

    void add(const std::string& label, double ratio) {
        ++compared_;
        const bool met =
            higher_ ? ratio >= target_ : (strict_ ? ratio < target_ : ratio <= target_);
        if (met) return;
        const bool near =
            higher_ ? ratio >= target_ * (1 - noise_band) : ratio <= target_ * (1 + noise_band);
        (near ? near_ : missed_).push_back(label + " " + format_ratio(ratio));
    }

    std::string verdict() const {
        std::string line = "- " + text_ + ": ";
        if (compared_ == 0) return line + "not measured in this run\n";
        const auto met = compared_ - near_.size() - missed_.size();
        line += "met in " + std::to_string(met) + " of " + std::to_string(compared_) + " rows";
        if (!near_.empty())
            line += "; short by less than 10% (within the noise) in " +
                    std::to_string(near_.size()) + ": " + join(near_);
        if (!missed_.empty())
            line += "; **missed by more than 10%** in " + std::to_string(missed_.size()) + ": " +
                    join(missed_);
        return line + "\n";
    }

private:
    static constexpr double noise_band = 0.10;
    static std::string join(const std::vector<std::string>& items) {
        std::string text;
        for (std::size_t i = 0; i < items.size(); ++i)
            text += (i ? ", " : "") + items[i];
        return text;
    }

    std::string text_;
    double target_;
    bool higher_;
    bool strict_;
    std::size_t compared_ = 0;
    std::vector<std::string> near_;
    std::vector<std::string> missed_;
};

} // namespace

std::string report_t::goals() const {
    goal_tally_t versus_proxy("every zd device >= 1.0x zmq_proxy", 1.0, true);
    goal_tally_t latency_versus_proxy("zd-queue round trip p50 <= 1.0x zmq_proxy's", 1.0, false);
    goal_tally_t versus_direct("zd-streamer >= 0.5x direct at 16 B", 0.5, true);
    goal_tally_t cpu("zd device CPU per message below zmq_proxy's", 1.0, false, true);
    goal_tally_t broker_cpu("zd-broker CPU per request <= 2x zmq_proxy's (pipelined)", 2.0, false);
    goal_tally_t broker_rate("zd-broker pipelined with 4 workers >= 0.5x zmq_proxy's rate", 0.5,
                             true);
    goal_tally_t broker_latency("zd-broker one request outstanding: p50 <= 1.2x zmq_proxy's", 1.2,
                                false);
    goal_tally_t federated("federated round trip (client on one broker, workers on its peer) "
                           "within 2x a local one: zd-fed/zd rate >= 0.5x, p50 <= 2x",
                           0.5, true);
    goal_tally_t per_hop("each extra hop of a zd streamer or forwarder costs at most 15% of "
                         "throughput: zd2/zd and zd3/zd2 >= 0.85x",
                         0.85, true);
    goal_tally_t curve_small("zd device with CURVE >= 0.25x plain below 1 KiB (zd-curve/zd)", 0.25,
                             true);
    goal_tally_t curve_large("zd device with CURVE >= 0.5x plain from 1 KiB (zd-curve/zd)", 0.5,
                             true);
    bool devices = false, brokers = false;
    for (const auto& row : rows_) {
        // Throughput goals: the latency rows are in the CURVE table without one.
        const auto curve_ratio =
            is_latency_pattern(row.pattern)
                ? std::nullopt
                : ratio(median_figure(row.runs, path_t::zd_curve, figure_t::rate),
                        median_figure(row.runs, path_t::zd, figure_t::rate));
        if (auto r = curve_ratio) {
            const std::string where = std::string(name_of(row.pattern)) + " " +
                                      std::string(name_of(row.transport)) + " " +
                                      size_label(row.size);
            (row.size < 1024 ? curve_small : curve_large).add(where, *r);
        }
        if (row.pattern == pattern_t::streamer || row.pattern == pattern_t::forwarder) {
            const auto one = median_figure(row.runs, path_t::zd, figure_t::rate);
            const auto two = median_figure(row.runs, path_t::zd_chain2, figure_t::rate);
            const auto three = median_figure(row.runs, path_t::zd_chain3, figure_t::rate);
            const std::string where = std::string(name_of(row.pattern)) + " " +
                                      std::string(name_of(row.transport)) + " " +
                                      size_label(row.size);
            if (auto r = ratio(two, one)) per_hop.add(where + " 1→2", *r);
            if (auto r = ratio(three, two)) per_hop.add(where + " 2→3", *r);
        }
        auto figure_of = [&](path_t path, figure_t figure) {
            return median_figure(row.runs, path, figure);
        };
        const std::string label = pattern_label(row.pattern, row.workers) + " " +
                                  std::string(name_of(row.transport)) + " " + size_label(row.size);
        const auto rate_ratio = ratio(figure_of(path_t::zd, figure_t::rate),
                                      figure_of(path_t::zmq_proxy, figure_t::rate));
        const auto p50_ratio = ratio(figure_of(path_t::zd, figure_t::p50),
                                     figure_of(path_t::zmq_proxy, figure_t::p50));
        const auto cpu_ratio =
            ratio(median_cpu(row.runs, path_t::zd), median_cpu(row.runs, path_t::zmq_proxy));
        // Rates as they are, latency inverted: both read "at least 0.5x a local round trip".
        if (auto r = ratio(figure_of(path_t::zd_federated, figure_t::rate),
                           figure_of(path_t::zd, figure_t::rate)))
            federated.add(label, *r);
        if (auto r = ratio(figure_of(path_t::zd, figure_t::p50),
                           figure_of(path_t::zd_federated, figure_t::p50)))
            federated.add(label + " p50", *r);
        if (row.pattern == pattern_t::broker) {
            brokers = true;
            if (cpu_ratio) broker_cpu.add(label, *cpu_ratio);
            if (rate_ratio && row.workers >= 4) broker_rate.add(label, *rate_ratio);
            continue;
        }
        if (row.pattern == pattern_t::broker_latency) {
            brokers = true;
            if (p50_ratio) broker_latency.add(label, *p50_ratio);
            continue;
        }
        devices = true;
        if (is_one_way_latency(row.pattern)) continue; // the chain table's (below)
        if (row.pattern == pattern_t::latency) {
            if (p50_ratio) latency_versus_proxy.add(label, *p50_ratio);
        } else if (rate_ratio) {
            versus_proxy.add(label, *rate_ratio);
        }
        if (row.pattern == pattern_t::streamer && row.size == 16)
            if (auto r = ratio(figure_of(path_t::zd, figure_t::rate),
                               figure_of(path_t::direct, figure_t::rate)))
                versus_direct.add(label, *r);
        if (cpu_ratio) cpu.add(label, *cpu_ratio);
    }
    std::string text;
    if (devices)
        text += versus_proxy.verdict() + latency_versus_proxy.verdict() + versus_direct.verdict() +
                cpu.verdict();
    if (brokers) text += broker_cpu.verdict() + broker_rate.verdict() + broker_latency.verdict();
    if (has_federated()) text += federated.verdict();
    if (has_chains()) text += per_hop.verdict();
    if (has_curve()) text += curve_small.verdict() + curve_large.verdict();
    if (!handshakes_.empty()) text += handshake_verdict();
    if (memory_) {
        const std::int64_t requests = memory_->requests.second_half_growth_kib;
        const std::int64_t names = memory_->names.second_half_growth_kib;
        const bool flat = requests <= flat_limit_kib && names <= flat_limit_kib;
        text += "- zd-broker resident memory flat (at most " + std::to_string(flat_limit_kib) +
                " KiB of growth over the second half of each phase; names: between the "
                "broker having forgotten the first half and the second): " +
                (flat ? std::string("met") : std::string("**missed**")) + " (" +
                std::to_string(requests) + " KiB over the last " +
                format_count(memory_->requests.amount - memory_->requests.amount / 2) +
                " requests, " + std::to_string(names) + " KiB over the last " +
                format_count(memory_->names.amount - memory_->names.amount / 2) + " names)\n";
    }
    return text;
}

bool report_t::has_curve() const {
    for (const auto& row : rows_)
        if (row.runs.count(path_t::zd_curve) || row.failures.count(path_t::zd_curve)) return true;
    return false;
}

std::string report_t::curve_table() const {
    if (!has_curve()) return {};
    std::ostringstream out;
    out << "| pattern | transport | size | unit | zd (plain) | zd-curve | zd-curve/zd | goal | "
           "CPU µs/msg zd | zd-curve |\n"
        << "|---|---|---|---|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& row : rows_) {
        if (!row.runs.count(path_t::zd_curve) && !row.failures.count(path_t::zd_curve)) continue;
        for (figure_t figure : figures_of(row.pattern)) {
            const auto plain = median_figure(row.runs, path_t::zd, figure);
            const auto curve = median_figure(row.runs, path_t::zd_curve, figure);
            auto cell = [&](path_t path, std::optional<double> value) -> std::string {
                if (value)
                    return figure == figure_t::rate ? format_rate(*value) : format_micros(*value);
                return row.failures.count(path) ? "failed" : "–";
            };
            auto cpu = [&](path_t path) {
                const auto value = median_cpu(row.runs, path);
                return value ? format("%.2f", *value) : std::string("–");
            };
            const bool rate = figure == figure_t::rate;
            out << "| " << pattern_label(row.pattern, row.workers) << " | "
                << name_of(row.transport) << " | " << size_label(row.size) << " | "
                << unit_of(row.pattern, figure) << " | " << cell(path_t::zd, plain) << " | "
                << cell(path_t::zd_curve, curve) << " | " << format_ratio(ratio(curve, plain))
                << " | " << (rate ? (row.size < 1024 ? ">= 0.25x" : ">= 0.5x") : "") << " | "
                << (rate ? cpu(path_t::zd) : "") << " | " << (rate ? cpu(path_t::zd_curve) : "")
                << " |\n";
        }
    }
    return out.str();
}

std::string report_t::handshake_table() const {
    if (handshakes_.empty()) return {};
    std::ostringstream out;
    out << "| transport | zd-queue | clients | median ms | slowest ms |\n"
        << "|---|---|--:|--:|--:|\n";
    for (const auto& handshake : handshakes_)
        out << "| " << name_of(handshake.transport) << " | "
            << (handshake.curve ? "CURVE" : "plain") << " | " << handshake.count << " | "
            << format("%.2f", handshake.median_ms) << " | " << format("%.2f", handshake.max_ms)
            << " |\n";
    return out.str();
}

std::string report_t::handshake_verdict() const {
    std::string measured, missed;
    for (const auto& handshake : handshakes_) {
        if (!handshake.curve) continue;
        const std::string item = std::string(name_of(handshake.transport)) + " " +
                                 format("%.2f ms", handshake.median_ms);
        measured += (measured.empty() ? "" : ", ") + item;
        if (handshake.median_ms >= handshake_goal_ms) missed += (missed.empty() ? "" : ", ") + item;
    }
    std::string line = "- a new CURVE client's connect and first round trip through zd-queue, "
                       "median below " +
                       format("%.0f", handshake_goal_ms) + " ms: ";
    if (measured.empty()) return line + "not measured in this run\n";
    return line + (missed.empty() ? "met (" + measured + ")" : "**missed** in " + missed) + "\n";
}

bool report_t::has_chains() const {
    for (const auto& row : rows_)
        for (path_t path : {path_t::zd_chain2, path_t::zd_chain3})
            if (row.runs.count(path) || row.failures.count(path)) return true;
    return false;
}

std::string report_t::chain_table() const {
    if (!has_chains()) return {};
    std::ostringstream out;
    out << "| pattern | transport | size | unit | zd (one) | zd2 (two chained) | zd3 (three) | "
           "zd2/zd | zd3/zd | per extra hop | CPU µs/msg zd | zd2 (all hops) | zd3 (all hops) |\n"
        << "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& row : rows_) {
        if (!row.runs.count(path_t::zd_chain2) && !row.runs.count(path_t::zd_chain3) &&
            !row.failures.count(path_t::zd_chain2) && !row.failures.count(path_t::zd_chain3))
            continue;
        for (figure_t figure : figures_of(row.pattern)) {
            const auto one = median_figure(row.runs, path_t::zd, figure);
            const auto two = median_figure(row.runs, path_t::zd_chain2, figure);
            const auto three = median_figure(row.runs, path_t::zd_chain3, figure);
            auto cell = [&](path_t path, std::optional<double> value) -> std::string {
                if (value)
                    return figure == figure_t::rate ? format_rate(*value) : format_micros(*value);
                return row.failures.count(path) ? "failed" : "–";
            };
            // Per extra hop: the rate's geometric mean ratio over the hops added (zd3/zd
            // is two of them), the latency's added µs.
            std::string hop = "–";
            const auto last = three ? three : two;
            const int added = three ? 2 : 1;
            if (figure == figure_t::rate) {
                if (auto r = ratio(last, one)) hop = format_ratio(std::pow(*r, 1.0 / added));
            } else if (last && one) {
                hop = format("%+.1f µs", (*last - *one) / added);
            }
            out << "| " << pattern_label(row.pattern, row.workers) << " | "
                << name_of(row.transport) << " | " << size_label(row.size) << " | "
                << unit_of(row.pattern, figure) << " | " << cell(path_t::zd, one) << " | "
                << cell(path_t::zd_chain2, two) << " | " << cell(path_t::zd_chain3, three) << " | "
                << format_ratio(ratio(two, one)) << " | " << format_ratio(ratio(three, one))
                << " | " << hop << " | ";
            if (figure == figure_t::p99) {
                out << " |  |  |\n";
                continue;
            }
            auto cpu = [&](path_t path) {
                const auto value = median_cpu(row.runs, path);
                return value ? format("%.2f", *value) : std::string("–");
            };
            out << cpu(path_t::zd) << " | " << cpu(path_t::zd_chain2) << " | "
                << cpu(path_t::zd_chain3) << " |\n";
        }
    }
    return out.str();
}

bool report_t::has_federated() const {
    for (const auto& row : rows_)
        if (row.runs.count(path_t::zd_federated) || row.failures.count(path_t::zd_federated))
            return true;
    return false;
}

std::string report_t::federation_table() const {
    if (!has_federated()) return {};
    std::ostringstream out;
    out << "| pattern | transport | size | unit | zd (one broker) | zd-fed (two, joined) | "
           "zd-fed/zd | CPU µs/req zd | CPU µs/req zd-fed (both) |\n"
        << "|---|---|---|---|--:|--:|--:|--:|--:|\n";
    for (const auto& row : rows_) {
        if (!row.runs.count(path_t::zd_federated) && !row.failures.count(path_t::zd_federated))
            continue;
        for (figure_t figure : figures_of(row.pattern)) {
            const auto zd = median_figure(row.runs, path_t::zd, figure);
            const auto fed = median_figure(row.runs, path_t::zd_federated, figure);
            auto cell = [&](path_t path, std::optional<double> value) -> std::string {
                if (value)
                    return figure == figure_t::rate ? format_rate(*value) : format_micros(*value);
                return row.failures.count(path) ? "failed" : "–";
            };
            out << "| " << pattern_label(row.pattern, row.workers) << " | "
                << name_of(row.transport) << " | " << size_label(row.size) << " | "
                << unit_of(row.pattern, figure) << " | " << cell(path_t::zd, zd) << " | "
                << cell(path_t::zd_federated, fed) << " | " << format_ratio(ratio(fed, zd))
                << " | ";
            if (figure == figure_t::p99) {
                out << " |  |\n";
                continue;
            }
            const auto cpu_zd = median_cpu(row.runs, path_t::zd);
            const auto cpu_fed = median_cpu(row.runs, path_t::zd_federated);
            out << (cpu_zd ? format("%.2f", *cpu_zd) : "–") << " | "
                << (cpu_fed ? format("%.2f", *cpu_fed) : "–") << " |\n";
        }
    }
    return out.str();
}

std::string report_t::wakeups_table() const {
    std::ostringstream out;
    for (const auto& row : rows_) {
        if (row.pattern != pattern_t::broker && row.pattern != pattern_t::broker_latency) continue;
        auto wakeups = [&](path_t path) -> std::optional<double> {
            auto found = row.runs.find(path);
            if (found == row.runs.end()) return std::nullopt;
            return median(found->second,
                          [](const measurement_t& run) { return run.wakeups_per_message; });
        };
        const auto proxy = wakeups(path_t::zmq_proxy), zd = wakeups(path_t::zd);
        if (out.tellp() == 0)
            out << "| pattern | transport | size | zmq_proxy | zd | zd/zmq_proxy |\n"
                << "|---|---|---|--:|--:|--:|\n";
        out << "| " << pattern_label(row.pattern, row.workers) << " | " << name_of(row.transport)
            << " | " << size_label(row.size) << " | " << (proxy ? format("%.2f", *proxy) : "–")
            << " | " << (zd ? format("%.2f", *zd) : "–") << " | " << format_ratio(ratio(zd, proxy))
            << " |\n";
    }
    return out.str();
}

std::string report_t::memory_table() const {
    if (!memory_) return {};
    const broker_memory_t& memory = *memory_;
    auto mib = [](std::uint64_t kib) { return format("%.1f", double(kib) / 1024.0); };
    auto signed_mib = [](std::int64_t kib) { return format("%+.2f", double(kib) / 1024.0); };
    std::ostringstream out;
    out << "| phase | amount | seconds | RSS start MiB | half way | end | settled | peak | "
           "growth start→settled MiB | growth over the second half MiB |\n"
        << "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    auto line = [&](const char* what, const memory_phase_t& phase) {
        out << "| " << what << " | " << format_count(phase.amount) << " | "
            << format("%.1f", phase.seconds) << " | " << mib(phase.start_kib) << " | "
            << mib(phase.half_kib) << " | " << mib(phase.end_kib) << " | " << mib(phase.settled_kib)
            << " | " << mib(phase.peak_kib) << " | "
            << signed_mib(std::int64_t(phase.settled_kib) - std::int64_t(phase.start_kib)) << " | "
            << signed_mib(phase.second_half_growth_kib) << " |\n";
    };
    line("requests through 4 workers, 100 in flight (after warm-up)", memory.requests);
    line("distinct unknown service names, two rounds (half way: first round forgotten)",
         memory.names);
    out << "\nzd-broker ran with `" << memory.broker_options
        << "`. Names phase: " << format_count(memory.not_found)
        << " mmi.service answers \"404\" (one per name "
        << "expected), " << memory.expired << " requests expired, " << memory.rejected
        << " rejected; services known once settled: " << memory.services_left << ".\n";
    return out.str();
}

} // namespace zd::bench
