#include "cli/journal_log_options.hpp"

#include "cli/number_option.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace zd::journal {

void apply_fsync_option(std::string_view text, log_options_t& log) {
    if (text == "always" || text == "batch" || text == "never") {
        log.policy = text == "always"  ? fsync_policy::always
                     : text == "batch" ? fsync_policy::batch
                                       : fsync_policy::never;
        return;
    }
    constexpr std::string_view prefix = "interval=";
    if (text.starts_with(prefix)) {
        const char* first = text.data() + prefix.size();
        const char* last = text.data() + text.size();
        long long ms = 0;
        const auto [end, error] = std::from_chars(first, last, ms);
        if (error == std::errc() && end == last && first != last && ms > 0 && ms <= 3600000) {
            log.policy = fsync_policy::interval;
            log.sync_interval = std::chrono::milliseconds(ms);
            return;
        }
    }
    throw std::invalid_argument("bad value '" + std::string(text) +
                                "': expected always, batch, interval=MS (1..3600000) or never");
}

CLI::Validator fsync_option_validator() {
    return CLI::Validator(
        [](std::string& text) {
            log_options_t scratch;
            try {
                apply_fsync_option(text, scratch);
            } catch (const std::invalid_argument& error) {
                return std::string(error.what());
            }
            return std::string();
        },
        "POLICY");
}

void add_journal_log_options(CLI::App& app, log_options_t& log, std::string& fsync_text,
                             const journal_log_help_t& help, const std::string& group) {
    app.add_option("--fsync", fsync_text, "always | batch | interval=MS | never (see below)")
        ->check(fsync_option_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--segment-bytes", log.segment_bytes, help.segment_bytes)
        ->check(zd::whole_number(std::uint64_t(4096), std::uint64_t(1) << 40))
        ->capture_default_str()
        ->group(group);
    app.add_option("--max-record", log.max_record_body, help.max_record)
        ->check(zd::whole_number(std::uint32_t(1), max_record_body))
        ->capture_default_str()
        ->group(group);
    app.add_flag("--repair", log.repair, help.repair)->group(group);
}

} // namespace zd::journal
