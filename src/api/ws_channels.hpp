// The WebSocket channels, declared once: the subscription parser, the
// fan-out and the AsyncAPI document's test all read this table.
//
// Every server message is one JSON object:
//   {"channel":"market.BTC-USD.trades","n":7,"seq":1234,"time":1700000000000,"type":"trade","data":{...}}
// `n` numbers the messages of one channel on one connection from 0 (the
// snapshot) without gaps; `seq` is the engine sequence number the message
// reflects and `time` that command's time. A client that sees a gap in `n`
// resubscribes. Replies to the client's own operations carry no channel:
//   {"type":"subscribed"|"unsubscribed"|"pong"|"error"|"response", ...}
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace ballast::api {

enum class ChannelKind : std::uint8_t { Ticker, Trades, Book, Trader, AdminPair, AdminAll };

struct ChannelSpec {
    ChannelKind kind;
    std::string_view prefix;  // the name is prefix + subject + suffix
    std::string_view suffix;
    std::string_view subject;  // what the subject is ("" when there is none)
    bool admin;                // needs the admin bearer token on the upgrade request
    std::string_view summary;
};

inline constexpr std::array<ChannelSpec, 6> kChannels{{
    {ChannelKind::Ticker, "market.", ".ticker", "pair", false,
     "The market's state: oracle and mark price, skew, open interest per side, funding, and the pool's quote "
     "ladder; coalesced to at most websocket.ticker_per_second per pair."},
    {ChannelKind::Trades, "market.", ".trades", "pair", false,
     "Every fill in the market: price, size, side, the trader, and whether it closed a liquidation or ADL."},
    {ChannelKind::Book, "market.", ".book", "pair", false,
     "The resting limit orders by price level (parked ones included): the whole book as the snapshot, then the "
     "levels each command changed, with their new totals; a level with no orders is gone."},
    {ChannelKind::Trader, "trader.", "", "address", false,
     "One account's events: orders rested, filled, updated, canceled or unfilled with their reason, funding, "
     "liquidation and ADL, vault deposits and unlocks, margin deposits and withdrawals; its positions after each "
     "change; a liquidation alert once per crossing of liquidation_alert_ratio × maintenance."},
    {ChannelKind::AdminPair, "admin.", "", "pair", true,
     "One market's parameter and status changes, bad debt, vault shortfalls, liquidations and ADL."},
    {ChannelKind::AdminAll, "admin.all", "", "", true, "The admin messages of every market and global parameters."},
}};

struct Channel {
    const ChannelSpec* spec = nullptr;
    std::string subject;  // the pair or address; empty for admin.all
    std::string name;     // as subscribed
};

// The channel a name denotes, or nullopt. Subjects must be valid names
// (core::Name); "admin.all" is never a pair's admin channel.
std::optional<Channel> parse_channel(std::string_view name);

inline std::string channel_name(const ChannelSpec& spec, std::string_view subject) {
    std::string name(spec.prefix);
    name += subject;
    name += spec.suffix;
    return name;
}

}  // namespace ballast::api
