// Telling who started a device that it is ready to serve: the `ready ...` line on stderr
// that scripts and tests wait for, and, when a service manager started it (systemd's
// Type=notify sets $NOTIFY_SOCKET), the sd_notify "READY=1" message, so that a unit that
// depends on the device starts only once every socket is attached.
#pragma once

#include <string_view>

namespace zd {

// Logs "ready DETAILS" (DETAILS: the attached endpoints, e.g. "frontend=@tcp://..."),
// publishes the "started" event (events.hpp) and notifies the service manager, if any. Never
// throws: a manager that cannot be told is logged at debug level and the device runs on.
void announce_ready(std::string_view details);

} // namespace zd
