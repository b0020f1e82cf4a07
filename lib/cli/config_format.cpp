#include "cli/config_format.hpp"

#include "cli/config_file.hpp"

#include <iterator>
#include <sstream>

namespace zd {

namespace {

// The option a configuration key names, as CLI11 looks it up: a long name, a one-letter
// short name, or a positional's name.
const CLI::Option* option_named(const CLI::App& app, const std::string& key) {
    const CLI::Option* option = app.get_option_no_throw("--" + key);
    if (option == nullptr && key.size() == 1) option = app.get_option_no_throw("-" + key);
    if (option == nullptr) option = app.get_option_no_throw(key);
    return option;
}

bool is_false(const std::string& value) {
    return value == "false" || value == "0" || value == "off" || value == "no";
}

bool takes_several_values(const CLI::Option& option) {
    return option.get_items_expected_max() > 1;
}

// The values an entry gives its option: a list's items, a quoted value whole, an unquoted
// value split at blanks for an option that takes several values (as CLI11's reader did).
std::vector<std::string> inputs_of(const config::entry_t& entry, const CLI::Option& option) {
    if (entry.is_list) return entry.items;
    if (!entry.quoted && takes_several_values(option)) return config::split_words(entry.value);
    return {entry.value};
}

// A value as the reader reads it back: quoted when it is empty, has blanks at its ends or
// (for an option that splits) inside, or starts with a character the reader treats apart.
std::string written_value(const std::string& value, bool splits) {
    const bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
                       value.find_first_of("\"'[#;") != 0 &&
                       (!splits || value.find_first_of(" \t") == std::string::npos);
    if (plain) return value;
    const char quote = value.find('"') == std::string::npos ? '"' : '\'';
    return quote + value + quote;
}

// Every line of text as a comment.
std::string as_comment(const std::string& text) {
    std::string out = "# ";
    for (const char c : text)
        out += c == '\n' ? std::string("\n# ") : std::string(1, c);
    return out + "\n";
}

// The value line of one option: "key = value", or "# key =" when it has none.
std::string option_line(const CLI::Option& option) {
    const std::string key = option.get_single_name();
    const bool splits = takes_several_values(option);
    const std::vector<std::string> results = option.reduced_results();
    if (option.count() > 0 && option.get_expected_min() == 0) { // a flag given
        // A repeated flag (-vv) counts; a flag given once says its value (true, or false).
        const std::string value = option.count() > 1 ? std::to_string(option.count())
                                  : results.empty()  ? "true"
                                                     : results.front();
        return key + " = " + value + "\n";
    }
    if (option.count() > 0 && results.size() == 1)
        return key + " = " + written_value(results.front(), splits) + "\n";
    if (option.count() > 0) {
        std::string list;
        for (const auto& result : results)
            list += (list.empty() ? "" : ", ") + written_value(result, true);
        return key + " = [" + list + "]\n";
    }
    if (!option.get_default_str().empty())
        return key + " = " + written_value(option.get_default_str(), splits) + "\n";
    if (option.get_expected_min() == 0) return key + " = false\n";
    return "# " + key + " =" + (option.get_required() ? "   (required)" : "") + "\n";
}

bool printed(const CLI::App& app, const CLI::Option* option) {
    return option->get_configurable() && option != app.get_help_ptr() &&
           option != app.get_help_all_ptr() && option != app.get_config_ptr() &&
           option != app.get_version_ptr() && !option->get_single_name().empty();
}

} // namespace

std::string config_format_t::to_config(const CLI::App* app, bool, bool write_description,
                                       std::string) const {
    std::ostringstream out;
    if (write_description)
        out << as_comment(app->get_description() +
                          "\nOptions with no value are commented out; a required one must be "
                          "given before the program starts.");
    out << "[" << app->get_name() << "]\n";
    for (const CLI::Option* option : app->get_options()) {
        if (!printed(*app, option)) continue;
        if (write_description && !option->get_description().empty())
            out << "\n" << as_comment(option->get_description());
        out << option_line(*option);
    }
    return out.str();
}

std::vector<CLI::ConfigItem> config_format_t::from_config(std::istream& input) const {
    const auto& files = app_.get_config_ptr()->results();
    if (files.size() != 1) throw CLI::ConfigError("--config: give one configuration file");
    const std::string& file = files.front();
    const std::string text{std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
    std::vector<config::entry_t> entries;
    try {
        entries = config::read_config(text, file, app_.get_name());
    } catch (const config::config_error& error) {
        throw CLI::ConfigError(error.what());
    }
    std::vector<CLI::ConfigItem> items;
    for (const auto& entry : entries) {
        const CLI::Option* option = option_named(app_, entry.key);
        if (option == nullptr)
            throw CLI::ConfigError(
                config::at_line(file, entry.line, "unknown option '" + entry.key + "'"));
        if (!printed(app_, option))
            throw CLI::ConfigError(config::at_line(
                file, entry.line, "'" + entry.key + "' cannot be set in a configuration file"));
        // A flag set to false is a flag not given (every flag here starts false): so a
        // --print-config file, which lists every flag, does not trip excludes() between flags.
        if (option->get_expected_min() == 0 && !entry.is_list && is_false(entry.value)) continue;
        // CLI11 takes a file's value only for an option the command line left empty.
        if (option->empty()) origins_[option->get_name()] = file + ":" + std::to_string(entry.line);
        CLI::ConfigItem item;
        item.name = entry.key;
        item.inputs = inputs_of(entry, *option);
        items.push_back(std::move(item));
    }
    return items;
}

std::string config_format_t::origin_of(const std::string& name) const {
    const auto found = origins_.find(name);
    return found == origins_.end() ? std::string() : found->second;
}

std::string with_config_origin(const CLI::App& app, const std::string& message) {
    const auto format = std::dynamic_pointer_cast<config_format_t>(app.get_config_formatter());
    const auto colon = message.find(':');
    if (format == nullptr || colon == std::string::npos) return message;
    const std::string origin = format->origin_of(message.substr(0, colon));
    return origin.empty() ? message : origin + ": " + message;
}

void add_config_option(CLI::App& app) {
    app.set_config("--config", "",
                   "Read options from an INI file: 'key = value' lines (hwm = 5000), "
                   "'[program]' sections (see --print-config)");
    app.config_formatter(std::make_shared<config_format_t>(app));
}

} // namespace zd
