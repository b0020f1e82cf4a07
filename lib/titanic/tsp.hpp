// The Titanic Service Protocol (9/TSP) as zd-titanic speaks it: the three service names,
// the status codes, request UUIDs, and the journal record types a Titanic store writes.
// Kept apart from the store and the sockets so the fuzzer and the unit tests can reach the
// validation rules directly. Frame tables: docs/TITANIC.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace zd::titanic {

inline constexpr std::string_view service_request = "titanic.request";
inline constexpr std::string_view service_reply = "titanic.reply";
inline constexpr std::string_view service_close = "titanic.close";

// 9/TSP status frames (three digits; no other codes are allowed by the RFC).
inline constexpr std::string_view status_ok = "200";      // done / stored / reply follows
inline constexpr std::string_view status_pending = "300"; // no reply yet: ask again later
inline constexpr std::string_view status_unknown = "400"; // unknown UUID or bad request
inline constexpr std::string_view status_error = "500";   // cannot now (full): try later

// Journal record types: frame 0 of every record, frame 1 the UUID.
inline constexpr std::string_view record_request = "REQ"; // then service, body+
inline constexpr std::string_view record_reply = "REP";   // then the reply's frames
inline constexpr std::string_view record_close = "CLOSE"; // nothing more

inline constexpr std::size_t uuid_size = 32;
inline constexpr std::size_t max_service_name = 255; // as MDP allows

// A UUID as the store keys it: 32 lower-case hex characters. Returns nullopt unless text is
// exactly 32 characters of [0-9a-fA-F] (the RFC allows either case; we answer lower case).
std::optional<std::string> normalize_uuid(std::string_view text);

// Random 128-bit UUIDs as 32 lower-case hex characters. Seeded once from std::random_device;
// not thread-safe (one per thread).
class uuid_generator_t {
public:
    uuid_generator_t();
    std::string next();

private:
    std::mt19937_64 engine_;
};

// Why a titanic.request body is refused with 400 (none = acceptable).
enum class request_error : std::uint8_t {
    none,
    no_body,          // only a service name: the RFC wants a service and at least one frame
    empty_service,    // a service name of zero bytes
    service_too_long, // longer than max_service_name
    titanic_service,  // a titanic.* service: Titanic would queue requests to itself
};

// Checks the frames of a titanic.request body (service, body+).
request_error check_request(const std::string_view* frames, std::size_t count);

const char* describe(request_error error);

} // namespace zd::titanic
