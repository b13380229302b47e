// The market.<pair>.book channels on the fan-out thread: each followed
// market's price levels, kept from the event stream, so that a delta can
// carry a level's new total rather than a change the client must add up.
//
// A market is followed while its book has subscribers. Following
// starts with a read of the book through the sequencer (seq S), submitted
// before the subscriber's own snapshot read (so S is at most the snapshot's
// seq); the records the fan-out reads meanwhile are held, and once the read
// is in, those after S are applied and their deltas sent. From then on the
// levels move with every record. The events say where each change is: an
// order rested, canceled or updated carries its limit price, and a fill of
// a resting order the price of the level it left.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/stream_encoder.hpp"
#include "sequencer/requests.hpp"

namespace ballast::api {

class BookFeed {
public:
    // Any thread. Whether `pair` must start being followed: then a ticket is
    // returned, and the caller submits a Book read for the pair and hands
    // its reply to synced() (or, if it cannot be submitted, calls failed()).
    std::optional<std::uint64_t> follow(const core::Name& pair);
    void failed(std::uint64_t ticket);
    // Any thread: the last subscriber left; the market's levels are dropped.
    void unfollow(const core::Name& pair);
    // Any thread: the reply of a ticket's read. Taken in by the next apply().
    void synced(std::uint64_t ticket, sequencer::Response&& response);

    // Fan-out thread. The book messages of one record (after those of any
    // read just taken in), and the channels whose read failed: their
    // subscribers must be cut off, as their deltas cannot be computed.
    void apply(const sequencer::StreamRecord& record, std::vector<ChannelMessage>& out,
               std::vector<std::string>& broken);
    // Fan-out thread: takes in the reads that arrived (apply does this too).
    void take_synced(std::vector<ChannelMessage>& out, std::vector<std::string>& broken);
    // Fan-out thread, after the feed was lapped: forgets every market (their
    // subscribers are cut off); the next subscription follows anew.
    void reset();

private:
    struct Level {
        std::optional<core::Dec> size = core::Dec{};  // unknown once a sum overflowed, until the level empties
        std::int64_t orders = 0;
    };
    // Keyed by the raw price; bids are read from the highest.
    using Side = std::map<core::i128, Level>;
    struct Change {
        bool bid = false;
        core::Dec price;
        core::Dec size;  // signed: added to the level
        std::int64_t orders = 0;
    };
    struct Held {
        std::uint64_t seq = 0;
        core::TimeMs time = 0;
        std::vector<Change> changes;
    };
    struct Market {
        std::uint64_t ticket = 0;
        bool ready = false;
        std::uint64_t seq = 0;  // the last record the levels show
        Side bids, asks;
        std::vector<Held> held;  // while the read is out
    };
    struct Arrived {
        std::uint64_t ticket = 0;
        sequencer::Response response;
    };

    static void changes_of(const sequencer::StreamRecord& record, std::map<std::string, std::vector<Change>>& out);
    // Applies changes to a ready market; appends the delta message.
    void move(const std::string& pair, Market& market, std::uint64_t seq, core::TimeMs time,
              const std::vector<Change>& changes, std::vector<ChannelMessage>& out);
    bool install(Market& market, const sequencer::Response& response);

    std::mutex mutex_;  // markets_ (structure, tickets) and arrived_
    std::map<std::string, Market> markets_;
    std::vector<Arrived> arrived_;
    std::uint64_t next_ticket_ = 1;
};

}  // namespace ballast::api
