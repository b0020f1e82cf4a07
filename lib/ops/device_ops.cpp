#include "ops/device_ops.hpp"

namespace zd::ops {

device_ops_t::device_ops_t(zmq::context_t& context, const ops_options_t& options,
                           const socket_options_t& socket_options, std::string device)
    : context_(context), options_(options),
      events_(events::start_publisher(context, options.events, socket_options, std::move(device))) {
}

void device_ops_t::serve_metrics(zmq::socket_t& control_socket) {
    metrics_ = start_metrics(context_, control_socket, options_.metrics);
}

std::string device_ops_t::ready_fields() const {
    std::string fields = events::ready_field(events_.get());
    if (metrics_) fields += " metrics=" + metrics_->endpoint();
    return fields;
}

} // namespace zd::ops
