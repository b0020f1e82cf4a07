#include "report.hpp"

#include <algorithm>
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
    return pattern == pattern_t::queue ? "rt/s" : "msg/s";
}

std::vector<figure_t> figures_of(pattern_t pattern) {
    if (pattern == pattern_t::latency) return {figure_t::p50, figure_t::p99};
    return {figure_t::rate};
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
        if (row.pattern == spec.pattern && row.transport == spec.transport && row.size == spec.size)
            return row;
    rows_.push_back(row_t{spec.pattern, spec.transport, spec.size, {}, {}});
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
            out << "| " << name_of(row.pattern) << " | " << name_of(row.transport) << " | "
                << size_label(row.size) << " | " << unit_of(row.pattern, figure) << " | "
                << cell(path_t::direct, figure, direct) << " | "
                << cell(path_t::zmq_proxy, figure, proxy) << " | " << cell(path_t::zd, figure, zd)
                << " | " << format_ratio(ratio(zd, proxy)) << " | "
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
    for (const auto& row : rows_) {
        auto figure_of = [&](path_t path, figure_t figure) {
            return median_figure(row.runs, path, figure);
        };
        const std::string label = std::string(name_of(row.pattern)) + " " +
                                  std::string(name_of(row.transport)) + " " + size_label(row.size);
        if (row.pattern == pattern_t::latency) {
            if (auto r = ratio(figure_of(path_t::zd, figure_t::p50),
                               figure_of(path_t::zmq_proxy, figure_t::p50)))
                latency_versus_proxy.add(label, *r);
        } else if (auto r = ratio(figure_of(path_t::zd, figure_t::rate),
                                  figure_of(path_t::zmq_proxy, figure_t::rate))) {
            versus_proxy.add(label, *r);
        }
        if (row.pattern == pattern_t::streamer && row.size == 16)
            if (auto r = ratio(figure_of(path_t::zd, figure_t::rate),
                               figure_of(path_t::direct, figure_t::rate)))
                versus_direct.add(label, *r);
        if (auto r =
                ratio(median_cpu(row.runs, path_t::zd), median_cpu(row.runs, path_t::zmq_proxy)))
            cpu.add(label, *r);
    }
    return versus_proxy.verdict() + latency_versus_proxy.verdict() + versus_direct.verdict() +
           cpu.verdict();
}

} // namespace zd::bench
