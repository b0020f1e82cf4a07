// The ipc path lock (lib/base/ipc_lock): which addresses need one, one holder at a time
// across processes, the holder's pid in the refusal, a dead holder's lock taken over, and a
// clear error where no lock file can be made. The other process is a fork of this one that
// takes the lock and waits, so that killing it is a real process death.
#include "base/endpoints.hpp"
#include "base/ipc_lock.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.hpp>

using Catch::Matchers::Contains;
using zd::hold_ipc_path;
using zd::ipc_lock_t;
using zd::ipc_lock_target;
using zd::ipc_path_in_use;
using zd::test::temp_dir_t;

namespace {

bool exists(const std::string& path) {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0;
}

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

// A forked child that holds the lock on socket_path until killed. Reaped by the destructor.
class lock_holder_t {
public:
    explicit lock_holder_t(const std::string& socket_path) {
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::close(ready[0]);
            try {
                static ipc_lock_t lock(socket_path); // never released: the kill does it
                (void)!::write(ready[1], "y", 1);
            } catch (...) {
                (void)!::write(ready[1], "n", 1);
                ::_exit(1);
            }
            while (true)
                ::pause();
        }
        ::close(ready[1]);
        char answer = 0;
        const bool read_one = ::read(ready[0], &answer, 1) == 1;
        ::close(ready[0]);
        REQUIRE(read_one);
        REQUIRE(answer == 'y');
    }
    ~lock_holder_t() { kill(); }

    pid_t pid() const { return pid_; }

    // Kills the child with SIGKILL (no clean-up runs) and reaps it.
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
};

} // namespace

TEST_CASE("only ipc paths with a file are locked", "[ipc_lock]") {
    CHECK(ipc_lock_target("ipc:///tmp/x.ipc") == "/tmp/x.ipc");
    CHECK(ipc_lock_target("ipc://relative.ipc") == "relative.ipc");
    CHECK(ipc_lock_target("ipc://@abstract") == ""); // the kernel refuses a second bind itself
    CHECK(ipc_lock_target("ipc://*") == "");         // libzmq picks a fresh path
    CHECK(ipc_lock_target("tcp://127.0.0.1:5555") == "");
    CHECK(ipc_lock_target("inproc://x") == "");
}

TEST_CASE("a lock writes our pid beside the socket and removes its file when released",
          "[ipc_lock]") {
    temp_dir_t dir;
    const std::string socket_path = dir.file("s.ipc");
    {
        ipc_lock_t lock(socket_path);
        CHECK(lock.lock_path() == socket_path + ".lock");
        CHECK(read_file(socket_path + ".lock") == std::to_string(::getpid()) + "\n");
    }
    CHECK_FALSE(exists(socket_path + ".lock"));
    ipc_lock_t again(socket_path); // free again
}

TEST_CASE("a second lock on a held path is refused, naming the path and the holder's pid",
          "[ipc_lock]") {
    temp_dir_t dir;
    const std::string socket_path = dir.file("s.ipc");
    lock_holder_t holder(socket_path);
    try {
        ipc_lock_t second(socket_path);
        FAIL("a second lock on a held path did not throw");
    } catch (const ipc_path_in_use& error) {
        CHECK_THAT(error.what(), Contains("ipc://" + socket_path) &&
                                     Contains("pid " + std::to_string(holder.pid())));
    }
    // In this process too: flock locks belong to an open file, not to a process.
    ipc_lock_t first(dir.file("t.ipc"));
    CHECK_THROWS_AS(ipc_lock_t(dir.file("t.ipc")), ipc_path_in_use);
}

TEST_CASE("the lock of a process killed with SIGKILL is taken over", "[ipc_lock]") {
    temp_dir_t dir;
    const std::string socket_path = dir.file("s.ipc");
    lock_holder_t holder(socket_path);
    const auto holder_pid = holder.pid();
    holder.kill();
    REQUIRE(exists(socket_path + ".lock")); // left behind, with the dead pid in it
    ipc_lock_t lock(socket_path);
    CHECK(read_file(socket_path + ".lock") == std::to_string(::getpid()) + "\n");
    CHECK(holder_pid != ::getpid());
}

TEST_CASE("a lock where no lock file can be made names the file and the reason", "[ipc_lock]") {
    temp_dir_t dir;
    const std::string socket_path = dir.file("missing/s.ipc");
    try {
        ipc_lock_t lock(socket_path);
        FAIL("a lock in a missing directory did not throw");
    } catch (const ipc_path_in_use&) {
        FAIL("a missing directory is not a path in use");
    } catch (const std::runtime_error& error) {
        CHECK_THAT(error.what(),
                   Contains(socket_path + ".lock") && Contains("No such file or directory"));
    }
}

TEST_CASE("attach refuses an ipc path a live process holds and binds it once that process died",
          "[ipc_lock][endpoints]") {
    temp_dir_t dir;
    const auto endpoints = zd::parse_endpoints("@" + dir.ipc("s.ipc"), zd::attach_mode::bind);
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::pull);
    socket.set(zmq::sockopt::linger, 0);
    lock_holder_t holder(dir.file("s.ipc"));
    std::ofstream(dir.file("s.ipc")) << "the holder's socket file";
    CHECK_THROWS_WITH(zd::attach(socket, endpoints),
                      Contains("pid " + std::to_string(holder.pid())));
    CHECK(read_file(dir.file("s.ipc")) == "the holder's socket file"); // not taken over
    holder.kill();
    CHECK(zd::attach(socket, endpoints) == endpoints);
}

TEST_CASE("a process may bind an ipc path it holds again", "[ipc_lock]") {
    temp_dir_t dir;
    const std::string address = dir.ipc("s.ipc");
    hold_ipc_path(address);
    CHECK_NOTHROW(hold_ipc_path(address));
    CHECK(exists(dir.file("s.ipc.lock")));
    CHECK_NOTHROW(hold_ipc_path("ipc://@zd-abstract-name")); // nothing to lock
}
