// Regression tests for the issue "Money safety": each finding as an attack
// or a careless sequence of legal commands, with the numbers worked out by
// hand beside the assertions. Each failed before its fix.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace {

using namespace ballast::core;
using namespace ballast::testing;

// 004's market (K 1000, M 0.05, max OI 500, imr 0.05) at oracle 100, with a
// vault that can pay profits.
void spec_market_with_vault(Harness& h) { setup_spec_market(h); }

// ---------------------------------------------------------------------------
// Finding 1: opening a position with no margin.

TEST(MoneySafety, F1_MarketSellWithNoDepositIsRefused) {
    Harness h;
    spec_market_with_vault(h);
    // The target of a market sell with max_slippage 1 is 0, and so was its required margin.
    // Margin is now priced at the oracle at least: 400 * 100 * 0.05 = 2000 > 0 available.
    const Outcome market = h.submit_market("mallory", "BTC", "-400", "1");
    EXPECT_EQ(market.error, ErrorCode::InsufficientMargin);
    EXPECT_NE(market.message.find("requires margin 2000"), std::string::npos) << market.message;
    // The same with a limit sell at 0.000001.
    EXPECT_EQ(h.submit_limit("mallory", "BTC", "-400", "0.000001").error, ErrorCode::InsufficientMargin);
    EXPECT_EQ(h.position("mallory", "BTC"), Dec::zero());
    expect_oi(h, "0", "0", "0");
}

TEST(MoneySafety, F1_AnOpeningFillMustLeaveEquityAboveInitialMargin) {
    Harness h;
    spec_market_with_vault(h);
    // -400 from skew 0: the clamped premium averages -(50^2/2000 + 0.05 * 350) / 400 =
    // -(1.25 + 17.5) / 400 = -0.046875, exec 100 * 0.953125 = 95.3125. The short's cost basis is
    // floor(400 * 95.3125) = 38125, so at the oracle it is worth -40000 + 38125 = -1875 at once.
    // Equity D - 1875 must cover the initial margin 400 * 100 * 0.05 = 2000: D >= 3875.
    h.deposit_margin("mallory", "3874");
    const Outcome refused = h.submit_market("mallory", "BTC", "-400", "1");
    EXPECT_EQ(refused.error, ErrorCode::InsufficientMargin);
    EXPECT_NE(refused.message.find("equity 1999 "), std::string::npos) << refused.message;
    EXPECT_TRUE(h.events().empty());
    h.deposit_margin("mallory", "1");
    const Outcome filled = h.submit_market("mallory", "BTC", "-400", "1");
    ASSERT_TRUE(filled.ok()) << filled.message;
    EXPECT_EQ(submit_reply(filled).exec_price, std::optional(dec("95.3125")));
    EXPECT_EQ(h.user("mallory").equity, dec("2000"));
    EXPECT_EQ(h.user("mallory").used_margin, amt("2000"));
}

TEST(MoneySafety, F1_ARestingSellIsReservedAtTheOracleNotItsLimit) {
    Harness h;
    spec_market_with_vault(h);
    // Fill the short side (max OI 500) so that a new sell cannot fill and rests.
    h.open_position("whale", "BTC", "-500");
    h.deposit_margin("mallory", "1999");
    // Limit sell -400 at 0.000001 rests (OI); its margin is priced at the oracle, 100:
    // 400 * 100 * 0.05 = 2000 > 1999.
    EXPECT_EQ(h.submit_limit("mallory", "BTC", "-400", "0.000001").error, ErrorCode::InsufficientMargin);
    h.deposit_margin("mallory", "1");
    const Outcome rested = h.submit_limit("mallory", "BTC", "-400", "0.000001");
    ASSERT_TRUE(rested.ok()) << rested.message;
    EXPECT_EQ(submit_reply(rested).rested, dec("-400"));
    EXPECT_EQ(h.user("mallory").reserved_margin, amt("2000"));
}

TEST(MoneySafety, F1_ARestingFillThatWouldLeaveTheAccountShortIsCanceled) {
    Harness h;
    spec_market_with_vault(h);
    // Alice holds +100 (opened at 100 exactly after an offset of -50) and rests a sell of -100 at
    // 101, which only closes: it reserves nothing. Then she closes the +100 at market and
    // withdraws everything: the resting sell would now open a short with no margin behind it.
    h.deposit_margin("alice", "600");
    h.open_position("offset", "BTC", "-50");
    ASSERT_EQ(submit_reply(h.submit_limit("alice", "BTC", "100", "100")).exec_price, std::optional(dec("100")));
    const OrderId sell = submit_reply(h.submit_limit("alice", "BTC", "-100", "101")).order_id;
    EXPECT_EQ(h.user("alice").reserved_margin, amt("0"));
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-100", "0.1").ok());
    ASSERT_EQ(h.position("alice", "BTC"), Dec::zero());
    const Amount left = h.user("alice").margin;
    ASSERT_TRUE(h.withdraw_margin("alice", to_string(left)).ok());
    // The oracle rises to 110. At the offset's skew of -50 the marginal price is 110 * 0.95 =
    // 104.5 >= 101, and -100 from -50 to -150 fills at 104.5 (flat beyond the clamp): but with no
    // margin the short (cost 10450, worth -11000 at once) leaves equity -550 < its initial
    // margin 550, so the order is canceled instead.
    h.oracle({{"BTC", "110"}});
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    const auto canceled = events_of<OrderCanceledEvent>(h.events());
    ASSERT_EQ(canceled.size(), 1u);
    EXPECT_EQ(canceled[0].order_id, sell);
    EXPECT_EQ(canceled[0].reason, CancelReason::InsufficientMargin);
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

// ---------------------------------------------------------------------------
// Finding 2: splitting an order beats the premium clamp.

TEST(MoneySafety, F2_SellingInPiecesAndBuyingBackInOneGainsNothing) {
    Harness h;
    spec_market_with_vault(h);
    h.deposit_margin("mallory", "100000");
    const Amount before = h.user("mallory").margin;
    // 100 sells of -1 from skew 0 to -100, then one buy of +100 back to 0. Under the spec's
    // clamp of the average premium the buy-back was priced at clamp(-50/1000) = -0.05, 95,
    // while the sells below -50 were at 95 and those above at 97.5 on average: a gain of
    // oracle * M^2 * K / 2 = 100 * 0.0025 * 1000 / 2 = 125 per cycle. With the average of the
    // clamped premium the buy-back costs (0.05 * 50 + 50^2/2000) / 100 = 0.0375 below the oracle,
    // 96.25, exactly what the pieces brought in (4875 + 4750 = 9625 = 100 * 96.25), less rounding.
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(h.submit_market("mallory", "BTC", "-1", "1").ok());
    const Outcome back = h.submit_market("mallory", "BTC", "100", "1");
    ASSERT_TRUE(back.ok()) << back.message;
    EXPECT_EQ(submit_reply(back).exec_price, std::optional(dec("96.25")));
    ASSERT_EQ(h.position("mallory", "BTC"), Dec::zero());
    const Amount after = h.user("mallory").margin;
    EXPECT_LE(after, before);
    // Each of the 100 short openings floors its proceeds to a base unit: at most 100 lost.
    EXPECT_GE(after + amt("100"), before);
}

// ---------------------------------------------------------------------------
// Finding 3: a position that uses all its margin cannot be closed.

TEST(MoneySafety, F3_ClosingNeverNeedsAvailableMargin) {
    Harness h;
    PairParams p{dec("1000"), dec("0"), dec("1000000"), dec("0.1")};
    p.taker_fee_rate = dec("0.001");
    p.maker_fee_rate = dec("0.001");  // a close moves the skew toward 0: the maker part
    ASSERT_TRUE(h.run(SetPair{name("BTC"), p}).ok());
    h.oracle({{"BTC", "100"}});
    h.fund_vault("lp", "1000000");
    // +100 at 100: initial margin 1000 plus the fee ceil(100 * 100 * 0.001) = 10.
    h.deposit_margin("alice", "1010");
    ASSERT_TRUE(h.submit_market("alice", "BTC", "100", "0").ok());
    EXPECT_EQ(h.user("alice").margin, amt("1000"));
    EXPECT_EQ(h.user("alice").available_margin, amt("0"));
    // A reduce-only close was refused "requires margin 10, available 0"; its fee of 10 now comes
    // out of the settlement: margin 1000 - 10 = 990.
    const Outcome close = h.submit_market("alice", "BTC", "-100", "0", /*reduce_only=*/true);
    ASSERT_TRUE(close.ok()) << close.message;
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    EXPECT_EQ(h.user("alice").margin, amt("990"));
    // The same close without reduce-only: open again (990 = 900 + 9 + 81 spare) and close.
    ASSERT_TRUE(h.submit_market("alice", "BTC", "90", "0").ok());  // fee 9
    EXPECT_EQ(h.user("alice").margin, amt("981"));
    ASSERT_TRUE(h.withdraw_margin("alice", "81").ok());
    EXPECT_EQ(h.user("alice").available_margin, amt("0"));
    ASSERT_TRUE(h.submit_market("alice", "BTC", "-90", "0").ok());
    EXPECT_EQ(h.user("alice").margin, amt("891"));  // 900 - fee 9
}

}  // namespace
