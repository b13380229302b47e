// What happened, in the order it happened. Events are the engine's only output
// besides a command's direct reply.
#pragma once

#include <optional>
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
    // The limit price of the resting order filled (its price level in the
    // book); none for an order filled on arrival, a liquidation or an ADL.
    std::optional<Dec> resting_limit_price;
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
    Dec limit_price;
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
    Dec limit_price;
};

enum class UnfilledReason : std::uint8_t { MaxOi, Price, ReduceOnly, MaxOpenOrders };

struct UnfilledEvent {
    UserId user;
    PairId pair;
    OrderId order_id;
    Dec size;
    UnfilledReason reason;
};

// Why a pending vault deposit went back to the LP's margin.
enum class RefundReason : std::uint8_t {
    VaultInsolvent,  // the vault's equity was not positive when it was priced
    TooFewShares,    // fewer shares than min_shares_to_mint, or none
    TooLarge,        // the shares would not fit the number range
};

// A vault deposit priced: margin moved into the vault for new shares.
struct LiquidityDepositedEvent {
    UserId user;
    std::uint64_t seq;  // the request's id
    Amount amount;
    Amount shares;
};

struct DepositRefundedEvent {
    UserId user;
    std::uint64_t seq;
    Amount amount;
    RefundReason reason;
};

// An unlock priced: the most its release will pay.
struct UnlockPricedEvent {
    UserId user;
    std::uint64_t seq;
    Amount shares;
    Amount amount;
    TimeMs end_time;
};

// An unlock whose shares were worth nothing when priced: they go back to the LP.
struct UnlockCanceledEvent {
    UserId user;
    std::uint64_t seq;
    Amount shares;
};

// A matured unlock paid to the LP's margin: the lesser of its value when
// priced and its value now, once the vault can pay it.
struct LiquidityReleasedEvent {
    UserId user;
    std::uint64_t seq;
    Amount shares;
    Amount amount;
    Amount value_at_request;
    TimeMs end_time;
};

// Money put into the vault without minting shares (recapitalization), from
// a user's margin or, with user kNoUser, from the treasury.
struct VaultFundedEvent {
    UserId user;
    Amount amount;
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

// A trader's equity fell below liquidation_alert_ratio × their maintenance
// margin at an oracle update: once per crossing (again only after it rose
// back above). A notice for the trader's feed; it changes nothing.
struct LiquidationAlertEvent {
    UserId user;
    Dec equity;
    Amount maintenance_margin;
};

// An account appeared (its first deposit, or its first order). A notice
// for the event stream, like the alert.
struct AccountCreatedEvent {
    UserId user;
};

using Event = std::variant<FillEvent, OrderRestedEvent, OrderUpdatedEvent, OrderCanceledEvent, UnfilledEvent,
                           LiquidityReleasedEvent, VaultShortfallEvent, BadDebtEvent, FundingSettledEvent,
                           ForceCloseEvent, LiquidityDepositedEvent, DepositRefundedEvent, UnlockPricedEvent,
                           UnlockCanceledEvent, VaultFundedEvent, LiquidationAlertEvent, AccountCreatedEvent>;

// Notices tell the event stream's consumers what they could not see
// otherwise; they are no result of the command that caused them, so
// command replies (and the replay output) leave them out.
inline bool is_notice(const Event& event) {
    return std::holds_alternative<LiquidationAlertEvent>(event) || std::holds_alternative<AccountCreatedEvent>(event);
}

constexpr const char* refund_reason_name(RefundReason reason) {
    switch (reason) {
        case RefundReason::VaultInsolvent: return "vault_insolvent";
        case RefundReason::TooFewShares: return "too_few_shares";
        case RefundReason::TooLarge: return "too_large";
    }
    return "unknown";
}

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
