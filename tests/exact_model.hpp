// An exact model of funding accrual and account health, for checking the
// engine on random streams. It follows docs/SPEC-NOTES.md ("Funding",
// "Equity, liquidation, ADL"), not the engine's code: every quantity is an
// exact rational (Boost.Multiprecision), and nothing is rounded except where
// the notes say a figure is a whole number of base units.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>

#include "core/engine.hpp"

namespace ballast::testing::exact {

using Rational = boost::multiprecision::cpp_rational;
using Integer = boost::multiprecision::cpp_int;

inline Rational of(core::Dec d) { return Rational(Integer(d.raw()), Integer(core::Dec::kScale)); }
inline Rational of(core::Amount a) { return Rational(Integer(a.units())); }
inline Integer ceil(const Rational& r) {
    const Integer n = numerator(r), d = denominator(r);
    Integer q = n / d;
    if (q * d != n && n > 0) ++q;
    return q;
}
inline Rational clamp(const Rational& x, const Rational& lo, const Rational& hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

// The notes' velocity funding from a pair's stored state to time `now`, at a
// constant skew and oracle price:
//   v = clamp(skew / K, -1, 1) * max_velocity; the rate ramps by v per day and
//   stops at +-cap; the cumulative grows by the integral of the rate (in days)
//   times the oracle price.
struct Funding {
    Rational rate, cumulative;
};

inline Funding accrue(const core::FundingState& state, core::TimeMs now, core::Dec skew, core::Dec oracle,
                      const core::PairParams& params) {
    Funding f{of(state.rate), of(state.cumulative_per_unit)};
    const Rational cap = of(params.max_abs_funding_rate);
    if (now <= state.last_time || cap <= 0) return f;
    const Rational days = Rational(Integer(now - state.last_time), Integer(core::kMillisecondsPerDay));
    const Rational r0 = clamp(f.rate, -cap, cap);
    const Rational v = clamp(of(skew) / of(params.skew_scale), -1, 1) * of(params.max_funding_velocity);
    Rational integral;
    const Rational r1 = r0 + v * days;
    if (v == 0) {
        integral = r0 * days;
        f.rate = r0;
    } else if (abs(r1) <= cap) {
        integral = (r0 + r1) / 2 * days;
        f.rate = r1;
    } else {
        const Rational bound = v > 0 ? cap : -cap;
        const Rational until = (bound - r0) / v;  // days to the cap
        integral = (r0 + bound) / 2 * until + bound * (days - until);
        f.rate = bound;
    }
    f.cumulative += integral * of(oracle);
    return f;
}

// An account at oracle prices with the pairs' cumulative funding `cumulative`:
//   equity = margin + sum(size * oracle - sign(size) * cost_basis) - sum(size * (cumulative - entry)),
//   maintenance = sum ceil(|size| * oracle * mmr), used = sum ceil(|size| * oracle * imr) (base units).
struct Health {
    Rational equity;
    Integer maintenance, used;
};

template <typename CumulativeOf>
Health health(const core::Engine& engine, const core::UserState& user, CumulativeOf cumulative_of) {
    Health h;
    h.equity = of(user.margin);
    for (const core::PositionEntry& e : user.positions) {
        const core::PairState& pair = engine.pair(e.pair);
        const Rational size = of(e.position.size), oracle = of(*pair.oracle_price);
        const Rational cost = of(e.position.cost_basis);
        h.equity += size * oracle - (size > 0 ? cost : -cost);
        h.equity -= size * (cumulative_of(e.pair) - of(e.position.entry_funding_per_unit));
        h.maintenance += ceil(abs(size) * oracle * of(pair.params.maintenance_margin_ratio));
        h.used += ceil(abs(size) * oracle * of(pair.params.initial_margin_ratio));
    }
    return h;
}

}  // namespace ballast::testing::exact
