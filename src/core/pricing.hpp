// The spec's pricing and margin formulas (003, "Submit order"), as pure
// functions of their inputs. Prices that a trader pays round up, prices a
// trader receives round down; margin requirements round up.
#pragma once

#include "core/types.hpp"

namespace ballast::core {

struct Portions {
    Dec closing;  // reduces the existing position; same sign as the order
    Dec opening;  // new or increased exposure; same sign as the order
};

Portions decompose_fill(Dec size, Dec position);

// The price of an infinitesimal order at `skew`, clamped by max_abs_premium.
Dec compute_marginal_price(Dec oracle_price, Dec skew, const PairParams& params, Rounding rounding);

// The price of filling `size` at `skew`: the oracle times one plus the
// average of the clamped marginal premium clamp(s / skew_scale, -M, M) over
// the skew s the fill moves through, exactly (the integral of the piecewise
// linear premium), with one rounding: up for buys, down for sells. No way of
// splitting a fill beats it: the pieces' costs add up to the whole's. Where
// the fill stays on one side of the clamp boundary this is the spec's
// oracle * (1 + clamp((skew + size/2) / skew_scale, -M, M)); only fills that
// cross the boundary differ (docs/SPEC-NOTES.md).
Dec compute_exec_price(Dec oracle_price, Dec skew, Dec size, const PairParams& params);

// Worst acceptable price of a market order: marginal * (1 +/- max_slippage),
// rounded away from the marginal price so the bound is never tighter than asked.
Dec compute_market_target_price(Dec oracle_price, Dec skew, Dec max_slippage, bool is_buy, const PairParams& params);

// True when the opening portion would push its side's OI beyond max_abs_oi.
bool opening_exceeds_max_oi(Dec opening, Dec long_oi, Dec short_oi, Dec max_abs_oi);

// ceil(|size| * price * initial_margin_ratio): margin to open `size` at `price`,
// and the margin a held position uses at the oracle price.
Amount compute_required_margin(Dec size, Dec price, const PairParams& params);

}  // namespace ballast::core
