// A command's direct answer: an error, or the fields particular to it.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/errors.hpp"
#include "core/types.hpp"

namespace ballast::core {

struct SubmitOrderReply {
    OrderId order_id = 0;
    Dec filled;
    std::optional<Dec> exec_price;
    Dec rested;
};

struct DepositLiquidityReply {
    std::uint64_t request_id = 0;
    std::optional<Amount> shares_minted;  // absent: pending until the next oracle update
};

struct UnlockLiquidityReply {
    std::uint64_t request_id = 0;
    Amount shares;
    TimeMs end_time = 0;
    std::optional<Amount> amount;  // the most it will pay; absent until priced
};

struct OrderView {
    OrderId order_id = 0;
    UserId user = kNoUser;
    PairId pair = 0;
    Dec size;
    Dec limit_price;
    bool reduce_only = false;
    Amount reserved_margin;
    TimeMs created_at = 0;
};

// Views: every figure derived by arithmetic is optional. A state can be
// legal and still too large for some product (a huge position at a huge
// price); that figure is then unknown (null), and the read still succeeds.

struct PositionView {
    PairId pair = 0;
    Position position;
    std::optional<Dec> unrealized_pnl;     // at the oracle price, rounded against the trader
    std::optional<Dec> accrued_funding;    // owed (positive) at the current clock
    std::optional<Dec> liquidation_price;  // estimate, other positions held fixed
};

struct UserView {
    Amount margin, reserved_margin, vault_shares;
    // The account at the oracle prices; all unknown if any cannot be computed.
    std::optional<Amount> used_margin, available_margin, maintenance_margin;
    std::optional<Dec> equity, unrealized_pnl, accrued_funding;
    std::vector<Unlock> unlocks;
    std::vector<PendingDeposit> pending_deposits;  // vault deposits not priced yet
    std::vector<PositionView> positions;           // pair id order
    std::vector<OrderView> open_orders;            // order id order
};

struct PairView {
    PairId pair = 0;
    PairParams params;
    PairStatus status = PairStatus::Active;
    std::optional<Dec> funding_rate, cumulative_funding_per_unit;  // accrued to the clock
    std::optional<Dec> oracle_price;
    Dec long_oi, short_oi, skew;
    std::optional<Dec> marginal_price;
    i128 oi_weighted_entry_price = 0;
    std::vector<OrderView> bids, asks;  // priority order
};

// Resting orders of one price level on one side, parked ones included.
struct BookLevel {
    Dec price;
    // The sum of the orders' unfilled sizes, positive on both sides; unknown
    // if it does not fit (each order fits, their sum need not).
    std::optional<Dec> size;
    std::uint32_t orders = 0;
};

// A pair's resting orders by price level, most competitive first.
struct BookView {
    std::vector<BookLevel> bids, asks;
};

struct VaultView {
    Amount balance, share_supply, treasury, pending_deposits;
    std::optional<Dec> unrealized_pnl, unrealized_funding;
    Dec uncollectable;             // traders' losses beyond their margin, at the last valuation
    std::optional<Dec> equity;     // balance + unrealized PnL and funding - uncollectable
    bool backs_positions = false;  // false: orders that open exposure are refused
};

using Reply = std::variant<std::monostate, SubmitOrderReply, DepositLiquidityReply, UnlockLiquidityReply, UserView,
                           PairView, VaultView>;

struct Outcome {
    ErrorCode error = ErrorCode::None;
    std::string message;
    Reply reply;

    bool ok() const { return error == ErrorCode::None; }
};

}  // namespace ballast::core
