// The numbers the benchmark's processes share through one memfd mapping.
//
// The peer that counts (the receiver, or the client of a request/reply pattern) publishes
// its running count there, and each round trip's duration for the latency pattern. The
// parent reads the count, the clock and the device's CPU time at the same instant to open
// and close the timed window, and raises `stop` when it is done; no socket or pipe traffic
// disturbs the peers while they are timed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace zd::bench {

// The counting peer writes `completed` once per message while the sending peer reads
// `stop` once per message: on one cache line, that line would bounce between their cores
// on every message and slow the direct path to a fraction of its speed. Each field that
// changes gets a line of its own.
struct shared_header_t {
    alignas(64) std::atomic<std::uint64_t> completed; // messages received / round trips done
    alignas(64) std::atomic<std::uint64_t> bad;       // messages of the wrong size (stays 0)
    alignas(64) std::atomic<std::uint32_t> serving;   // broker workers that got a request
    alignas(64) std::atomic<std::uint32_t> stop;      // set by the parent: peers exit
    std::uint32_t sample_capacity;                    // entries in the sample ring
    char padding[64 - 2 * sizeof(std::uint32_t)];     // the samples start on a fresh line
};

class shared_block_t {
public:
    // Creates a new anonymous block (memfd, close-on-exec) with room for sample_capacity
    // latency samples. Throws std::system_error if the kernel refuses.
    explicit shared_block_t(std::uint32_t sample_capacity);
    // Maps a block created by another process and inherited as fd (a peer role).
    static shared_block_t attach(int fd);
    ~shared_block_t();
    shared_block_t(shared_block_t&& other) noexcept;
    shared_block_t(const shared_block_t&) = delete;
    shared_block_t& operator=(const shared_block_t&) = delete;
    shared_block_t& operator=(shared_block_t&&) = delete;

    int fd() const { return fd_; }
    shared_header_t& header() { return *static_cast<shared_header_t*>(memory_); }
    // Round-trip times in nanoseconds; sample i lives at index i % capacity.
    std::uint32_t* samples() {
        return reinterpret_cast<std::uint32_t*>(static_cast<char*>(memory_) +
                                                sizeof(shared_header_t));
    }

private:
    shared_block_t(int fd, void* memory, std::size_t length)
        : fd_(fd), memory_(memory), length_(length) {}

    int fd_ = -1;
    void* memory_ = nullptr;
    std::size_t length_ = 0;
};

} // namespace zd::bench
