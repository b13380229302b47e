// The rules the core-engine issue adds where the spec is wrong or silent
// (docs/SPEC-NOTES.md), each shown on a worked example computed by hand.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

// A pair with skew pricing off (premium cap 0): every fill is at the oracle.
constexpr PairSpec kFlat{
    .skew_scale = "1000", .max_abs_premium = "0", .max_abs_oi = "1000000", .initial_margin_ratio = "0.05"};

TEST(EngineRules, SubmissionNeverFillsOtherUsersRestingOrders) {
    Harness h;
    h.set_pair("BTC");
    h.oracle({{"BTC", "100"}}, 1000);
    h.fund_vault("lp", "100000");
    h.deposit_margin("bob", "1000");
    h.deposit_margin("alice", "1000");
    // Bob asks 103 for 10: at skew 0 a sell of 10 gets 100 * (1 - 5/1000) = 99.5 < 103, so it rests.
    EXPECT_EQ(submit_reply(h.submit_limit("bob", "BTC", "-10", "103")).rested, dec("-10"));
    // Alice buys 50: skew 50, marginal 105 >= 103, yet Bob's ask waits for the oracle.
    EXPECT_EQ(submit_reply(h.submit_market("alice", "BTC", "50", "0.05")).filled, dec("50"));
    EXPECT_EQ(events_of<FillEvent>(h.events()).size(), 1u);
    EXPECT_EQ(h.pair("BTC").asks.size(), 1u);
    // The next oracle update fills it: 100 * (1 + (50 - 10/2)/1000) = 104.5 >= 103.
    h.oracle({{"BTC", "100"}});
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), 1u);
    EXPECT_EQ(fills[0].price, dec("104.5"));
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

TEST(EngineRules, ReduceOnlyRestsWithoutMarginAndFillsOnlyTheClosingPortion) {
    Harness h;
    h.set_pair("BTC");
    h.oracle({{"BTC", "100"}}, 1000);
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1000");
    // +10 at 100 * (1 + 5/1000) = 100.5: cost basis ceil(1005) = 1005.
    EXPECT_EQ(submit_reply(h.submit_market("alice", "BTC", "10", "0.05")).exec_price, dec("100.5"));
    // Reduce-only sell 30 at 110: only -10 could fill, at 100 * (1 + (10 - 5)/1000) = 100.5 < 110: rests whole.
    const auto rest = submit_reply(h.submit_limit("alice", "BTC", "-30", "110", /*reduce_only=*/true, 2000));
    EXPECT_EQ(rest.filled, dec("0"));
    EXPECT_EQ(rest.rested, dec("-30"));
    EXPECT_EQ(h.user("alice").reserved_margin, amt("0"));
    // Oracle 120: marginal 120 * 1.01 = 121.2 >= 110; the closing -10 fills at 120 * (1 + (10 - 5)/1000) = 120.6.
    h.oracle({{"BTC", "120"}});
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), 1u);
    EXPECT_EQ(fills[0].size, dec("-10"));
    EXPECT_EQ(fills[0].price, dec("120.6"));
    EXPECT_EQ(fills[0].realized_pnl, 201);  // floor(10 * 120.6) - 1005 = 1206 - 1005
    const auto updated = events_of<OrderUpdatedEvent>(h.events());
    ASSERT_EQ(updated.size(), 1u);
    EXPECT_EQ(updated[0].size, dec("-20"));
    EXPECT_EQ(h.position("alice", "BTC"), dec("0"));
    // Nothing left to close: the remainder keeps resting and never opens a short.
    h.oracle({{"BTC", "125"}});
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    ASSERT_EQ(h.pair("BTC").asks.size(), 1u);
    EXPECT_EQ(h.pair("BTC").asks[0].size, dec("-20"));
    EXPECT_EQ(h.user("alice").margin, amt("1201"));
}

TEST(EngineRules, ReduceOnlyMarketOrderWithNothingToCloseFillsNothing) {
    Harness h;
    h.set_pair("BTC");
    h.oracle({{"BTC", "100"}});
    const Outcome o = h.submit_market("carol", "BTC", "5", "0.05", /*reduce_only=*/true);
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(submit_reply(o).filled, dec("0"));
    const auto unfilled = events_of<UnfilledEvent>(h.events());
    ASSERT_EQ(unfilled.size(), 1u);
    EXPECT_EQ(unfilled[0].reason, UnfilledReason::ReduceOnly);
    EXPECT_EQ(unfilled[0].size, dec("5"));
}

TEST(EngineRules, CancelReleasesExactlyWhatWasReservedForTheOrder) {
    Harness h;
    h.set_pair("BTC");
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "100000");
    h.deposit_margin("alice", "1000");
    // Buy 10 at 90 rests (exec 100.5 > 90), reserving its margin priced at the oracle (never
    // below it): ceil(10 * 100 * 0.05) = 50.
    const auto rest = submit_reply(h.submit_limit("alice", "BTC", "10", "90"));
    EXPECT_EQ(h.user("alice").reserved_margin, amt("50"));
    // Alice now goes short 10, so the resting buy would only close: a recomputation would release 0.
    h.submit_market("alice", "BTC", "-10", "0.05");
    EXPECT_EQ(h.position("alice", "BTC"), dec("-10"));
    ASSERT_TRUE(h.cancel("alice", "BTC", rest.order_id).ok());
    const auto canceled = events_of<OrderCanceledEvent>(h.events());
    ASSERT_EQ(canceled.size(), 1u);
    EXPECT_EQ(canceled[0].released_margin, amt("50"));
    EXPECT_EQ(h.user("alice").reserved_margin, amt("0"));
}

TEST(EngineRules, CancelChecksOwnerAndPair) {
    Harness h;
    h.set_pair("BTC");
    h.set_pair("ETH");
    h.oracle({{"BTC", "100"}, {"ETH", "10"}});
    h.fund_vault("lp", "1000000");
    h.deposit_margin("alice", "1000");
    const auto id = submit_reply(h.submit_limit("alice", "BTC", "1", "50")).order_id;
    EXPECT_EQ(h.cancel("mallory", "BTC", id).error, ErrorCode::NotYourOrder);
    EXPECT_EQ(h.cancel("alice", "ETH", id).error, ErrorCode::OrderNotFound);
    EXPECT_EQ(h.cancel("alice", "BTC", id + 1).error, ErrorCode::OrderNotFound);
    EXPECT_EQ(h.cancel("alice", "DOGE", id).error, ErrorCode::UnknownPair);
    EXPECT_TRUE(h.cancel("alice", "BTC", id).ok());
    EXPECT_EQ(h.cancel("alice", "BTC", id).error, ErrorCode::OrderNotFound);
}

TEST(EngineRules, OpenOrderCapDiscardsTheRemainderWithoutError) {
    Harness h;
    h.set_pair("BTC");
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000000");
    h.set_max_open_orders(2);
    h.deposit_margin("alice", "1000");
    EXPECT_EQ(submit_reply(h.submit_limit("alice", "BTC", "1", "50")).order_id, 1u);
    EXPECT_EQ(submit_reply(h.submit_limit("alice", "BTC", "1", "51")).order_id, 2u);
    const Outcome third = h.submit_limit("alice", "BTC", "1", "52");
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(submit_reply(third).order_id, 3u);
    EXPECT_EQ(submit_reply(third).rested, dec("0"));
    const auto unfilled = events_of<UnfilledEvent>(h.events());
    ASSERT_EQ(unfilled.size(), 1u);
    EXPECT_EQ(unfilled[0].reason, UnfilledReason::MaxOpenOrders);
    // Only the two resting orders hold margin, priced at the oracle 100 (above both limits):
    // ceil(1 * 100 * 0.05) * 2 = 5 + 5.
    EXPECT_EQ(h.user("alice").reserved_margin, amt("10"));
    EXPECT_EQ(h.user("alice").open_orders.size(), 2u);
    // Market orders take ids too.
    EXPECT_EQ(submit_reply(h.submit_market("alice", "BTC", "1", "0.05")).order_id, 4u);
}

TEST(EngineRules, ProfitBeyondTheVaultBalanceIsCappedAndReported) {
    Harness h;
    h.set_pair("BTC", kFlat);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "10");
    h.deposit_margin("alice", "100");
    h.submit_market("alice", "BTC", "1", "0");  // long 1 at 100
    h.oracle({{"BTC", "150"}});
    // Closing at 150 earns 50; the vault holds 10: it pays 10 and reports 40 short.
    h.submit_market("alice", "BTC", "-1", "0", /*reduce_only=*/true);
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), 1u);
    EXPECT_EQ(fills[0].realized_pnl, 50);
    const auto shortfall = events_of<VaultShortfallEvent>(h.events());
    ASSERT_EQ(shortfall.size(), 1u);
    EXPECT_EQ(shortfall[0].amount, amt("40"));
    EXPECT_EQ(h.user("alice").margin, amt("110"));
    EXPECT_EQ(h.vault().balance, amt("0"));
}

TEST(EngineRules, LossBeyondMarginIsBadDebtAbsorbedByTheVault) {
    Harness h;
    h.set_pair("BTC", kFlat);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000");
    h.deposit_margin("alice", "10");
    h.submit_market("alice", "BTC", "1", "0");  // needs ceil(100 * 0.05) = 5
    h.oracle({{"BTC", "50"}});
    h.submit_market("alice", "BTC", "-1", "0", /*reduce_only=*/true);
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), 1u);
    EXPECT_EQ(fills[0].realized_pnl, -50);
    const auto bad_debt = events_of<BadDebtEvent>(h.events());
    ASSERT_EQ(bad_debt.size(), 1u);
    EXPECT_EQ(bad_debt[0].amount, amt("40"));  // owed 50, had 10
    EXPECT_EQ(h.user("alice").margin, amt("0"));
    EXPECT_EQ(h.vault().balance, amt("1010"));
}

TEST(EngineRules, CostBasisAndPnlRoundInTheProtocolsFavour) {
    Harness h;
    h.set_pair("BTC", kFlat);
    h.oracle({{"BTC", "10.1"}});
    h.fund_vault("lp", "1000");
    h.deposit_margin("alice", "100");
    h.deposit_margin("bob", "100");
    h.submit_market("alice", "BTC", "3", "0");  // long: cost ceil(30.3) = 31
    h.submit_market("bob", "BTC", "-3", "0");   // short: proceeds floor(30.3) = 30
    ASSERT_EQ(h.user("alice").positions.size(), 1u);
    EXPECT_EQ(h.user("alice").positions[0].position.cost_basis, amt("31"));
    EXPECT_EQ(h.user("bob").positions[0].position.cost_basis, amt("30"));
    EXPECT_EQ(h.pair("BTC").oi_weighted_entry_price, i128{1});  // 31 - 30
    // Closing 1 of alice's 3 at 10.1: removes ceil(31 / 3) = 11 of cost, receives floor(10.1) = 10: pnl -1.
    h.submit_market("alice", "BTC", "-1", "0");
    EXPECT_EQ(the_one<FillEvent>(h.events()).realized_pnl, -1);
    EXPECT_EQ(h.user("alice").positions[0].position.cost_basis, amt("20"));
    // Closing 1 of bob's 3: removes floor(30 / 3) = 10, pays ceil(10.1) = 11: pnl -1.
    h.submit_market("bob", "BTC", "1", "0");
    EXPECT_EQ(the_one<FillEvent>(h.events()).realized_pnl, -1);
    EXPECT_EQ(h.user("bob").positions[0].position.cost_basis, amt("20"));
}

TEST(EngineRules, RejectedCommandChangesNothingNotEvenTheClock) {
    Harness h;
    h.set_pair("BTC");
    h.set_cooldown(100);
    h.oracle({{"BTC", "100"}}, 1000);
    h.fund_vault("lp", "1000");
    ASSERT_TRUE(h.run(UnlockLiquidity{name("lp"), amt("1000000")}, 1000).ok());  // matures at 1100
    h.deposit_margin("alice", "10");
    const std::string before = h.state();
    // Each is rejected at a time when the unlock would have matured.
    EXPECT_EQ(h.submit_market("alice", "BTC", "100", "0.05", false, 2000).error, ErrorCode::InsufficientMargin);
    EXPECT_EQ(h.withdraw_margin("alice", "11").error, ErrorCode::InsufficientAvailableMargin);
    EXPECT_EQ(h.run(DepositMargin{name("alice"), amt("0")}, 2000).error, ErrorCode::NothingToDo);
    EXPECT_EQ(h.run(QueryPair{name("ETH")}, 2000).error, ErrorCode::UnknownPair);
    EXPECT_EQ(h.run(DepositMargin{name("alice"), amt("1")}, 999).error, ErrorCode::TimeWentBackwards);
    EXPECT_EQ(h.run(DepositMargin{name("alice"), amt("340282366920938463463374607431768211455")}, 2000).error,
              ErrorCode::TooLarge);
    EXPECT_TRUE(h.state() == before) << "the whole state changed";
    EXPECT_EQ(h.engine.clock(), 1000);
    EXPECT_TRUE(h.events().empty());
}

TEST(EngineRules, SubmissionValidation) {
    Harness h;
    EXPECT_EQ(h.submit_market("a", "BTC", "1", "0.01").error, ErrorCode::UnknownPair);
    h.set_pair("BTC");
    EXPECT_EQ(h.submit_market("a", "BTC", "1", "0.01").error, ErrorCode::NoOraclePrice);
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000000");
    EXPECT_EQ(h.submit_market("a", "BTC", "0", "0.01").error, ErrorCode::NothingToDo);
    EXPECT_EQ(h.submit_market("a", "BTC", "1", "-0.01").error, ErrorCode::InvalidInput);
    EXPECT_EQ(h.submit_limit("a", "BTC", "1", "0").error, ErrorCode::InvalidInput);
    EXPECT_EQ(h.submit_market("a", "BTC", "1", "0.01").error, ErrorCode::InsufficientMargin);
}

TEST(EngineRules, PairParametersAreValidated) {
    Harness h;
    auto set = [&](PairSpec spec) {
        return h.run(SetPair{name("BTC"), PairParams{dec(spec.skew_scale), dec(spec.max_abs_premium),
                                                     dec(spec.max_abs_oi), dec(spec.initial_margin_ratio)}});
    };
    EXPECT_EQ(set({.skew_scale = "0"}).error, ErrorCode::InvalidInput);
    EXPECT_EQ(set({.max_abs_premium = "1"}).error, ErrorCode::InvalidInput);
    EXPECT_EQ(set({.max_abs_oi = "-1"}).error, ErrorCode::InvalidInput);
    EXPECT_EQ(set({.initial_margin_ratio = "0"}).error, ErrorCode::InvalidInput);
    EXPECT_EQ(set({.initial_margin_ratio = "1.01"}).error, ErrorCode::InvalidInput);
    EXPECT_EQ(h.engine.pair_count(), 0u);
    EXPECT_TRUE(set({}).ok());
}

TEST(EngineRules, OracleUpdatesAreAllOrNothing) {
    Harness h;
    h.set_pair("BTC");
    const std::string before = h.state();
    EXPECT_EQ(h.run(OracleUpdate{{{name("BTC"), dec("100")}, {name("ETH"), dec("1")}}}).error, ErrorCode::UnknownPair);
    EXPECT_EQ(h.run(OracleUpdate{{{name("BTC"), dec("0")}}}).error, ErrorCode::InvalidInput);
    EXPECT_EQ(h.run(OracleUpdate{{{name("BTC"), dec("1")}, {name("BTC"), dec("2")}}}).error, ErrorCode::InvalidInput);
    EXPECT_TRUE(h.state() == before) << "the whole state changed";
}

}  // namespace
