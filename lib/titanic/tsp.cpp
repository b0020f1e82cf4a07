// 9/TSP helpers: UUIDs and the validation of titanic.request bodies (see tsp.hpp).
#include "titanic/tsp.hpp"

namespace zd::titanic {

std::optional<std::string> normalize_uuid(std::string_view text) {
    if (text.size() != uuid_size) return std::nullopt;
    std::string uuid(text);
    for (char& c : uuid) {
        if (c >= '0' && c <= '9') continue;
        if (c >= 'a' && c <= 'f') continue;
        if (c >= 'A' && c <= 'F') {
            c = char(c - 'A' + 'a');
            continue;
        }
        return std::nullopt;
    }
    return uuid;
}

uuid_generator_t::uuid_generator_t() {
    // Several words of entropy, so two processes started together never share a sequence.
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    engine_.seed(seed);
}

std::string uuid_generator_t::next() {
    static constexpr char hex[] = "0123456789abcdef";
    std::string uuid(uuid_size, '0');
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = engine_();
        for (int i = 0; i < 16; ++i, bits >>= 4)
            uuid[std::size_t(half * 16 + i)] = hex[bits & 15];
    }
    return uuid;
}

request_error check_request(const std::string_view* frames, std::size_t count) {
    if (count < 2)
        return count == 1 && frames[0].empty() ? request_error::empty_service
                                               : request_error::no_body;
    const std::string_view service = frames[0];
    if (service.empty()) return request_error::empty_service;
    if (service.size() > max_service_name) return request_error::service_too_long;
    if (service.starts_with("titanic.")) return request_error::titanic_service;
    return request_error::none;
}

const char* describe(request_error error) {
    switch (error) {
    case request_error::none:
        return "ok";
    case request_error::no_body:
        return "a titanic.request needs a service name and at least one body frame";
    case request_error::empty_service:
        return "empty service name";
    case request_error::service_too_long:
        return "service name longer than 255 bytes";
    case request_error::titanic_service:
        return "titanic.* services cannot be requested through Titanic";
    }
    return "?";
}

} // namespace zd::titanic
