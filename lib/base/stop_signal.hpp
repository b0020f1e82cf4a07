// SIGINT/SIGTERM/SIGHUP as a file descriptor that poll loops can wait on. SIGHUP stops like
// SIGTERM (with a log line saying so): reloading the configuration is not supported yet.
// The signals are blocked in every thread (create this before the zmq context, so
// libzmq's I/O threads inherit the mask) and read through a signalfd: a device notices
// them in the same zmq_poll that moves its messages, and never dies inside libzmq.
#pragma once

namespace zd {

class stop_signal_t {
public:
    // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and opens a signalfd for them. Throws
    // std::system_error if the kernel refuses.
    stop_signal_t();
    ~stop_signal_t();
    stop_signal_t(const stop_signal_t&) = delete;
    stop_signal_t& operator=(const stop_signal_t&) = delete;

    // The descriptor to poll for readability.
    int fd() const { return fd_; }

    // True once a stop signal has arrived (reads it from the descriptor without blocking).
    bool received();

private:
    int fd_ = -1;
    bool received_ = false;
};

} // namespace zd
