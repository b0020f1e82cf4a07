#include "ops/prometheus_text.hpp"

#include "ops/metric_table.hpp"

#include <charconv>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <stdexcept>
#include <unordered_map>

namespace zd::ops {

namespace {

struct label_t {
    std::string name;
    std::string value;
};
using labels_t = std::vector<label_t>;

struct sample_t {
    labels_t labels;
    std::string value;
};

// One metric family: all its samples are written together under one HELP and TYPE, as the
// format requires, whatever order the STATS members came in.
struct family_t {
    std::string name;
    std::string_view type;
    std::string help;
    std::vector<sample_t> samples;
};

class exposition_t {
public:
    family_t& family(std::string_view name, std::string_view type, std::string_view help) {
        const auto [it, inserted] = index_.try_emplace(std::string(name), families_.size());
        if (inserted) families_.push_back({std::string(name), type, std::string(help), {}});
        return families_[it->second];
    }

    std::string render() const {
        std::string out;
        for (const auto& family : families_) {
            if (family.samples.empty()) continue;
            out += "# HELP " + family.name + ' ' + escape_help(family.help) + '\n';
            out += "# TYPE " + family.name + ' ' + std::string(family.type) + '\n';
            for (const auto& sample : family.samples) {
                out += family.name;
                if (!sample.labels.empty()) {
                    out += '{';
                    for (std::size_t i = 0; i < sample.labels.size(); ++i) {
                        if (i > 0) out += ',';
                        out += sample.labels[i].name + "=\"" +
                               escape_label_value(sample.labels[i].value) + '"';
                    }
                    out += '}';
                }
                out += ' ' + sample.value + '\n';
            }
        }
        return out;
    }

private:
    std::vector<family_t> families_;
    std::unordered_map<std::string, std::size_t> index_;
};

template <typename Number>
std::string decimal(Number number) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
    return std::string(buffer, result.ptr);
}

// A JSON number or boolean as a sample value, converted to the metric's unit. Integers stay
// exact (no trip through double): counters of bytes pass 2^53 on a busy device.
std::string sample_value(const rapidjson::Value& value, unit_conversion conversion) {
    if (value.IsBool()) return value.GetBool() ? "1" : "0";
    if (conversion == unit_conversion::milliseconds_to_seconds) {
        if (value.IsUint64()) {
            const std::uint64_t ms = value.GetUint64();
            const std::string fraction = decimal(1000 + ms % 1000).substr(1); // 3 digits
            return decimal(ms / 1000) + '.' + fraction;
        }
        return decimal(value.GetDouble() / 1000);
    }
    if (value.IsUint64()) return decimal(value.GetUint64());
    if (value.IsInt64()) return decimal(value.GetInt64());
    return decimal(value.GetDouble());
}

std::string_view type_name(member_use use) {
    return use == member_use::counter ? "counter" : "gauge";
}

std::string text_of(const rapidjson::Value& value) {
    return value.IsString() ? std::string(value.GetString(), value.GetStringLength()) : "";
}

// Walks the STATS tree, matching each member's path against the table.
class converter_t {
public:
    explicit converter_t(const rapidjson::Value& stats) {
        const auto device = stats.FindMember("device");
        device_ = device != stats.MemberEnd() ? text_of(device->value) : "";
        // zd_info first: which release and engine, the one sample a dashboard joins on.
        exposition_.family("zd_info", "gauge",
                           "Always 1; its labels say which release (and engine) the device runs.");
    }

    void walk_object(const rapidjson::Value& object, const std::string& prefix,
                     const labels_t& labels) {
        for (const auto& member : object.GetObject()) {
            const std::string name(member.name.GetString(), member.name.GetStringLength());
            walk(member.value, prefix.empty() ? name : prefix + '.' + name, labels);
        }
    }

    prometheus_text_t finish() {
        labels_t info{{"device", device_}};
        info.insert(info.end(), info_labels_.begin(), info_labels_.end());
        exposition_.family("zd_info", "gauge", "").samples.push_back({info, "1"});
        return {exposition_.render(), std::move(unmapped_)};
    }

private:
    void walk(const rapidjson::Value& value, const std::string& path, const labels_t& labels) {
        const metric_entry_t* entry = find_metric_entry(path);
        if (entry && entry->use == member_use::collection)
            return walk_collection(*entry, value, labels);
        // An object is a group of members ("frontend", "broker", "log"): its members have
        // entries of their own. (zd-titanic's "broker" is text, zd-broker's an object.)
        if (value.IsObject()) return walk_object(value, path, labels);
        if (!entry) return unknown(value, path, labels);
        switch (entry->use) {
        case member_use::counter:
        case member_use::gauge:
            if (!value.IsNumber() && !value.IsBool()) return unknown(value, path, labels);
            add_sample(*entry, value, labels);
            return;
        case member_use::state:
            return add_state(*entry, text_of(value), labels);
        case member_use::info_label:
            info_labels_.push_back({std::string(entry->name), text_of(value)});
            return;
        case member_use::device_label:
        case member_use::not_a_metric:
        case member_use::collection:
            return;
        }
    }

    void walk_collection(const metric_entry_t& entry, const rapidjson::Value& value,
                         const labels_t& labels) {
        const std::string path(entry.path);
        if (value.IsObject()) { // keyed by name: "services":{"echo":{...}}
            for (const auto& member : value.GetObject()) {
                if (!member.value.IsObject()) {
                    unknown(member.value, path + ".*", labels);
                    continue;
                }
                labels_t inner = labels;
                inner.push_back({std::string(entry.name), text_of(member.name)});
                walk_object(member.value, path + ".*", inner);
            }
        } else if (value.IsArray()) { // "consumers":[{"name":"billing",...}]
            for (const auto& element : value.GetArray()) {
                if (!element.IsObject()) {
                    unknown(element, path + "[]", labels);
                    continue;
                }
                const auto key = element.FindMember(rapidjson::StringRef(
                    entry.key_member.data(), rapidjson::SizeType(entry.key_member.size())));
                labels_t inner = labels;
                inner.push_back({std::string(entry.name),
                                 key != element.MemberEnd() ? text_of(key->value) : ""});
                walk_object(element, path + "[]", inner);
            }
        } else {
            unknown(value, path, labels);
        }
    }

    void add_sample(const metric_entry_t& entry, const rapidjson::Value& value,
                    const labels_t& labels) {
        labels_t all = with_device(labels);
        if (!entry.label_name.empty())
            all.push_back({std::string(entry.label_name), std::string(entry.label_value)});
        exposition_.family(entry.name, type_name(entry.use), entry.help)
            .samples.push_back({std::move(all), sample_value(value, entry.conversion)});
    }

    void add_state(const metric_entry_t& entry, const std::string& current,
                   const labels_t& labels) {
        auto& family = exposition_.family(entry.name, "gauge", entry.help);
        bool known = false;
        for (const auto state : known_states()) {
            labels_t all = with_device(labels);
            all.push_back({"state", std::string(state)});
            family.samples.push_back({std::move(all), state == current ? "1" : "0"});
            known = known || state == current;
        }
        if (!known) { // a state this release does not list: still shown, never hidden
            labels_t all = with_device(labels);
            all.push_back({"state", current});
            family.samples.push_back({std::move(all), "1"});
        }
    }

    // A member the table does not know: listed, and exported under a generic name when it
    // is a number, so a new counter is visible (and the tests fail) rather than lost.
    void unknown(const rapidjson::Value& value, const std::string& path, const labels_t& labels) {
        if (value.IsArray()) {
            // Array elements are labelled by position ("index", "index_1" when nested).
            std::size_t depth = 0;
            for (const auto& label : labels)
                depth += label.name.starts_with("index");
            const std::string label = depth == 0 ? "index" : "index_" + std::to_string(depth);
            std::size_t position = 0;
            for (const auto& element : value.GetArray()) {
                labels_t inner = labels;
                inner.push_back({label, std::to_string(position++)});
                if (element.IsObject())
                    walk_object(element, path + "[]", inner);
                else
                    unknown(element, path + "[]", inner);
            }
            return;
        }
        note_unmapped(path);
        if (!value.IsNumber() && !value.IsBool()) return;
        labels_t all = with_device(labels);
        all.push_back({"member", path});
        exposition_
            .family(unmapped_metric_name, "untyped",
                    "A numeric STATS member this release has no metric for (member: its path). "
                    "See docs/METRICS.md.")
            .samples.push_back({std::move(all), sample_value(value, unit_conversion::none)});
    }

    void note_unmapped(const std::string& path) {
        for (const auto& seen : unmapped_)
            if (seen == path) return;
        unmapped_.push_back(path);
    }

    labels_t with_device(const labels_t& labels) const {
        labels_t all{{"device", device_}};
        all.insert(all.end(), labels.begin(), labels.end());
        return all;
    }

    std::string device_;
    labels_t info_labels_;
    exposition_t exposition_;
    std::vector<std::string> unmapped_;
};

} // namespace

prometheus_text_t prometheus_text(std::string_view stats_json) {
    rapidjson::Document document;
    document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag>(
        stats_json.data(), stats_json.size());
    if (document.HasParseError())
        throw std::invalid_argument(std::string("STATS is not valid JSON: ") +
                                    rapidjson::GetParseError_En(document.GetParseError()) +
                                    " at byte " + std::to_string(document.GetErrorOffset()));
    if (!document.IsObject()) throw std::invalid_argument("STATS is not a JSON object");
    converter_t converter(document);
    converter.walk_object(document, "", {});
    return converter.finish();
}

std::string escape_label_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

} // namespace zd::ops
