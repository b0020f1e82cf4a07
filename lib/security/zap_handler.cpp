// The ZAP handler thread: see zap_handler.hpp.
#include "security/zap_handler.hpp"

#include "base/curve_keys.hpp"

#include "base/log.hpp"
#include "base/message_io.hpp"

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace zd::security {

namespace {

// A request from libzmq has at most 9 frames (PLAIN, with the envelope); more is not libzmq.
constexpr std::size_t max_request_frames = 16;
// Requests answered per turn before the stop socket is looked at again.
constexpr int max_requests_per_turn = 256;

std::string stop_address_of(const void* handler) {
    char address[64];
    std::snprintf(address, sizeof address, "inproc://zd-zap-handler-stop-%p", handler);
    return address;
}

void send_frames(zmq::socket_t& socket, const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto flags = i + 1 < frames.size()
                               ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                               : zmq::send_flags::dontwait;
        // A ROUTER drops a reply whose session is gone; it never blocks.
        (void)socket.send(zmq::buffer(frames[i]), flags);
    }
}

} // namespace

void require_zap(zmq::socket_t& socket, std::string_view domain) {
    if (domain.empty())
        throw std::invalid_argument("require_zap: the ZAP domain must not be empty");
    require_zap_domain(socket, std::string(domain));
}

zap_handler_t::zap_handler_t(zmq::context_t& context, zap_policy_config_t config,
                             zap_handler_options_t options)
    : options_(std::move(options)),
      policy_(std::make_shared<const zap_policy_t>(std::move(config))),
      refusal_log_(options_.log_interval, options_.log_max_addresses),
      router_(context, zmq::socket_type::router), stop_receiver_(context, zmq::socket_type::pair),
      stop_sender_(context, zmq::socket_type::pair) {
    if (!options_.log_line) options_.log_line = [](std::string_view line) { log::info(line); };
    for (auto* socket : {&router_, &stop_receiver_, &stop_sender_})
        socket->set(zmq::sockopt::linger, 0);
    router_.bind(std::string(zap_endpoint));
    const std::string stop_address = stop_address_of(this);
    stop_receiver_.bind(stop_address);
    stop_sender_.connect(stop_address);
    thread_ = std::thread([this] { run(); });
}

zap_handler_t::~zap_handler_t() {
    try {
        stop_sender_.send(zmq::str_buffer("stop"), zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) {
        // The context is being terminated: the thread sees ETERM and ends by itself.
    }
    if (thread_.joinable()) thread_.join();
}

void zap_handler_t::reload(zap_policy_config_t config) {
    auto fresh = std::make_shared<const zap_policy_t>(std::move(config)); // throws first
    {
        std::lock_guard lock(policy_mutex_);
        policy_ = std::move(fresh);
        generation_.fetch_add(1, std::memory_order_acq_rel);
    }
}

void zap_handler_t::reload(std::string_view domain, zap_policy_config_t config) {
    auto fresh = std::make_shared<const zap_policy_t>(std::move(config)); // throws first
    {
        std::lock_guard lock(policy_mutex_);
        domain_policies_.insert_or_assign(std::string(domain), std::move(fresh));
        generation_.fetch_add(1, std::memory_order_acq_rel);
    }
}

std::shared_ptr<const zap_policy_t> zap_handler_t::policy() const {
    std::lock_guard lock(policy_mutex_);
    return policy_;
}

std::shared_ptr<const zap_policy_t> zap_handler_t::policy(std::string_view domain) const {
    std::lock_guard lock(policy_mutex_);
    const auto own = domain_policies_.find(domain);
    return own != domain_policies_.end() ? own->second : policy_;
}

zap_counters_t zap_handler_t::counters() const {
    std::lock_guard lock(counters_mutex_);
    return counters_;
}

void zap_handler_t::run() {
    const auto flush_every = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max<std::chrono::steady_clock::duration>(options_.log_interval,
                                                      std::chrono::milliseconds(1)));
    auto next_flush = std::chrono::steady_clock::now() + flush_every;
    try {
        for (;;) {
            zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                       {stop_receiver_.handle(), 0, ZMQ_POLLIN, 0}};
            const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                next_flush - std::chrono::steady_clock::now());
            zmq::poll(items, 2, std::max(wait, std::chrono::milliseconds(0)));
            if (items[1].revents & ZMQ_POLLIN) return;
            if (items[0].revents & ZMQ_POLLIN) serve_waiting();
            const auto now = std::chrono::steady_clock::now();
            if (now >= next_flush) {
                for (const auto& line : refusal_log_.flush(now))
                    options_.log_line(line);
                next_flush = now + flush_every;
            }
        }
    } catch (const zmq::error_t& error) {
        // ETERM: the context is closing; anything else leaves handshakes unanswered, which
        // libzmq times out as failures: closed, not open.
        if (error.num() != ETERM) log::error(std::string("ZAP handler stopped: ") + error.what());
    }
}

void zap_handler_t::serve_waiting() {
    std::vector<zmq::message_t> frames;
    std::vector<std::string_view> views;
    for (int turn = 0; turn < max_requests_per_turn; ++turn) {
        const received what = receive_message(router_, frames, max_request_frames);
        if (what == received::nothing) return;
        if (what == received::too_long) { // not from libzmq; nobody waits for an answer
            std::lock_guard lock(counters_mutex_);
            ++counters_.refused_malformed;
            continue;
        }
        views.clear();
        for (const auto& frame : frames)
            views.emplace_back(frame.data<char>(), frame.size());
        const zap_parsed_t parsed = parse_zap_request(views.data(), views.size());
        const zap_decision_t decision = parsed.ok()
                                            ? policy(parsed.request.domain)->decide(parsed.request)
                                            : zap_policy_t::malformed(parsed.error);
        {
            std::lock_guard lock(counters_mutex_);
            ++counters_.of(decision.refusal);
        }
        if (decision.refusal != zap_refusal::none)
            log_refusal(parsed.request, decision);
        else
            log::debug("ZAP accepted " + std::string(mechanism_name(parsed.request.mechanism)) +
                       (decision.user_id.empty() ? "" : " key " + decision.user_id) + " from " +
                       parsed.request.address);
        if (!parsed.answerable()) continue;
        send_frames(router_, encode_zap_reply({parsed.request.routing_id, parsed.request.request_id,
                                               decision.status, decision.status_text,
                                               decision.user_id, decision.metadata}));
    }
}

void zap_handler_t::log_refusal(const zap_request_t& request, const zap_decision_t& decision) {
    std::string why = decision.status_text;
    if (decision.refusal == zap_refusal::unknown_key)
        why += " " + z85_of_curve_key(request.credentials.at(0));
    if (!request.domain.empty()) why += " (domain " + request.domain + ")";
    const std::string line =
        refusal_log_.refused(request.address, why, std::chrono::steady_clock::now());
    if (!line.empty()) options_.log_line("ZAP " + line);
}

zap_allow_cache_t::zap_allow_cache_t(const zap_handler_t& handler, std::string domain)
    : handler_(handler), domain_(std::move(domain)) {
    refresh();
}

bool zap_allow_cache_t::refresh() {
    const std::uint64_t now = handler_.generation();
    if (now == generation_) return false;
    // The generation is read before the policy: at worst a newer policy under an older
    // number, fetched again next time.
    policy_ = handler_.policy(domain_);
    generation_ = now;
    return true;
}

bool zap_allow_cache_t::is_allowed(std::string_view user_id) {
    refresh();
    return policy_->is_allowed(user_id);
}

} // namespace zd::security
