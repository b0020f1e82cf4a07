// The ZAP codec: see zap_request.hpp for the frames.
#include "security/zap_request.hpp"

#include <stdexcept>

namespace zd::security {

namespace {

constexpr std::size_t envelope_frames = 2; // routing id, empty delimiter
constexpr std::size_t fixed_frames = 6;    // version .. mechanism

struct mechanism_entry_t {
    zap_mechanism mechanism;
    std::string_view name;
    std::size_t credential_frames;
};
constexpr mechanism_entry_t mechanisms[] = {
    {zap_mechanism::null, "NULL", 0},
    {zap_mechanism::plain, "PLAIN", 2},
    {zap_mechanism::curve, "CURVE", 1},
    {zap_mechanism::gssapi, "GSSAPI", 1},
};

const mechanism_entry_t* find_mechanism(std::string_view name) {
    for (const auto& entry : mechanisms)
        if (entry.name == name) return &entry;
    return nullptr;
}

const mechanism_entry_t& entry_of(zap_mechanism mechanism) {
    for (const auto& entry : mechanisms)
        if (entry.mechanism == mechanism) return entry;
    return mechanisms[0];
}

void put_uint32(std::string& out, std::uint32_t value) {
    out.push_back(char(value >> 24));
    out.push_back(char(value >> 16));
    out.push_back(char(value >> 8));
    out.push_back(char(value));
}

std::uint32_t get_uint32(std::string_view bytes) {
    return std::uint32_t(std::uint8_t(bytes[0])) << 24 |
           std::uint32_t(std::uint8_t(bytes[1])) << 16 |
           std::uint32_t(std::uint8_t(bytes[2])) << 8 | std::uint32_t(std::uint8_t(bytes[3]));
}

bool parse_status(std::string_view text, zap_status& status) {
    if (text == "200")
        status = zap_status::ok;
    else if (text == "300")
        status = zap_status::temporary;
    else if (text == "400")
        status = zap_status::refused;
    else if (text == "500")
        status = zap_status::internal;
    else
        return false;
    return true;
}

} // namespace

const char* mechanism_name(zap_mechanism mechanism) {
    return entry_of(mechanism).name.data(); // the literals are NUL-terminated
}

const char* describe(zap_parse_error error) {
    switch (error) {
    case zap_parse_error::none:
        return "well-formed";
    case zap_parse_error::no_envelope:
        return "no ROUTER envelope";
    case zap_parse_error::missing_delimiter:
        return "no empty delimiter after the routing id";
    case zap_parse_error::missing_frames:
        return "fewer than the 6 frames of a ZAP request";
    case zap_parse_error::wrong_version:
        return "ZAP version is not 1.0";
    case zap_parse_error::unknown_mechanism:
        return "unknown mechanism";
    case zap_parse_error::wrong_credentials:
        return "wrong number of credential frames";
    case zap_parse_error::curve_key_size:
        return "CURVE key is not 32 bytes";
    }
    return "unknown error";
}

zap_parsed_t parse_zap_request(const std::string_view* frames, std::size_t count) {
    zap_parsed_t parsed;
    auto fail = [&](zap_parse_error error) {
        parsed.error = error;
        return parsed;
    };
    if (count < envelope_frames) return fail(zap_parse_error::no_envelope);
    zap_request_t& request = parsed.request;
    request.routing_id = frames[0];
    if (!frames[1].empty()) return fail(zap_parse_error::missing_delimiter);
    const std::string_view* body = frames + envelope_frames;
    const std::size_t body_count = count - envelope_frames;
    if (body_count >= 2) request.request_id = body[1]; // so that even a bad request is answered
    if (body_count < fixed_frames) return fail(zap_parse_error::missing_frames);
    if (body[0] != zap_version) return fail(zap_parse_error::wrong_version);
    request.domain = body[2];
    request.address = body[3];
    request.identity = body[4];
    const mechanism_entry_t* mechanism = find_mechanism(body[5]);
    if (mechanism == nullptr) return fail(zap_parse_error::unknown_mechanism);
    request.mechanism = mechanism->mechanism;
    if (body_count - fixed_frames != mechanism->credential_frames)
        return fail(zap_parse_error::wrong_credentials);
    if (request.mechanism == zap_mechanism::curve && body[6].size() != curve_key_bytes)
        return fail(zap_parse_error::curve_key_size);
    for (std::size_t i = fixed_frames; i < body_count; ++i)
        request.credentials.emplace_back(body[i]);
    return parsed;
}

std::vector<std::string> encode_zap_request(const zap_request_t& request) {
    std::vector<std::string> frames{request.routing_id,       "",
                                    std::string(zap_version), request.request_id,
                                    request.domain,           request.address,
                                    request.identity,         mechanism_name(request.mechanism)};
    frames.insert(frames.end(), request.credentials.begin(), request.credentials.end());
    return frames;
}

std::string encode_zap_metadata(const zap_metadata_t& metadata) {
    std::string out;
    for (const auto& [name, value] : metadata) {
        if (name.empty() || name.size() > 255)
            throw std::invalid_argument("ZAP metadata name '" + name +
                                        "' must be 1 to 255 bytes long");
        if (value.size() > 0x7fffffffu)
            throw std::invalid_argument("ZAP metadata value of '" + name + "' is too long");
        out.push_back(char(name.size()));
        out += name;
        put_uint32(out, std::uint32_t(value.size()));
        out += value;
    }
    return out;
}

bool decode_zap_metadata(std::string_view bytes, zap_metadata_t& metadata) {
    metadata.clear();
    while (!bytes.empty()) {
        const std::size_t name_size = std::uint8_t(bytes[0]);
        if (name_size == 0 || bytes.size() < 1 + name_size + 4) return false;
        std::string name(bytes.substr(1, name_size));
        bytes.remove_prefix(1 + name_size);
        const std::uint32_t value_size = get_uint32(bytes);
        bytes.remove_prefix(4);
        if (value_size > bytes.size()) return false;
        metadata.emplace_back(std::move(name), std::string(bytes.substr(0, value_size)));
        bytes.remove_prefix(value_size);
    }
    return true;
}

std::vector<std::string> encode_zap_reply(const zap_reply_t& reply) {
    return {reply.routing_id,
            "",
            std::string(zap_version),
            reply.request_id,
            std::to_string(unsigned(reply.status)),
            reply.status_text,
            reply.user_id,
            encode_zap_metadata(reply.metadata)};
}

bool parse_zap_reply(const std::string_view* frames, std::size_t count, zap_reply_t& reply) {
    if (count != envelope_frames + 6 || !frames[1].empty() || frames[2] != zap_version)
        return false;
    if (!parse_status(frames[4], reply.status)) return false;
    reply.routing_id = frames[0];
    reply.request_id = frames[3];
    reply.status_text = frames[5];
    reply.user_id = frames[6];
    return decode_zap_metadata(frames[7], reply.metadata);
}

} // namespace zd::security
