// What happened, in the order it happened. Events are the engine's only output
// besides a command's direct reply.
#pragma once

#include <variant>

#include "core/types.hpp"

namespace ballast::core {

inline constexpr PairId kNoPair = std::numeric_limits<PairId>::max();
inline constexpr OrderId kNoOrder = 0;  // fills of a liquidation or ADL belong to no order

struct FillEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    Dec price;
    i128 realized_pnl;  // in base units, before any cap (see shortfall / bad debt)
    Amount fee;         // trading fee charged
    i128 funding;       // funding settled with this fill: positive paid by the trader
};

// Accrued funding settled on a position (positive: paid by the trader).
struct FundingSettledEvent {
    UserId user;
    PairId pair;
    i128 amount;
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

// Why a resting order left the book without filling.
enum class CancelReason : std::uint8_t {
    ByOwner,             // cancel_order
    Liquidation,         // its owner was liquidated
    AutoDeleveraging,    // its owner was deleveraged
    InsufficientMargin,  // at fulfilment, the fill would have left the account below initial margin
};

struct OrderCanceledEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    Amount released_margin;
    CancelReason reason;
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

// A liquidation (is_adl false) or an auto-deleveraging: every position of
// the user closed, funding and PnL settled as one net amount.
struct ForceCloseEvent {
    UserId user;
    bool is_adl;
    i128 net_pnl;  // realized PnL minus funding, before caps
    Amount fee;    // liquidation fee paid to the vault
    Amount bad_debt;
};

// Profit owed to a trader that the vault balance could not cover.
// pair and order_id are kNoPair / kNoOrder for a liquidation's net settlement.
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

using Event =
    std::variant<FillEvent, OrderRestedEvent, OrderUpdatedEvent, OrderCanceledEvent, UnfilledEvent,
                 LiquidityReleasedEvent, VaultShortfallEvent, BadDebtEvent, FundingSettledEvent, ForceCloseEvent>;

constexpr const char* cancel_reason_name(CancelReason reason) {
    switch (reason) {
        case CancelReason::ByOwner: return "by_owner";
        case CancelReason::Liquidation: return "liquidation";
        case CancelReason::AutoDeleveraging: return "adl";
        case CancelReason::InsufficientMargin: return "insufficient_margin";
    }
    return "unknown";
}

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
