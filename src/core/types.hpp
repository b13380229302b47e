// Identifiers, parameters and the per-user / per-pair records of the engine.
#pragma once

#include <cstdint>
#include <limits>

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
};

struct PairParams {
    Dec skew_scale;            // > 0
    Dec max_abs_premium;       // in [0, 1)
    Dec max_abs_oi;            // >= 0
    Dec initial_margin_ratio;  // in (0, 1]
};

struct Position {
    Dec size;           // positive long, negative short, never zero while held
    Amount cost_basis;  // settlement units paid to open what remains
};

struct Unlock {
    Amount amount;
    TimeMs end_time = 0;
    std::uint64_t seq = 0;  // global order of creation; breaks end_time ties on release
};

}  // namespace ballast::core
