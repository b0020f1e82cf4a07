#include "proxy/subscription_observer.hpp"

namespace zd {

namespace {

class subscription_observer_t final : public proxy_observer_t {
public:
    subscription_observer_t(subscription_table_t& table, std::unique_ptr<proxy_observer_t> inner)
        : table_(table), inner_(std::move(inner)) {}

    void forwarded_to_backend(std::vector<zmq::message_t>& message) override {
        if (inner_) inner_->forwarded_to_backend(message);
    }

    // Before the inner observer: the last-value cache may keep the frames.
    void forwarded_to_frontend(std::vector<zmq::message_t>& message) override {
        if (message.size() == 1) table_.observe(message[0].to_string_view());
        if (inner_) inner_->forwarded_to_frontend(message);
    }

    bool sees_to_backend() const override { return inner_ && inner_->sees_to_backend(); }

private:
    subscription_table_t& table_;
    std::unique_ptr<proxy_observer_t> inner_;
};

} // namespace

std::unique_ptr<proxy_observer_t>
make_subscription_observer(subscription_table_t& table, std::unique_ptr<proxy_observer_t> inner) {
    return std::make_unique<subscription_observer_t>(table, std::move(inner));
}

} // namespace zd
