#include "core/proxy_device.hpp"

#include "core/log.hpp"
#include "core/stop_signal.hpp"

#include <optional>

namespace zd {

namespace {

log::level log_level(const common_options_t& options) {
    if (options.quiet) return log::level::error;
    return options.verbose > 0 ? log::level::debug : log::level::info;
}

endpoint_list_t parse_optional(const std::string& text) {
    return text.empty() ? endpoint_list_t{} : parse_endpoints(text, attach_mode::bind);
}

} // namespace

int run_proxy_device(const proxy_device_spec_t& spec, const device_options_t& options) {
    log::configure(spec.name, log_level(options.common));
    device_description_t description{spec.name,
                                     spec.frontend_type_name,
                                     spec.backend_type_name,
                                     parse_endpoints(options.frontend, attach_mode::bind),
                                     parse_endpoints(options.backend, attach_mode::bind),
                                     parse_optional(options.capture),
                                     parse_optional(options.control)};

    stop_signal_t stop; // before the context, so libzmq's threads inherit the blocked mask
    zmq::context_t context(options.common.io_threads);
    zmq::socket_t frontend(context, spec.frontend_type);
    zmq::socket_t backend(context, spec.backend_type);
    options.common.socket.apply_to(frontend);
    options.common.socket.apply_to(backend);
    std::unique_ptr<proxy_observer_t> observer;
    if (spec.customize) observer = spec.customize(frontend, backend);

    description.frontend = attach(frontend, description.frontend);
    description.backend = attach(backend, description.backend);
    std::optional<zmq::socket_t> capture;
    if (!description.capture.empty()) {
        capture.emplace(context, zmq::socket_type::pub);
        options.common.socket.apply_to(*capture);
        description.capture = attach(*capture, description.capture);
    }
    std::optional<control_server_t> control;
    if (!description.control.empty()) {
        control.emplace(context, description.control, options.common.socket);
        description.control = control->endpoints();
    }

    proxy_t proxy(frontend, backend, capture ? &*capture : nullptr, control ? &*control : nullptr,
                  description, spec.proxy);
    proxy.set_observer(observer.get());
    log::info("ready frontend=" + to_string(description.frontend) +
              " backend=" + to_string(description.backend) +
              (capture ? " capture=" + to_string(description.capture) : std::string()) +
              (control ? " control=" + to_string(description.control) : std::string()));
    const proxy_exit why = proxy.run(stop);
    log::info(why == proxy_exit::signal ? "stopping on signal" : "stopping on TERMINATE");
    return exit_ok;
}

} // namespace zd
