// What the gateways ask of the sequencer, and what it answers. Requests are
// already authenticated and decoded into engine terms when they arrive here:
// signatures, tokens, rate limits and JSON live on the gateway threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/commands.hpp"

namespace ballast::sequencer {

// A trader's signed request: the signer is the trader (a lowercase 0x address),
// and the nonce may be used once while the request is unexpired.
struct SignedBy {
    core::Name signer;
    std::uint64_t nonce = 0;
    core::TimeMs expiry = 0;  // ms since the epoch; the request is refused at or after it
};

// Cancels every open order of a user in one pair. The sequencer expands it
// into one journaled CancelOrder per order, so the journal holds only engine
// commands and any journal replays with `ballast replay`.
struct CancelAllOrders {
    core::Name user;
    core::Name pair;
};

struct WriteRequest {
    std::variant<core::CommandBody, CancelAllOrders> body;
    std::optional<SignedBy> signed_by;
    // Scoped by the caller's identity ("0xabc…:key", "bridge:tx:…"); empty: none.
    std::string idempotency_key;
    bool key_never_expires = false;  // bridge deposits, keyed by the chain transaction
};

// Info: the limits the exchange itself applies (request lifetime, nonce
// window, the engine's current global parameters), for GET /v1/info.
// Ticker: a market's state without its orders (a WebSocket snapshot).
// Book: a market's resting orders by price level.
enum class ReadKind : std::uint8_t {
    Account,
    Orders,
    Positions,
    Markets,
    Market,
    Ticker,
    Book,
    Vault,
    Withdrawals,
    Status,
    Info
};

struct ReadRequest {
    static ReadRequest of(ReadKind kind) {
        ReadRequest r;
        r.kind = kind;
        return r;
    }

    ReadKind kind = ReadKind::Status;
    core::Name subject;             // trader (account, orders, positions) or pair (market)
    std::optional<core::Dec> size;  // market: quote this size
    std::uint64_t after = 0;        // pagination cursor: ids greater than this
    std::uint32_t limit = 100;
};

struct Response {
    std::uint16_t status = 200;
    std::string body;  // JSON
    // A read: the last sequence number of the state it shows and that
    // command's time (WebSocket snapshots start their deltas after it). Not
    // stored with idempotent replies.
    std::uint64_t seq = 0;
    core::TimeMs time = 0;
};

}  // namespace ballast::sequencer
