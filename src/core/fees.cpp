#include "core/fees.hpp"

namespace ballast::core {

FeeSplit split_maker_taker(Dec skew, Dec fill) {
    const Dec magnitude_of_fill = fill.abs();
    if (skew.is_zero() || fill.is_zero() || skew.is_positive() == fill.is_positive())
        return {Dec::zero(), magnitude_of_fill};
    const Dec maker = min(magnitude_of_fill, skew.abs());
    return {maker, magnitude_of_fill - maker};
}

Amount compute_trading_fee(Dec skew, Dec fill, Dec price, const PairParams& params) {
    if (params.maker_fee_rate.is_zero() && params.taker_fee_rate.is_zero()) return Amount::zero();
    const FeeSplit split = split_maker_taker(skew, fill);
    return mul3_to_amount(split.maker, price, params.maker_fee_rate, Rounding::Ceil) +
           mul3_to_amount(split.taker, price, params.taker_fee_rate, Rounding::Ceil);
}

Amount compute_worst_case_fee(Dec size, Dec price, const PairParams& params) {
    if (params.maker_fee_rate.is_zero() && params.taker_fee_rate.is_zero()) return Amount::zero();
    return mul3_to_amount(size.abs(), price, max(params.maker_fee_rate, params.taker_fee_rate), Rounding::Ceil);
}

}  // namespace ballast::core
