// The event stream's unit: what one journaled command did, in engine terms
// (no JSON), with every id the engine uses resolved to its name, so the
// stream can be encoded on any thread without touching the engine.
//
// Built on the engine thread right after the command is applied, published
// on the event bus once the command is durable (sequencer/event_bus.hpp).
// The stream is a function of the journal: replaying the same journal gives
// the same records.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/engine.hpp"

namespace ballast::sequencer {

// One engine event, with its position in its command's events and the names
// of the account and market it concerns (empty names where it has none: the
// treasury funding the vault, a liquidation's net settlement).
struct StreamEvent {
    std::uint32_t index = 0;
    core::Event event;
    core::Name user;
    core::Name pair;
};

// A market after a command that moved it (an oracle update of its price, a
// fill, a parameter or status change): the state itself, copied; what is
// derived from it (mark price, funding now, quotes) is computed by whoever
// encodes it, off the engine thread (api::write_ticker).
struct MarketState {
    core::Name pair;
    core::PairStatus status = core::PairStatus::Active;
    core::PairParams params;
    std::optional<core::Dec> oracle_price;
    core::Dec long_oi, short_oi;
    core::FundingState funding;  // as last settled; accrue it to the time shown
};

// An account whose positions a command changed (a fill, funding settled,
// a liquidation or ADL), as it is after the command: margin, health and
// positions, with the names of the positions' pairs in the same order.
struct AccountState {
    core::Name user;
    core::UserView view;  // UserDetail::Positions
    std::vector<core::Name> position_pairs;
};

struct StreamRecord {
    std::uint64_t seq = 0;
    core::TimeMs time = 0;
    core::CommandBody command;  // what was asked (accepted commands only are published)
    std::vector<StreamEvent> events;
    std::vector<MarketState> markets;    // the markets it moved, in pair id order
    std::vector<AccountState> accounts;  // the accounts whose positions it changed, in user id order
};

// The record of the command just applied to `engine` (its events() are the
// command's), or nullopt when there is nothing to publish: a rejected
// command, or a read.
std::optional<StreamRecord> make_stream_record(const core::Engine& engine, std::uint64_t seq, core::TimeMs time,
                                               const core::CommandBody& command, bool accepted);

// The market's state now, without its orders.
MarketState market_state(const core::Engine& engine, core::PairId id);

// The addresses a record concerns: the users of its events and, for a
// deposit, withdrawal or vault command, the user who sent it. Sorted, unique.
std::vector<core::Name> accounts_of(const StreamRecord& record);

}  // namespace ballast::sequencer
