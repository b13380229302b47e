// Identifiers, parameters and the per-user / per-pair records of the engine.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "core/decimal.hpp"

namespace ballast::core {

using TimeMs = std::int64_t;    // milliseconds; an input, never read from a clock
using UserId = std::uint32_t;   // dense index into the engine's user table
using PairId = std::uint32_t;   // dense index; pairs are ordered by creation
using OrderId = std::uint64_t;  // sequence starting at 1, taken by every accepted order

inline constexpr UserId kNoUser = std::numeric_limits<UserId>::max();

struct GlobalParams {
    TimeMs vault_cooldown_ms = 86'400'000;
    std::uint32_t max_open_orders = 100;
    // Shares minted per base unit deposited into an empty vault.
    Amount default_shares_per_amount = Amount(1'000'000);
    // Risk and safety; zero turns each off.
    TimeMs max_oracle_age_ms = 0;  // older prices refuse submissions and liquidations
    Dec adl_trigger_ratio;         // auto-deleverage while equity < ratio * OI notional
    Dec protocol_fee_share;        // share of every fee kept by the treasury, in [0, 1]
    // A trader is alerted (LiquidationAlertEvent) when their equity falls
    // below this multiple of their maintenance margin; 0 turns alerts off.
    Dec liquidation_alert_ratio = Dec::from_raw(Dec::kScale * 3 / 2);  // 1.5
};

// Parameters of one pair. The first four are the spec's; the rest are the
// risk engine's, each zero (off) unless set.
struct PairParams {
    Dec skew_scale{};                 // > 0
    Dec max_abs_premium{};            // in [0, 1)
    Dec max_abs_oi{};                 // >= 0
    Dec initial_margin_ratio{};       // in (0, 1]
    Dec maintenance_margin_ratio{};   // in (0, initial_margin_ratio); defaults to half of it
    Dec liquidation_fee_rate{};       // <= maintenance_margin_ratio - taker_fee_rate
    Dec maker_fee_rate{};             // fee on the part of a fill that moves the skew toward zero
    Dec taker_fee_rate{};             // fee on the rest
    Dec max_funding_velocity{};       // per day, at full skew
    Dec max_abs_funding_rate{};       // per day
    Dec max_limit_price_deviation{};  // limit prices outside oracle * (1 +/- d) are refused
    Dec min_order_notional{};         // in settlement units, for the opening portion
};

enum class PairStatus : std::uint8_t { Active, ReduceOnly, Paused };

constexpr const char* pair_status_name(PairStatus status) {
    switch (status) {
        case PairStatus::Active: return "active";
        case PairStatus::ReduceOnly: return "reduce_only";
        case PairStatus::Paused: return "paused";
    }
    return "unknown";
}

struct Position {
    Dec size;                    // positive long, negative short, never zero while held
    Amount cost_basis;           // settlement units paid to open what remains
    Dec entry_funding_per_unit;  // the pair's cumulative funding when last settled
};

// An LP's request to leave the vault. Its shares stay in the supply (and
// share the vault's losses, not its gains) until it is released.
struct Unlock {
    Amount shares;            // locked at the request, burned at the release
    Amount amount;            // the shares' value when priced: the most the release pays
    bool priced = false;      // priced at the first oracle update after the request
    TimeMs end_time = 0;      // request time + cooldown
    std::uint64_t seq = 0;    // global order of creation; breaks end_time ties on release
    std::uint64_t epoch = 0;  // oracle updates seen at the request; priced by a later one
};

// Margin an LP moved toward the vault, waiting to be priced into shares.
struct PendingDeposit {
    UserId user = kNoUser;
    Amount amount;
    std::optional<Amount> min_shares;
    std::uint64_t seq = 0;    // shares the unlock sequence: one id space for LP requests
    std::uint64_t epoch = 0;  // as Unlock::epoch
};

}  // namespace ballast::core
