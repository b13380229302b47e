// Rules of docs/SPEC-NOTES.md that had no test that would fail if they were
// broken (issue "Tests that would catch what matters", item 9). Each test is
// named after its rule; docs/TESTING.md maps every rule to its test.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

constexpr TimeMs kDay = 86'400'000;

// Fills at the oracle (no premium), 10x leverage, 5% maintenance.
PairParams flat(std::string_view mmr = "0.05") {
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.1")};
    p.maintenance_margin_ratio = dec(mmr);
    return p;
}

void set_pair(Harness& h, std::string_view pair, const PairParams& p) {
    Harness::expect_ok(h.run(SetPair{name(pair), p}));
}

TEST(RulesMap, FulfilmentRunsPairsInCreationOrderNotUpdateOrder) {
    Harness h;
    set_pair(h, "ZZZ", flat());  // created first: pair 0
    set_pair(h, "AAA", flat());
    h.oracle({{"ZZZ", "100"}, {"AAA", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "100");
    h.deposit_margin("bob", "100");
    ASSERT_EQ(submit_reply(h.submit_limit("alice", "AAA", "1", "90")).rested, dec("1"));  // the older order
    ASSERT_EQ(submit_reply(h.submit_limit("bob", "ZZZ", "1", "90")).rested, dec("1"));
    h.oracle({{"AAA", "89"}, {"ZZZ", "89"}});
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), 2u);
    EXPECT_EQ(h.engine.pair_name(fills[0].pair), "ZZZ");
    EXPECT_EQ(h.engine.pair_name(fills[1].pair), "AAA");
}

TEST(RulesMap, ARestingOrderWhoseFillOverflowsIsSkippedAndKeepsResting) {
    Harness h;
    // An initial margin ratio of 1e-18 lets a notional of 1e21 (beyond the Dec range, 1.7e20)
    // rest on 2000 of margin.
    PairParams p{dec("1000"), dec("0"), dec("1000000000000000"), dec("0.000000000000000001")};
    set_pair(h, "BIG", p);
    h.oracle({{"BIG", "2000000000"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "10000");
    // A buy of 1e12 at 1e9 rests (the oracle is 2e9) and fills when the oracle comes down: its
    // reservation, ceil(1e12 * 2e9 * 1e-18) = 2000, covers its opening, so nothing is valued.
    ASSERT_EQ(submit_reply(h.submit_limit("alice", "BIG", "1000000000000", "1000000000")).rested, dec("1000000000000"));
    h.oracle({{"BIG", "1000000000"}});
    ASSERT_EQ(h.position("alice", "BIG"), dec("1000000000000"));
    // A sell of 1e12 at 3e9 rests as a pure close (it reserves nothing); then alice closes at
    // market, so the resting sell would now open a short of 1e12 that nothing was reserved for.
    const Outcome rest = h.submit_limit("alice", "BIG", "-1000000000000", "3000000000");
    ASSERT_EQ(submit_reply(rest).rested, dec("-1000000000000"));
    ASSERT_TRUE(h.submit_market("alice", "BIG", "-1000000000000", "0").ok());
    ASSERT_EQ(h.position("alice", "BIG"), Dec::zero());
    // At 3e9 it crosses; valuing the account after the fill (3e21) overflows, so the fill is
    // skipped: the order keeps resting and the update itself is accepted.
    const Outcome update = h.run(OracleUpdate{{{name("BIG"), dec("3000000000")}}});
    ASSERT_TRUE(update.ok()) << update.message;
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    EXPECT_TRUE(events_of<OrderCanceledEvent>(h.events()).empty());
    ASSERT_EQ(h.pair("BIG").asks.size(), 1u);
    EXPECT_EQ(h.position("alice", "BIG"), Dec::zero());
    EXPECT_TRUE(h.cancel("alice", "BIG", submit_reply(rest).order_id).ok());
}

TEST(RulesMap, PriceTakesPrecedenceOverReduceOnlyAsTheUnfilledReason) {
    Harness h;
    setup_spec_market(h);  // K 1000, M 0.05, oracle 100
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0.05").ok());  // from skew 0: 100.5
    // Reduce-only sell of 20: the opening 10 is discarded (reduce_only), and the closing 10,
    // from skew 10 to 0 at 100.5, fails the target 100 * 1.01 * (1 - 0) = 101: price wins.
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-20", "0", /*reduce_only=*/true).ok());
    const UnfilledEvent unfilled = the_one<UnfilledEvent>(h.events());
    EXPECT_EQ(unfilled.size, dec("-20"));
    EXPECT_EQ(unfilled.reason, UnfilledReason::Price);
}

TEST(RulesMap, ADepositThatWouldMintZeroSharesIsRefused) {
    Harness h;
    ASSERT_TRUE(h.run(SetParams{std::nullopt, std::nullopt, amt("1")}).ok());  // one virtual share
    EXPECT_EQ(h.fund_vault("lp", "10"), amt("10"));                            // 10 * (0 + 1) / (0 + 1)
    h.deposit_margin("donor", "100");
    ASSERT_TRUE(h.run(FundVault{name("donor"), amt("100")}).ok());  // equity 110 over 10 shares
    // 1 * (10 + 1) / (110 + 1) = 0.099: nothing, so it is refused (a gift to the LPs otherwise).
    h.deposit_margin("lp2", "1");
    EXPECT_EQ(h.run(DepositLiquidity{name("lp2"), amt("1"), std::nullopt}).error, ErrorCode::TooFewShares);
    EXPECT_EQ(h.user("lp2").margin, amt("1"));
}

TEST(RulesMap, UnlocksAreReleasedOldestEndTimeFirstThenInRequestOrder) {
    Harness h;
    h.set_cooldown(1000);
    h.fund_vault("a", "1000");
    h.fund_vault("b", "1000");
    h.fund_vault("c", "1000");
    ASSERT_TRUE(h.run(UnlockLiquidity{name("a"), amt("1000000")}, 0).ok());  // ends at 1000
    ASSERT_TRUE(h.run(SetParams{.vault_cooldown_ms = 500}, 100).ok());
    ASSERT_TRUE(h.run(UnlockLiquidity{name("b"), amt("1000000")}, 100).ok());  // ends at 600
    ASSERT_TRUE(h.run(UnlockLiquidity{name("c"), amt("1000000")}, 100).ok());  // ends at 600, later
    ASSERT_TRUE(h.run(QueryVault{}, 2000).ok());
    const auto released = events_of<LiquidityReleasedEvent>(h.events());
    ASSERT_EQ(released.size(), 3u);
    EXPECT_EQ(h.engine.user_name(released[0].user), "b");
    EXPECT_EQ(h.engine.user_name(released[1].user), "c");
    EXPECT_EQ(h.engine.user_name(released[2].user), "a");
}

TEST(RulesMap, SetPairKeepsThePairsStateAndSetParamsChangesOnlyTheFieldsGiven) {
    Harness h;
    set_pair(h, "BTC", flat());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "2000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "10", "0").ok());
    PairParams changed = flat();
    changed.initial_margin_ratio = dec("0.2");
    set_pair(h, "BTC", changed);
    const PairView view = h.pair("BTC");
    EXPECT_EQ(view.params.initial_margin_ratio, dec("0.2"));
    EXPECT_EQ(view.long_oi, dec("10"));
    EXPECT_EQ(view.oracle_price, std::optional(dec("100")));
    EXPECT_EQ(h.position("alice", "BTC"), dec("10"));
    EXPECT_EQ(h.user("alice").used_margin, std::optional(amt("200")));  // 10 * 100 * 0.2
    const GlobalParams before = h.engine.params();
    ASSERT_TRUE(h.run(SetParams{.max_open_orders = 7}).ok());
    EXPECT_EQ(h.engine.params().max_open_orders, 7u);
    EXPECT_EQ(h.engine.params().vault_cooldown_ms, before.vault_cooldown_ms);
    EXPECT_EQ(h.engine.params().default_shares_per_amount, before.default_shares_per_amount);
}

// Velocity funding on a flat pair with skew scale 1000 at price 100.
struct FundingMarket {
    Harness h;
    explicit FundingMarket(std::string_view velocity, std::string_view cap, std::string_view size) {
        PairParams p = flat("0");
        p.max_funding_velocity = dec(velocity);
        p.max_abs_funding_rate = dec(cap);
        set_pair(h, "BTC", p);
        h.oracle({{"BTC", "100"}}, 0);
        h.fund_vault("lp", "10000000");
        h.deposit_margin("alice", "10000000");
        Harness::expect_ok(h.submit_market("alice", "BTC", size, "0", false, 0));
    }
};

TEST(RulesMap, FundingVelocityIsClampedAtFullSkew) {
    // Skew 2000 over a scale of 1000 counts as 1: v = 0.1 (not 0.2) a day. After a day:
    // rate 0.1, integral 0.05, times 100: 5 a unit.
    FundingMarket m("0.1", "1", "2000");
    m.h.oracle({{"BTC", "100"}}, kDay);
    EXPECT_EQ(m.h.pair("BTC").funding_rate, std::optional(dec("0.1")));
    EXPECT_EQ(m.h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("5")));
}

TEST(RulesMap, ANegativeSkewMakesShortsPay) {
    // Skew -500: v = -0.05 a day; after a day the rate is -0.05, integral -0.025, times 100:
    // -2.5 a unit; the short of 500 owes -500 * -2.5 = 1250.
    FundingMarket m("0.1", "1", "-500");
    m.h.oracle({{"BTC", "100"}}, kDay);
    EXPECT_EQ(m.h.pair("BTC").funding_rate, std::optional(dec("-0.05")));
    EXPECT_EQ(m.h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("-2.5")));
    EXPECT_EQ(m.h.user("alice").accrued_funding, std::optional(dec("1250")));
}

TEST(RulesMap, FundingReachesItsCapFromANonZeroRate) {
    // Skew 500: v = 0.05 a day, cap 0.08. Day 1: 0 -> 0.05, integral 0.025: 2.5 a unit.
    // Day 2: from 0.05 the cap is reached after (0.08 - 0.05) / 0.05 = 0.6 day:
    // (0.05 + 0.08) / 2 * 0.6 + 0.08 * 0.4 = 0.039 + 0.032 = 0.071: 7.1 more, 9.6 in all.
    FundingMarket m("0.1", "0.08", "500");
    m.h.oracle({{"BTC", "100"}}, kDay);
    EXPECT_EQ(m.h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("2.5")));
    m.h.oracle({{"BTC", "100"}}, 2 * kDay);
    EXPECT_EQ(m.h.pair("BTC").funding_rate, std::optional(dec("0.08")));
    EXPECT_EQ(m.h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("9.6")));
}

TEST(RulesMap, FundingAccruesUnderTheOldParametersBeforeTheyChange) {
    // Skew 500, velocity 0.1: a day at v = 0.05 gives rate 0.05 and 2.5 a unit. The velocity then
    // goes to 0 (only that field): the rate holds at 0.05 for the next day, 5 more: 7.5.
    // Accrued under the new parameters from the start, the first day would have given 0.
    FundingMarket m("0.1", "1", "500");
    SetPair change{name("BTC"), PairParams{}, pair_field_bit(8)};  // max_funding_velocity
    change.params.max_funding_velocity = dec("0");
    ASSERT_TRUE(m.h.run(change, kDay).ok());
    EXPECT_EQ(m.h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("2.5")));
    m.h.oracle({{"BTC", "100"}}, 2 * kDay);
    EXPECT_EQ(m.h.pair("BTC").cumulative_funding_per_unit, std::optional(dec("7.5")));
}

TEST(RulesMap, ATradingFeeIsCappedByTheMarginLeftAndTheRestWaived) {
    Harness h;
    PairParams p = flat("0");
    p.maker_fee_rate = dec("0.001");
    p.taker_fee_rate = dec("0.001");
    set_pair(h, "BTC", p);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1010");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());  // fee 10: margin 1000
    // At 90.01 the close realizes floor(100 * 90.01) - 10000 = -999: 1 left. The fee would be
    // ceil(100 * 90.01 * 0.001) = 10; it takes the 1 there is and waives the rest.
    h.oracle({{"BTC", "90.01"}});
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-100", "0", /*reduce_only=*/true).ok());
    EXPECT_EQ(the_one<FillEvent>(h.events()).fee, amt("1"));
    EXPECT_TRUE(events_of<BadDebtEvent>(h.events()).empty());
    EXPECT_EQ(h.user("alice").margin, amt("0"));
}

TEST(RulesMap, LiquidationsGoWorstFirstCancelOrdersFirstAndSkipStaleAccounts) {
    Harness h;
    set_pair(h, "BTC", flat());
    set_pair(h, "ETH", flat());
    ASSERT_TRUE(h.run(SetParams{.max_oracle_age_ms = 1000}).ok());
    h.oracle({{"BTC", "100"}, {"ETH", "100"}}, 0);
    h.fund_vault("lp", "100000");
    // a: long 100 BTC on 1010 with a resting buy reserving 1 * 100 * 0.1 = 10.
    h.deposit_margin("a", "1010");
    ASSERT_TRUE(h.submit_market("a", "BTC", "100", "0", false, 0).ok());
    const OrderId resting = submit_reply(h.submit_limit("a", "BTC", "1", "50", false, 0)).order_id;
    // b: long 100 BTC on 1050. c: long 100 BTC and 1 ETH on 1010.
    h.deposit_margin("b", "1050");
    ASSERT_TRUE(h.submit_market("b", "BTC", "100", "0", false, 0).ok());
    h.deposit_margin("c", "1010");
    ASSERT_TRUE(h.submit_market("c", "BTC", "100", "0", false, 0).ok());
    ASSERT_TRUE(h.submit_market("c", "ETH", "1", "0", false, 0).ok());
    // At 2000 only BTC is repriced, to 94: maintenance ceil(100 * 94 * 0.05) = 470.
    // a: equity 1010 - 600 = 410 (cushion -60); b: 1050 - 600 = 450 (cushion -20); c is below
    // too (410 < 475) but its ETH price is stale: skipped.
    h.oracle({{"BTC", "94"}}, 2000);
    const std::vector<Event>& events = h.events();
    ASSERT_EQ(events.size(), 5u);
    // a first: its resting order is canceled before its positions close, then its liquidation.
    const auto* canceled = std::get_if<OrderCanceledEvent>(&events[0]);
    ASSERT_NE(canceled, nullptr);
    EXPECT_EQ(canceled->order_id, resting);
    EXPECT_EQ(canceled->reason, CancelReason::Liquidation);
    ASSERT_NE(std::get_if<FillEvent>(&events[1]), nullptr);
    const auto* first = std::get_if<ForceCloseEvent>(&events[2]);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(h.engine.user_name(first->user), "a");
    EXPECT_EQ(first->net_pnl, -600);
    ASSERT_NE(std::get_if<FillEvent>(&events[3]), nullptr);
    const auto* second = std::get_if<ForceCloseEvent>(&events[4]);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(h.engine.user_name(second->user), "b");
    EXPECT_EQ(h.position("c", "BTC"), dec("100"));
    // A keeper cannot close c either while its price is stale.
    EXPECT_EQ(h.run(ForceClose{name("c"), name("keeper")}, 2000).error, ErrorCode::StaleOracle);
}

TEST(RulesMap, LiquidationsGoOnWhileAMarketIsPaused) {
    Harness h;
    set_pair(h, "BTC", flat());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("a", "1000");
    ASSERT_TRUE(h.submit_market("a", "BTC", "100", "0").ok());
    ASSERT_TRUE(h.run(SetPairStatus{name("BTC"), PairStatus::Paused}).ok());
    h.oracle({{"BTC", "94"}});  // equity 400 < 470
    EXPECT_EQ(events_of<ForceCloseEvent>(h.events()).size(), 1u);
    EXPECT_EQ(h.position("a", "BTC"), Dec::zero());
}

TEST(RulesMap, AutoDeleveragingClosesOnlyAccountsInProfit) {
    Harness h;
    set_pair(h, "BTC", flat("0"));
    ASSERT_TRUE(h.run(SetParams{.adl_trigger_ratio = dec("1")}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "10");
    h.deposit_margin("winner", "1000");
    h.deposit_margin("loser", "1000");
    ASSERT_TRUE(h.submit_market("winner", "BTC", "10", "0").ok());
    ASSERT_TRUE(h.submit_market("loser", "BTC", "-1", "0").ok());
    // At 110 the winner is owed 100, the loser owes 10: equity 10 + 10 - 100 < 1 * 100. The
    // winner is deleveraged (the vault pays its 10; 90 short). Then nobody is in profit: the
    // loser, though the vault is still below its trigger, is left alone.
    h.oracle({{"BTC", "110"}});
    const ForceCloseEvent adl = the_one<ForceCloseEvent>(h.events());
    EXPECT_EQ(h.engine.user_name(adl.user), "winner");
    EXPECT_EQ(h.position("loser", "BTC"), dec("-1"));
}

TEST(RulesMap, TheLiquidationPriceIsWhereEquityMeetsMaintenance) {
    Harness h;
    set_pair(h, "BTC", flat());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1000");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());
    // 1000 + 100 * (P - 100) = 100 * P * 0.05  =>  95 P = 9000  =>  P = 94.7368421052631578947...,
    // rounded up for a long (the estimate errs toward liquidating sooner).
    const UserView view = h.user("alice");
    ASSERT_EQ(view.positions.size(), 1u);
    EXPECT_EQ(view.positions[0].liquidation_price, std::optional(dec("94.736842105263157895")));
}

TEST(RulesMap, ThePriceBandIncludesItsUpperEdge) {
    Harness h;
    PairParams p = flat();
    p.max_limit_price_deviation = dec("0.1");
    set_pair(h, "BTC", p);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "10000");
    // [90, 110], inclusive: a sell at exactly 110 rests; a hair above is refused.
    EXPECT_TRUE(h.submit_limit("alice", "BTC", "-1", "110").ok());
    EXPECT_EQ(h.submit_limit("alice", "BTC", "-1", "110.000000000000000001").error, ErrorCode::PriceOutOfBand);
    EXPECT_TRUE(h.submit_limit("alice", "BTC", "1", "90").ok());
    EXPECT_EQ(h.submit_limit("alice", "BTC", "1", "89.999999999999999999").error, ErrorCode::PriceOutOfBand);
}

}  // namespace
