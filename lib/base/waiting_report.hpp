// What is waiting inside a device's engine, for STATS: the part of the "who is connected,
// how much is waiting" report only the engine can write, because only it holds the
// messages. The libzmq proxy loop knows the one message it parked; the native engine knows
// what it queued per connection and, for zd-queue, each worker's requests in flight. See
// docs/ARCHITECTURE.md, "STATS".
#pragma once

namespace zd {

class json_writer_t;

class waiting_report_t {
public:
    virtual ~waiting_report_t() = default;
    // Writes the engine's members ("queued", and "workers_known"/"workers" for zd-queue)
    // as the next members of the object json is in. Called on the device's thread.
    virtual void write_json(json_writer_t& json) const = 0;
};

} // namespace zd
