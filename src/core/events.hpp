// What happened, in the order it happened. Events are the engine's only output
// besides a command's direct reply.
#pragma once

#include <variant>

#include "core/types.hpp"

namespace ballast::core {

struct FillEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    Dec price;
    i128 realized_pnl;  // settled amount in base units, before any cap (see shortfall / bad debt)
};

struct OrderRestedEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    Dec limit_price;
    bool reduce_only;
    Amount reserved_margin;
    TimeMs created_at;
};

// A resting order partially filled (reduce-only): its remaining size.
struct OrderUpdatedEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    Amount reserved_margin;
};

struct OrderCanceledEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    Amount released_margin;
};

enum class UnfilledReason : std::uint8_t { MaxOi, Price, ReduceOnly, MaxOpenOrders };

struct UnfilledEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    UnfilledReason reason;
};

// A matured vault unlock paid out of the system.
struct LiquidityReleasedEvent {
    UserId user;
    Amount amount;
    TimeMs end_time;
};

// Profit owed to a trader that the vault balance could not cover.
struct VaultShortfallEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Amount amount;
};

// Loss a trader owed beyond their margin, absorbed by the vault.
struct BadDebtEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Amount amount;
};

using Event = std::variant<FillEvent, OrderRestedEvent, OrderUpdatedEvent, OrderCanceledEvent, UnfilledEvent,
                           LiquidityReleasedEvent, VaultShortfallEvent, BadDebtEvent>;

constexpr const char* unfilled_reason_name(UnfilledReason reason) {
    switch (reason) {
        case UnfilledReason::MaxOi: return "max_oi";
        case UnfilledReason::Price: return "price";
        case UnfilledReason::ReduceOnly: return "reduce_only";
        case UnfilledReason::MaxOpenOrders: return "max_open_orders";
    }
    return "unknown";
}

}  // namespace ballast::core
