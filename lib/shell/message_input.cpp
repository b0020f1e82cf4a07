#include "shell/message_input.hpp"

#include <algorithm>

namespace zd::shell {

void record_splitter_t::feed(std::string_view bytes) {
    // Drop consumed bytes before growing, so memory stays near one record plus one chunk.
    // Moving at most as many bytes as were consumed keeps the cost linear overall.
    if (start_ > 0 && start_ >= buffer_.size() / 2) {
        buffer_.erase(0, start_);
        searched_ -= start_;
        start_ = 0;
    }
    buffer_.append(bytes);
}

std::optional<std::string> record_splitter_t::next() {
    // Search only what no earlier call has searched: a long line arriving in many chunks
    // would otherwise be searched again from its start after every chunk (quadratic).
    const auto end = buffer_.find(delimiter_, searched_);
    searched_total_ += (end == std::string::npos ? buffer_.size() : end + 1) - searched_;
    if (end == std::string::npos) {
        searched_ = buffer_.size();
        return std::nullopt;
    }
    return take_record(end);
}

// The record buffer_[start_, end), with the delimiter at end. A record that fills most of the
// buffer (one huge line) is moved out rather than copied, and only the short rest behind it
// is copied, so a 128 MiB line is not held twice.
std::string record_splitter_t::take_record(std::size_t end) {
    std::string record;
    if (start_ == 0 && end >= buffer_.size() / 2) {
        std::string rest = buffer_.substr(std::min(end + 1, buffer_.size()));
        record = std::move(buffer_);
        record.resize(end);
        buffer_ = std::move(rest);
        start_ = searched_ = 0;
    } else {
        record = buffer_.substr(start_, end - start_);
        start_ = searched_ = end + 1;
    }
    return record;
}

std::optional<std::string> record_splitter_t::finish() {
    if (auto record = next()) return record;
    if (start_ >= buffer_.size()) return std::nullopt;
    std::string record = take_record(buffer_.size()); // no delimiter after the last record
    buffer_.clear();
    start_ = searched_ = 0;
    return record;
}

std::vector<std::string> split_frames(std::string_view message, std::string_view separator) {
    if (separator.empty()) return {std::string(message)};
    std::vector<std::string> frames;
    std::size_t start = 0;
    while (true) {
        const auto at = message.find(separator, start);
        if (at == std::string_view::npos) {
            frames.emplace_back(message.substr(start));
            return frames;
        }
        frames.emplace_back(message.substr(start, at - start));
        start = at + separator.size();
    }
}

std::vector<std::string> take_frames(std::string message, std::string_view separator) {
    if (!separator.empty()) return split_frames(message, separator);
    std::vector<std::string> frames;
    frames.push_back(std::move(message)); // one frame: no copy of a long message
    return frames;
}

} // namespace zd::shell
