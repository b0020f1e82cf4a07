// The bounds of numeric options, said in words. CLI11's own checks print the bound of a
// double ("Value 0 not in range 0.000000 to 1797...", 309 digits); every numeric option of
// every device and tool checks with these instead, so a bad number reads
// "--hwm: must be a whole number from 0 to 2147483647, not 'lots'".
#pragma once

#include <CLI/CLI.hpp>
#include <limits>

namespace zd {

// Accepts a whole number written in decimal (an optional '-', digits, nothing else) from min
// to max inclusive; the error says the range and the bad text.
CLI::Validator whole_number(long long min, long long max);

// whole_number from min to the largest value of T, for options bounded only by their type.
template <typename T>
CLI::Validator whole_number_from(long long min) {
    return whole_number(min, static_cast<long long>(std::numeric_limits<T>::max()));
}

// Accepts a decimal number (e.g. "0.5", "2", "1e-2") from min to max inclusive.
CLI::Validator decimal_number(double min, double max);

} // namespace zd
