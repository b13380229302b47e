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
    Amount shares_minted;
};

struct UnlockLiquidityReply {
    Amount amount_to_release;
    TimeMs end_time = 0;
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

struct PositionView {
    PairId pair = 0;
    Position position;
    Dec unrealized_pnl;                    // at the oracle price, rounded against the trader
    Dec accrued_funding;                   // owed (positive) at the current clock
    std::optional<Dec> liquidation_price;  // estimate, other positions held fixed
};

struct UserView {
    Amount margin, reserved_margin, used_margin, available_margin, vault_shares;
    Dec equity, unrealized_pnl, accrued_funding;
    Amount maintenance_margin;
    std::vector<Unlock> unlocks;
    std::vector<PositionView> positions;  // pair id order
    std::vector<OrderView> open_orders;   // order id order
};

struct PairView {
    PairId pair = 0;
    PairParams params;
    PairStatus status = PairStatus::Active;
    Dec funding_rate, cumulative_funding_per_unit;  // accrued to the clock
    std::optional<Dec> oracle_price;
    Dec long_oi, short_oi, skew;
    std::optional<Dec> marginal_price;
    i128 oi_weighted_entry_price = 0;
    std::vector<OrderView> bids, asks;  // priority order
};

struct VaultView {
    Amount balance, share_supply, treasury;
    Dec unrealized_pnl, unrealized_funding, equity;
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
