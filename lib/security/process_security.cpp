#include "security/process_security.hpp"

#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "security/certificate.hpp"
#include "security/revocation_guard.hpp"

namespace zd::security {

namespace {

bool has_mode(const endpoint_list_t& endpoints, attach_mode mode) {
    for (const auto& endpoint : endpoints)
        if (endpoint.mode == mode && !endpoint.address.starts_with("inproc://")) return true;
    return false;
}

// The keys of an allow-list directory, as the policy takes them. Throws certificate_error.
std::vector<allowed_key_t> read_allowed_keys(const std::string& dir) {
    std::vector<allowed_key_t> keys;
    for (const auto& certificate : load_allowed_certificates(dir))
        keys.push_back({certificate.public_key, certificate.name()});
    return keys;
}

// A certificate error at start is a usage error: the operator's file, exit 2.
template <typename Read>
auto reading(Read read) {
    try {
        return read();
    } catch (const certificate_error& error) {
        throw usage_error(error.what());
    }
}

std::string side_flag(std::string_view side, std::string_view flag) {
    return "--" + std::string(side) + "-curve-" + std::string(flag) + " or --curve-" +
           std::string(flag);
}

} // namespace

process_security_t::process_security_t(security_options_t options) : options_(std::move(options)) {
    const auto& common = options_.curve;
    if (!common.allow.empty() && common.allow_any)
        throw usage_error("--curve-allow and --curve-allow-any exclude each other: give a "
                          "directory of allowed keys, or let any key in");
}

process_security_t::~process_security_t() {
    {
        std::lock_guard lock(watch_mutex_);
        stopping_ = true;
    }
    watch_wakeup_.notify_all();
    if (watcher_.joinable()) watcher_.join();
}

socket_options_t process_security_t::side(std::string_view name, const socket_options_t& base,
                                          const endpoint_list_t& endpoints) {
    socket_options_t options = base;
    const curve_flags_t flags = options_.for_side(name);
    const bool binds = has_mode(endpoints, attach_mode::bind);
    const bool connects = has_mode(endpoints, attach_mode::connect);
    const bool curve = !flags.certificate.empty();
    if (!curve && (!flags.allow.empty() || flags.allow_any || !flags.server_key.empty()))
        throw usage_error("the " + std::string(name) + " side has CURVE flags but no " +
                          "certificate of its own: give " + side_flag(name, "cert") +
                          " (a secret certificate made by zd-keygen)");
    if (curve) {
        const certificate_t own =
            reading([&] { return read_secret_certificate(flags.certificate); });
        curve_keys_t keys{own.public_key, own.secret_key, {}};
        if (connects) {
            if (flags.server_key.empty())
                throw usage_error("the " + std::string(name) +
                                  " side connects with CURVE and needs the server's public "
                                  "certificate: give " +
                                  side_flag(name, "server-key"));
            keys.server_key =
                reading([&] { return read_certificate_file(flags.server_key); }).public_key;
        }
        if (binds && flags.allow.empty() && !flags.allow_any)
            throw usage_error("the " + std::string(name) +
                              " side binds with CURVE but no allow-list says who may connect: "
                              "give " +
                              side_flag(name, "allow") +
                              " DIR (the public certificates let in), or --curve-allow-any "
                              "for encryption without authentication");
        options.curve = keys;
        uses_curve_ = true;
    }
    const bool address_lists = !options_.allow_ip.empty() || !options_.deny_ip.empty();
    if (binds && (curve || address_lists)) {
        domain_t domain;
        domain.curve = curve;
        domain.allow_any = curve && flags.allow_any;
        if (curve && !flags.allow_any) {
            domain.allow_dir = flags.allow;
            domain.signature = reading([&] { return directory_signature(flags.allow); });
            domain.keys = reading([&] { return read_allowed_keys(flags.allow); });
            log::debug("CURVE on the " + std::string(name) + " side: " +
                       std::to_string(domain.keys.size()) + " keys allowed from " + flags.allow);
        }
        options.zap_domain = std::string(name);
        (void)reading([&] { return policy_of(domain); }); // bad address lists: exit 2 now
        domains_.insert_or_assign(std::string(name), std::move(domain));
    }
    return options;
}

zap_policy_config_t process_security_t::policy_of(const domain_t& domain) const {
    zap_policy_config_t config;
    config.curve_allow_any = domain.allow_any;
    config.curve_allowed = domain.keys;
    config.ip_allow = options_.allow_ip;
    config.ip_deny = options_.deny_ip;
    try {
        zap_policy_t check(config); // throws for a bad address entry
    } catch (const std::invalid_argument& error) {
        throw usage_error(std::string("--allow-ip/--deny-ip: ") + error.what());
    }
    return config;
}

void process_security_t::start(zmq::context_t& context) {
    if (domains_.empty()) return;
    // The default policy answers a domain nobody configured: no key, the address lists.
    handler_ = std::make_unique<zap_handler_t>(context, policy_of(domain_t{}));
    for (const auto& [name, domain] : domains_)
        handler_->reload(name, policy_of(domain));
    for (const auto& [name, domain] : domains_)
        if (!domain.allow_dir.empty()) {
            watcher_ = std::thread([this] { watch(); });
            break;
        }
}

bool process_security_t::revocable(std::string_view side) const {
    const auto domain = domains_.find(side);
    return domain != domains_.end() && !domain->second.allow_dir.empty();
}

void process_security_t::write_stats(
    json_writer_t& json, const std::map<std::string, const revocation_guard_t*>& guards) const {
    if (!handler_) return;
    const zap_counters_t counters = handler_->counters();
    json.key("security").begin_object();
    json.key("zap")
        .begin_object()
        .key("accepted")
        .value(counters.accepted)
        .key("refused_unknown_key")
        .value(counters.refused_unknown_key)
        .key("refused_address_denied")
        .value(counters.refused_address_denied)
        .key("refused_mechanism")
        .value(counters.refused_mechanism)
        .key("refused_malformed")
        .value(counters.refused_malformed)
        .end_object();
    json.key("revoked").begin_object();
    for (const auto& [side, guard] : guards) {
        if (!guard) continue;
        json.key(side)
            .begin_object()
            .key("messages_dropped")
            .value(guard->messages_dropped())
            .key("connections_cut")
            .value(guard->connections_cut())
            .end_object();
    }
    json.end_object();
    json.end_object();
}

int process_security_t::reload_changed() {
    std::lock_guard lock(reload_mutex_);
    int changed = 0;
    for (auto& [name, domain] : domains_) {
        if (domain.allow_dir.empty()) continue;
        try {
            const auto now = directory_signature(domain.allow_dir);
            if (domain.signature == now) continue;
            domain.signature = now; // before reading: a change while reading shows next time
            auto keys = read_allowed_keys(domain.allow_dir);
            log::info("allow-list " + domain.allow_dir +
                      " changed: " + std::to_string(keys.size()) + " keys allowed on the " + name +
                      " side (were " + std::to_string(domain.keys.size()) + ")");
            domain.keys = std::move(keys);
            if (handler_) handler_->reload(name, policy_of(domain));
            ++changed;
        } catch (const std::exception& error) {
            log::error("allow-list " + domain.allow_dir + " not re-read, the " + name +
                       " side keeps its " + std::to_string(domain.keys.size()) +
                       " keys: " + error.what());
        }
    }
    return changed;
}

void process_security_t::watch() {
    std::unique_lock lock(watch_mutex_);
    while (!watch_wakeup_.wait_for(lock, watch_interval, [this] { return stopping_; })) {
        lock.unlock();
        reload_changed();
        lock.lock();
    }
}

} // namespace zd::security
