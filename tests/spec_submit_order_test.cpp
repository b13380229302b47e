// 004 "SubmitOrder": one test per row of the summary table (tests 1-13).
//
// Parameters (004): oracle_price 100, K (skew_scale) 1000, M (max_abs_premium)
// 0.05, max_abs_oi 500 -- the harness defaults. Every initial state is reached
// with real trades: "bob" opens the long OI and "carol" the short OI that the
// row lists besides the position of the trader under test, "alice".
#include <gtest/gtest.h>

#include <optional>

#include <string_view>

#include "engine_harness.hpp"

namespace {

using ballast::core::Dec;
using ballast::core::FillEvent;
using ballast::core::OrderRestedEvent;
using ballast::core::UnfilledEvent;
using ballast::core::UnfilledReason;
using ballast::testing::dec;
using ballast::testing::events_of;
using ballast::testing::expect_oi;
using ballast::testing::Harness;
using ballast::testing::name;
using ballast::testing::setup_spec_market;
using ballast::testing::submit_reply;

// The submission filled exactly once, for `user`, with `size` at `price`.
void expect_one_fill(const Harness& h, std::string_view user, std::string_view size, std::string_view price) {
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), 1u);
    EXPECT_EQ(fills[0].user, *h.engine.find_user(name(user)));
    EXPECT_EQ(fills[0].size, dec(size));
    EXPECT_EQ(fills[0].price, dec(price));
}

// The submission filled nothing and reported `size` unfilled for `reason`.
void expect_unfilled(const Harness& h, std::string_view size, UnfilledReason reason) {
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    const auto unfilled = events_of<UnfilledEvent>(h.events());
    ASSERT_EQ(unfilled.size(), 1u);
    EXPECT_EQ(unfilled[0].size, dec(size));
    EXPECT_EQ(unfilled[0].reason, reason);
}

TEST(SpecSubmitOrder, Row01_NewLongUnconstrained) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #1 state: user_pos 0, long_oi 100, short_oi -100, skew 0.
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    h.deposit_margin("alice", "1000000");
    expect_oi(h, "100", "-100", "0");

    const auto out = h.submit_market("alice", "BTC", "50", "0.05");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #1: fill +50, exec 102.5 (target 105, limiting: none).
    EXPECT_EQ(reply.filled, dec("50"));
    EXPECT_EQ(reply.exec_price, std::optional(dec("102.5")));
    EXPECT_EQ(reply.rested, Dec::zero());
    expect_one_fill(h, "alice", "50", "102.5");
    EXPECT_EQ(h.position("alice", "BTC"), dec("50"));
    // Hand calc: the opening +50 adds to long_oi: 150 / -100, skew 50.
    expect_oi(h, "150", "-100", "50");
}

TEST(SpecSubmitOrder, Row02_NewShortUnconstrained) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #2 state: user_pos 0, long_oi 100, short_oi -100, skew 0.
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    h.deposit_margin("alice", "1000000");
    expect_oi(h, "100", "-100", "0");

    const auto out = h.submit_market("alice", "BTC", "-50", "0.05");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #2: fill -50, exec 97.5 (target 95).
    EXPECT_EQ(reply.filled, dec("-50"));
    EXPECT_EQ(reply.exec_price, std::optional(dec("97.5")));
    expect_one_fill(h, "alice", "-50", "97.5");
    EXPECT_EQ(h.position("alice", "BTC"), dec("-50"));
    // Hand calc: 100 / -150, skew -50.
    expect_oi(h, "100", "-150", "-50");
}

TEST(SpecSubmitOrder, Row03_NewLongOiBlocked) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #3 state: user_pos 0, long_oi 480, short_oi -100, skew 380.
    h.open_position("bob", "BTC", "480");
    h.open_position("carol", "BTC", "-100");
    h.deposit_margin("alice", "1000000");
    expect_oi(h, "480", "-100", "380");

    const auto out = h.submit_market("alice", "BTC", "50", "0.05");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #3: room 500 - 480 = 20 < 50 -> OI violated, fill 0 (revert).
    EXPECT_EQ(reply.filled, Dec::zero());
    EXPECT_FALSE(reply.exec_price.has_value());
    EXPECT_EQ(reply.rested, Dec::zero());  // a market order never rests
    expect_unfilled(h, "50", UnfilledReason::MaxOi);
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    expect_oi(h, "480", "-100", "380");
}

TEST(SpecSubmitOrder, Row04_NewShortOiBlocked) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #4 state: user_pos 0, long_oi 100, short_oi -480, skew -380.
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-480");
    h.deposit_margin("alice", "1000000");
    expect_oi(h, "100", "-480", "-380");

    const auto out = h.submit_market("alice", "BTC", "-50", "0.05");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #4: room 500 - 480 = 20 < 50 -> OI violated, fill 0 (revert).
    EXPECT_EQ(reply.filled, Dec::zero());
    EXPECT_FALSE(reply.exec_price.has_value());
    expect_unfilled(h, "-50", UnfilledReason::MaxOi);
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    expect_oi(h, "100", "-480", "-380");
}

TEST(SpecSubmitOrder, Row05_CloseLongFully) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #5 state: user_pos +100, long_oi 200, short_oi -100, skew 100.
    h.open_position("alice", "BTC", "100");
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    expect_oi(h, "200", "-100", "100");

    // 004 SubmitOrder #5 says: fill -100 at exec 105 (target 103.95). That price was the clamp of
    // the average premium, (100 - 100/2)/1000 = 0.05. Changed (issue "Money safety", finding 2;
    // docs/SPEC-NOTES.md): a fill pays the average of the clamped marginal premium over the skew
    // it moves through. From skew 100 down to 0 with L = K * M = 50: 0.05 * 50 + (50^2 - 0)/2000
    // = 2.5 + 1.25 = 3.75 over 100, premium 0.0375, exec 103.75 < target 103.95 (= 105 * 0.99):
    // the sell fails its price check and fills nothing.
    const auto out = h.submit_market("alice", "BTC", "-100", "0.01");
    ASSERT_TRUE(out.ok()) << out.message;
    expect_unfilled(h, "-100", UnfilledReason::Price);
    expect_oi(h, "200", "-100", "100");
    // With 2% slippage (target 105 * 0.98 = 102.9) it closes at 103.75.
    const auto wider = h.submit_market("alice", "BTC", "-100", "0.02");
    ASSERT_TRUE(wider.ok()) << wider.message;
    EXPECT_EQ(submit_reply(wider).filled, dec("-100"));
    expect_one_fill(h, "alice", "-100", "103.75");
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    // Hand calc: the closing -100 takes 100 off long_oi: 100 / -100, skew 0.
    expect_oi(h, "100", "-100", "0");
}

TEST(SpecSubmitOrder, Row06_CloseShortFully) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #6 state: user_pos -100, long_oi 100, short_oi -200, skew -100.
    h.open_position("alice", "BTC", "-100");
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    expect_oi(h, "100", "-200", "-100");

    // 004 SubmitOrder #6 says: fill +100 at exec 95 (target 95.95). Changed like #5: from skew
    // -100 up to 0 the average clamped premium is -(0.05 * 50 + 50^2/2000)/100 = -0.0375, exec
    // 96.25 > target 95.95 (= 95 * 1.01): the buy fails its price check and fills nothing.
    const auto out = h.submit_market("alice", "BTC", "100", "0.01");
    ASSERT_TRUE(out.ok()) << out.message;
    expect_unfilled(h, "100", UnfilledReason::Price);
    // With 2% slippage (target 95 * 1.02 = 96.9) it closes at 96.25.
    const auto wider = h.submit_market("alice", "BTC", "100", "0.02");
    ASSERT_TRUE(wider.ok()) << wider.message;
    EXPECT_EQ(submit_reply(wider).filled, dec("100"));
    expect_one_fill(h, "alice", "100", "96.25");
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    // Hand calc: the closing +100 takes 100 off short_oi: 100 / -100, skew 0.
    expect_oi(h, "100", "-100", "0");
}

TEST(SpecSubmitOrder, Row07_FlipReduceOnlyFalseOiOk) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #7 state: user_pos +100, long_oi 200, short_oi -100, skew 100.
    h.open_position("alice", "BTC", "100");
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    expect_oi(h, "200", "-100", "100");

    const auto out = h.submit_market("alice", "BTC", "-150", "0.05");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #7: closing -100, opening -50 (room 400), fill -150, exec 102.5 (target
    // 99.75). Changed (finding 2, as #5): from skew 100 down to -50, 0.05 * 50 + (50^2 - 50^2)/2000
    // = 2.5 over 150, premium 1/60; 100 * (1 + 1/60) = 101.666..., floored for a sell.
    EXPECT_EQ(reply.filled, dec("-150"));
    EXPECT_EQ(reply.exec_price, std::optional(dec("101.666666666666666666")));
    expect_one_fill(h, "alice", "-150", "101.666666666666666666");
    EXPECT_EQ(h.position("alice", "BTC"), dec("-50"));
    // Hand calc: long_oi 200 - 100 = 100, short_oi -100 - 50 = -150, skew -50.
    expect_oi(h, "100", "-150", "-50");
}

TEST(SpecSubmitOrder, Row08_FlipReduceOnlyFalseOiBlocked) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #8 state: user_pos +100, long_oi 200, short_oi -480, skew -280.
    h.open_position("alice", "BTC", "100");
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-480");
    expect_oi(h, "200", "-480", "-280");

    const auto out = h.submit_market("alice", "BTC", "-150", "0.05");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #8: opening -50 > room 20 -> the whole order reverts, closing included: fill 0.
    EXPECT_EQ(reply.filled, Dec::zero());
    EXPECT_FALSE(reply.exec_price.has_value());
    expect_unfilled(h, "-150", UnfilledReason::MaxOi);
    EXPECT_EQ(h.position("alice", "BTC"), dec("100"));
    expect_oi(h, "200", "-480", "-280");
}

TEST(SpecSubmitOrder, Row09_FlipReduceOnlyTrue) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #9 state: user_pos +100, long_oi 200, short_oi -480, skew -280.
    h.open_position("alice", "BTC", "100");
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-480");
    expect_oi(h, "200", "-480", "-280");

    const auto out = h.submit_market("alice", "BTC", "-150", "0.05", /*reduce_only=*/true);
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #9: only the closing -100 executes, exec 95 (target 90.25); the -50 is discarded.
    EXPECT_EQ(reply.filled, dec("-100"));
    EXPECT_EQ(reply.exec_price, std::optional(dec("95")));
    expect_one_fill(h, "alice", "-100", "95");
    const auto unfilled = events_of<UnfilledEvent>(h.events());
    ASSERT_EQ(unfilled.size(), 1u);
    EXPECT_EQ(unfilled[0].size, dec("-50"));
    EXPECT_EQ(unfilled[0].reason, UnfilledReason::ReduceOnly);
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    // Hand calc: long_oi 200 - 100 = 100, short_oi -480, skew -380.
    expect_oi(h, "100", "-480", "-380");
}

TEST(SpecSubmitOrder, Row10_SlippageExceeded) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #10 state: user_pos 0, long_oi 100, short_oi -100, skew 0.
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    h.deposit_margin("alice", "1000000");

    const auto out = h.submit_market("alice", "BTC", "100", "0.01");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #10: exec 105 > target 101 -> all-or-nothing, fill 0.
    EXPECT_EQ(reply.filled, Dec::zero());
    EXPECT_FALSE(reply.exec_price.has_value());
    EXPECT_EQ(reply.rested, Dec::zero());
    expect_unfilled(h, "100", UnfilledReason::Price);
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    expect_oi(h, "100", "-100", "0");
}

TEST(SpecSubmitOrder, Row11_LimitBuyPriceExceeded) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #11 state: user_pos 0, long_oi 100, short_oi -100, skew 0.
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    h.deposit_margin("alice", "1000000");

    const auto out = h.submit_limit("alice", "BTC", "50", "101.5");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #11: exec 102.5 > limit 101.5 -> fill 0, stored as GTC.
    EXPECT_EQ(reply.filled, Dec::zero());
    EXPECT_FALSE(reply.exec_price.has_value());
    EXPECT_EQ(reply.rested, dec("50"));
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    EXPECT_EQ(events_of<OrderRestedEvent>(h.events()).size(), 1u);
    const auto bids = h.pair("BTC").bids;
    ASSERT_EQ(bids.size(), 1u);
    EXPECT_EQ(bids[0].order_id, reply.order_id);
    EXPECT_EQ(bids[0].size, dec("50"));
    EXPECT_EQ(bids[0].limit_price, dec("101.5"));
    EXPECT_TRUE(h.pair("BTC").asks.empty());
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    expect_oi(h, "100", "-100", "0");
}

TEST(SpecSubmitOrder, Row12_LimitBuyBelowMarginal) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #12 state: user_pos 0, long_oi 100, short_oi -100, skew 0.
    h.open_position("bob", "BTC", "100");
    h.open_position("carol", "BTC", "-100");
    h.deposit_margin("alice", "1000000");

    const auto out = h.submit_limit("alice", "BTC", "50", "99");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #12: exec 102.5 > limit 99 (below marginal 100) -> fill 0, stored as GTC.
    EXPECT_EQ(reply.filled, Dec::zero());
    EXPECT_FALSE(reply.exec_price.has_value());
    EXPECT_EQ(reply.rested, dec("50"));
    EXPECT_TRUE(events_of<FillEvent>(h.events()).empty());
    const auto bids = h.pair("BTC").bids;
    ASSERT_EQ(bids.size(), 1u);
    EXPECT_EQ(bids[0].order_id, reply.order_id);
    EXPECT_EQ(bids[0].size, dec("50"));
    EXPECT_EQ(bids[0].limit_price, dec("99"));
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    expect_oi(h, "100", "-100", "0");
}

TEST(SpecSubmitOrder, Row13_CloseAtMaxOi) {
    Harness h;
    setup_spec_market(h);
    // 004 SubmitOrder #13 state: user_pos +100, long_oi 500, short_oi -100, skew 400.
    h.open_position("alice", "BTC", "100");
    h.open_position("bob", "BTC", "400");
    h.open_position("carol", "BTC", "-100");
    expect_oi(h, "500", "-100", "400");

    const auto out = h.submit_market("alice", "BTC", "-100", "0.05");
    ASSERT_TRUE(out.ok()) << out.message;
    const auto& reply = submit_reply(out);
    // 004 SubmitOrder #13: closing at max OI is allowed: fill -100, exec 105 (target 99.75).
    EXPECT_EQ(reply.filled, dec("-100"));
    EXPECT_EQ(reply.exec_price, std::optional(dec("105")));
    expect_one_fill(h, "alice", "-100", "105");
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
    // Hand calc: long_oi 500 - 100 = 400, short_oi -100, skew 300.
    expect_oi(h, "400", "-100", "300");
}

}  // namespace
