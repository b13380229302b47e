// The event stream -> WebSocket messages (api/ws_channels.hpp), encoded once
// per message on the fan-out thread, never on the engine thread. A message
// is shared by every connection subscribed to its channel: each connection
// writes its own head, {"channel":...,"n":N, then the shared tail.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/json_writer.hpp"
#include "sequencer/stream_record.hpp"

namespace ballast::api {

struct ChannelMessage {
    std::string channel;
    std::uint64_t seq = 0;
    // ,"seq":S,"time":T,"type":"...","data":{...}}
    std::shared_ptr<const std::string> tail;
};

// The tail of a message: what follows {"channel":"...","n":N.
std::shared_ptr<const std::string> message_tail(std::uint64_t seq, core::TimeMs time, std::string_view type,
                                                std::string_view data);

// Appends the trades, trader and admin messages of one record, in event order.
void channel_messages(const sequencer::StreamRecord& record, std::vector<ChannelMessage>& out);

// The pool's quote ladder: the execution price for these sizes each side.
inline constexpr std::array<long, 3> kLadderSizes{1, 10, 100};

// A ticker's data at `time`: the market's state, its mark price and funding
// then, and the pool's quote ladder. Figures that cannot be computed are
// null, as in the REST reads.
void write_ticker(JsonWriter& w, const sequencer::MarketState& state, core::TimeMs time);

// {"pair":...,"bids":[{"price":...,"size":...,"orders":N},...],"asks":[...]}:
// a whole book (a snapshot) or the levels that changed (a delta, where a
// level with no orders left is gone).
void write_book(JsonWriter& w, std::string_view pair, const core::BookView& book);

}  // namespace ballast::api
