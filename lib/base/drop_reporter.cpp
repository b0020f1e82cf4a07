#include "base/drop_reporter.hpp"

#include <algorithm>
#include <stdexcept>

namespace zd {

drop_reporter_t::drop_reporter_t(std::size_t sides, clock::duration interval)
    : interval_(interval), sides_(sides) {}

drop_reporter_t::report_t drop_reporter_t::report(std::size_t index, clock::time_point now) {
    side_t& side = sides_[index];
    const report_t made{index, side.total - side.reported, side.total};
    side.reported = side.total;
    side.ever_reported = true;
    side.last_report = now;
    return made;
}

std::vector<drop_reporter_t::report_t>
drop_reporter_t::update(std::span<const std::uint64_t> totals, clock::time_point now) {
    if (totals.size() != sides_.size())
        throw std::invalid_argument("drop_reporter_t: expected one total per side");
    std::vector<report_t> due;
    for (std::size_t i = 0; i < sides_.size(); ++i) {
        side_t& side = sides_[i];
        side.total = std::max(side.total, totals[i]);
        if (side.total == side.reported) continue;
        if (!side.ever_reported || now - side.last_report >= interval_)
            due.push_back(report(i, now));
    }
    return due;
}

drop_reporter_t::clock::time_point drop_reporter_t::next_due() const {
    auto next = clock::time_point::max();
    for (const side_t& side : sides_)
        if (side.total != side.reported)
            next = std::min(next, side.ever_reported ? side.last_report + interval_
                                                     : clock::time_point::min());
    return next;
}

std::vector<drop_reporter_t::report_t> drop_reporter_t::flush() {
    std::vector<report_t> left;
    for (std::size_t i = 0; i < sides_.size(); ++i)
        if (sides_[i].total != sides_[i].reported) left.push_back(report(i, sides_[i].last_report));
    return left;
}

} // namespace zd
