// Worked examples for the hard cases (issue "Tests that would catch what
// matters", item 5), each computed by hand beside its assertions:
// liquidation and ADL at a skew-adjusted close price, ADL that stops once the
// vault recovers, funding across an oracle price change, and rounding where
// amounts do not divide exactly.
#include <gtest/gtest.h>

#include "core/pricing.hpp"
#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

constexpr TimeMs kDay = 86'400'000;

// K 10,000 and M 5%: L = 500, so the fills below stay inside the clamp and
// pay the premium of their average skew. 10x leverage, 5% maintenance.
PairParams skewed_pair() {
    PairParams p{dec("10000"), dec("0.05"), dec("1000000"), dec("0.1")};
    p.maintenance_margin_ratio = dec("0.05");
    return p;
}

TEST(HardCases, LiquidationClosesAtTheSkewAdjustedPrice) {
    Harness h;
    PairParams p = skewed_pair();
    p.liquidation_fee_rate = dec("0.01");
    ASSERT_TRUE(h.run(SetPair{name("BTC"), p}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    // +100 from skew 0: average skew 50, premium 0.005, exec 100.5, cost ceil(10050) = 10050.
    // Margin: the fill's premium (50) plus the initial margin at the oracle (1000): 1100 is enough.
    h.deposit_margin("alice", "1100");
    ASSERT_EQ(submit_reply(h.submit_market("alice", "BTC", "100", "0.01")).exec_price, std::optional(dec("100.5")));
    // At 95: equity 1100 + 9500 - 10050 = 550 >= maintenance ceil(100 * 95 * 0.05) = 475.
    h.oracle({{"BTC", "95"}});
    EXPECT_TRUE(events_of<ForceCloseEvent>(h.events()).empty());
    // At 94: equity 1100 + 9400 - 10050 = 450 < 470: liquidated. The close, -100 from skew 100
    // to 0, pays the premium of its average skew 50: 94 * 1.005 = 94.47 (not the oracle 94).
    // Realized: floor(100 * 94.47) - 10050 = 9447 - 10050 = -603. Fee ceil(100 * 94 * 0.01) = 94.
    h.oracle({{"BTC", "94"}});
    const FillEvent fill = the_one<FillEvent>(h.events());
    EXPECT_EQ(fill.price, dec("94.47"));
    EXPECT_EQ(fill.size, dec("-100"));
    const ForceCloseEvent close = the_one<ForceCloseEvent>(h.events());
    EXPECT_FALSE(close.is_adl);
    EXPECT_EQ(close.net_pnl, -603);
    EXPECT_EQ(close.fee, amt("94"));
    EXPECT_EQ(close.bad_debt, amt("0"));
    EXPECT_EQ(h.user("alice").margin, amt("403"));  // 1100 - 603 - 94
    EXPECT_EQ(h.vault().balance, amt("100697"));    // 100000 + 603 + 94
}

TEST(HardCases, AutoDeleveragingClosesAtTheSkewAdjustedPriceAndStopsOnceTheVaultRecovers) {
    Harness h;
    ASSERT_TRUE(h.run(SetPair{name("BTC"), skewed_pair()}).ok());
    ASSERT_TRUE(h.run(SetParams{.adl_trigger_ratio = dec("0.5")}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "3000");
    h.deposit_margin("alice", "200");
    h.deposit_margin("bob", "200");
    // Alice +10 from skew 0: 100 * (1 + 5/10000) = 100.05, cost ceil(1000.5) = 1001.
    // Bob +5 from skew 10: average 12.5, 100 * 1.00125 = 100.125, cost ceil(500.625) = 501.
    ASSERT_EQ(submit_reply(h.submit_market("alice", "BTC", "10", "0.01")).exec_price, std::optional(dec("100.05")));
    ASSERT_EQ(submit_reply(h.submit_market("bob", "BTC", "5", "0.01")).exec_price, std::optional(dec("100.125")));
    // At 250: alice is owed 2500 - 1001 = 1499, bob 1250 - 501 = 749: 2248 in all. The vault's
    // equity is 3000 + (1001 + 501) - 250 * 15 = 752 < 0.5 * 2248 = 1124: ADL, most profitable
    // first. Alice's close, -10 from skew 15 to 5 (average 10), is at 250 * 1.001 = 250.25:
    // realized floor(10 * 250.25) - 1001 = 1501, paid in full from the 3000.
    // Then: balance 1499, bob still owed 749, equity 1499 + 501 - 1250 = 750 >= 0.5 * 749: it stops.
    h.oracle({{"BTC", "250"}});
    const ForceCloseEvent adl = the_one<ForceCloseEvent>(h.events());
    EXPECT_TRUE(adl.is_adl);
    EXPECT_EQ(adl.user, *h.engine.find_user(name("alice")));
    EXPECT_EQ(adl.net_pnl, 1501);
    EXPECT_EQ(the_one<FillEvent>(h.events()).price, dec("250.25"));
    EXPECT_TRUE(events_of<VaultShortfallEvent>(h.events()).empty());
    EXPECT_EQ(h.user("alice").margin, amt("1701"));  // 200 + 1501
    EXPECT_EQ(h.position("bob", "BTC"), dec("5"));
    EXPECT_EQ(h.vault().balance, amt("1499"));
}

TEST(HardCases, FundingAccruesAtThePriceInForce) {
    Harness h;
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.1")};
    p.max_funding_velocity = dec("1");
    p.max_abs_funding_rate = dec("1");
    ASSERT_TRUE(h.run(SetPair{name("BTC"), p}).ok());
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "10000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0", false, 0).ok());  // skew 100: v = 0.1/day
    // Day 1 at 100: the rate ramps 0 -> 0.1, integral 0.05 rate-days, times 100: 5 a unit.
    // The update to 200 accrues that day at the price in force, 100, before it changes.
    h.oracle({{"BTC", "200"}}, kDay);
    EXPECT_EQ(h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("5")));
    // Day 2 at 200: 0.1 -> 0.2, integral 0.15, times 200: 30 more (a day-1 accrual at 200 would
    // have given 10 instead of 5).
    h.oracle({{"BTC", "200"}}, 2 * kDay);
    EXPECT_EQ(h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("35")));
    EXPECT_EQ(h.user("alice").accrued_funding, std::optional(dec("3500")));  // 100 * 35
}

TEST(HardCases, RoundingWhereAmountsDoNotDivide) {
    // Market target and fulfilment cutoff at skew 1 with K 3: the marginal premium is 1/3.
    const PairParams p{dec("3"), dec("0.5"), dec("1000"), dec("0.1")};
    // Marginal 4/3 = 1.333...: a buy's target rounds up at each step, away from the marginal
    // price (1.333333333333333334 * 1.1 = 1.4666666666666666674 -> ...668); a sell's down
    // (1.333333333333333333 * 0.9 = 1.1999999999999999997 -> ...999).
    EXPECT_EQ(compute_market_target_price(dec("1"), dec("1"), dec("0.1"), true, p), dec("1.466666666666666668"));
    EXPECT_EQ(compute_market_target_price(dec("1"), dec("1"), dec("0.1"), false, p), dec("1.199999999999999999"));
    // The fulfilment cutoff rounds toward the order: down for bids, up for asks, so a resting
    // order exactly at the marginal price is never cut off by rounding.
    EXPECT_EQ(compute_marginal_price(dec("1"), dec("1"), p, Rounding::Floor), dec("1.333333333333333333"));
    EXPECT_EQ(compute_marginal_price(dec("1"), dec("1"), p, Rounding::Ceil), dec("1.333333333333333334"));

    // Shares minted and amounts released, floored (the vault keeps the fractions).
    Harness h;
    h.set_cooldown(0);
    EXPECT_EQ(h.fund_vault("lp1", "3"), amt("3000000"));  // 3 * (0 + 1e6) / (0 + 1)
    h.deposit_margin("donor", "2");
    ASSERT_TRUE(h.run(FundVault{name("donor"), amt("2")}).ok());  // equity 5, 3e6 shares
    // 2 * (3e6 + 1e6) / (5 + 1) = 1333333.33...: 1333333.
    EXPECT_EQ(h.fund_vault("lp2", "2"), amt("1333333"));
    // Equity 7 over 4333333 shares (+1e6 virtual): lp1's 3e6 are worth 3e6 * 8 / 5333333 = 4.50000028...
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp1"), amt("3000000")}).ok());
    EXPECT_EQ(h.user("lp1").margin, amt("4"));
    // Then equity 3 over 1333333 shares: 1333333 * 4 / 2333333 = 2.2857...: 2.
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp2"), amt("1333333")}).ok());
    EXPECT_EQ(h.user("lp2").margin, amt("2"));
    EXPECT_EQ(h.vault().balance, amt("1"));  // what the roundings kept
    EXPECT_EQ(h.vault().share_supply, amt("0"));
}

}  // namespace
