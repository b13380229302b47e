// The spec's pricing functions on hand-computed inputs, including the exact
// premium clamp and the rounding direction of each price.
#include <gtest/gtest.h>

#include <random>

#include <boost/multiprecision/cpp_int.hpp>

#include "core/pricing.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using ballast::testing::amt;
using ballast::testing::dec;

const PairParams kParams{dec("1000"), dec("0.05"), dec("500"), dec("0.05")};

TEST(Pricing, DecomposeFillSplitsClosingAndOpening) {
    // 003: a +50 position sold -100 closes 50 and opens -50.
    auto p = decompose_fill(dec("-100"), dec("50"));
    EXPECT_EQ(p.closing, dec("-50"));
    EXPECT_EQ(p.opening, dec("-50"));
    p = decompose_fill(dec("100"), dec("50"));
    EXPECT_EQ(p.closing, dec("0"));
    EXPECT_EQ(p.opening, dec("100"));
    p = decompose_fill(dec("30"), dec("-100"));
    EXPECT_EQ(p.closing, dec("30"));
    EXPECT_EQ(p.opening, dec("0"));
    p = decompose_fill(dec("-5"), dec("0"));
    EXPECT_EQ(p.closing, dec("0"));
    EXPECT_EQ(p.opening, dec("-5"));
}

TEST(Pricing, ExecPriceAveragesTheSkew) {
    // 100 * (1 + (0 + 50/2)/1000) = 102.5
    EXPECT_EQ(compute_exec_price(dec("100"), dec("0"), dec("50"), kParams), dec("102.5"));
    // Inside the clamp (|skew| <= 50) at both ends: the premium of the average skew.
    // From 40 down to -40: average skew 0 -> 100.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("40"), dec("-80"), kParams), dec("100"));
    // From -20 up to +30: average skew 5 -> 100 * 1.005 = 100.5.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("-20"), dec("50"), kParams), dec("100.5"));
    // Clamped: (380 + 25)/1000 = 0.405 > 0.05 -> 105
    EXPECT_EQ(compute_exec_price(dec("100"), dec("380"), dec("50"), kParams), dec("105"));
    EXPECT_EQ(compute_exec_price(dec("100"), dec("-280"), dec("-100"), kParams), dec("95"));
}

TEST(Pricing, ClampIsExactAtTheBoundary) {
    // From skew 50 = L (= K * M) upwards the premium is M throughout: 105.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("50"), dec("20"), kParams), dec("105"));
    // From 30 up to exactly 50 it is linear throughout: (30 + 20/2)/1000 = 0.04 -> 104.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("30"), dec("20"), kParams), dec("104"));
    // Just under the cap: premium 0.049999999999999999998, price 104.9999999999999999998:
    // 19 digits, so floor and ceil differ in the last place.
    EXPECT_EQ(compute_marginal_price(dec("100"), dec("49.999999999999999998"), kParams, Rounding::Floor),
              dec("104.999999999999999999"));
    EXPECT_EQ(compute_marginal_price(dec("100"), dec("49.999999999999999998"), kParams, Rounding::Ceil), dec("105"));
    EXPECT_EQ(compute_marginal_price(dec("100"), dec("50"), kParams, Rounding::Floor), dec("105"));
    EXPECT_EQ(compute_marginal_price(dec("100"), dec("-50.1"), kParams, Rounding::Floor), dec("95"));
}

// A fill that crosses the clamp boundary L = K * M = 50 pays the exact average
// of the clamped premium over the skew it moves through (issue "Money safety",
// finding 2), not the clamp of the average premium.
TEST(Pricing, CrossingTheClampPaysTheAveragePremium) {
    // Sell 100 from skew +100: the premium is 0.05 from 100 down to 50, then
    // s/1000 from 50 to 0. Integral: 0.05 * 50 + (50^2 - 0^2) / 2000 = 2.5 + 1.25
    // = 3.75 over 100 of skew: 0.0375. Price 100 * 1.0375 = 103.75 (the spec's
    // clamp of the average, (100 - 50)/1000 = 0.05, gave 105).
    EXPECT_EQ(compute_exec_price(dec("100"), dec("100"), dec("-100"), kParams), dec("103.75"));
    // Buy 100 from skew 0: (50^2 / 2000) + 0.05 * 50 = 1.25 + 2.5 = 3.75 -> 103.75.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("0"), dec("100"), kParams), dec("103.75"));
    // ...which is what two halves cost: 0 -> 50 at 102.5 and 50 -> 100 at 105,
    // (102.5 + 105) / 2 = 103.75.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("0"), dec("50"), kParams), dec("102.5"));
    EXPECT_EQ(compute_exec_price(dec("100"), dec("50"), dec("50"), kParams), dec("105"));
    // From 40 to 60: (50^2 - 40^2) / 2000 + 0.05 * 10 = 0.45 + 0.5 = 0.95 over 20: 0.0475.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("40"), dec("20"), kParams), dec("104.75"));
    // Across the whole clamp, -100 to +100: the premium is odd, its integral 0: the oracle.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("-100"), dec("200"), kParams), dec("100"));
    // -100 to +20: -0.05 * 50 + (20^2 - 50^2) / 2000 = -2.5 - 1.05 = -3.55 over 120:
    // -0.0295833...; 100 * 0.97041666... rounds up for a buy: 97.041666666666666667.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("-100"), dec("120"), kParams), dec("97.041666666666666667"));
    // The same fill as a sell, from +20 to -100, rounds down: 97.041666666666666666.
    EXPECT_EQ(compute_exec_price(dec("100"), dec("20"), dec("-120"), kParams), dec("97.041666666666666666"));
}

// Issue "Money safety", finding 2: splitting a fill cannot beat filling it
// whole. Each price is the exact average premium rounded once (up for buys,
// down for sells), so both the whole and the pieces cost the exact integral
// plus less than 1e-18 per contract: they differ by less than |size| * 1e-18
// (far below a base unit), and a buyer who splits never pays less than the
// exact integral. Random markets, skews and splits, many crossing the clamp.
TEST(Pricing, SplitAndUnsplitFillsCostTheSame) {
    using Big = boost::multiprecision::int256_t;
    std::mt19937_64 rng(20261202);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    auto milli = [](std::int64_t v) { return Dec::from_raw(static_cast<i128>(v) * (Dec::kScale / 1000)); };
    int crossing = 0;
    for (int trial = 0; trial < 3'000; ++trial) {
        const PairParams params{milli(pick(1'000, 5'000'000)), milli(pick(0, 200)), dec("1000000"), dec("0.05")};
        const Dec oracle = milli(pick(1'000, 10'000'000));
        const Dec limit = mul(params.skew_scale, params.max_abs_premium, Rounding::Floor);
        const Dec skew = milli(pick(-3, 3) * static_cast<std::int64_t>(limit.raw() / (Dec::kScale / 1000) + 1) / 2 +
                               pick(-1000, 1000));
        const int pieces = static_cast<int>(pick(2, 12));
        const bool buy = pick(0, 1) == 1;
        std::vector<Dec> sizes;
        Dec total;
        for (int i = 0; i < pieces; ++i) {
            const Dec piece = milli(pick(1, 4 * (limit.raw() / (Dec::kScale / 1000) + 1)));
            sizes.push_back(buy ? piece : -piece);
            total += sizes.back();
        }
        // Costs as exact products of raw size and raw price (units of 1e-36).
        auto cost = [](Dec size, Dec price) { return Big(size.abs().raw()) * Big(price.raw()); };
        const Big whole = cost(total, compute_exec_price(oracle, skew, total, params));
        Big split = 0;
        Dec s = skew;
        for (const Dec piece : sizes) {
            split += cost(piece, compute_exec_price(oracle, s, piece, params));
            s += piece;
        }
        const Dec after = skew + total;
        crossing += (skew.abs() < limit) != (after.abs() < limit) ? 1 : 0;
        const Big bound = Big(total.abs().raw()) * Big(1);  // |size| * 1e-18 per contract, in 1e-36 units
        const Big difference = split > whole ? split - whole : whole - split;
        ASSERT_LT(difference, bound) << "trial " << trial;
    }
    EXPECT_GT(crossing, 500) << "too few fills cross the clamp boundary to prove much";
}

TEST(Pricing, ExecPriceRoundsAgainstTheTrader) {
    // 1 * (1 + (0 + 0.000000000000000001/2)/1000): the premium is 5e-22, far below
    // the last digit. A buy pays one unit of the last digit more, a sell receives the floor.
    EXPECT_EQ(compute_exec_price(dec("1"), dec("0"), dec("0.000000000000000001"), kParams),
              dec("1.000000000000000001"));
    EXPECT_EQ(compute_exec_price(dec("1"), dec("0"), dec("-0.000000000000000001"), kParams),
              dec("0.999999999999999999"));
}

TEST(Pricing, MarketTargetIsMarginalTimesSlippage) {
    // 004 SubmitOrder #5: marginal 105 (clamped), sell with 1% -> 103.95.
    EXPECT_EQ(compute_market_target_price(dec("100"), dec("100"), dec("0.01"), false, kParams), dec("103.95"));
    // #6: marginal 95, buy with 1% -> 95.95.
    EXPECT_EQ(compute_market_target_price(dec("100"), dec("-100"), dec("0.01"), true, kParams), dec("95.95"));
}

TEST(Pricing, MaxOiAppliesToTheOpeningSideOnly) {
    // 004 #3: long_oi 480, room 20, opening 50 -> violated.
    EXPECT_TRUE(opening_exceeds_max_oi(dec("50"), dec("480"), dec("-100"), dec("500")));
    EXPECT_FALSE(opening_exceeds_max_oi(dec("20"), dec("480"), dec("-100"), dec("500")));
    // #8: short_oi -480, opening -50 -> violated; #7: short_oi -100 -> fine.
    EXPECT_TRUE(opening_exceeds_max_oi(dec("-50"), dec("200"), dec("-480"), dec("500")));
    EXPECT_FALSE(opening_exceeds_max_oi(dec("-50"), dec("200"), dec("-100"), dec("500")));
    EXPECT_FALSE(opening_exceeds_max_oi(dec("0"), dec("500"), dec("-500"), dec("500")));
}

TEST(Pricing, RequiredMarginCeils) {
    EXPECT_EQ(compute_required_margin(dec("-50"), dec("95"), kParams), amt("238"));  // 237.5
    EXPECT_EQ(compute_required_margin(dec("100"), dec("99"), kParams), amt("495"));
    EXPECT_EQ(compute_required_margin(dec("0"), dec("99"), kParams), amt("0"));
}

}  // namespace
