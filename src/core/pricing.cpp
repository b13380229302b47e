#include "core/pricing.hpp"

namespace ballast::core {

Portions decompose_fill(Dec size, Dec position) {
    if (size.is_positive() && position.is_negative()) {
        const Dec closing = min(size, -position);
        return {closing, size - closing};
    }
    if (size.is_negative() && position.is_positive()) {
        const Dec closing = max(size, -position);
        return {closing, size - closing};
    }
    return {Dec::zero(), size};
}

namespace {

// oracle * (1 + numerator / denominator), with the premium clamped to
// [-M, M] by exact comparison, and a single final rounding.
Dec apply_premium(Dec oracle_price, Dec numerator, Dec denominator, const PairParams& params, Rounding rounding) {
    // |numerator / denominator| >= M, decided exactly (denominator > 0).
    const Dec m = params.max_abs_premium;
    if (compare_products(numerator.abs(), Dec::one(), denominator, m) >= 0) {
        return mul(oracle_price, numerator.is_negative() ? Dec::one() - m : Dec::one() + m, rounding);
    }
    return mul_div(oracle_price, denominator + numerator, denominator, rounding);
}

}  // namespace

Dec compute_marginal_price(Dec oracle_price, Dec skew, const PairParams& params, Rounding rounding) {
    return apply_premium(oracle_price, skew, params.skew_scale, params, rounding);
}

Dec compute_exec_price(Dec oracle_price, Dec skew, Dec size, const PairParams& params) {
    // (skew + size/2) / K == (2*skew + size) / (2*K): no halving of odd raw sizes.
    const Dec numerator = skew + skew + size;
    const Dec denominator = params.skew_scale + params.skew_scale;
    return apply_premium(oracle_price, numerator, denominator, params,
                         size.is_positive() ? Rounding::Ceil : Rounding::Floor);
}

Dec compute_market_target_price(Dec oracle_price, Dec skew, Dec max_slippage, bool is_buy, const PairParams& params) {
    const Rounding rounding = is_buy ? Rounding::Ceil : Rounding::Floor;
    const Dec marginal = compute_marginal_price(oracle_price, skew, params, rounding);
    const Dec factor = is_buy ? Dec::one() + max_slippage : Dec::one() - max_slippage;
    return mul(marginal, factor, rounding);
}

bool opening_exceeds_max_oi(Dec opening, Dec long_oi, Dec short_oi, Dec max_abs_oi) {
    if (opening.is_positive()) return opening > max_abs_oi - long_oi;
    if (opening.is_negative()) return -opening > max_abs_oi - short_oi.abs();
    return false;
}

Amount compute_required_margin(Dec size, Dec price, const PairParams& params) {
    return mul3_to_amount(size.abs(), price, params.initial_margin_ratio, Rounding::Ceil);
}

}  // namespace ballast::core
