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

// Whether this run takes the native engine; throws usage_error if it was asked for and
// cannot serve these endpoints and options.
bool use_native_engine(const proxy_device_spec_t& spec, const device_description_t& description,
                       const socket_options_t& options) {
    if (spec.engine == device_engine::libzmq) return false;
    const std::string why =
        spec.native_routing ? native_engine_unsupported(description, options) : "this device";
    if (why.empty()) return true;
    if (spec.engine == device_engine::native)
        throw usage_error("--engine native does not support " + why + "; use --engine libzmq");
    log::debug("engine: libzmq (the native engine does not support " + why + ")");
    return false;
}

} // namespace

std::optional<device_engine> parse_device_engine(std::string_view text) {
    if (text == "auto") return device_engine::automatic;
    if (text == "native") return device_engine::native;
    if (text == "libzmq") return device_engine::libzmq;
    return std::nullopt;
}

int run_proxy_device(const proxy_device_spec_t& spec, const device_options_t& options) {
    log::configure(spec.name, log_level(options.common));
    device_description_t description{spec.name,
                                     spec.frontend_type_name,
                                     spec.backend_type_name,
                                     parse_endpoints(options.frontend, attach_mode::bind),
                                     parse_endpoints(options.backend, attach_mode::bind),
                                     parse_optional(options.capture),
                                     parse_optional(options.control)};

    const bool native = use_native_engine(spec, description, options.common.socket);

    stop_signal_t stop; // before the context, so libzmq's threads inherit the blocked mask
    zmq::context_t context(options.common.io_threads);
    // The libzmq data path's sockets; the native engine has its own.
    std::optional<zmq::socket_t> frontend, backend;
    std::unique_ptr<proxy_observer_t> observer;
    std::unique_ptr<native_device_t> native_device;
    if (native) {
        description.engine = "native";
        native_device = std::make_unique<native_device_t>(
            description, options.common.socket, spec.frontend_type_name, spec.backend_type_name);
    } else {
        frontend.emplace(context, spec.frontend_type);
        backend.emplace(context, spec.backend_type);
        options.common.socket.apply_to(*frontend);
        options.common.socket.apply_to(*backend);
        if (spec.customize) observer = spec.customize(*frontend, *backend);
        description.frontend = attach(*frontend, description.frontend);
        description.backend = attach(*backend, description.backend);
    }
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

    log::info("ready frontend=" + to_string(description.frontend) +
              " backend=" + to_string(description.backend) +
              (capture ? " capture=" + to_string(description.capture) : std::string()) +
              (control ? " control=" + to_string(description.control) : std::string()));
    proxy_exit why;
    if (native) {
        const auto routing = spec.native_routing(*native_device);
        why = native_device->run(*routing, stop, capture ? &*capture : nullptr,
                                 control ? &*control : nullptr);
    } else {
        proxy_t proxy(*frontend, *backend, capture ? &*capture : nullptr,
                      control ? &*control : nullptr, description, spec.proxy);
        proxy.set_observer(observer.get());
        why = proxy.run(stop);
    }
    log::info(why == proxy_exit::signal ? "stopping on signal" : "stopping on TERMINATE");
    return exit_ok;
}

} // namespace zd
