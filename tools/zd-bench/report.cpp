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

std::string report_t::goals() const {
    std::vector<std::string> slower, streamer_misses, cpu_misses;
    int compared = 0, streamer_compared = 0, cpu_compared = 0;
    for (const auto& row : rows_) {
        auto figure_of = [&](path_t path, figure_t figure) {
            return median_figure(row.runs, path, figure);
        };
        const std::string label = std::string(name_of(row.pattern)) + " " +
                                  std::string(name_of(row.transport)) + " " + size_label(row.size);
        const figure_t main_figure =
            row.pattern == pattern_t::latency ? figure_t::p50 : figure_t::rate;
        const auto zd = figure_of(path_t::zd, main_figure);
        if (auto versus_proxy = ratio(zd, figure_of(path_t::zmq_proxy, main_figure))) {
            ++compared;
            // Latency: lower is better, so the goal is a ratio no higher than 1.
            const bool met =
                main_figure == figure_t::p50 ? *versus_proxy <= 1.0 : *versus_proxy >= 1.0;
            if (!met) slower.push_back(label + " " + format_ratio(versus_proxy));
        }
        if (row.pattern == pattern_t::streamer && row.size == 16) {
            if (auto versus_direct = ratio(zd, figure_of(path_t::direct, figure_t::rate))) {
                ++streamer_compared;
                if (*versus_direct < 0.5)
                    streamer_misses.push_back(label + " " + format_ratio(versus_direct));
            }
        }
        if (auto cpu_ratio =
                ratio(median_cpu(row.runs, path_t::zd), median_cpu(row.runs, path_t::zmq_proxy))) {
            ++cpu_compared;
            if (*cpu_ratio >= 1.0) cpu_misses.push_back(label + " " + format_ratio(cpu_ratio));
        }
    }
    auto verdict = [](int count, const std::vector<std::string>& misses) -> std::string {
        if (count == 0) return "not measured in this run";
        if (misses.empty()) return "met in all " + std::to_string(count) + " rows";
        std::string text = "missed in " + std::to_string(misses.size()) + " of " +
                           std::to_string(count) + " rows: ";
        for (std::size_t i = 0; i < misses.size(); ++i)
            text += (i ? ", " : "") + misses[i];
        return text;
    };
    std::ostringstream out;
    out << "- every zd device >= 1.0x zmq_proxy (latency: p50 <= 1.0x): "
        << verdict(compared, slower) << "\n"
        << "- zd-streamer >= 0.5x direct at 16 B: " << verdict(streamer_compared, streamer_misses)
        << "\n"
        << "- zd device CPU per message below zmq_proxy's: " << verdict(cpu_compared, cpu_misses)
        << "\n";
    return out.str();
}

} // namespace zd::bench
