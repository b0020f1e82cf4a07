// Certificates as text: ZPL properties (security/zpl_reader.hpp) mapped to keys and metadata,
// and the same written back in the layout CZMQ's zcert_save uses.
#include "security/certificate.hpp"

#include "security/z85_key.hpp"
#include "security/zpl_reader.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace zd::security {

namespace {

[[noreturn]] void refuse(std::string_view origin, int line, const std::string& reason) {
    std::string where(origin);
    if (line > 0) where += ":" + std::to_string(line);
    throw certificate_error(where + ": " + reason);
}

// The one top-level section called name, or nullptr.
const zpl_node_t* find_section(const std::vector<zpl_node_t>& top, std::string_view name,
                               std::string_view origin) {
    const zpl_node_t* found = nullptr;
    for (const auto& node : top) {
        if (node.name != name) continue;
        if (found)
            refuse(origin, node.line,
                   "a second '" + std::string(name) + "' section (the first is on line " +
                       std::to_string(found->line) + "); keep one");
        found = &node;
    }
    return found;
}

// Each property of section at most once (CZMQ would take the first: we refuse to guess).
void refuse_repeats(const zpl_node_t& section, std::string_view origin) {
    for (auto it = section.children.begin(); it != section.children.end(); ++it) {
        const auto earlier =
            std::find_if(section.children.begin(), it,
                         [&](const zpl_node_t& other) { return other.name == it->name; });
        if (earlier != it)
            refuse(origin, it->line,
                   "'" + section.name + "/" + it->name + "' given twice (also on line " +
                       std::to_string(earlier->line) + "); keep one");
    }
}

const zpl_node_t* find_property(const zpl_node_t& section, std::string_view name) {
    const auto it = std::find_if(section.children.begin(), section.children.end(),
                                 [&](const zpl_node_t& node) { return node.name == name; });
    return it == section.children.end() ? nullptr : &*it;
}

std::string read_key(const zpl_node_t& property, std::string_view origin) {
    const std::string problem = z85_key_problem(property.value);
    if (!problem.empty())
        refuse(origin, property.line,
               "curve/" + property.name + " " + problem +
                   " (the file is damaged or not a CURVE certificate; make a new one with "
                   "zd-keygen)");
    return property.value;
}

std::string date_now() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char text[32] = {};
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    return text;
}

std::string certificate_text(const certificate_t& certificate, bool with_secret) {
    std::string text = "#   ****  Generated on " + date_now() + " by zdevices  ****\n";
    if (with_secret) {
        text += "#   ZeroMQ CURVE **Secret** Certificate\n"
                "#   Keep this file private (mode 0600): whoever holds it can act as its owner.\n";
    } else {
        text += "#   ZeroMQ CURVE Public Certificate\n"
                "#   Hand this file to the peers that must accept this key, by a channel you\n"
                "#   trust, and check it arrived unchanged.\n";
    }
    text += "\nmetadata\n";
    for (const auto& [name, value] : certificate.metadata)
        text += "    " + name + " = \"" + value + "\"\n";
    text += "curve\n";
    text += "    public-key = \"" + certificate.public_key + "\"\n";
    if (with_secret) text += "    secret-key = \"" + certificate.secret_key + "\"\n";
    return text;
}

} // namespace

std::string certificate_t::name() const {
    for (const auto& [key, value] : metadata)
        if (key == "name") return value;
    return {};
}

std::string metadata_problem(std::string_view name, std::string_view value) {
    const auto is_name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("$-_@.&+/").find(c) != std::string_view::npos;
    };
    if (name.empty()) return "the metadata name is empty";
    if (name.size() > 255) return "the metadata name is longer than 255 characters";
    if (!std::all_of(name.begin(), name.end(), is_name_char))
        return "metadata name '" + std::string(name) +
               "' may use only letters, digits and $-_@.&+/";
    if (name.front() == '/' || name.back() == '/')
        return "metadata name '" + std::string(name) + "' starts or ends with '/'";
    if (value.find('"') != std::string_view::npos)
        return "metadata value '" + std::string(value) + "' holds a '\"', which CZMQ cannot read";
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return "the value of metadata '" + std::string(name) + "' holds a control character";
    return {};
}

certificate_t new_certificate(std::vector<std::pair<std::string, std::string>> metadata) {
    for (auto it = metadata.begin(); it != metadata.end(); ++it) {
        const std::string problem = metadata_problem(it->first, it->second);
        if (!problem.empty()) throw certificate_error(problem);
        if (std::any_of(metadata.begin(), it,
                        [&](const auto& other) { return other.first == it->first; }))
            throw certificate_error("metadata '" + it->first + "' given twice");
    }
    key_pair_t keys = new_key_pair();
    return {std::move(keys.public_key), std::move(keys.secret_key), std::move(metadata)};
}

certificate_t parse_certificate(std::string_view text, std::string_view origin) {
    std::vector<zpl_node_t> top;
    try {
        top = read_zpl(text);
    } catch (const zpl_error& error) {
        refuse(origin, error.line(), std::string(error.what()) + " (not a ZPL certificate file)");
    }
    certificate_t certificate;
    const zpl_node_t* curve = find_section(top, "curve", origin);
    if (!curve)
        refuse(origin, 0,
               "no 'curve' section with a public-key: not a CURVE certificate (make one with "
               "zd-keygen NAME)");
    refuse_repeats(*curve, origin);
    const zpl_node_t* public_key = find_property(*curve, "public-key");
    if (!public_key)
        refuse(origin, curve->line,
               "the 'curve' section has no public-key (make a new certificate with zd-keygen)");
    certificate.public_key = read_key(*public_key, origin);
    if (const zpl_node_t* secret_key = find_property(*curve, "secret-key")) {
        certificate.secret_key = read_key(*secret_key, origin);
        if (public_key_of(certificate.secret_key) != certificate.public_key)
            refuse(origin, secret_key->line,
                   "curve/secret-key does not belong to curve/public-key (the file was edited "
                   "or mixed from two certificates; make a new one with zd-keygen)");
    }
    if (const zpl_node_t* metadata = find_section(top, "metadata", origin)) {
        refuse_repeats(*metadata, origin);
        for (const auto& item : metadata->children)
            certificate.metadata.emplace_back(item.name, item.value);
    }
    return certificate;
}

std::string public_certificate_text(const certificate_t& certificate) {
    return certificate_text(certificate, false);
}

std::string secret_certificate_text(const certificate_t& certificate) {
    return certificate_text(certificate, true);
}

} // namespace zd::security
