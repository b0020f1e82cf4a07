#include "base/readiness.hpp"

#include "base/events.hpp"
#include "base/json_writer.hpp"
#include "base/log.hpp"

#include <cstring>
#include <string>
#include <systemd/sd-daemon.h>

namespace zd {

void announce_ready(std::string_view details) {
    log::info("ready " + std::string(details));
    events::emit("started", [&](json_writer_t& json) { json.key("ready").value(details); });
    // sd_notify returns 0 when $NOTIFY_SOCKET is unset (not under a service manager), a
    // positive value once sent and a negative errno if sending failed. It leaves the
    // variable in place (unset_environment = 0) so that children could notify too; we start
    // none.
    const int sent = sd_notify(0, "READY=1");
    if (sent < 0) log::debug(std::string("sd_notify(READY=1) failed: ") + std::strerror(-sent));
}

} // namespace zd
