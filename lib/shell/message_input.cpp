#include "shell/message_input.hpp"

namespace zd::shell {

void record_splitter_t::feed(std::string_view bytes) {
    // Drop consumed bytes before growing, so memory stays near one record plus one chunk.
    if (start_ > 0 && start_ >= buffer_.size() / 2) {
        buffer_.erase(0, start_);
        start_ = 0;
    }
    buffer_.append(bytes);
}

std::optional<std::string> record_splitter_t::next() {
    const auto end = buffer_.find(delimiter_, start_);
    if (end == std::string::npos) return std::nullopt;
    std::string record = buffer_.substr(start_, end - start_);
    start_ = end + 1;
    return record;
}

std::optional<std::string> record_splitter_t::finish() {
    if (auto record = next()) return record;
    if (start_ >= buffer_.size()) return std::nullopt;
    std::string record = buffer_.substr(start_);
    buffer_.clear();
    start_ = 0;
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

} // namespace zd::shell
