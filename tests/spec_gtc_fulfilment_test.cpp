// 004 "GTC Order Fulfillment": one test per row of the summary table (tests 1-14).
//
// Parameters (004): oracle_price 100 (initial, changes per test), K 1000,
// M 0.05, max_abs_oi 500 -- the harness defaults.
//
// Every state is reached with real commands. "bob" holds the long OI and
// "carol" the short OI of the row; the resting orders belong to other traders.
// A resting order must not fill when it is placed, so each is submitted where
// it cannot fill, in one of two ways (each worked out at its row):
//  - skew parking: "parker" trades at market to push the skew past the order's
//    limit, the order is placed, and parker trades back to flat. Submissions
//    never fill other users' resting orders, so the orders keep resting until
//    the trigger oracle update;
//  - oracle parking: the oracle is moved (with no order resting yet) to a price
//    where the orders cannot fill, and the trigger update moves it back.
// Times: setup commands run at t=0, orders at t=10, 20, ... (004's t1 < t2 < ...),
// and the trigger oracle update at t=100.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "engine_harness.hpp"

namespace {

using ballast::core::Dec;
using ballast::core::FillEvent;
using ballast::core::OrderId;
using ballast::core::OrderUpdatedEvent;
using ballast::core::OrderView;
using ballast::testing::dec;
using ballast::testing::events_of;
using ballast::testing::expect_oi;
using ballast::testing::Harness;
using ballast::testing::name;
using ballast::testing::setup_spec_market;
using ballast::testing::submit_reply;

constexpr ballast::core::TimeMs kTrigger = 100;

// A market trade with 100% slippage: fills in full at whatever the price is.
void trade(Harness& h, std::string_view user, std::string_view size) { h.open_position(user, "BTC", size); }

// Places a limit order that must rest in full (nothing fills at submission); returns its id.
OrderId rest_limit(Harness& h, std::string_view user, std::string_view size, std::string_view limit,
                   ballast::core::TimeMs time, bool reduce_only = false) {
    h.deposit_margin(user, "100000");
    const auto out = h.submit_limit(user, "BTC", size, limit, reduce_only, time);
    EXPECT_TRUE(out.ok()) << out.message;
    if (!out.ok()) return 0;
    const auto& reply = submit_reply(out);
    EXPECT_EQ(reply.filled, Dec::zero()) << "setup order filled at submission";
    EXPECT_EQ(reply.rested, dec(size)) << "setup order did not rest in full";
    return reply.order_id;
}

struct Fill {
    std::string_view user;
    OrderId order_id;
    std::string_view size;
    std::string_view price;
};

// The fills of the last command, in the order they happened.
void expect_fills(const Harness& h, const std::vector<Fill>& expected) {
    const auto fills = events_of<FillEvent>(h.events());
    ASSERT_EQ(fills.size(), expected.size());
    for (std::size_t i = 0; i < fills.size(); ++i) {
        SCOPED_TRACE("fill #" + std::to_string(i + 1));
        EXPECT_EQ(fills[i].user, *h.engine.find_user(name(expected[i].user)));
        EXPECT_EQ(fills[i].order_id, expected[i].order_id);
        EXPECT_EQ(fills[i].size, dec(expected[i].size));
        EXPECT_EQ(fills[i].price, dec(expected[i].price));
    }
}

void expect_order(const OrderView& order, OrderId id, std::string_view size, std::string_view limit) {
    EXPECT_EQ(order.order_id, id);
    EXPECT_EQ(order.size, dec(size));
    EXPECT_EQ(order.limit_price, dec(limit));
}

TEST(SpecGtcFulfilment, Row01_SingleBuyOrderFilled) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #1 state: long_oi 100, short_oi -100, skew 0, oracle 100; BUY {103, +50}.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Skew parking: at skew 50, exec(+50) = 100 * (1 + clamp((50 + 25)/1000)) = 105 > 103.
    trade(h, "parker", "50");
    const OrderId id = rest_limit(h, "alice", "50", "103", 10);
    trade(h, "parker", "-50");
    expect_oi(h, "100", "-100", "0");
    ASSERT_EQ(h.pair("BTC").bids.size(), 1u);

    // 004 GTC #1 trigger: oracle 100 -> 98.
    h.oracle({{"BTC", "98"}}, kTrigger);
    // 004 GTC #1: marginal 98 <= 103; exec 98 * 1.025 = 100.45 <= 103 -> fill.
    expect_fills(h, {{"alice", id, "50", "100.45"}});
    // 004 GTC #1 result: long_oi 150, short_oi -100, skew 50; BUY_ORDERS [].
    expect_oi(h, "150", "-100", "50");
    EXPECT_TRUE(h.pair("BTC").bids.empty());
    EXPECT_EQ(h.position("alice", "BTC"), dec("50"));
}

TEST(SpecGtcFulfilment, Row02_SingleSellOrderFilled) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #2 state: long_oi 100, short_oi -100, skew 0, oracle 100; SELL {97, -50}.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Skew parking: at skew -50, exec(-50) = 100 * (1 + clamp((-50 - 25)/1000)) = 95 < 97.
    trade(h, "parker", "-50");
    const OrderId id = rest_limit(h, "alice", "-50", "97", 10);
    trade(h, "parker", "50");
    expect_oi(h, "100", "-100", "0");
    ASSERT_EQ(h.pair("BTC").asks.size(), 1u);

    // 004 GTC #2 trigger: oracle 100 -> 102.
    h.oracle({{"BTC", "102"}}, kTrigger);
    // 004 GTC #2: marginal 102 >= 97; exec 102 * 0.975 = 99.45 >= 97 -> fill.
    expect_fills(h, {{"alice", id, "-50", "99.45"}});
    // 004 GTC #2 result: long_oi 100, short_oi -150, skew -50; SELL_ORDERS [].
    expect_oi(h, "100", "-150", "-50");
    EXPECT_TRUE(h.pair("BTC").asks.empty());
    EXPECT_EQ(h.position("alice", "BTC"), dec("-50"));
}

TEST(SpecGtcFulfilment, Row03_BuyOrderUnfillableCutoff) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #3 state: long_oi 200, short_oi -100, skew 100; BUY {104, +50}.
    trade(h, "bob", "200");
    trade(h, "carol", "-100");
    // Rests as placed: at skew 100, exec(+50) = 105 (clamped) > 104.
    const OrderId id = rest_limit(h, "alice", "50", "104", 10);
    expect_oi(h, "200", "-100", "100");

    // 004 GTC #3 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #3: marginal 105 (clamped) > limit 104 -> break, no fill.
    expect_fills(h, {});
    expect_oi(h, "200", "-100", "100");
    const auto bids = h.pair("BTC").bids;
    ASSERT_EQ(bids.size(), 1u);
    expect_order(bids[0], id, "50", "104");
}

TEST(SpecGtcFulfilment, Row04_SellOrderUnfillableCutoff) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #4 state: long_oi 100, short_oi -200, skew -100; SELL {96, -50}.
    trade(h, "bob", "100");
    trade(h, "carol", "-200");
    // Rests as placed: at skew -100, exec(-50) = 95 (clamped) < 96.
    const OrderId id = rest_limit(h, "alice", "-50", "96", 10);
    expect_oi(h, "100", "-200", "-100");

    // 004 GTC #4 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #4: marginal 95 (clamped) < limit 96 -> break, no fill.
    expect_fills(h, {});
    expect_oi(h, "100", "-200", "-100");
    const auto asks = h.pair("BTC").asks;
    ASSERT_EQ(asks.size(), 1u);
    expect_order(asks[0], id, "-50", "96");
}

TEST(SpecGtcFulfilment, Row05_BuyOrderTooLargeContinueScanning) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #5 state: long_oi 100, short_oi -100, skew 0; BUY A {102, +100}, B {101, +20}.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Skew parking: at skew 50 both buys would execute at 105 (clamped) > 102, 101.
    trade(h, "parker", "50");
    const OrderId a = rest_limit(h, "alice", "100", "102", 10);
    const OrderId b = rest_limit(h, "dave", "20", "101", 20);
    trade(h, "parker", "-50");
    expect_oi(h, "100", "-100", "0");

    // 004 GTC #5 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #5: A exec 105 > 102 -> skip; B exec 101 <= 101 -> fill.
    expect_fills(h, {{"dave", b, "20", "101"}});
    // 004 GTC #5 result: long_oi 120, short_oi -100, skew 20; BUY_ORDERS [A].
    expect_oi(h, "120", "-100", "20");
    const auto bids = h.pair("BTC").bids;
    ASSERT_EQ(bids.size(), 1u);
    expect_order(bids[0], a, "100", "102");
}

TEST(SpecGtcFulfilment, Row06_PriceTimePriorityBuys) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #6 state: long_oi 100, short_oi -100, skew 0;
    // BUY A {103, t2, +10}, B {105, t1, +10}, C {103, t1, +10}.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Oracle parking (skew parking cannot exceed 105 = 100 * 1.05): at oracle 110,
    // exec(+10) = 110 * 1.005 = 110.55 > 105. Submitted "unsorted": C, then B, then A.
    h.oracle({{"BTC", "110"}}, 5);
    const OrderId c = rest_limit(h, "cindy", "10", "103", 10);
    const OrderId b = rest_limit(h, "dave", "10", "105", 10);
    const OrderId a = rest_limit(h, "erin", "10", "103", 20);
    const auto before = h.pair("BTC").bids;
    ASSERT_EQ(before.size(), 3u);
    expect_order(before[0], b, "10", "105");
    expect_order(before[1], c, "10", "103");
    expect_order(before[2], a, "10", "103");

    // 004 GTC #6 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #6: B at 100.5, then C at 101.5, then A at 102.5.
    expect_fills(h, {{"dave", b, "10", "100.5"}, {"cindy", c, "10", "101.5"}, {"erin", a, "10", "102.5"}});
    // 004 GTC #6: final skew 30 (long_oi 100 + 30).
    expect_oi(h, "130", "-100", "30");
    EXPECT_TRUE(h.pair("BTC").bids.empty());
}

TEST(SpecGtcFulfilment, Row07_PriceTimePrioritySells) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #7 state: long_oi 100, short_oi -100, skew 0;
    // SELL A {97, t2, -10}, B {95, t1, -10}, C {97, t1, -10}.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Oracle parking: at oracle 90, exec(-10) = 90 * 0.995 = 89.55 < 95. Submitted C, B, A.
    h.oracle({{"BTC", "90"}}, 5);
    const OrderId c = rest_limit(h, "cindy", "-10", "97", 10);
    const OrderId b = rest_limit(h, "dave", "-10", "95", 10);
    const OrderId a = rest_limit(h, "erin", "-10", "97", 20);
    const auto before = h.pair("BTC").asks;
    ASSERT_EQ(before.size(), 3u);
    expect_order(before[0], b, "-10", "95");
    expect_order(before[1], c, "-10", "97");
    expect_order(before[2], a, "-10", "97");

    // 004 GTC #7 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #7: B at 99.5, then C at 98.5, then A at 97.5.
    expect_fills(h, {{"dave", b, "-10", "99.5"}, {"cindy", c, "-10", "98.5"}, {"erin", a, "-10", "97.5"}});
    // 004 GTC #7: final skew -30 (short_oi -100 - 30).
    expect_oi(h, "100", "-130", "-30");
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

TEST(SpecGtcFulfilment, Row08_SkewChangesAffectSubsequent) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #8 state: long_oi 140, short_oi -100, skew 40; BUY A {105, +20}, B {104.5, +20}.
    trade(h, "bob", "140");
    trade(h, "carol", "-100");
    // Oracle parking: at oracle 110 and skew 40, exec(+20) = 110 * 1.05 = 115.5 > 105.
    h.oracle({{"BTC", "110"}}, 5);
    const OrderId a = rest_limit(h, "alice", "20", "105", 10);
    const OrderId b = rest_limit(h, "dave", "20", "104.5", 20);
    expect_oi(h, "140", "-100", "40");

    // 004 GTC #8 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #8: A marginal 104, exec 105 <= 105 -> fill; then marginal 105 > 104.5 -> break.
    // Changed (issue "Money safety", finding 2; docs/SPEC-NOTES.md): A moves the skew from 40 to
    // 60 across L = 50, so it pays the average clamped premium, (50^2 - 40^2)/2000 + 0.05 * 10 =
    // 0.45 + 0.5 = 0.95 over 20: 0.0475, exec 104.75 (004: 105). Still within its limit 105.
    expect_fills(h, {{"alice", a, "20", "104.75"}});
    // 004 GTC #8 result: long_oi 160, short_oi -100, skew 60; BUY_ORDERS [B].
    expect_oi(h, "160", "-100", "60");
    const auto bids = h.pair("BTC").bids;
    ASSERT_EQ(bids.size(), 1u);
    expect_order(bids[0], b, "20", "104.5");
}

TEST(SpecGtcFulfilment, Row09_OiBlocksReduceOnlyFalse) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #9 state: long_oi 480, short_oi -100, skew 380; BUY {110, +50, user_pos 0}.
    trade(h, "bob", "480");
    trade(h, "carol", "-100");
    // Rests as placed: the opening +50 exceeds the room 500 - 480 = 20.
    const OrderId id = rest_limit(h, "alice", "50", "110", 10);
    expect_oi(h, "480", "-100", "380");

    // 004 GTC #9 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #9: price would pass (105 <= 110) but OI is violated -> skipped, no fill.
    expect_fills(h, {});
    expect_oi(h, "480", "-100", "380");
    const auto bids = h.pair("BTC").bids;
    ASSERT_EQ(bids.size(), 1u);
    expect_order(bids[0], id, "50", "110");
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
}

TEST(SpecGtcFulfilment, Row10_OiBlocksReduceOnlyTrue) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #10 state: long_oi 480, short_oi -100, skew 380;
    // BUY {110, +150, user_pos -100, reduce_only} -- alice holds the whole short OI.
    trade(h, "bob", "480");
    trade(h, "alice", "-100");
    // Oracle parking: at oracle 110, the closing +100 would execute at 110 * 1.05 = 115.5 > 110.
    h.oracle({{"BTC", "110"}}, 5);
    const OrderId id = rest_limit(h, "alice", "150", "110", 10, /*reduce_only=*/true);
    expect_oi(h, "480", "-100", "380");

    // 004 GTC #10 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #10: only the closing +100 fills, at 105.
    expect_fills(h, {{"alice", id, "100", "105"}});
    const auto updated = events_of<OrderUpdatedEvent>(h.events());
    ASSERT_EQ(updated.size(), 1u);
    EXPECT_EQ(updated[0].order_id, id);
    EXPECT_EQ(updated[0].size, dec("50"));
    // 004 GTC #10 result: long_oi 480, short_oi 0, skew 480; BUY_ORDERS [{110, +50}].
    expect_oi(h, "480", "0", "480");
    const auto bids = h.pair("BTC").bids;
    ASSERT_EQ(bids.size(), 1u);
    expect_order(bids[0], id, "50", "110");
    EXPECT_EQ(h.position("alice", "BTC"), Dec::zero());
}

TEST(SpecGtcFulfilment, Row11_MixedBuyAndSellInterleaved) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #11 state: long_oi 100, short_oi -100, skew 0;
    // BUY {103, +30, t2}, SELL {97, -30, t1}.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Skew parking: at skew -50, exec(-30) = 95 (clamped) < 97; at skew +50, exec(+30) = 105 > 103.
    trade(h, "parker", "-50");
    const OrderId sell = rest_limit(h, "alice", "-30", "97", 10);
    trade(h, "parker", "100");
    const OrderId buy = rest_limit(h, "dave", "30", "103", 20);
    trade(h, "parker", "-50");
    expect_oi(h, "100", "-100", "0");

    // 004 GTC #11 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #11: the older sell first at 98.5, then the buy at 98.5.
    expect_fills(h, {{"alice", sell, "-30", "98.5"}, {"dave", buy, "30", "98.5"}});
    // 004 GTC #11 result: long_oi 130, short_oi -130, skew 0; both books empty.
    expect_oi(h, "130", "-130", "0");
    EXPECT_TRUE(h.pair("BTC").bids.empty());
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

TEST(SpecGtcFulfilment, Row12_InterleavedMultipleOrders) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #12 state: long_oi 100, short_oi -100, skew 0;
    // BUY B1 {103, t1, +20}, B2 {102, t4, +20}; SELL S1 {97, t2, -20}, S2 {98, t3, -20}.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Skew parking: buys placed at skew +50 (exec(+20) = 105 > 103, 102),
    // sells at skew -50 (exec(-20) = 95 < 97, 98).
    trade(h, "parker", "50");
    const OrderId b1 = rest_limit(h, "alice", "20", "103", 10);
    trade(h, "parker", "-100");
    const OrderId s1 = rest_limit(h, "dave", "-20", "97", 20);
    const OrderId s2 = rest_limit(h, "erin", "-20", "98", 30);
    trade(h, "parker", "100");
    const OrderId b2 = rest_limit(h, "frank", "20", "102", 40);
    trade(h, "parker", "-50");
    expect_oi(h, "100", "-100", "0");

    // 004 GTC #12 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #12: t1(B1) -> t2(S1) -> t3(S2) -> t4(B2) at B1=101, S1=101, S2=99, B2=99.
    expect_fills(
        h,
        {{"alice", b1, "20", "101"}, {"dave", s1, "-20", "101"}, {"erin", s2, "-20", "99"}, {"frank", b2, "20", "99"}});
    // 004 GTC #12 result: long_oi 140, short_oi -140, skew 0.
    expect_oi(h, "140", "-140", "0");
    EXPECT_TRUE(h.pair("BTC").bids.empty());
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

TEST(SpecGtcFulfilment, Row13_TimestampTiebreakerBuyWins) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #13 state: long_oi 100, short_oi -100, skew 0;
    // BUY {103, t1, +20}, SELL {97, t1, -20} -- the same created_at.
    trade(h, "bob", "100");
    trade(h, "carol", "-100");
    // Skew parking at one instant (parker's trades carry no time, the clock stays at 10):
    // buy at skew +50 (exec 105 > 103), sell at skew -50 (exec 95 < 97).
    trade(h, "parker", "50");
    const OrderId buy = rest_limit(h, "alice", "20", "103", 10);
    trade(h, "parker", "-100");
    const OrderId sell = rest_limit(h, "dave", "-20", "97", 10);
    trade(h, "parker", "50");
    expect_oi(h, "100", "-100", "0");
    ASSERT_EQ(h.pair("BTC").bids.size(), 1u);
    ASSERT_EQ(h.pair("BTC").asks.size(), 1u);
    EXPECT_EQ(h.pair("BTC").bids[0].created_at, h.pair("BTC").asks[0].created_at);

    // 004 GTC #13 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #13: same timestamp, buy wins: buy at 101, then sell at 101.
    expect_fills(h, {{"alice", buy, "20", "101"}, {"dave", sell, "-20", "101"}});
    // 004 GTC #13 result: long_oi 120, short_oi -120, skew 0; both books empty.
    expect_oi(h, "120", "-120", "0");
    EXPECT_TRUE(h.pair("BTC").bids.empty());
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

TEST(SpecGtcFulfilment, Row14_CutoffUnblockedByOtherSide) {
    Harness h;
    setup_spec_market(h);
    // 004 GTC #14 state: long_oi 150, short_oi -100, skew 50;
    // BUY {104, t1, +20}, SELL {97, t2, -100}.
    trade(h, "bob", "150");
    trade(h, "carol", "-100");
    // The buy rests as placed: at skew 50, exec(+20) = 105 (clamped) > 104.
    const OrderId buy = rest_limit(h, "alice", "20", "104", 10);
    // Skew parking for the sell: at skew -50, exec(-100) = 95 (clamped) < 97.
    trade(h, "parker", "-100");
    const OrderId sell = rest_limit(h, "dave", "-100", "97", 20);
    trade(h, "parker", "100");
    expect_oi(h, "150", "-100", "50");

    // 004 GTC #14 trigger: oracle 100.
    h.oracle({{"BTC", "100"}}, kTrigger);
    // 004 GTC #14: buy cut off (104 < marginal 105), sell fills at 100 -> skew -50,
    // then the buy is fillable again and fills at 96.
    expect_fills(h, {{"dave", sell, "-100", "100"}, {"alice", buy, "20", "96"}});
    // 004 GTC #14 result: long_oi 170, short_oi -200, skew -30; both books empty.
    expect_oi(h, "170", "-200", "-30");
    EXPECT_TRUE(h.pair("BTC").bids.empty());
    EXPECT_TRUE(h.pair("BTC").asks.empty());
}

}  // namespace
