#include "proxy/subscription_observer.hpp"

namespace zd {

namespace {

class subscription_observer_t final : public proxy_observer_t {
public:
    subscription_observer_t(subscription_table_t& table, const loop_probe_t& loop_probe,
                            std::unique_ptr<proxy_observer_t> inner)
        : table_(table), loop_probe_(loop_probe), inner_(std::move(inner)) {}

    void forwarded_to_backend(std::vector<zmq::message_t>& message) override {
        if (inner_) inner_->forwarded_to_backend(message);
    }

    // Before the inner observer: the last-value cache may keep the frames.
    bool forwarded_to_frontend(std::vector<zmq::message_t>& message) override {
        if (message.size() == 1) {
            const std::string_view subscription = message[0].to_string_view();
            if (!subscription.empty() && subscription[0] == 1) {
                loop_probe_.check_downstream(subscription.substr(1)); // throws on a cycle
                // At --max-subscriptions: held back, so upstream never sends that topic
                // (and, with the cache's manual XPUB, the XPUB never applies it either).
                if (!table_.admit(subscription.substr(1))) return false;
            }
            table_.observe(subscription);
        }
        return inner_ ? inner_->forwarded_to_frontend(message) : true;
    }

    bool sees_to_backend() const override { return inner_ && inner_->sees_to_backend(); }
    void write_stats(json_writer_t& json) const override {
        if (inner_) inner_->write_stats(json);
    }

private:
    subscription_table_t& table_;
    const loop_probe_t& loop_probe_;
    std::unique_ptr<proxy_observer_t> inner_;
};

} // namespace

std::unique_ptr<proxy_observer_t>
make_subscription_observer(subscription_table_t& table, const loop_probe_t& loop_probe,
                           std::unique_ptr<proxy_observer_t> inner) {
    return std::make_unique<subscription_observer_t>(table, loop_probe, std::move(inner));
}

} // namespace zd
