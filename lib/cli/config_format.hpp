// --config and --print-config for CLI11, in our own format (cli/config_file.hpp): reading
// turns the file's lines into CLI11's config items after checking each key names an option
// of the program (else "FILE:LINE: unknown option 'fronted'"); writing prints every option
// with its effective value, defaults included, under the program's section, and options
// with no value (a required one not given, an optional endpoint) as comments, so the output
// is a template that reads back as the same configuration.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

namespace zd {

class config_format_t : public CLI::Config {
public:
    // app is the program whose options the file sets; it must outlive the format.
    explicit config_format_t(const CLI::App& app) : app_(app) {}

    // The configuration as text, every option of app with its effective value.
    std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                          std::string prefix) const override;

    // The items of the --config file given to app (input is that file). Throws
    // CLI::ConfigError ("FILE:LINE: ...") for a line that is not right.
    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

    // "FILE:LINE" of the line that gave the value of the option named name (as CLI11 names
    // it in errors, e.g. "--hwm"), or "" if its value did not come from the file.
    std::string origin_of(const std::string& name) const;

private:
    const CLI::App& app_;
    mutable std::map<std::string, std::string> origins_; // option name -> "FILE:LINE"
};

// message, a CLI11 error about an option, led by "FILE:LINE: " when app's configuration
// file gave that option its value: "q.ini:3: --hwm: must be a whole number ...".
std::string with_config_origin(const CLI::App& app, const std::string& message);

// Adds --config FILE to app, read with config_format_t, which also writes --print-config.
void add_config_option(CLI::App& app);

} // namespace zd
