// The risk engine's rules (funding, fees, liquidation, ADL, market safety),
// each on a worked example computed by hand in the comments.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

constexpr TimeMs kDay = 86'400'000;

// Skew pricing off (premium cap 0: every fill at the oracle), 10x leverage, 5% maintenance.
PairParams flat_pair() {
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.1")};
    p.maintenance_margin_ratio = dec("0.05");
    return p;
}

void set_pair(Harness& h, const PairParams& p, std::string_view pair = "BTC") {
    Harness::expect_ok(h.run(SetPair{name(pair), p}));
}

TEST(RiskFunding, RateRampsThenHitsItsCapInsideTheInterval) {
    Harness h;
    PairParams p = flat_pair();
    p.max_funding_velocity = dec("1");     // per day at full skew
    p.max_abs_funding_rate = dec("0.05");  // per day
    set_pair(h, p);
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "10000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "500", "0", false, 0).ok());  // skew 500: v = 0.5/day
    h.oracle({{"BTC", "100"}}, kDay);
    // r would reach 0.5 after a day; it hits 0.05 after t* = 0.05 / 0.5 = 0.1 day.
    // Integral: (0 + 0.05) / 2 * 0.1 + 0.05 * 0.9 = 0.0025 + 0.045 = 0.0475 rate-days,
    // times the price 100: 4.75 per unit.
    const PairView pair = h.pair("BTC");
    EXPECT_EQ(pair.funding_rate, dec("0.05"));
    EXPECT_EQ(pair.cumulative_funding_per_unit, dec("4.75"));
    // Alice owes 500 * 4.75 = 2375; the vault's unrealized funding is the same.
    EXPECT_EQ(h.user("alice").accrued_funding, dec("2375"));
    EXPECT_EQ(h.vault().unrealized_funding, dec("2375"));
    EXPECT_EQ(h.vault().equity, dec("102375"));
    // Closing settles it: she pays 2375 to the vault (PnL is 0 at an unchanged price).
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-500", "0", true, kDay).ok());
    const auto settled = events_of<FundingSettledEvent>(h.events());
    ASSERT_EQ(settled.size(), 1u);
    EXPECT_EQ(settled[0].amount, 2375);
    EXPECT_EQ(the_one<FillEvent>(h.events()).funding, 2375);
    EXPECT_EQ(h.user("alice").margin, amt("7625"));
    EXPECT_EQ(h.vault().balance, amt("102375"));
    EXPECT_EQ(h.vault().unrealized_funding, dec("0"));
}

TEST(RiskFunding, ShortsAreOwedWhenLongsPay) {
    Harness h;
    PairParams p = flat_pair();
    p.max_funding_velocity = dec("0.1");
    p.max_abs_funding_rate = dec("1");
    set_pair(h, p);
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "100000");
    h.deposit_margin("bob", "10000");
    h.deposit_margin("carol", "10000");
    h.submit_market("bob", "BTC", "300", "0", false, 0);
    h.submit_market("carol", "BTC", "-100", "0", false, 0);  // skew 200: v = 0.2 * 0.1 = 0.02/day
    h.oracle({{"BTC", "100"}}, kDay);
    // No cap reached: r1 = 0.02, integral (0 + 0.02) / 2 * 1 = 0.01, cumulative 1 per unit.
    EXPECT_EQ(h.pair("BTC").cumulative_funding_per_unit, dec("1"));
    EXPECT_EQ(h.user("bob").accrued_funding, dec("300"));
    EXPECT_EQ(h.user("carol").accrued_funding, dec("-100"));
    // The vault is owed the net: 1 * 200 - 0 = 200.
    EXPECT_EQ(h.vault().unrealized_funding, dec("200"));
}

TEST(RiskFunding, AccruesUpToTheTimeOfTheCommandThatMovesTheSkew) {
    Harness h;
    PairParams p = flat_pair();
    p.max_funding_velocity = dec("1");
    p.max_abs_funding_rate = dec("1");
    set_pair(h, p);
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "10000");
    h.deposit_margin("bob", "10000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0", false, 0).ok());  // skew 100: v = 0.1/day
    // A day later, with no oracle update in between, Bob's fill flattens the skew. The day
    // before it accrues at skew 100 first: r 0 -> 0.1, integral 0.05, cumulative 5.
    ASSERT_TRUE(h.submit_market("bob", "BTC", "-100", "0", false, kDay).ok());
    EXPECT_EQ(h.pair("BTC").cumulative_funding_per_unit, dec("5"));
    // The next day the skew is 0, so the rate holds at 0.1: cumulative 5 + 0.1 * 100 = 15.
    h.oracle({{"BTC", "100"}}, 2 * kDay);
    EXPECT_EQ(h.pair("BTC").cumulative_funding_per_unit, dec("15"));
    EXPECT_EQ(h.user("alice").accrued_funding, dec("1500"));  // 100 * (15 - 0)
    EXPECT_EQ(h.user("bob").accrued_funding, dec("-1000"));   // -100 * (15 - 5)
    // A rejected command's time is never reached: readings stay at the clock.
    EXPECT_EQ(h.run(WithdrawMargin{name("alice"), amt("99999999")}, 3 * kDay).error,
              ErrorCode::InsufficientAvailableMargin);
    EXPECT_EQ(h.pair("BTC").cumulative_funding_per_unit, dec("15"));
}

TEST(RiskFees, MakerAndTakerPartsBySkewDirection) {
    Harness h;
    PairParams p = flat_pair();
    p.maker_fee_rate = dec("0.001");
    p.taker_fee_rate = dec("0.003");
    set_pair(h, p);
    ASSERT_TRUE(h.run(SetParams{.protocol_fee_share = dec("0.2")}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("bob", "2000");
    h.deposit_margin("alice", "2000");
    // Bob buys 100 at skew 0: all taker, ceil(100 * 100 * 0.003) = 30; treasury floor(30 * 0.2) = 6.
    h.submit_market("bob", "BTC", "100", "0");
    EXPECT_EQ(the_one<FillEvent>(h.events()).fee, amt("30"));
    // Alice sells 150 at skew 100: 100 moves the skew to zero (maker), 50 past it (taker):
    // ceil(100 * 100 * 0.001) + ceil(50 * 100 * 0.003) = 10 + 15 = 25; treasury floor(5) = 5.
    h.submit_market("alice", "BTC", "-150", "0");
    EXPECT_EQ(the_one<FillEvent>(h.events()).fee, amt("25"));
    EXPECT_EQ(h.vault().treasury, amt("11"));
    EXPECT_EQ(h.vault().balance, amt("100044"));  // 100000 + (30 - 6) + (25 - 5)
    EXPECT_EQ(h.user("alice").margin, amt("1975"));
    EXPECT_EQ(h.user("bob").margin, amt("1970"));
}

TEST(RiskFees, MarginCheckIncludesTheWorstCaseFee) {
    Harness h;
    PairParams p = flat_pair();
    p.maker_fee_rate = dec("0.001");
    p.taker_fee_rate = dec("0.003");
    set_pair(h, p);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000000");
    // 150 at 100: initial margin 1500 plus ceil(150 * 100 * 0.003) = 45.
    h.deposit_margin("alice", "1544");
    EXPECT_EQ(h.submit_market("alice", "BTC", "-150", "0").error, ErrorCode::InsufficientMargin);
    h.deposit_margin("alice", "1");
    EXPECT_TRUE(h.submit_market("alice", "BTC", "-150", "0").ok());
    // A resting order reserves the same, priced at the oracle when its limit is below it:
    // limit 90 on 10 is ceil(10 * 100 * 0.1) + ceil(10 * 100 * 0.003) = 100 + 3 = 103.
    h.deposit_margin("carol", "1000");
    ASSERT_TRUE(h.submit_limit("carol", "BTC", "10", "90").ok());
    EXPECT_EQ(h.user("carol").reserved_margin, amt("103"));
}

TEST(RiskLiquidation, FeeCappedByWhatMarginIsLeft) {
    Harness h;
    PairParams p = flat_pair();
    p.liquidation_fee_rate = dec("0.04");
    set_pair(h, p);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());  // cost 10000, initial margin exactly 1000
    // At 95: equity 1000 - 500 = 500 >= maintenance 100 * 95 * 0.05 = 475: safe.
    h.oracle({{"BTC", "95"}});
    EXPECT_TRUE(events_of<ForceCloseEvent>(h.events()).empty());
    EXPECT_EQ(h.user("alice").maintenance_margin, amt("475"));
    // At 92: equity 200 < 460. Closed at 92: PnL -800, margin 200 left; the fee would be
    // ceil(100 * 92 * 0.04) = 368 but only 200 is there.
    h.oracle({{"BTC", "92"}});
    const auto liquidations = events_of<ForceCloseEvent>(h.events());
    ASSERT_EQ(liquidations.size(), 1u);
    EXPECT_FALSE(liquidations[0].is_adl);
    EXPECT_EQ(liquidations[0].net_pnl, -800);
    EXPECT_EQ(liquidations[0].fee, amt("200"));
    EXPECT_EQ(liquidations[0].bad_debt, amt("0"));
    EXPECT_EQ(h.user("alice").margin, amt("0"));
    EXPECT_TRUE(h.user("alice").positions.empty());
    EXPECT_EQ(h.vault().balance, amt("101000"));
    EXPECT_EQ(h.pair("BTC").long_oi, dec("0"));
}

TEST(RiskLiquidation, LossBeyondMarginIsBadDebt) {
    Harness h;
    PairParams p = flat_pair();
    p.liquidation_fee_rate = dec("0.04");
    set_pair(h, p);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1000");
    h.submit_market("alice", "BTC", "100", "0");
    // At 85 the loss is 1500 against 1000 of margin: 500 of bad debt, no fee left to take.
    h.oracle({{"BTC", "85"}});
    const auto liquidations = events_of<ForceCloseEvent>(h.events());
    ASSERT_EQ(liquidations.size(), 1u);
    EXPECT_EQ(liquidations[0].net_pnl, -1500);
    EXPECT_EQ(liquidations[0].fee, amt("0"));
    EXPECT_EQ(liquidations[0].bad_debt, amt("500"));
    ASSERT_EQ(events_of<BadDebtEvent>(h.events()).size(), 1u);
    EXPECT_EQ(the_one<BadDebtEvent>(h.events()).amount, amt("500"));
    EXPECT_EQ(h.vault().balance, amt("101000"));
}

TEST(RiskLiquidation, ProfitInOnePairCoversLossInAnother) {
    Harness h;
    PairParams p = flat_pair();
    set_pair(h, p, "BTC");
    set_pair(h, p, "ETH");
    h.oracle({{"BTC", "100"}, {"ETH", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "2000");
    h.submit_market("alice", "BTC", "100", "0");   // long BTC, cost 10000
    h.submit_market("alice", "ETH", "-100", "0");  // short ETH, proceeds 10000
    // BTC to 70 (-3000), ETH to 90 (+1000): equity 2000 - 2000 = 0 < maintenance 350 + 450.
    h.oracle({{"BTC", "70"}, {"ETH", "90"}});
    const auto liquidations = events_of<ForceCloseEvent>(h.events());
    ASSERT_EQ(liquidations.size(), 1u);
    // Net -3000 + 1000 = -2000, exactly her margin: no bad debt.
    EXPECT_EQ(liquidations[0].net_pnl, -2000);
    EXPECT_EQ(liquidations[0].bad_debt, amt("0"));
    EXPECT_EQ(events_of<FillEvent>(h.events()).size(), 2u);
}

TEST(RiskLiquidation, ForceCloseCommand) {
    Harness h;
    PairParams p = flat_pair();
    set_pair(h, p);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "5000");
    h.submit_market("alice", "BTC", "100", "0");
    EXPECT_EQ(h.run(ForceClose{name("alice"), name("carol")}).error, ErrorCode::NotLiquidatable);
    EXPECT_EQ(h.run(ForceClose{name("nobody"), name("carol")}).error, ErrorCode::NotLiquidatable);
    // The admin may always deleverage: closed at 100, no PnL, no fee.
    ASSERT_TRUE(h.run(ForceClose{name("alice"), name("admin")}).ok());
    const auto closes = events_of<ForceCloseEvent>(h.events());
    ASSERT_EQ(closes.size(), 1u);
    EXPECT_TRUE(closes[0].is_adl);
    EXPECT_EQ(h.user("alice").margin, amt("5000"));
    EXPECT_EQ(h.run(ForceClose{name("alice"), name("admin")}).error, ErrorCode::NothingToDo);
}

TEST(RiskAdl, DeleveragesTheMostProfitableAccountUntilTheVaultRecovers) {
    Harness h;
    set_pair(h, flat_pair());
    ASSERT_TRUE(h.run(SetParams{.adl_trigger_ratio = dec("0.05")}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000");
    h.deposit_margin("bob", "2000");
    h.deposit_margin("dave", "2000");
    h.submit_market("bob", "BTC", "100", "0");
    h.submit_market("dave", "BTC", "10", "0");
    // At 110 the vault owes winners 1000 + 100 = 1100: equity 1000 - 1100 = -100 < 0.05 * 1100.
    // Bob is the most profitable (+1000): closed at 110, the vault pays him its whole 1000.
    // Then equity 0 - 100 is still below 0.05 * 100: Dave (+100) goes next, and the vault,
    // now empty, owes him 100 it cannot pay (a shortfall).
    h.oracle({{"BTC", "110"}});
    const auto adls = events_of<ForceCloseEvent>(h.events());
    ASSERT_EQ(adls.size(), 2u);
    EXPECT_TRUE(adls[0].is_adl);
    EXPECT_EQ(adls[0].user, *h.engine.find_user(name("bob")));
    EXPECT_EQ(adls[0].net_pnl, 1000);
    EXPECT_EQ(adls[1].user, *h.engine.find_user(name("dave")));
    EXPECT_EQ(adls[1].net_pnl, 100);
    EXPECT_EQ(h.user("bob").margin, amt("3000"));
    EXPECT_EQ(h.user("dave").margin, amt("2000"));
    ASSERT_EQ(events_of<VaultShortfallEvent>(h.events()).size(), 1u);
    EXPECT_EQ(the_one<VaultShortfallEvent>(h.events()).amount, amt("100"));
    EXPECT_EQ(h.pair("BTC").long_oi, dec("0"));
}

TEST(RiskSafety, SubmissionChecksInOrder) {
    Harness h;
    PairParams p = flat_pair();
    p.max_limit_price_deviation = dec("0.1");
    p.min_order_notional = dec("1000");
    set_pair(h, p);
    ASSERT_TRUE(h.run(SetParams{.max_oracle_age_ms = 1000}).ok());
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "1000000");
    h.deposit_margin("alice", "100000");
    // Band: 100 * (1 +/- 0.1) = [90, 110], inclusive.
    EXPECT_EQ(h.submit_limit("alice", "BTC", "10", "89.99", false, 0).error, ErrorCode::PriceOutOfBand);
    EXPECT_EQ(h.submit_limit("alice", "BTC", "-10", "110.01", false, 0).error, ErrorCode::PriceOutOfBand);
    EXPECT_TRUE(h.submit_limit("alice", "BTC", "10", "90", false, 0).ok());
    // Minimum notional 1000 at the oracle: 9.99 * 100 is too small, 10 is enough.
    EXPECT_EQ(h.submit_market("alice", "BTC", "9.99", "0", false, 0).error, ErrorCode::OrderTooSmall);
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0", false, 0).ok());
    // Closing is always allowed, however small.
    EXPECT_TRUE(h.submit_market("alice", "BTC", "-1", "0", false, 0).ok());
    // Stale after 1000 ms.
    EXPECT_TRUE(h.submit_market("alice", "BTC", "-1", "0", false, 1000).ok());
    EXPECT_EQ(h.submit_market("alice", "BTC", "-1", "0", false, 1001).error, ErrorCode::StaleOracle);
    // Status comes first: a paused, stale market says paused.
    ASSERT_TRUE(h.run(SetPairStatus{name("BTC"), PairStatus::Paused}).ok());
    EXPECT_EQ(h.submit_market("alice", "BTC", "-1", "0", false, 1001).error, ErrorCode::MarketPaused);
}

TEST(RiskSafety, PausedAndReduceOnlyMarkets) {
    Harness h;
    set_pair(h, flat_pair());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "10000");
    h.submit_market("alice", "BTC", "10", "0");
    const OrderId bid = submit_reply(h.submit_limit("alice", "BTC", "10", "95")).order_id;
    ASSERT_TRUE(h.run(SetPairStatus{name("BTC"), PairStatus::Paused}).ok());
    // Paused: no submissions, no fulfilment, but cancels go through.
    EXPECT_EQ(h.submit_market("alice", "BTC", "-1", "0").error, ErrorCode::MarketPaused);
    h.oracle({{"BTC", "90"}});
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    EXPECT_TRUE(h.cancel("alice", "BTC", bid).ok());
    // Reduce-only: orders that open are refused unless they are reduce-only themselves.
    ASSERT_TRUE(h.run(SetPairStatus{name("BTC"), PairStatus::ReduceOnly}).ok());
    EXPECT_EQ(h.submit_market("alice", "BTC", "1", "0").error, ErrorCode::MarketReduceOnly);
    EXPECT_EQ(h.submit_market("alice", "BTC", "-11", "0").error, ErrorCode::MarketReduceOnly);
    EXPECT_TRUE(h.submit_market("alice", "BTC", "-11", "0", /*reduce_only=*/true).ok());
    EXPECT_EQ(h.position("alice", "BTC"), dec("0"));
}

TEST(RiskSafety, PairParametersMustBeConsistent) {
    Harness h;
    PairParams p = flat_pair();
    p.maintenance_margin_ratio = dec("0.1");  // not below the initial ratio
    EXPECT_EQ(h.run(SetPair{name("BTC"), p}).error, ErrorCode::InvalidInput);
    p.maintenance_margin_ratio = dec("0.05");
    p.taker_fee_rate = dec("0.02");
    p.liquidation_fee_rate = dec("0.04");  // above 0.05 - 0.02
    EXPECT_EQ(h.run(SetPair{name("BTC"), p}).error, ErrorCode::InvalidInput);
    p.liquidation_fee_rate = dec("0.03");
    EXPECT_TRUE(h.run(SetPair{name("BTC"), p}).ok());
}

TEST(RiskMargin, UnrealizedLossesCountAgainstAvailableMarginProfitsDoNot) {
    Harness h;
    set_pair(h, flat_pair());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "2000");
    h.submit_market("alice", "BTC", "10", "0");  // used 100
    h.oracle({{"BTC", "90"}});
    // Equity 2000 - 100 = 1900; used ceil(10 * 90 * 0.1) = 90: available 1810.
    EXPECT_EQ(h.user("alice").available_margin, amt("1810"));
    h.oracle({{"BTC", "150"}});
    // Equity 2500 but only margin counts: 2000 - 150 = 1850.
    EXPECT_EQ(h.user("alice").available_margin, amt("1850"));
}

}  // namespace

namespace {

// Alice: margin 1000, long 100 at 100 (flat pricing, no fees). At price P her
// equity is 1000 + 100 (P - 100) = 100 P - 9000 and her maintenance margin
// 100 P 0.05 = 5 P. The alert (1.5 × maintenance, the default) is crossed
// where 100 P - 9000 < 7.5 P, below P = 97.297...; liquidation where
// 100 P - 9000 < 5 P, below P = 94.736...
void alice_long_100_at_100(Harness& h) {
    set_pair(h, flat_pair());
    h.oracle({{"BTC", "100"}}, 0);
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0", false, 0).ok());
}

TEST(RiskLiquidationAlert, OncePerCrossingAndNotInTheLiquidationItself) {
    Harness h;
    ASSERT_NO_FATAL_FAILURE(alice_long_100_at_100(h));

    h.oracle({{"BTC", "98"}}, 1);  // equity 800, 1.5 × 490 = 735: above
    EXPECT_TRUE(events_of<LiquidationAlertEvent>(h.events()).empty());
    h.oracle({{"BTC", "97"}}, 2);  // equity 700, 1.5 × 485 = 727.5: crossed
    const LiquidationAlertEvent alert = the_one<LiquidationAlertEvent>(h.events());
    EXPECT_EQ(alert.user, *h.engine.find_user(name("alice")));
    EXPECT_EQ(alert.equity, dec("700"));
    EXPECT_EQ(alert.maintenance_margin, amt("485"));
    h.oracle({{"BTC", "96"}}, 3);  // equity 600, still below: no second alert
    EXPECT_TRUE(events_of<LiquidationAlertEvent>(h.events()).empty());
    h.oracle({{"BTC", "98"}}, 4);  // back above: nothing to say, but the crossing is reset
    EXPECT_TRUE(events_of<LiquidationAlertEvent>(h.events()).empty());
    h.oracle({{"BTC", "96"}}, 5);  // crossed again: equity 600, maintenance 480
    EXPECT_EQ(the_one<LiquidationAlertEvent>(h.events()).maintenance_margin, amt("480"));
    h.oracle({{"BTC", "94"}}, 6);  // equity 400 < 470: liquidated, and no alert with it
    EXPECT_EQ(events_of<ForceCloseEvent>(h.events()).size(), 1u);
    EXPECT_TRUE(events_of<LiquidationAlertEvent>(h.events()).empty());
    EXPECT_FALSE(h.engine.user(*h.engine.find_user(name("alice"))).risk_alerted) << "she holds nothing";
}

TEST(RiskLiquidationAlert, TheRatioIsAParameterAndZeroTurnsAlertsOff) {
    Harness h;
    ASSERT_NO_FATAL_FAILURE(alice_long_100_at_100(h));
    SetParams two;
    two.liquidation_alert_ratio = dec("2");
    Harness::expect_ok(h.run(two));
    // At 98: equity 800 < 2 × 490 = 980.
    h.oracle({{"BTC", "98"}}, 1);
    EXPECT_EQ(the_one<LiquidationAlertEvent>(h.events()).equity, dec("800"));
    SetParams below_one;
    below_one.liquidation_alert_ratio = dec("0.5");
    EXPECT_EQ(h.run(below_one).error, ErrorCode::InvalidInput) << "an alert below maintenance is no warning";
    SetParams off;
    off.liquidation_alert_ratio = dec("0");
    Harness::expect_ok(h.run(off));
    h.oracle({{"BTC", "100"}}, 2);
    h.oracle({{"BTC", "96"}}, 3);
    EXPECT_TRUE(events_of<LiquidationAlertEvent>(h.events()).empty());
}

}  // namespace
