#include "base/stop_signal.hpp"

#include "base/log.hpp"

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
    // SIGHUP (a closed terminal, or an operator who expects a daemon to reload) would kill
    // the process with status 129 mid-message; it stops cleanly instead, until reload exists.
    sigaddset(&set, SIGHUP);
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
    while (read(fd_, &info, sizeof info) == ssize_t(sizeof info)) {
        if (info.ssi_signo == SIGHUP && !received_)
            log::info("SIGHUP: stopping (reload is not supported yet)");
        received_ = true;
    }
    return received_;
}

} // namespace zd
