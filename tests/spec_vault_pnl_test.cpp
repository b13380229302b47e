// 004 "Vault Unrealized PnL": test 1 and every step of test 2 (2.1-2.4).
//
// Pair BTCUSD with K 1000 and a premium cap of 0 ("skew pricing ignored for
// clarity" in 004): every fill executes exactly at the oracle price, so the
// oracle is moved to each entry price before the fill and back to 50,000 for
// the PnL reading. max_abs_oi is raised so that OI never limits a fill.
//
// Formulas (004): oi_weighted_entry_price = sum of sign(size) * cost_basis;
// vault_unrealized_pnl = oi_weighted_entry_price - oracle_price * skew.
#include <gtest/gtest.h>

#include <string_view>

#include "engine_harness.hpp"

namespace {

using ballast::core::Dec;
using ballast::core::FillEvent;
using ballast::core::i128;
using ballast::testing::amt;
using ballast::testing::dec;
using ballast::testing::events_of;
using ballast::testing::Harness;
using ballast::testing::PairSpec;
using ballast::testing::submit_reply;

constexpr std::string_view kPair = "BTCUSD";

void setup(Harness& h) {
    h.set_pair(kPair, PairSpec{.max_abs_premium = "0", .max_abs_oi = "1000000"});
    h.oracle({{kPair, "50000"}});
    // The vault can pay realized profits (004 test 2.3 settles 4,000 to Alice).
    h.fund_vault("lp", "10000000");
}

// Moves the oracle to `price` and fills `size` for `user` at market; returns the fill.
FillEvent fill_at(Harness& h, std::string_view user, std::string_view size, std::string_view price) {
    h.oracle({{kPair, price}});
    h.deposit_margin(user, "1000000000");
    const auto out = h.submit_market(user, kPair, size, "1");
    EXPECT_TRUE(out.ok()) << out.message;
    const auto fills = events_of<FillEvent>(h.events());
    EXPECT_EQ(fills.size(), 1u);
    if (!out.ok() || fills.size() != 1) return FillEvent{};
    EXPECT_EQ(submit_reply(out).filled, dec(size));
    EXPECT_EQ(fills[0].price, dec(price)) << "a premium cap of 0 executes at the oracle price";
    return fills[0];
}

void expect_position(const Harness& h, std::string_view user, std::string_view size, std::string_view cost_basis) {
    const auto view = h.user(user);
    ASSERT_EQ(view.positions.size(), 1u);
    EXPECT_EQ(view.positions[0].position.size, dec(size));
    EXPECT_EQ(view.positions[0].position.cost_basis, amt(cost_basis));
}

TEST(SpecVaultPnl, Test1_MultiPositionVaultUnrealizedPnl) {
    Harness h;
    setup(h);
    // 004 Vault test 1 positions (size @ entry_price -> cost_basis):
    fill_at(h, "alice", "2", "48000");  // #1 Alice +2 @ 48,000 -> 96,000
    fill_at(h, "bob", "-3", "52000");   // #2 Bob   -3 @ 52,000 -> 156,000
    fill_at(h, "carol", "1", "51000");  // #3 Carol +1 @ 51,000 -> 51,000
    fill_at(h, "dave", "-1", "49000");  // #4 Dave  -1 @ 49,000 -> 49,000
    h.oracle({{kPair, "50000"}});

    expect_position(h, "alice", "2", "96000");
    expect_position(h, "bob", "-3", "156000");
    expect_position(h, "carol", "1", "51000");
    expect_position(h, "dave", "-1", "49000");
    // 004 Vault test 1 step 1: 96,000 - 156,000 + 51,000 - 49,000 = -58,000.
    EXPECT_EQ(h.pair(kPair).oi_weighted_entry_price, i128{-58000});
    // 004 Vault test 1 step 2: long_oi +3, short_oi -4, skew -1.
    expect_oi(h, "3", "-4", "-1", kPair);
    // 004 Vault test 1 steps 3-4: -58,000 - 50,000 * (-1) = -8,000.
    EXPECT_EQ(h.vault().unrealized_pnl, dec("-8000"));
}

// 004 Vault test 2 step 1: Alice opens long +4 at 50,000.
void test2_step1(Harness& h) {
    setup(h);
    fill_at(h, "alice", "4", "50000");
}

// 004 Vault test 2 step 2: Bob opens short -2 at 50,000.
void test2_step2(Harness& h) {
    test2_step1(h);
    fill_at(h, "bob", "-2", "50000");
}

// 004 Vault test 2 step 3: Alice partial-closes -2 at 52,000; the oracle then reads 50,000 again.
FillEvent test2_step3(Harness& h) {
    test2_step2(h);
    const FillEvent fill = fill_at(h, "alice", "-2", "52000");
    h.oracle({{kPair, "50000"}});
    return fill;
}

// 004 Vault test 2 step 4: Alice flips to short -3 (fill -5) at 51,000; the oracle then reads 50,000.
FillEvent test2_step4(Harness& h) {
    test2_step3(h);
    const FillEvent fill = fill_at(h, "alice", "-5", "51000");
    h.oracle({{kPair, "50000"}});
    return fill;
}

TEST(SpecVaultPnl, Test2_Step1_OpenLong) {
    Harness h;
    test2_step1(h);
    // 004 Vault 2.1: cost_basis 4 * 50,000 = 200,000; accumulator 200,000.
    expect_position(h, "alice", "4", "200000");
    EXPECT_EQ(h.pair(kPair).oi_weighted_entry_price, i128{200000});
    // 004 Vault 2.1: long_oi 4, short_oi 0, skew 4; vault PnL 200,000 - 50,000 * 4 = 0.
    expect_oi(h, "4", "0", "4", kPair);
    EXPECT_EQ(h.vault().unrealized_pnl, Dec::zero());
}

TEST(SpecVaultPnl, Test2_Step2_OpenShort) {
    Harness h;
    test2_step2(h);
    // 004 Vault 2.2: Bob's cost_basis 100,000; accumulator 200,000 - 100,000 = 100,000.
    expect_position(h, "bob", "-2", "100000");
    EXPECT_EQ(h.pair(kPair).oi_weighted_entry_price, i128{100000});
    // 004 Vault 2.2: long_oi 4, short_oi -2, skew 2; vault PnL 100,000 - 50,000 * 2 = 0.
    expect_oi(h, "4", "-2", "2", kPair);
    EXPECT_EQ(h.vault().unrealized_pnl, Dec::zero());
}

TEST(SpecVaultPnl, Test2_Step3_PartialClose) {
    Harness h;
    const FillEvent fill = test2_step3(h);
    // 004 Vault 2.3 note: Alice realized (52,000 - 50,000) * 2 = 4,000 on the closed portion.
    EXPECT_EQ(fill.realized_pnl, i128{4000});
    // 004 Vault 2.3: Alice +2 with cost_basis floor(200,000 * 0.5) = 100,000;
    // accumulator 100,000 - 200,000 + 100,000 = 0.
    expect_position(h, "alice", "2", "100000");
    EXPECT_EQ(h.pair(kPair).oi_weighted_entry_price, i128{0});
    // 004 Vault 2.3: long_oi 2, short_oi -2, skew 0; vault PnL 0 - 50,000 * 0 = 0.
    expect_oi(h, "2", "-2", "0", kPair);
    EXPECT_EQ(h.vault().unrealized_pnl, Dec::zero());
}

TEST(SpecVaultPnl, Test2_Step4_FlipPosition) {
    Harness h;
    const FillEvent fill = test2_step4(h);
    // Hand calc (not in 004): the closing -2 realizes 2 * 51,000 - 100,000 = 2,000.
    EXPECT_EQ(fill.realized_pnl, i128{2000});
    // 004 Vault 2.4: Alice -3 with cost_basis 0 + floor(3 * 51,000) = 153,000;
    // accumulator 0 - 100,000 - 153,000 = -253,000.
    expect_position(h, "alice", "-3", "153000");
    EXPECT_EQ(h.pair(kPair).oi_weighted_entry_price, i128{-253000});
    // 004 Vault 2.4: long_oi 0, short_oi -5, skew -5; vault PnL -253,000 + 250,000 = -3,000.
    expect_oi(h, "0", "-5", "-5", kPair);
    EXPECT_EQ(h.vault().unrealized_pnl, dec("-3000"));
}

}  // namespace
