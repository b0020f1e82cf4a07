#include "cli/number_option.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace zd {

namespace {

// A bound as a reader writes it: 0.05, 60, 3600 (not 0.050000 or 3600.000000).
std::string decimal_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", value);
    return text;
}

} // namespace

CLI::Validator whole_number(long long min, long long max) {
    // A bound of 19 digits says nothing a reader can use: "0 or more" says it all.
    const bool unbounded = max == std::numeric_limits<long long>::max();
    const std::string expected =
        unbounded
            ? "must be a whole number, " + std::to_string(min) + " or more"
            : "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    return CLI::Validator(
        [min, max, expected](std::string& text) -> std::string {
            long long value = 0;
            const char* last = text.data() + text.size();
            const auto [end, error] = std::from_chars(text.data(), last, value);
            if (text.empty() || error != std::errc() || end != last || value < min || value > max)
                return expected + ", not '" + text + "'";
            return {};
        },
        unbounded ? "INT >= " + std::to_string(min)
                  : "INT in [" + std::to_string(min) + " - " + std::to_string(max) + "]");
}

CLI::Validator decimal_number(double min, double max) {
    const std::string expected =
        "must be a number from " + decimal_text(min) + " to " + decimal_text(max);
    return CLI::Validator(
        [min, max, expected](std::string& text) -> std::string {
            double value = 0;
            const char* last = text.data() + text.size();
            const auto [end, error] = std::from_chars(text.data(), last, value);
            if (text.empty() || error != std::errc() || end != last || !std::isfinite(value) ||
                value < min || value > max)
                return expected + ", not '" + text + "'";
            return {};
        },
        "NUMBER in [" + decimal_text(min) + " - " + decimal_text(max) + "]");
}

} // namespace zd
