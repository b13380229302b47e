#include "core/pricing.hpp"

#include <boost/multiprecision/cpp_int.hpp>

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

namespace {

// Where skews lie against the clamp boundary L = skew_scale * max_abs_premium,
// decided exactly: |s| <= L is inside (premium s / K), beyond it +-M.
bool at_most_clamp(Dec magnitude_of_skew, const PairParams& params) {
    return compare_products(magnitude_of_skew, Dec::one(), params.skew_scale, params.max_abs_premium) <= 0;
}
bool at_least_clamp(Dec skew, const PairParams& params) {
    return skew.is_positive() && compare_products(skew, Dec::one(), params.skew_scale, params.max_abs_premium) >= 0;
}
bool within_clamp(Dec skew, const PairParams& params) { return at_most_clamp(skew.abs(), params); }

// The exact average of the clamped premium over a fill that crosses the
// clamp boundary, applied to the oracle with one rounding. In real numbers,
// with G(s) = s^2 inside [-L, L] and 2L|s| - L^2 beyond it (2K times the
// integral of clamp(s/K, -M, M) from 0 to s):
//   price = oracle * (2K*size + G(skew + size) - G(skew)) / (2K*size)
// On raw 18-digit integers (s = S/1e18, K = k/1e18, M = m/1e18, L = mk/1e36)
// every term is scaled by 1e72 so that all are whole numbers:
//   G'(S) = S^2 * 1e36 inside, 2mk|S| * 1e18 - m^2 k^2 beyond,
//   price_raw = O * (2kD * 1e36 + G'(S1) - G'(S0)) / (2kD * 1e36).
// The magnitudes stay below 2^510, so 1024-bit integers never wrap.
Dec integrated_price(Dec oracle, Dec skew, Dec size, const PairParams& params, Rounding rounding) {
    using Big = boost::multiprecision::int1024_t;
    const Big e18 = Big(Dec::kScale);
    const Big e36 = e18 * e18;
    const Big k = Big(params.skew_scale.raw());
    const Big m = Big(params.max_abs_premium.raw());
    const Big mk = m * k;
    auto g = [&](Dec s) {
        const Big v = Big(s.raw());
        if (within_clamp(s, params)) return v * v * e36;
        return 2 * mk * abs(v) * e18 - mk * mk;
    };
    const Big d = Big(size.raw());
    const Big denominator = 2 * k * d * e36;
    const Big numerator = denominator + g(skew + size) - g(skew);
    // Both have the sign of the size; the price is their positive ratio times the oracle.
    const Big n = abs(numerator) * Big(oracle.raw());
    const Big den = abs(denominator);
    Big q = n / den;
    const bool up = rounding == Rounding::Ceil;
    if (up && q * den != n) ++q;
    if (q > Big(kI128Max)) throw_overflow();
    return Dec::from_raw(static_cast<i128>(q));
}

}  // namespace

Dec compute_exec_price(Dec oracle_price, Dec skew, Dec size, const PairParams& params) {
    const Rounding rounding = size.is_positive() ? Rounding::Ceil : Rounding::Floor;
    if (params.max_abs_premium.is_zero()) return oracle_price;  // no premium at any skew
    const Dec after = skew + size;
    // Both ends inside (one comparison: the larger magnitude): the premium is
    // linear, so its average is the premium of the average skew,
    // (skew + size/2) / K == (2*skew + size) / (2*K).
    if (at_most_clamp(max(skew.abs(), after.abs()), params)) {
        const Dec denominator = params.skew_scale + params.skew_scale;
        return mul_div(oracle_price, denominator + skew + skew + size, denominator, rounding);
    }
    // Both ends on one flat part of the clamp: the premium is +-M throughout.
    if (at_least_clamp(min(skew, after), params))
        return mul(oracle_price, Dec::one() + params.max_abs_premium, rounding);
    if (at_least_clamp(-max(skew, after), params))
        return mul(oracle_price, Dec::one() - params.max_abs_premium, rounding);
    return integrated_price(oracle_price, skew, size, params, rounding);
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
