// Fuzz target: broker_t (lib/mdp/broker.hpp) as a state machine. The input is a script of
// operations played against one broker with small limits: requests from a few clients,
// READY / PARTIAL / FINAL / HEARTBEAT / DISCONNECT from a few workers (valid, out of turn,
// for the wrong client), raw junk, time moving (heartbeats, expiry, forgetting), connections
// closing, and a router that refuses some peers; op bytes from 240 up play a peer broker
// instead (ZDPB01 HELLO, ROUTE, WITHDRAW, REQUEST, REPLY, REFUSE, junk, from a link the broker
// opened or ones it accepted, its connection going up and down), since a broker must survive
// any peering message too. The first byte picks the configuration,
// worker credit and queue limits included. After every operation the broker's books must
// balance: no service holds more in flight than its workers' credit, no queue grows past its
// limits in requests or bytes (plus what dead workers gave back), the queued bytes are those of
// the queued requests, no more services than allowed. Under ASan/UBSan any dangling request,
// worker or client shows up.
#include "mdp/broker.hpp"
#include "mdp/peering.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace zd::mdp;
using namespace std::chrono_literals;

void require(bool condition) {
    if (!condition) std::abort();
}

class fuzz_outbox_t : public outbox_t {
public:
    bool send(std::vector<zmq::message_t>& frames) override {
        require(!frames.empty());
        ++sent;
        return refused.count(frames[0].to_string()) == 0;
    }
    std::set<std::string> refused;
    std::uint64_t sent = 0;
};

class script_t {
public:
    script_t(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const { return at_ >= size_; }
    std::uint8_t next() { return at_ < size_ ? data_[at_++] : 0; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

const std::array<std::string, 4> clients{"c0", "c1", "c2", "c3"};
const std::array<std::string, 4> workers{"w0", "w1", "w2", "w3"};
const std::array<std::string, 3> services{"echo", "other", "mmi.service"};

// Federation: the link the broker opened (added at the first peering operation), two it may
// accept, and a client's id that may not become one; broker ids, the broker's own among them.
const std::string opened_link("\0zd-link:0", 10);
const std::array<std::string, 4> link_senders{opened_link, std::string("\0\x80\0\0\x01", 5),
                                              std::string("\0\x80\0\0\x02", 5), "c0"};
const std::string own_id = "fuzz-own";
const std::array<std::string, 4> broker_ids{"peer-id1", "peer-id2", own_id, "peer-id3"};

std::string byte_frame(std::uint8_t value) {
    return std::string(1, char(value));
}

connection_t connection_of(std::uint8_t selector) {
    return connection_t{int(selector % 3), 1};
}

void feed(broker_t& broker, const std::vector<std::string>& text, connection_t from,
          time_point_t now) {
    std::vector<zmq::message_t> frames;
    for (const auto& frame : text)
        frames.emplace_back(frame.data(), frame.size());
    broker.on_message(frames, from, now);
}

// A worker's message: 0.1 puts an empty frame first; commands differ between versions.
std::vector<std::string> worker_message(const std::string& id, bool v02, std::uint8_t command) {
    if (v02) return {id, "MDPW02", byte_frame(command)};
    return {id, "", "MDPW01", byte_frame(command)};
}

// A path of one to three broker ids, picked by bits of selector.
std::string path_of(std::uint8_t selector) {
    std::string path;
    const int length = 1 + selector % 3;
    for (int i = 0; i < length; ++i, selector >>= 2)
        path += broker_ids[(selector >> 2) % broker_ids.size()];
    return path;
}

// One peering operation: what a peer broker may send, or its link's connection changing.
void play_peering(broker_t& broker, script_t& script, time_point_t& now, std::uint8_t op,
                  bool& linked) {
    if (!linked) { // as zd-broker --peer does at its start
        broker.add_link(opened_link, "fuzz-peer", now);
        linked = true;
    }
    const std::uint8_t who = script.next();
    const std::uint8_t detail = script.next();
    const std::string& sender = link_senders[who % link_senders.size()];
    const std::string& service = services[(who >> 2) % services.size()];
    const std::string request_id = peering::encode_u64(detail % 6); // ours count from 1
    const connection_t from = connection_of(who >> 4);
    std::vector<std::string> frames{sender, std::string(peering::header)};
    auto command = [&frames](peering::command what) {
        frames.push_back(byte_frame(std::uint8_t(what)));
    };
    switch ((op - 240) % 9) {
    case 0: // HELLO, asking or answering
        command(peering::command::hello);
        frames.push_back(broker_ids[(detail >> 1) % broker_ids.size()]);
        frames.push_back("peer");
        frames.push_back(byte_frame(detail & 1));
        break;
    case 1:
        command(peering::command::heartbeat);
        break;
    case 2: // ROUTE, one or two services
        command(peering::command::route);
        for (int i = 0; i <= (detail & 1); ++i) {
            frames.push_back(services[(detail >> (1 + i)) % services.size()]);
            frames.push_back(peering::encode_u32((detail >> 3) % 4));
            frames.push_back(path_of(std::uint8_t(detail + i)));
        }
        break;
    case 3:
        command(peering::command::withdraw);
        frames.push_back(service);
        break;
    case 4:
        command(peering::command::request);
        frames.push_back(request_id);
        frames.push_back(service);
        frames.push_back(path_of(detail >> 3));
        frames.push_back("body");
        break;
    case 5: // REPLY, partial or final
        command(peering::command::reply);
        frames.push_back(request_id);
        frames.push_back(byte_frame((detail >> 3) & 1));
        frames.push_back("answer");
        break;
    case 6:
        command(peering::command::refuse); // "failed" counts a retry, other reasons do not
        frames.push_back(request_id);
        frames.push_back((detail & 0x40) ? std::string(peering::refuse_failed) : "no");
        break;
    case 7: { // junk after the header: up to 5 frames of script bytes
        for (int i = 0; i < detail % 6 && !script.done(); ++i) {
            const std::uint8_t length = script.next() % 10;
            std::string frame;
            for (std::uint8_t j = 0; j < length; ++j)
                frame.push_back(char(script.next()));
            frames.push_back(frame);
        }
        break;
    }
    case 8: // the opened link's connection comes up or goes down
        if (detail & 1)
            broker.on_link_connected(opened_link, now);
        else
            broker.on_link_disconnected(opened_link, now);
        return;
    }
    feed(broker, frames, from, now);
}

void play(broker_t& broker, fuzz_outbox_t& outbox, script_t& script, time_point_t& now,
          bool& linked) {
    const std::uint8_t op = script.next();
    if (op >= 240) return play_peering(broker, script, now, op, linked);
    const std::uint8_t who = script.next();
    const bool v02 = (op & 0x80) != 0;
    const std::string& client = clients[who % clients.size()];
    const std::string& worker = workers[(who >> 2) % workers.size()];
    const std::string& service = services[(who >> 4) % services.size()];
    switch (op % 10) {
    case 0: { // client request, 1-3 body frames
        std::vector<std::string> frames =
            v02 ? std::vector<std::string>{client, "MDPC02", byte_frame(0x01), service}
                : std::vector<std::string>{client, "", "MDPC01", service};
        const int bodies = 1 + (who >> 6) % 3;
        for (int i = 0; i < bodies; ++i)
            frames.push_back(v02 ? "echo" : std::string(1 + i, 'x'));
        feed(broker, frames, connection_of(who), now);
        break;
    }
    case 1: { // READY
        auto frames = worker_message(worker, v02, 0x01);
        frames.push_back(service);
        feed(broker, frames, connection_of(who >> 2), now);
        break;
    }
    case 2:   // FINAL (0.2) / REPLY (0.1), for some client
    case 3: { // PARTIAL (0.2 only; on 0.1 the same byte, 0x03, is REPLY)
        const bool final_reply = op % 10 == 2;
        auto frames = worker_message(worker, v02, final_reply ? (v02 ? 0x04 : 0x03) : 0x03);
        frames.push_back(client);
        frames.push_back("");
        frames.push_back("reply");
        feed(broker, frames, connection_of(who >> 2), now);
        break;
    }
    case 4: // HEARTBEAT or DISCONNECT
        feed(broker,
             worker_message(worker, v02, (who & 0x40) ? (v02 ? 0x06 : 0x05) : (v02 ? 0x05 : 0x04)),
             connection_of(who >> 2), now);
        break;
    case 5: // time passes
        now += std::chrono::milliseconds(who);
        if (now >= broker.next_timer()) broker.on_timer(now);
        break;
    case 6:
        broker.on_connection_closed(connection_of(who), now);
        break;
    case 7: { // raw junk: up to 7 frames of script bytes, from a client's or a worker's id
        std::vector<std::string> frames{(who & 1) ? worker : client};
        const int count = who % 8;
        for (int i = 0; i < count && !script.done(); ++i) {
            const std::uint8_t length = script.next() % 8;
            std::string frame;
            for (std::uint8_t j = 0; j < length; ++j)
                frame.push_back(char(script.next()));
            frames.push_back(frame);
        }
        feed(broker, frames, connection_of(who), now);
        break;
    }
    case 8: // a message too long to decode
        broker.on_invalid_message((who & 1) ? worker : client, now);
        break;
    case 9: { // the router starts or stops refusing a peer
        const std::string& peer = (who & 1) ? worker : client;
        if (outbox.refused.count(peer))
            outbox.refused.erase(peer);
        else
            outbox.refused.insert(peer);
        break;
    }
    }
}

// The largest request a script can send: raw junk of 7 frames of up to 7 bytes, of which at
// most 5 are body frames.
constexpr std::size_t largest_request = queued_request_bytes(5, 5 * 7);

void check_books(const broker_t& broker, const broker_config_t& config) {
    require(broker.service_count() <= config.max_services);
    std::size_t total_workers = 0;
    // Requests forwarded to peer brokers are in flight there, and come back to the queue past
    // its limits when refused or when the link goes down: at most as many as were forwarded.
    const std::size_t forwarded = std::size_t(broker.counters().forwarded);
    broker.for_each_service([&](const service_stats_t& stats) {
        // Requests a dead worker held go back to the front of the queue even past its limits
        // (they were accepted); at most what the script's workers can hold. A request that
        // found an idle worker is not held to max_queue_bytes, and stays queued if that worker
        // (and every other) turned out to be unreachable: one more.
        const std::size_t given_back = workers.size() * config.worker_credit + forwarded;
        if (config.max_queue != 0) require(stats.queued <= config.max_queue + given_back);
        require(stats.queued_bytes <= config.max_queue_bytes + (given_back + 1) * largest_request);
        require(stats.queued_bytes >= stats.queued * queued_request_bytes(1, 0));
        require(stats.queued_bytes <= stats.queued * largest_request);
        require(stats.idle_workers <= stats.workers);
        require(stats.in_flight <= stats.workers * config.worker_credit + forwarded);
        total_workers += stats.workers;
    });
    require(total_workers == broker.worker_count());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    script_t script(data, size);
    const std::uint8_t setup = script.next();
    broker_config_t config;
    config.heartbeat_interval = 10ms;
    config.heartbeat_liveness = 1 + setup % 3;
    config.request_timeout = 50ms;
    config.max_retries = (setup >> 2) % 3;
    config.max_queue = (setup & 0x40) ? 0 : 4; // 0: no count limit
    config.max_queue_bytes = (setup & 0x80) ? 3 * queued_request_bytes(2, 4) : 1 << 20;
    config.max_services = 2;
    config.service_ttl = 20ms;
    config.worker_credit = 1 + (setup >> 4) % 4;
    config.broker_id = own_id;
    config.max_hops = 2;
    fuzz_outbox_t outbox;
    time_point_t now = time_point_t{} + std::chrono::hours(1);
    {
        broker_t broker(config, outbox);
        broker.on_timer(now); // the timers count from the script's clock, not the real one
        bool linked = false;
        for (int steps = 0; steps < 2000 && !script.done(); ++steps) {
            play(broker, outbox, script, now, linked);
            check_books(broker, config);
        }
        (void)broker.stats_json();
    } // destroyed holding whatever it holds
    return 0;
}
