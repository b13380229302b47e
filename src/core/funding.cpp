#include "core/funding.hpp"

namespace ballast::core {

FundingState accrue_funding(const FundingState& state, TimeMs now, Dec skew, Dec oracle_price,
                            const PairParams& params) {
    FundingState next = state;
    next.last_time = now;
    const Dec cap = params.max_abs_funding_rate;
    if (now <= state.last_time || !cap.is_positive()) return next;

    // Rounding: the cumulative is shared by every position and the vault, so
    // any fixed direction is fair; settlements round against the trader.
    constexpr Rounding kRound = Rounding::Floor;
    const Dec dt = Dec::from_int(now - state.last_time);  // milliseconds
    const Dec day = Dec::from_int(kMillisecondsPerDay);
    const Dec r0 = clamp(state.rate, -cap, cap);
    const Dec velocity =
        mul(clamp(div(skew, params.skew_scale, kRound), -Dec::one(), Dec::one()), params.max_funding_velocity, kRound);

    Dec integral;  // rate-days
    if (velocity.is_zero()) {
        integral = mul_div(r0, dt, day, kRound);
        next.rate = r0;
    } else {
        const Dec r1 = r0 + mul_div(velocity, dt, day, kRound);
        if (r1.abs() <= cap) {
            // A straight ramp: (r0 + r1) / 2 * days.
            integral = mul_div(r0 + r1, dt, day + day, kRound);
            next.rate = r1;
        } else {
            // The ramp reaches the cap after t* ms, then stays flat.
            const Dec bound = velocity.is_positive() ? cap : -cap;
            const Dec t_star = mul_div(bound - r0, day, velocity, kRound);
            integral = mul_div(r0 + bound, t_star, day + day, kRound) + mul_div(bound, dt - t_star, day, kRound);
            next.rate = bound;
        }
    }
    next.cumulative_per_unit = state.cumulative_per_unit + mul(integral, oracle_price, kRound);
    return next;
}

Dec accrued_funding(Dec size, Dec cumulative_per_unit, Dec entry_funding_per_unit) {
    if (cumulative_per_unit == entry_funding_per_unit) return Dec::zero();
    return mul(size, cumulative_per_unit - entry_funding_per_unit, Rounding::Ceil);
}

i128 funding_to_settle(Dec size, Dec cumulative_per_unit, Dec entry_funding_per_unit) {
    if (cumulative_per_unit == entry_funding_per_unit) return 0;
    constexpr i128 kScaleSquared = Dec::kScale * Dec::kScale;
    return detail::signed_mul_div(size.raw(), (cumulative_per_unit - entry_funding_per_unit).raw(), kScaleSquared,
                                  Rounding::Ceil);
}

FundingState funding_at(const FundingState& state, TimeMs now, const std::optional<Dec>& oracle_price, Dec skew,
                        const PairParams& params) {
    if (!params.max_abs_funding_rate.is_positive()) return state;
    if (!oracle_price) {
        FundingState idle = state;
        idle.last_time = now;
        return idle;
    }
    return accrue_funding(state, now, skew, *oracle_price, params);
}

}  // namespace ballast::core
