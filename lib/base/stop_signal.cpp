#include "base/stop_signal.hpp"

#include <cerrno>
#include <csignal>
#include <sys/signalfd.h>
#include <system_error>
#include <unistd.h>

namespace zd {

namespace {
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}
} // namespace

stop_signal_t::stop_signal_t() {
    const sigset_t set = stop_signals();
    if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot block stop signals");
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
}

stop_signal_t::~stop_signal_t() {
    if (fd_ >= 0) close(fd_);
}

bool stop_signal_t::received() {
    signalfd_siginfo info;
    while (read(fd_, &info, sizeof info) == ssize_t(sizeof info))
        received_ = true;
    return received_;
}

} // namespace zd
