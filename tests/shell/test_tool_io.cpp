// The waits and output the tools are built on: a stop signal, a timeout or a closed stdout
// pipe must each end a wait, and a closed pipe is an answer, not a SIGPIPE.
#include "base/stop_signal.hpp"
#include "shell/tool_io.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <unistd.h>

using zd::shell::wait_result;

namespace {
// Both ends of a pipe, closed when the test ends.
struct pipe_t {
    int read_end = -1, write_end = -1;
    pipe_t() { REQUIRE(::pipe(&read_end) == 0); }
    ~pipe_t() {
        if (read_end >= 0) ::close(read_end);
        if (write_end >= 0) ::close(write_end);
    }
    void close_read_end() {
        ::close(read_end);
        read_end = -1;
    }
};
} // namespace

TEST_CASE("a silent socket times out at the deadline", "[tools]") {
    zd::stop_signal_t stop;
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::pull);
    socket.bind("inproc://silent");
    const auto started = zd::shell::clock_t::now();
    CHECK(zd::shell::wait_for_socket(socket, ZMQ_POLLIN, stop, zd::shell::deadline_after(50)) ==
          wait_result::timeout);
    CHECK(zd::shell::clock_t::now() - started >= std::chrono::milliseconds(50));
}

TEST_CASE("a waiting socket is ready and its whole message is read", "[tools]") {
    zd::stop_signal_t stop;
    zmq::context_t context;
    zmq::socket_t in(context, zmq::socket_type::pull), out(context, zmq::socket_type::push);
    in.bind("inproc://ready");
    out.connect("inproc://ready");
    REQUIRE(zd::shell::send_message(out, {"a", "", "c"}, stop) == wait_result::ready);
    CHECK(zd::shell::wait_for_socket(in, ZMQ_POLLIN, stop, zd::shell::deadline_after(5000)) ==
          wait_result::ready);
    std::vector<zmq::message_t> message;
    REQUIRE(zd::shell::try_receive_message(in, message));
    REQUIRE(message.size() == 3);
    CHECK(message[0].to_string() == "a");
    CHECK(message[1].size() == 0);
    CHECK(message[2].to_string() == "c");
    CHECK_FALSE(zd::shell::try_receive_message(in, message));
}

TEST_CASE("a stop signal ends every kind of wait", "[tools]") {
    zd::stop_signal_t stop;
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::push); // no peer: sending would block
    socket.bind("inproc://stopped");
    pipe_t idle;                    // an input nobody writes to
    REQUIRE(::raise(SIGTERM) == 0); // blocked, so it waits on the signalfd
    CHECK(zd::shell::wait_for_socket(socket, ZMQ_POLLOUT, stop, std::nullopt) ==
          wait_result::stopped);
    CHECK(zd::shell::send_message(socket, {"x"}, stop) == wait_result::stopped);
    CHECK(zd::shell::wait_for_readable(idle.read_end, stop, std::nullopt) == wait_result::stopped);
    CHECK(zd::shell::sleep_until(stop, zd::shell::clock_t::now() + std::chrono::hours(1)) ==
          wait_result::stopped);
}

TEST_CASE("a closed output pipe ends the wait and the output, quietly", "[tools]") {
    zd::stop_signal_t stop;
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::pull);
    socket.bind("inproc://reader-gone");
    pipe_t pipe;
    zd::shell::line_output_t output(pipe.write_end);
    REQUIRE(output.watch_fd() == pipe.write_end);
    CHECK(output.add_line("first"));
    CHECK(output.flush());
    char buffer[16] = {};
    REQUIRE(::read(pipe.read_end, buffer, sizeof buffer) == 6);
    CHECK(std::string_view(buffer, 6) == "first\n");

    pipe.close_read_end();
    CHECK(zd::shell::wait_for_socket(socket, ZMQ_POLLIN, stop, zd::shell::deadline_after(5000),
                                     output.watch_fd()) == wait_result::output_closed);
    output.add_line("second");
    CHECK_FALSE(output.flush()); // EPIPE, and no SIGPIPE killed us
    CHECK(output.closed());
    CHECK_FALSE(output.add_line("third"));
}

TEST_CASE("a file or terminal output has nothing to watch", "[tools]") {
    char name[] = "/tmp/zd-tools-test-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::unlink(name);
    zd::shell::line_output_t output(fd);
    CHECK(output.watch_fd() == -1);
    CHECK(output.add_line("x"));
    CHECK(output.flush());
    ::close(fd);
}
