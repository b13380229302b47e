// Velocity funding (Synthetix perps v2/v3 style): the funding rate drifts at
// a speed proportional to the skew, capped in size, and every unit of a
// position accrues the time integral of the rate times the oracle price.
#pragma once

#include "core/types.hpp"

namespace ballast::core {

inline constexpr TimeMs kMillisecondsPerDay = 86'400'000;

struct FundingState {
    Dec rate;                 // per day; positive: longs pay
    Dec cumulative_per_unit;  // settlement units per contract, ever accrued
    TimeMs last_time = 0;
};

// The pair's funding after time moves from state.last_time to `now` at a
// constant skew and oracle price:
//   v  = clamp(skew / skew_scale, -1, 1) * max_funding_velocity
//   r1 = clamp(r0 + v * days, -max, +max)
//   cumulative += (integral of the rate over the interval) * oracle_price
// The integral is exact up to one rounding per term: the ramp, and the flat
// part after the rate hits its cap inside the interval.
FundingState accrue_funding(const FundingState& state, TimeMs now, Dec skew, Dec oracle_price,
                            const PairParams& params);

// The pair's funding at `now`: accrued while funding is on and the pair has a
// price; with funding off nothing accrues (last_time stays behind
// harmlessly, because set_pair accrues up to the clock before it can turn
// funding on); without a price only the time moves.
FundingState funding_at(const FundingState& state, TimeMs now, const std::optional<Dec>& oracle_price, Dec skew,
                        const PairParams& params);

// Funding a position owes (positive) or is owed (negative), size * (cumulative
// - entry), rounded up: what is owed rounds up, what is due rounds down.
Dec accrued_funding(Dec size, Dec cumulative_per_unit, Dec entry_funding_per_unit);
// The same, in whole base units with one rounding (up), for settlement.
i128 funding_to_settle(Dec size, Dec cumulative_per_unit, Dec entry_funding_per_unit);

}  // namespace ballast::core
